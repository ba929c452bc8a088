#!/usr/bin/env bash
# test_deb.sh [DEB] - installs the package `make deb` built (default: the one
# in target/deb for this machine's architecture) into a fresh Debian 12 root,
# with neither Rust nor DPDK's -dev packages, as a user would
# (`apt install ./l2echo_*.deb`, Depends alone: no Recommends), and checks that
# it works there: the versions, a net_null run of each server, `man -w`, the
# completions, the setup commands and dpdk-devbind.py; that it pulled no -dev
# package; and that removing it leaves none of its files.
#
# The root is made once by scripts/debian_root.sh (DEB_TEST_ROOT, default
# /var/cache/l2echo/bookworm-plain) and never changed: each run works on an
# overlay of it whose upper layer is a tmpfs, in a mount namespace of its own,
# so the run's changes and mounts vanish with it. The .debs apt fetches are
# kept beside the root (ROOT.apt-archives) so later runs download nothing.
#
# Needs root (chroot, mounts); as another user it says it skipped and exits 0.
# shellcheck disable=SC2016 # the checks are shell lines for the root's bash, quoted whole
set -euo pipefail
# chroot and debootstrap live in sbin, which a user's PATH (kept by sudo -E or env) may lack.
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
CHECKOUT=$(cd "$HERE/.." && pwd)
ROOT=${DEB_TEST_ROOT:-/var/cache/l2echo/bookworm-plain}
SUITE=bookworm
APT_ARCHIVES=$ROOT.apt-archives
WORK_PATTERN=/tmp/l2echo-debtest.

die() { echo "$PROG: error: $*" >&2; exit 1; }
say() { echo "$PROG: $*"; }

if [[ $EUID -ne 0 ]]; then
    say "skipped: installing the package into a Debian root needs root (chroot, mounts); run: sudo make test-deb"
    exit 0
fi

