#!/usr/bin/env bash
# test_dpdk.sh - runs the test suite (cargo test --release --workspace) against
# one DPDK release, in a Debian root that holds it the way users get it:
#
#   test_dpdk.sh VERSION [CARGO_TEST_ARGS...]
#   test_dpdk.sh VERSION --exec COMMAND [ARGS...]
#
#   VERSION   how it comes                       the root, under /var/cache/l2echo
#   24.11     Debian 13's packages (trixie)      dpdk-24.11-trixie
#   25.11     Debian sid's packages              dpdk-25.11-sid
#   23.11.7   from source (Ubuntu 24.04's line)  dpdk-23.11.7-SHA-pPATCHES, on Debian 12
#   24.03     from source (the original's)       dpdk-24.03-SHA-pPATCHES, on Debian 12
#   26.07     from source (the newest)           dpdk-26.07-SHA-pPATCHES, on Debian 12
#
# From source is the original's README's way: meson -Dplatform=generic (here
# with the drivers and apps the project and its tests use, DPDK_DRIVERS and
# DPDK_APPS), ninja, ninja install into /usr/local, ldconfig; the project
# then builds there with nothing set, pkg-config finding /usr/local's
# libdpdk.pc. The tarball comes from DPDK_SRC: its path or URL, or a directory
# holding dpdk-VERSION.tar.xz (checked against a SHA256SUMS beside it);
# DPDK's release URL by default. A root is made once and kept: the packaged
# ones by scripts/debian_root.sh, the built ones copied from a Debian 12 build
# root and named by the tarball's SHA-256, so another tarball makes another.
#
# A from-source DPDK is patched before meson runs: every
# dpdk-patches/VERSION/*.patch of the checkout, in name order, with patch -p1
# (now net/memif's fix of issue #29, which DPDK has not taken yet: see
# docs/dpdk-memif-disconnect-race.md). A patch that does not apply stops the
# build, naming it. The root's name carries a hash of the patches (PATCHES,
# beside the tarball's SHA), so a changed patch builds a new root; a version
# without patches keeps the plain name. L2ECHO_DPDK_UNPATCHED=1 builds and
# uses the release as DPDK ships it (the plain name): the same stress on the
# same release with and without the fix (make memif-stress DPDK=V UNPATCHED=1).
#
# Each run happens in a mount namespace of its own: /proc, /sys, /dev, this
# machine's Rust toolchain (~/.rustup read-only, ~/.cargo with its bin/
# read-only) and the checkout are bind-mounted into the root, /run and /tmp
# are fresh tmpfs (network namespaces and DPDK's runtime files vanish with
# them), and the build goes to a target dir of its own (target/dpdk-VERSION),
# so builds against different DPDKs never mix. Everything is unmounted on
# exit, failure or Ctrl+C, and nothing mounted here reaches the host's mount
# table. Arguments after VERSION go to cargo test. It prints the DPDK version
# it tested and the counts. With --exec, it builds the workspace (cargo build
# --release) and runs COMMAND in the root instead, from the checkout, with
# L2ECHO_DPDK_PATCHES naming the patches applied (make memif-stress DPDK=V).
#
# Needs root (debootstrap, chroot, mounts); as another user it says it skipped
# and exits 0.
set -euo pipefail
# chroot and debootstrap live in sbin, which a user's PATH (kept by sudo -E or env) may lack.
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
CHECKOUT=$(cd "$HERE/.." && pwd -P)
CACHE=${L2ECHO_CACHE:-/var/cache/l2echo}
# The build (as scripts/install_deps.sh), the tests (ip, ping, setpriv, sysctl,
# python3, tcpdump, ethtool), l2-ping (libpcap-dev), cargo's downloads (ca-certificates).
PACKAGES=(pkg-config clang libclang-dev gcc libc6-dev make iproute2 iputils-ping util-linux procps python3
          libpcap-dev ca-certificates tcpdump ethtool)
