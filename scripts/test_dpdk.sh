#!/usr/bin/env bash
# test_dpdk24.sh - runs the whole test suite (cargo test --release --workspace)
# against DPDK 24.11, in a Debian 13 (trixie) root that holds it.
#
# The root is made once with debootstrap and cached outside the checkout
# (DPDK24_ROOT, default /var/cache/l2echo/trixie-dpdk24); a stamp file marks it
# complete, so a half-made root from an interrupted run is made again. Each run
# happens in a mount namespace of its own: /proc, /sys, /dev, this machine's
# Rust toolchain (~/.rustup read-only, ~/.cargo with its bin/ read-only) and
# the checkout are bind-mounted into the root, /run and /tmp are fresh tmpfs
# (network namespaces and DPDK's runtime files vanish with them), and the build
# goes to a target dir of its own (DPDK24_TARGET_DIR, default
# <checkout>/target/dpdk24), so 22.11 and 24.11 builds never mix. Everything is
# unmounted on exit, failure or Ctrl+C, and nothing mounted here can reach the
# host's mount table. Arguments are passed on to cargo test.
#
# Needs root (debootstrap, chroot, mounts); as another user it says it skipped
# and exits 0.
set -euo pipefail
# chroot and debootstrap live in sbin, which a user's PATH (kept by sudo -E or env) may lack.
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
CHECKOUT=$(cd "$HERE/.." && pwd -P)
ROOT=${DPDK24_ROOT:-/var/cache/l2echo/trixie-dpdk24}
TARGET_DIR=${DPDK24_TARGET_DIR:-$CHECKOUT/target/dpdk24}
MIRROR=${DPDK24_MIRROR:-http://deb.debian.org/debian}
SUITE=trixie
STAMP=$ROOT/.l2echo-root-complete
# The build (as scripts/install_deps.sh), the tests (ip, ping, setpriv, sysctl,
# python3, tcpdump), l2-ping (libpcap-dev), cargo's downloads (ca-certificates).
PACKAGES=(libdpdk-dev dpdk dpdk-dev pkg-config clang libclang-dev gcc libc6-dev make
          iproute2 iputils-ping util-linux procps python3 libpcap-dev ca-certificates tcpdump)
RUST_CARGO=${CARGO_HOME:-$HOME/.cargo}
RUST_RUSTUP=${RUSTUP_HOME:-$HOME/.rustup}

die() { echo "$PROG: error: $*" >&2; exit 1; }
say() { echo "$PROG: $*"; }

if [[ $EUID -ne 0 ]]; then
    say "skipped: testing against DPDK 24.11 needs root (debootstrap, chroot, bind mounts); run: sudo make test-dpdk24"
    exit 0
fi

[[ $ROOT == /* && $ROOT != / && $ROOT != *..* ]] || die "DPDK24_ROOT must be an absolute path other than /: $ROOT"
[[ $TARGET_DIR == /* ]] || die "DPDK24_TARGET_DIR must be an absolute path: $TARGET_DIR"
[[ $TARGET_DIR == "$CHECKOUT"/* ]] \
    || die "DPDK24_TARGET_DIR must be inside the checkout ($CHECKOUT), the only directory mounted into the root"
[[ -x $RUST_CARGO/bin/cargo && -d $RUST_RUSTUP/toolchains ]] \
    || die "no rustup toolchain in $RUST_CARGO and $RUST_RUSTUP (set CARGO_HOME and RUSTUP_HOME)"
for tool in unshare chroot mount umount findmnt flock; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install util-linux mount coreutils)"
done

# Everything below runs in a mount namespace of its own whose mounts are slaves
# of the host's: what is mounted or unmounted here never propagates back, and
# the kernel drops whatever is left when the last process in it exits.
enter_mount_namespace() {
    export L2ECHO_DPDK24_NS=$$
    exec unshare --mount --propagation slave -- "$0" "$@"
}
[[ ${L2ECHO_DPDK24_NS:-} == "$$" ]] || enter_mount_namespace "$@"

mounted=()   # mount points, in the order mounted
child=       # the process group running inside the root

cleanup() {
    local status=$? i
    trap - EXIT INT TERM
    if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
        kill -TERM -- "-$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    for (( i = ${#mounted[@]} - 1; i >= 0; i-- )); do
        umount -R "${mounted[i]}" 2>/dev/null || umount -R -l "${mounted[i]}" 2>/dev/null \
            || echo "$PROG: warning: cannot unmount ${mounted[i]}" >&2
    done
    if [[ -n $(mounts_under "$ROOT") ]]; then
        echo "$PROG: warning: still mounted (in this run's namespace only): $(mounts_under "$ROOT" | tr '\n' ' ')" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The mount points under $1 (or $1 itself), from this namespace's table.
mounts_under() {
    findmnt -rn -o TARGET | awk -v p="$1" '$0 == p || index($0, p "/") == 1'
}

# mount_here ARGS... DIR: mounts and records DIR for cleanup.
mount_here() {
    local dir=${*: -1}
    mount "$@"
    mounted+=("$dir")
}

bind_ro() {
    mount_here --bind "$1" "$2"
    mount -o remount,bind,ro "$2"
}

# Runs "$@" in the background in a process group of its own and waits for it:
# INT and TERM reach this script at once, and cleanup stops the whole group.
in_background() {
    local status=0
    setsid "$@" &
    child=$!
    wait "$child" || status=$?
    child=
    return "$status"
}

create_root() {
    if ! command -v debootstrap >/dev/null; then
        say "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null \
            || die "cannot install debootstrap (apt-get install debootstrap)"
    fi
    [[ -z $(mounts_under "$ROOT") ]] || die "something is mounted under $ROOT: $(mounts_under "$ROOT" | tr '\n' ' ')"
    rm -rf --one-file-system "$ROOT"
    mkdir -p "$ROOT"
    local log=$ROOT.debootstrap.log started=$SECONDS
    say "creating the Debian 13 root with DPDK 24.11 in $ROOT (once; a few minutes; log: $log)"
    local include
    include=$(IFS=,; echo "${PACKAGES[*]}")
    if ! in_background debootstrap --variant=minbase --include="$include" "$SUITE" "$ROOT" "$MIRROR" >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "debootstrap failed (see $log); the next run starts over"
    fi
    touch "$STAMP"
    say "root created in $(( SECONDS - started )) s"
}

mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock 9   # one creator at a time; runs share a finished root
if [[ ! -f $STAMP ]]; then
    create_root
fi
exec 9>&-

# The root's view of the machine. The root itself first: inside, / must be a
# mount point, or `ip netns exec` cannot make it a slave ("mount --make-rslave /").
mount_here --bind "$ROOT" "$ROOT"
mount --make-rslave "$ROOT"
mount_here -t proc proc "$ROOT/proc"
mount_here --rbind /sys "$ROOT/sys"
mount --make-rslave "$ROOT/sys"
mount_here --rbind /dev "$ROOT/dev"   # with /dev/pts, /dev/shm, /dev/hugepages
mount --make-rslave "$ROOT/dev"
mount_here -t tmpfs -o mode=755 tmpfs "$ROOT/run"     # ip netns, DPDK runtime dirs
mount_here -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp"   # test captures
touch "$ROOT/etc/resolv.conf"
[[ -f /etc/resolv.conf ]] && bind_ro /etc/resolv.conf "$ROOT/etc/resolv.conf"
mkdir -p "$ROOT/root/.cargo" "$ROOT/root/.rustup" "$ROOT$CHECKOUT"
bind_ro "$RUST_RUSTUP" "$ROOT/root/.rustup"
mount_here --bind "$RUST_CARGO" "$ROOT/root/.cargo"   # registry and git caches, shared with the host
bind_ro "$RUST_CARGO/bin" "$ROOT/root/.cargo/bin"
mount_here --bind "$CHECKOUT" "$ROOT$CHECKOUT"

# A clean environment inside: the toolchain mounted above, the separate target dir.
root_env=(/usr/bin/env -i HOME=/root LANG=C.UTF-8 "TERM=${TERM:-dumb}"
          PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
          CARGO_HOME=/root/.cargo RUSTUP_HOME=/root/.rustup "CARGO_TARGET_DIR=$TARGET_DIR")
for var in RUSTUP_TOOLCHAIN RUST_LOG RUST_BACKTRACE CARGO_TERM_COLOR; do
    [[ -n ${!var:-} ]] && root_env+=("$var=${!var}")
done
in_root() { chroot "$ROOT" "${root_env[@]}" "$@"; }

# Packages added to the list after the root was made.
missing=()
for pkg in "${PACKAGES[@]}"; do
    # shellcheck disable=SC2016 # dpkg-query's own format, not shell
    in_root dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
    say "installing into the root: ${missing[*]}"
    in_background chroot "$ROOT" "${root_env[@]}" apt-get update -qq
    in_background chroot "$ROOT" "${root_env[@]}" DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

version=$(in_root pkg-config --modversion libdpdk) || die "pkg-config finds no libdpdk in $ROOT"
distro=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$ROOT/etc/os-release")
say "testing against DPDK $version ($distro in $ROOT), target dir $TARGET_DIR"

log=$ROOT/tmp/cargo-test.log   # on this run's tmpfs
status=0
# shellcheck disable=SC2016 # expanded by the inner bash
in_background chroot "$ROOT" "${root_env[@]}" bash -c \
    'set -o pipefail; cd "$1" && shift && cargo test --release --workspace --no-fail-fast "$@" 2>&1 | tee /tmp/cargo-test.log' \
    bash "$CHECKOUT" "$@" || status=$?

sum() { awk -v k="$1" '/^test result:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ "^" k) n += $i } END { print n + 0 }' "$log"; }
passed=$(sum passed) failed=$(sum failed) ignored=$(sum ignored)
if (( status != 0 )); then
    die "DPDK $version: FAILED (cargo test exit status $status): passed $passed, failed $failed, ignored $ignored ($SECONDS s)"
fi
say "DPDK $version: PASSED: passed $passed, failed $failed, ignored $ignored ($SECONDS s)"