if [[ ${1:-} != --inner ]]; then
    deb=${1:-}
    if [[ -z $deb ]]; then
        debs=("$CHECKOUT"/target/deb/l2echo_*_"$(dpkg --print-architecture)".deb)
        if (( ${#debs[@]} != 1 )) || [[ ! -f ${debs[0]} ]]; then
            die "not one package in $CHECKOUT/target/deb: run make deb first"
        fi
        deb=${debs[0]}
    fi
    [[ -f $deb ]] || die "no package $deb: run make deb first"
    deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
    "$HERE/debian_root.sh" "$ROOT" "$SUITE" man-db
    mkdir -p "$APT_ARCHIVES/partial"
    status=0
    unshare --mount --propagation private -- "$0" --inner "$deb" || status=$?
    # What the namespace mounted must have gone with it, and the root stay as made.
    left=$(findmnt -rn -o TARGET | grep -F "$WORK_PATTERN" || true)
    [[ -z $left ]] || die "mounts left behind: $left"
    [[ ! -e $ROOT/usr/bin/l2_echo && ! -e $ROOT/var/lib/dpkg/info/l2echo.list ]] \
        || die "the cached root $ROOT was changed: remove it (the next run makes it again)"
    exit "$status"
fi

# In the private mount namespace from here on.
deb=$2
started=$SECONDS
work=$(mktemp -d "${WORK_PATTERN}XXXXXX")
R=$work/root
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    umount -R "$work" 2>/dev/null || umount -R -l "$work" 2>/dev/null || true
    rmdir "$work" 2>/dev/null || true
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The upper layer on a tmpfs: nothing the run writes reaches a disk.
mount -t tmpfs -o mode=700 tmpfs "$work"
mkdir "$work/upper" "$work/overlay-work" "$R"
mount -t overlay overlay -o "lowerdir=$ROOT,upperdir=$work/upper,workdir=$work/overlay-work" "$R"
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys"
mount --make-rslave "$R/sys"
mount --rbind /dev "$R/dev"
mount --make-rslave "$R/dev"
mount -t tmpfs -o mode=755 tmpfs "$R/run"    # DPDK's runtime directory
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount --bind "$APT_ARCHIVES" "$R/var/cache/apt/archives"
if [[ -f /etc/resolv.conf ]]; then
    mount --bind /etc/resolv.conf "$R/etc/resolv.conf"
fi

in_root() {
    chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

failed=0
# check WHAT COMMAND...: runs COMMAND in the root; PASSED, or FAILED with its output.
check() {
    local what=$1 out
    shift
    if out=$(in_root "$@" 2>&1); then
        say "PASSED: $what"
    else
        say "FAILED: $what"
        tail -n 30 <<<"$out" | sed 's/^/    /'
        failed=$((failed + 1))
    fi
}
# A shell line in the root.
sh_check() { check "$1" bash -c "set -o pipefail; $2"; }

sh_check "a fresh root: no Rust, no compiler, no DPDK" \
    '! command -v cargo && ! command -v rustc && ! command -v cc && ! dpkg-query -W "librte-*" 2>/dev/null'

cp "$deb" "$R/tmp/"
say "apt install ./$(basename "$deb") (Depends only)"
in_root apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed in the root (network?)"
if ! out=$(in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" 2>&1); then
    tail -n 30 <<<"$out" >&2
    die "apt could not install $(basename "$deb")"
fi

sh_check "no -dev package, no compiler pulled in" \
    '! dpkg-query -W -f "\${Package} \${Status}\n" | grep -E -- "-dev(:[a-z0-9]+)? .* installed$" && ! command -v cc'
sh_check "the dlopen'ed PMDs, the buses, the mempool handler and dpdk are installed" \
    'abi=$(dpkg-query -W -f "\${Depends}" l2echo | grep -o "librte-eal[0-9]*"); abi=${abi#librte-eal}
     for p in librte-net-virtio librte-net-af-packet librte-net-null librte-net-pcap librte-net-memif \
              librte-bus-pci librte-bus-vdev librte-mempool-ring; do
         dpkg-query -W -f "\${Status}\n" "$p$abi" | grep -q "install ok installed" || { echo "$p$abi missing"; exit 1; }
     done; command -v dpdk-devbind.py'
sh_check "l2_echo --version, l2_multi_echo --version, l2_load --version, l2_ping --version" \
    'l2_echo --version | grep "built against DPDK" && l2_multi_echo --version | grep "built against DPDK" \
     && l2_load --version | grep "built against DPDK" && l2_ping --version | grep "^l2_ping "'
sh_check "l2_echo on net_null for 2 s echoes and stops cleanly" \
    'l2_echo -l 0 --no-huge -m 256 --no-pci --file-prefix debtest --vdev net_null0 -- --duration 2 2>&1 \
     | tee /dev/stderr | grep -E "echo: +rx_packets [1-9][0-9]* tx_packets [1-9]"'
sh_check "l2_multi_echo on net_null for 1 s echoes and stops cleanly" \
    'l2_multi_echo -l 0 --no-huge -m 256 --no-pci --file-prefix debtest2 --vdev net_null0 -- --duration 1 2>&1 \
     | tee /dev/stderr | grep -E "echo: +rx_packets [1-9][0-9]* tx_packets [1-9]"'
sh_check "l2_load gets every frame back from l2_echo over memif" \
    'memif="net_memif0,socket=/tmp/deb-memif.sock,socket-abstract=no"
     l2_echo -l 1 --no-huge -m 256 --no-pci --file-prefix debecho --vdev "$memif,role=server,mac=02:00:00:00:00:e1" \
         -- --duration 5 >/dev/null 2>&1 &
     sleep 2
     l2_load -l 0 --no-huge -m 256 --no-pci --file-prefix debload --vdev "$memif,role=client" \
         -- --dst 02:00:00:00:00:e1 --rate 10000 --duration 1 --json | tee /dev/stderr \
         | grep -E "\"sent\":10000,\"good\":10000,\"bad\":0,\"late\":0,\"lost\":0"; rc=$?; wait; exit $rc'
sh_check "man -w finds the four man pages" \
    'for b in l2_echo l2_multi_echo l2_load l2_ping; do [[ $(man -w $b) == /usr/share/man/man1/$b.1.gz ]] || exit 1; done'
sh_check "the bash completions load" \
    'for b in l2_echo l2_multi_echo l2_load l2_ping; do . /usr/share/bash-completion/completions/$b && complete -p $b; done'
# What the servers' completion offers for "--m": EAL's --main-lcore before
# `--`, the server's --mbufs and --mode after it.
sh_check "the servers' completions: EAL's options before --, theirs after" \
    'offers() { COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMPREPLY=()
                $(complete -p l2_echo | grep -o -- "-F [^ ]*" | cut -c4-) l2_echo "${!#}" "${@: -2:1}"
                echo "${COMPREPLY[*]}"; }
     . /usr/share/bash-completion/completions/l2_echo
     [[ $(offers l2_echo -l 1 --m) == --main-lcore && $(offers l2_echo -l 1 -- --m) == "--mbufs --mode" ]]'
sh_check "l2echo-setup-hugepages --status and l2echo-bind-nic --help run" \
    'l2echo-setup-hugepages --status && l2echo-bind-nic --help'

# Everything the package holds but directories, as dpkg lists it.
mapfile -t files < <(in_root bash -c 'dpkg-query -L l2echo | while read -r f; do [[ -d $f ]] || echo "$f"; done')
(( ${#files[@]} >= 12 )) || die "dpkg lists only ${#files[@]} files of l2echo"
in_root apt-get purge -y -qq l2echo >/dev/null 2>&1 || die "apt-get purge l2echo failed"
left=()
for f in "${files[@]}"; do
    if [[ -e $R$f || -L $R$f ]]; then left+=("$f"); fi
done
if (( ${#left[@]} )); then
    say "FAILED: removing the package left ${left[*]}"
    failed=$((failed + 1))
else
    say "PASSED: removing it left none of its ${#files[@]} files"
fi

(( failed == 0 )) || die "$failed check(s) FAILED ($(( SECONDS - started )) s)"
say "PASSED: $(basename "$deb") installs, works and goes away in a fresh Debian $SUITE root ($(( SECONDS - started )) s)"
