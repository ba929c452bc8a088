#!/usr/bin/env bash
# cross_tools.sh - what this x86-64 machine needs to build for arm64 and run
# arm64 binaries: the aarch64 cross compiler, qemu-user (registered with
# binfmt_misc, so an arm64 binary runs like any other), QEMU's aarch64 system
# emulator for the guest, and rustup's aarch64-unknown-linux-gnu target; and
# what makes the arm64 roots: debootstrap, mmdebstrap, and kmod's depmod for
# the guest kernel's modules (scripts/debian_root.sh).
# Installs only what is missing; needs root when something is.
set -euo pipefail

PROG=${0##*/}
PACKAGES=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static binfmt-support
          qemu-system-arm debootstrap mmdebstrap kmod)
TARGET=aarch64-unknown-linux-gnu

die() { echo "$PROG: error: $*" >&2; exit 1; }
PATH=$PATH:/usr/sbin:/sbin

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
    [[ $EUID -eq 0 ]] || die "missing packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}"
    echo "$PROG: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# binfmt_misc is not mounted in every container; qemu-user-static's entry
# needs it, and update-binfmts registers it (the package's trigger may have
# run before the mount).
if [[ ! -e /proc/sys/fs/binfmt_misc/status ]]; then
    [[ $EUID -eq 0 ]] || die "binfmt_misc is not mounted; run: sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc"
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [[ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]]; then
    [[ $EUID -eq 0 ]] || die "qemu-aarch64 is not registered with binfmt_misc; run: sudo update-binfmts --enable qemu-aarch64"
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || update-binfmts --import qemu-aarch64 >/dev/null
fi
grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 || die "binfmt_misc's qemu-aarch64 entry is not enabled"

# The Rust target, from the toolchain that will build (rustup's).
if ! rustc --print sysroot >/dev/null 2>&1; then
    die "no Rust toolchain on PATH: install rustup (https://rustup.rs)"
fi
if [[ ! -d $(rustc --print sysroot)/lib/rustlib/$TARGET ]]; then
    command -v rustup >/dev/null || die "the $TARGET Rust target is missing and there is no rustup to add it"
    echo "$PROG: rustup target add $TARGET"
    rustup target add "$TARGET" >/dev/null 2>&1 || die "cannot add the Rust target: run rustup target add $TARGET"
fi