# DPDK from Debian's packages: the library, dpdk-devbind.py & co., testpmd & co.
DPDK_PACKAGES=(libdpdk-dev dpdk dpdk-dev)
# DPDK from source, as the original's README installs its build dependencies.
BUILD_PACKAGES=(build-essential meson ninja-build python3-pyelftools libnuma-dev xz-utils)
DPDK_DRIVERS=${DPDK_DRIVERS:-bus/pci,bus/vdev,mempool/ring,net/null,net/pcap,net/af_packet,net/memif,net/virtio,net/ring}
DPDK_APPS=${DPDK_APPS:-test-pmd,dumpcap,proc-info,pdump}
RUST_CARGO=${CARGO_HOME:-$HOME/.cargo}
RUST_RUSTUP=${RUSTUP_HOME:-$HOME/.rustup}

die() { echo "$PROG: error: $*" >&2; exit 1; }
say() { echo "$PROG: $*"; }

VERSION=${1:-}
shift || true
case $VERSION in
    24.11) SUITE=trixie ;;
    25.11) SUITE=sid ;;
    23.11.7|24.03|26.07) SUITE= ;;
    *) die "usage: $PROG VERSION [CARGO_TEST_ARGS...] or $PROG VERSION --exec COMMAND [ARGS...]: VERSION is 24.11 or 25.11 (Debian's packages), or 23.11.7, 24.03 or 26.07 (from source)" ;;
