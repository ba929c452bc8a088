#!/usr/bin/env bash
# debian_root.sh - makes a Debian root with debootstrap, once, and keeps it.
#
#   debian_root.sh [--arch ARCH] [--kernel | --extract] ROOT SUITE PACKAGE...
#
# The root is made in ROOT (an absolute path outside any checkout, usually
# under /var/cache/l2echo) and marked complete with a stamp file that records
# what was asked for: a later call with the same arguments returns at once; a
# half-made root from an interrupted call, or one made from other arguments
# (a package added to the list), is made again.
# One caller at a time makes it (a lock next to ROOT). A foreign --arch (arm64
# on x86-64) runs debootstrap's second stage under qemu-user, which must be
# registered with binfmt_misc (scripts/cross_tools.sh does that).
#
# --extract makes it with mmdebstrap's extract variant: the packages and
# their dependencies unpacked, none configured, no program run in the root,
# so a foreign one takes seconds instead of minutes under qemu-user. What is
# made so is a sysroot to build against and the libraries and programs that
# qemu-user runs from it, not a system to chroot into or boot.
#
# The packages come from the Debian mirror this machine's apt uses (its
# release with the label Debian, in `apt-cache policy`), or DEBIAN_MIRROR.
#
# --kernel also unpacks the suite's kernel (linux-image-ARCH) into the root
# without running its maintainer scripts: a guest kernel and its modules for a
# QEMU VM, without initramfs-tools running under emulation (minutes). The
# modules' index is made by the host's depmod.
#
# Needs root.
set -euo pipefail

PROG=${0##*/}
ARCH=$(dpkg --print-architecture)
KERNEL=0
EXTRACT=0

die() { echo "$PROG: error: $*" >&2; exit 1; }
say() { echo "$PROG: $*"; }

while [[ ${1:-} == --* ]]; do
    case $1 in
        --arch) ARCH=${2:?--arch needs a Debian architecture}; shift 2 ;;
        --kernel) KERNEL=1; shift ;;
        --extract) EXTRACT=1; shift ;;
        *) die "unknown option $1" ;;
    esac
done
(( $# >= 3 )) || die "usage: $PROG [--arch ARCH] [--kernel | --extract] ROOT SUITE PACKAGE..."
(( KERNEL && EXTRACT )) && die "--kernel needs a root that is installed, not --extract'ed"
ROOT=$1 SUITE=$2
shift 2
STAMP=$ROOT/.l2echo-root-complete
WANTED="$ARCH $SUITE kernel=$KERNEL $*"
(( EXTRACT )) && WANTED="$ARCH $SUITE extract $*"

[[ $ROOT == /* && $ROOT != / && $ROOT != *..* ]] || die "the root must be an absolute path other than /: $ROOT"
[[ $EUID -eq 0 ]] || die "making $ROOT needs root (debootstrap): run with sudo"

mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock 9   # one creator at a time; callers share a finished root
[[ -f $STAMP && $(cat "$STAMP") == "$WANTED" ]] && exit 0
[[ -f $STAMP ]] && say "$ROOT was made from other arguments: making it again"

# The URI of the Debian archive in this machine's apt sources.
apt_debian_mirror() {
    apt-cache policy 2>/dev/null | awk '
        $2 ~ /^[a-z+]+:\/\// { uri = $2; next }
        uri != "" && /release / && /o=Debian,/ && /l=Debian,/ { print uri; exit }
        { uri = "" }'
}
MIRROR=${DEBIAN_MIRROR:-$(apt_debian_mirror)}
if [[ -z $MIRROR ]]; then
    apt-get update -qq >/dev/null 2>&1 || true   # a new machine may have no lists yet
    MIRROR=$(apt_debian_mirror)
fi
[[ -n $MIRROR ]] || die "this machine's apt has no Debian archive in its sources (apt-cache policy): set DEBIAN_MIRROR to a Debian mirror's URL (https://www.debian.org/mirror/list)"

tool=debootstrap
(( EXTRACT )) && tool=mmdebstrap
if ! command -v $tool >/dev/null; then
    say "installing $tool"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $tool >/dev/null \
        || die "cannot install $tool (apt-get install $tool)"
fi
if findmnt -rn -o TARGET | awk -v p="$ROOT" '$0 == p || index($0, p "/") == 1' | grep -q .; then
    die "something is mounted under $ROOT: unmount it first"
fi

rm -rf --one-file-system "$ROOT"
mkdir -p "$ROOT"
log=$ROOT.debootstrap.log
started=$SECONDS
say "creating a Debian $SUITE $ARCH root in $ROOT from $MIRROR (once; log: $log)"
include=$(IFS=,; echo "$*")
if (( EXTRACT )); then
    make_root() {
        # A mirror may serve a snapshot whose Release has expired, as debootstrap
        # allows; /bin, /sbin and /lib are links into /usr, as debootstrap makes
        # them (the loader's path, /lib/ld-linux-*, is in every binary).
        # shellcheck disable=SC2016 # expanded by mmdebstrap's hook shell
        mmdebstrap --variant=extract --architectures="$ARCH" --include="$include" \
            --aptopt='Acquire::Check-Valid-Until "false"' \
            --setup-hook='for d in bin sbin lib; do mkdir -p "$1/usr/$d"; ln -s "usr/$d" "$1/$d"; done' \
            "$SUITE" "$ROOT" "$MIRROR"
    }
else
    make_root() {
        debootstrap --arch="$ARCH" --variant=minbase --include="$include" "$SUITE" "$ROOT" "$MIRROR"
    }
fi
if ! make_root >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "$tool failed (see $log); the next run starts over"
fi

if (( KERNEL )); then
    # The package the linux-image-ARCH metapackage points at, fetched by the
    # root's own apt (its lists came with debootstrap), unpacked by the host.
    kpkg=$(chroot "$ROOT" apt-cache depends "linux-image-$ARCH" 2>>"$log" \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
    [[ -n $kpkg ]] || die "no kernel package behind linux-image-$ARCH in the $SUITE root (see $log)"
    say "unpacking $kpkg into the root"
    # shellcheck disable=SC2016 # expanded by the root's sh
    chroot "$ROOT" sh -c 'cd /tmp && apt-get download "$1"' sh "$kpkg" >>"$log" 2>&1 \
        || die "cannot download $kpkg (see $log)"
    # --keep-directory-symlink: the root's /lib is a symlink to usr/lib (merged
    # /usr), which a plain extraction would replace with a directory.
    dpkg-deb --fsys-tarfile "$ROOT"/tmp/"$kpkg"_*.deb | tar -x -C "$ROOT" --keep-directory-symlink
    rm -f "$ROOT"/tmp/"$kpkg"_*.deb
    kver=${kpkg#linux-image-}
    [[ -r $ROOT/boot/vmlinuz-$kver ]] || die "$kpkg holds no /boot/vmlinuz-$kver"
    command -v depmod >/dev/null || PATH=$PATH:/usr/sbin:/sbin
    depmod -b "$ROOT" "$kver" || die "depmod -b $ROOT $kver failed"
fi

echo "$WANTED" > "$STAMP"
say "root created in $(( SECONDS - started )) s"
