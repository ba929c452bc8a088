#!/usr/bin/env bash
# make_deb.sh - builds l2echo_VERSION_ARCH.deb (`make deb`): the binaries, the
# setup scripts as commands, man pages and bash completions, laid out by
# scripts/install.sh with PREFIX=/usr.
#
#   make_deb.sh [--bin-dir DIR] [--docs-dir DIR] [--arch DEB_ARCH] [--sysroot DIR] [--out DIR]
#
# --bin-dir: the binaries (default target/release); --docs-dir: man pages and
# completions (default target/docs; they are the same on every architecture);
# --arch: the Debian architecture of those binaries (default this machine's);
# --sysroot: the Debian root they were built against, for binaries of another
# architecture (make deb-arm64: the arm64 root of scripts/cargo_arm64.sh, which
# holds dpkg-dev): this dpkg-shlibdeps cannot look into another root, so the
# root's own runs there, under qemu-user, in a private mount namespace (root);
# --out: where the .deb goes (default target/deb). Prints the .deb's path last.
#
# Depends: the shared libraries the binaries link, as dpkg-shlibdeps finds
# them (DPDK's, libpcap, libc), plus what EAL loads with dlopen and so no
# linker sees: the mempool handler, the PCI and vdev buses and the PMDs a user
# of this project needs (virtio, af_packet, null, pcap, memif), of the same
# DPDK ABI as the linked librte-eal; and dpdk, for the dpdk-devbind.py that
# l2echo-bind-nic runs. Never a -dev package or a compiler.
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
CHECKOUT=$(cd "$HERE/.." && pwd)
BIN_DIR=$CHECKOUT/target/release DOCS_DIR=$CHECKOUT/target/docs OUT=$CHECKOUT/target/deb
ARCH=$(dpkg --print-architecture)
SYSROOT=
PACKAGE=l2echo
MAINTAINER="${DEBFULLNAME:-l2echo maintainers} <${DEBEMAIL:-l2echo@localhost}>"
# Loaded by EAL at run time (dlopen), by package name without the ABI suffix.
DLOPENED=(librte-mempool-ring librte-bus-pci librte-bus-vdev librte-net-virtio librte-net-af-packet
          librte-net-null librte-net-pcap librte-net-memif)

die() { echo "$PROG: error: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --bin-dir) BIN_DIR=${2:?--bin-dir needs a directory}; shift 2 ;;
        --docs-dir) DOCS_DIR=${2:?--docs-dir needs a directory}; shift 2 ;;
        --arch) ARCH=${2:?--arch needs a Debian architecture}; shift 2 ;;
        --sysroot) SYSROOT=${2:?--sysroot needs a directory}; shift 2 ;;
        --out) OUT=${2:?--out needs a directory}; shift 2 ;;
        *) die "unknown argument '$1'; see the top of $0" ;;
    esac
done
command -v dpkg-shlibdeps >/dev/null || die "dpkg-shlibdeps not found: apt-get install dpkg-dev"
# The root package's version: the first `version =` after [package].
VERSION=$(sed -n '/^\[package\]/,/^\[/ s/^version = "\(.*\)"$/\1/p' "$CHECKOUT/Cargo.toml" | head -n 1)
[[ -n $VERSION ]] || die "no version in $CHECKOUT/Cargo.toml"
DESCRIPTION=$(sed -n '/^\[package\]/,/^\[/ s/^description = "\(.*\)"$/\1/p' "$CHECKOUT/Cargo.toml" | head -n 1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
"$HERE/install.sh" --prefix /usr --destdir "$root" --bin-dir "$BIN_DIR" --docs-dir "$DOCS_DIR" --no-manifest >/dev/null
# Shipped stripped, as Debian's policy asks (the symbols stay in --bin-dir):
# with this ARCH's binutils, the cross ones for another architecture.
STRIP="strip"
[[ $ARCH == "$(dpkg --print-architecture)" ]] || STRIP=$(dpkg-architecture -a"$ARCH" -qDEB_HOST_GNU_TYPE 2>/dev/null)-strip
command -v "$STRIP" >/dev/null || die "$STRIP not found, to strip the $ARCH binaries: install binutils for $ARCH"
for b in l2_echo l2_multi_echo l2_load l2_ping; do
    "$STRIP" --strip-unneeded --remove-section=.comment "$root/usr/bin/$b"
done
install -D -m 644 /dev/stdin "$root/usr/share/doc/$PACKAGE/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $PACKAGE

Files: *
Copyright: the $PACKAGE authors
License: BSD-3-Clause
 On Debian systems the full text is in /usr/share/common-licenses/BSD.
EOF

# dpkg-shlibdeps wants a debian/control naming the package, and runs from its parent.
mkdir -p "$work/src/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PACKAGE" "$PACKAGE" > "$work/src/debian/control"
bins=()
# Relative to src/, so the same paths hold in a --sysroot's chroot.
for b in l2_echo l2_multi_echo l2_load l2_ping; do bins+=(-e "../root/usr/bin/$b"); done
if [[ -z $SYSROOT ]]; then
    shlibs=$(cd "$work/src" && DEB_HOST_ARCH=$ARCH dpkg-shlibdeps -O "${bins[@]}" 2>"$work/shlibdeps.log")
else
    [[ $EUID -eq 0 ]] || die "--sysroot needs root (a mount namespace, chroot)"
    [[ -x $SYSROOT/usr/bin/dpkg-shlibdeps ]] || die "no dpkg-shlibdeps in $SYSROOT: install dpkg-dev there"
    # The work dir is the root's /run there (a mount only that namespace sees).
    echo "cd /run/src && exec dpkg-shlibdeps -O ${bins[*]}" > "$work/shlibdeps.sh"
    # shellcheck disable=SC2016 # expanded by the inner sh
    shlibs=$(unshare --mount --propagation private sh -c \
        'mount --bind "$0" "$1/run" && exec chroot "$1" sh /run/shlibdeps.sh' "$work" "$SYSROOT" 2>"$work/shlibdeps.log")
fi || { cat "$work/shlibdeps.log" >&2; die "dpkg-shlibdeps failed for $ARCH binaries in $BIN_DIR"; }
depends=${shlibs#shlibs:Depends=}
abi=$(grep -o 'librte-eal[0-9]*' <<<"$depends" | head -n 1)
abi=${abi#librte-eal}
[[ -n $abi ]] || die "the binaries link no librte_eal (dpkg-shlibdeps found: $depends)"
for p in "${DLOPENED[@]}"; do depends+=", $p$abi"; done
depends+=", dpdk"
[[ $depends != *-dev* ]] || die "a -dev package in Depends: $depends"

mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<EOF
Package: $PACKAGE
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: net
Priority: optional
Description: ${DESCRIPTION:-DPDK L2 echo servers}
 l2_echo echoes every frame on a DPDK port back to its sender; l2_multi_echo
 does so on one RX/TX queue pair per lcore. l2_load sends frames to an echo
 at DPDK speed, checks every one that comes back, times its round trip and
 finds RFC 2544 throughput. l2_ping does so through the kernel (libpcap). l2echo-setup-hugepages reserves
 hugepages; l2echo-bind-nic binds a NIC to a DPDK driver and back.
EOF
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"

mkdir -p "$OUT"
deb=$OUT/${PACKAGE}_${VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$PROG: built $(basename "$deb") (Depends: $depends)" >&2
echo "$deb"