esac
TARGET_DIR=$CHECKOUT/target/dpdk-$VERSION
if [[ ${1:-} == --exec ]]; then
    (( $# > 1 )) || die "--exec needs a command to run in the root: $PROG $VERSION --exec COMMAND [ARGS...]"
fi
# The local patches a from-source DPDK is built with, in the order applied.
patches=()
if [[ -z $SUITE && -z ${L2ECHO_DPDK_UNPATCHED:-} && -d $CHECKOUT/dpdk-patches/$VERSION ]]; then
    shopt -s nullglob
    patches=("$CHECKOUT/dpdk-patches/$VERSION"/*.patch)
    shopt -u nullglob
fi

if [[ $EUID -ne 0 ]]; then
    say "skipped: testing against DPDK $VERSION needs root (debootstrap, chroot, bind mounts); run: sudo make test-dpdk-all"
    exit 0
fi
[[ $CACHE == /* && $CACHE != / && $CACHE != *..* ]] || die "L2ECHO_CACHE must be an absolute path other than /: $CACHE"
[[ -x $RUST_CARGO/bin/cargo && -d $RUST_RUSTUP/toolchains ]] \
    || die "no rustup toolchain in $RUST_CARGO and $RUST_RUSTUP (set CARGO_HOME and RUSTUP_HOME)"
for tool in unshare chroot mount umount findmnt flock sha256sum; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install util-linux mount coreutils)"
done
if (( ${#patches[@]} )); then
    command -v patch >/dev/null || die "patch not found, needed for dpdk-patches/$VERSION (apt-get install patch)"
fi

# Everything below runs in a mount namespace of its own whose mounts are slaves
# of the host's: what is mounted or unmounted here never propagates back, and
# the kernel drops whatever is left when the last process in it exits.
enter_mount_namespace() {
    export L2ECHO_DPDK_NS=$$
    exec unshare --mount --propagation slave -- "$0" "$VERSION" "$@"
}
[[ ${L2ECHO_DPDK_NS:-} == "$$" ]] || enter_mount_namespace "$@"

ROOT=        # the root tested, once known
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
    if [[ -n $ROOT && -n $(mounts_under "$ROOT") ]]; then
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

# The DPDK tarball for VERSION, from DPDK_SRC (a file, a directory or a URL),
# checked against a SHA256SUMS beside it when there is one; prints its path.
fetch_source() {
    local src=${DPDK_SRC:-https://fast.dpdk.org/rel/dpdk-$VERSION.tar.xz} file
    [[ -d $src ]] && src=$src/dpdk-$VERSION.tar.xz
    if [[ $src == http://* || $src == https://* ]]; then
        file=$CACHE/src/${src##*/}
        if [[ ! -f $file ]]; then
            mkdir -p "$CACHE/src"
            say "downloading $src" >&2
            curl -fsSL --retry 2 -o "$file.part" "$src" || die "cannot download $src (set DPDK_SRC to a tarball)"
            mv "$file.part" "$file"
        fi
    else
        file=$src
    fi
    [[ -f $file ]] || die "no DPDK $VERSION source at $file (DPDK_SRC: a tarball, a directory holding dpdk-$VERSION.tar.xz, or a URL)"
    local sums
    sums=$(dirname "$file")/SHA256SUMS
    if [[ -f $sums ]] && grep -q " ${file##*/}\$" "$sums"; then
        (cd "$(dirname "$file")" && grep " ${file##*/}\$" SHA256SUMS | sha256sum -c --quiet -) >&2 \
            || die "$file does not match its SHA256SUMS"
    fi
    echo "$file"
}

# A hash of the patches' names and contents, for the root's name.
patches_id() {
    local p
    for p in "${patches[@]}"; do
        printf '%s\n' "${p##*/}"
        cat "$p"
    done | sha256sum | cut -c1-12
}

# build_from_source TARBALL ROOT: a copy of the Debian 12 build root with the
# tarball, patched with dpdk-patches/VERSION, built and installed into its
# /usr/local, as the original's README does.
build_from_source() {
    local tarball=$1 root=$2 base=$CACHE/bookworm-dpdk-build started=$SECONDS p
    "$HERE/debian_root.sh" "$base" bookworm "${PACKAGES[@]}" "${BUILD_PACKAGES[@]}"
    local new=$root.new log=$root.build.log
    rm -rf --one-file-system "$new"
    cp -a "$base" "$new"
    rm -f "$new/.l2echo-root-complete"
    mkdir -p "$new/usr/local/src/dpdk"
    tar -xJf "$tarball" -C "$new/usr/local/src/dpdk" --strip-components=1
    : >"$log"
    for p in "${patches[@]}"; do
        # --fuzz=0: a patch made for another release fails instead of landing
        # in the wrong place; --forward: one DPDK already has is an error, not
        # silently reversed; no .orig or .rej files are left in the tree.
        if ! patch -d "$new/usr/local/src/dpdk" -p1 --batch --forward --fuzz=0 \
                --no-backup-if-mismatch --reject-file=- <"$p" >>"$log" 2>&1; then
            tail -n 20 "$log" >&2
            die "dpdk-patches/$VERSION/${p##*/} does not apply to DPDK $VERSION ($tarball): refresh it against that release, or remove it if DPDK has taken it (see $log)"
        fi
        say "applied dpdk-patches/$VERSION/${p##*/}"
    done
    say "building DPDK $VERSION from source in $new (once; about 6 minutes on 2 cores; log: $log)"
    mount -t proc proc "$new/proc"
    local status=0
    # shellcheck disable=SC2016 # expanded by the root's bash
    in_background chroot "$new" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root \
        bash -c 'set -e; cd /usr/local/src/dpdk
                 meson setup build -Dplatform=generic -Denable_drivers="$1" -Denable_apps="$2" \
                     -Dtests=false -Dexamples=
                 ninja -C build
                 ninja -C build install
                 ldconfig' bash "$DPDK_DRIVERS" "$DPDK_APPS" >>"$log" 2>&1 || status=$?
    umount "$new/proc"
    if (( status != 0 )); then
        tail -n 20 "$log" >&2
        die "building DPDK $VERSION failed (see $log); the next run starts over"
    fi
    rm -rf "$new/usr/local/src/dpdk"
    echo "$VERSION $tarball ${patches[*]##*/}" > "$new/.l2echo-root-complete"
    mv "$new" "$root"
    say "DPDK $VERSION built and installed into $root/usr/local in $(( SECONDS - started )) s"
}

mkdir -p "$CACHE"
if [[ -n $SUITE ]]; then
    ROOT=$CACHE/dpdk-$VERSION-$SUITE
    "$HERE/debian_root.sh" "$ROOT" "$SUITE" "${PACKAGES[@]}" "${DPDK_PACKAGES[@]}"
else
    tarball=$(fetch_source)
    sha=$(sha256sum "$tarball" | cut -c1-12)
    ROOT=$CACHE/dpdk-$VERSION-$sha
    (( ${#patches[@]} )) && ROOT+=-p$(patches_id)
    exec 9>"$ROOT.lock"
    flock 9   # one builder at a time; runs share a finished root
    [[ -f $ROOT/.l2echo-root-complete ]] || build_from_source "$tarball" "$ROOT"
    exec 9>&-
fi
all_packages=("${PACKAGES[@]}")
[[ -n $SUITE ]] && all_packages+=("${DPDK_PACKAGES[@]}")

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

# A clean environment inside: the toolchain mounted above, the separate target
# dir, and no LTO: what a DPDK version changes (bindings, layout, behaviour) is
# the same without it, and each lane's build takes half the time.
root_env=(/usr/bin/env -i HOME=/root LANG=C.UTF-8 "TERM=${TERM:-dumb}"
          PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
          CARGO_HOME=/root/.cargo RUSTUP_HOME=/root/.rustup "CARGO_TARGET_DIR=$TARGET_DIR"
          CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16)
for var in RUSTUP_TOOLCHAIN RUST_LOG RUST_BACKTRACE CARGO_TERM_COLOR; do
    [[ -n ${!var:-} ]] && root_env+=("$var=${!var}")
done
in_root() { chroot "$ROOT" "${root_env[@]}" "$@"; }

# Packages added to the list after the root was made.
missing=()
for pkg in "${all_packages[@]}"; do
    # shellcheck disable=SC2016 # dpkg-query's own format, not shell
    in_root dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
    say "installing into the root: ${missing[*]}"
    in_background chroot "$ROOT" "${root_env[@]}" apt-get update -qq -o Acquire::Check-Valid-Until=false
    in_background chroot "$ROOT" "${root_env[@]}" DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

version=$(in_root pkg-config --modversion libdpdk) || die "pkg-config finds no libdpdk in $ROOT"
distro=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$ROOT/etc/os-release")
patched=
(( ${#patches[@]} )) && patched=", patched with dpdk-patches/$VERSION: ${patches[*]##*/}"
[[ -n ${L2ECHO_DPDK_UNPATCHED:-} ]] && patched=", as DPDK ships it (L2ECHO_DPDK_UNPATCHED: no dpdk-patches/$VERSION)"

if [[ ${1:-} == --exec ]]; then
    shift
    say "running $* against DPDK $version ($distro in $ROOT$patched), target dir $TARGET_DIR"
    root_env+=("L2ECHO_DPDK_PATCHES=${patches[*]##*/}")
    status=0
    # shellcheck disable=SC2016 # expanded by the inner bash
    in_background chroot "$ROOT" "${root_env[@]}" bash -c \
        'cd "$1" && shift && cargo build --release --workspace && "$@"' bash "$CHECKOUT" "$@" || status=$?
    (( status == 0 )) || die "DPDK $version: $1 failed (exit status $status)"
    exit 0
fi
say "testing against DPDK $version ($distro in $ROOT$patched), target dir $TARGET_DIR"

log=$ROOT/tmp/cargo-test.log   # on this run's tmpfs
# Root runs the root-only tests too (tests/common: require_root).
harness=(--include-ignored)
# A DPDK built without libxdp has no net_af_xdp: its tests are filtered out
# by name, which cargo counts, rather than failing.
if [[ -z $(find "$ROOT/usr" -name 'librte_net_af_xdp.so*' -print -quit 2>/dev/null) ]]; then
    say "DPDK $version has no net_af_xdp (built without libxdp): its tests (on_af_xdp) are filtered out"
    harness+=(--skip on_af_xdp)
fi
[[ " $* " == *" -- "* ]] || harness=(-- "${harness[@]}")
status=0
# shellcheck disable=SC2016 # expanded by the inner bash
in_background chroot "$ROOT" "${root_env[@]}" bash -c \
    'set -o pipefail; cd "$1" && shift && cargo test --release --workspace --no-fail-fast "$@" 2>&1 | tee /tmp/cargo-test.log' \
    bash "$CHECKOUT" "$@" "${harness[@]}" || status=$?

sum() { awk -v k="$1" '/^test result:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ "^" k) n += $i } END { print n + 0 }' "$log"; }
passed=$(sum passed) failed=$(sum failed) ignored=$(sum ignored)
if (( status != 0 )); then
    die "DPDK $version: FAILED (cargo test exit status $status): passed $passed, failed $failed, ignored $ignored ($SECONDS s)"
fi
say "DPDK $version: PASSED: passed $passed, failed $failed, ignored $ignored ($SECONDS s)"
