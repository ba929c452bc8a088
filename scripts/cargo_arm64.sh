#!/usr/bin/env bash
# cargo_arm64.sh - cargo for arm64 (aarch64-unknown-linux-gnu) from this x86-64
# machine, against DPDK from an arm64 Debian root:
#
#   scripts/cargo_arm64.sh build --release --workspace
#   scripts/cargo_arm64.sh test --release --workspace
#
# The root (ARM64_ROOT, default /var/cache/l2echo/SUITE-arm64, SUITE from
# ARM64_SUITE: bookworm by default, Debian 12's arm64 DPDK 22.11 and a kernel
# for the aarch64 guest of make vm-test-arm64; sid for the newest packaged
# DPDK, 25.11) is made once by scripts/debian_root.sh (needs root; Debian
# 12's, which the guest boots, is installed under qemu-user in about 5
# minutes; sid's is only unpacked, in about one) and is the sysroot of the
# build: pkg-config reads its libdpdk.pc,
# bindgen its headers (so RTE_CACHE_LINE_SIZE is arm64's 128), the C shim is
# compiled and everything linked by aarch64-linux-gnu-gcc against it.
# Test binaries and the binaries they start run under qemu-user (binfmt_misc,
# with the root's libraries). scripts/cross_tools.sh installs what is missing.
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=aarch64-unknown-linux-gnu
SUITE=${ARM64_SUITE:-bookworm}
ROOT=${ARM64_ROOT:-/var/cache/l2echo/$SUITE-arm64}
# DPDK and libpcap to build against; DPDK's own arm64 programs (dpdk-dev:
# dpdk-proc-info and dpdk-dumpcap for the tests, testpmd); dpkg-dev for the
# arm64 .deb's dependencies (make deb-arm64); the rest is what the
# aarch64 guest runs: the scripts (bash, python3 for dpdk-devbind.py, lspci,
# modprobe, ip, sysctl), and the initramfs's static busybox.
PACKAGES=(libdpdk-dev dpdk dpdk-dev libpcap-dev libc6-dev dpkg-dev iproute2 iputils-ping procps
          python3 busybox-static kmod pciutils)

die() { echo "$PROG: error: $*" >&2; exit 1; }

"$HERE/cross_tools.sh"
if [[ $EUID -eq 0 ]]; then
    # Debian 12's root is the one the VM test boots: installed, with a kernel.
    # The others are only built against and run from under qemu-user: their
    # packages unpacked, in seconds instead of minutes of dpkg under emulation.
    how=(--extract)
    [[ $SUITE == bookworm ]] && how=(--kernel)
    "$HERE/debian_root.sh" --arch arm64 "${how[@]}" "$ROOT" "$SUITE" "${PACKAGES[@]}"
elif [[ ! -f $ROOT/.l2echo-root-complete ]]; then
    die "no arm64 root in $ROOT yet; making it needs root: sudo make build-arm64 (or set ARM64_ROOT)"
fi

export PKG_CONFIG_ALLOW_CROSS=1 PKG_CONFIG_SYSROOT_DIR=$ROOT
export PKG_CONFIG_LIBDIR=$ROOT/usr/lib/aarch64-linux-gnu/pkgconfig:$ROOT/usr/share/pkgconfig
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C link-arg=--sysroot=$ROOT"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64-static -L $ROOT"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc CFLAGS_aarch64_unknown_linux_gnu="--sysroot=$ROOT"
export BINDGEN_EXTRA_CLANG_ARGS_aarch64_unknown_linux_gnu="--target=aarch64-linux-gnu --sysroot=$ROOT"
# The arm64 programs the tests start (l2_echo, ...) run through binfmt_misc:
# this is where qemu-user finds their libraries.
export QEMU_LD_PREFIX=$ROOT

[[ $# -ge 1 ]] || die "usage: $PROG CARGO_COMMAND [ARGS...]"
exec cargo "$1" --target "$TARGET" "${@:2}"
