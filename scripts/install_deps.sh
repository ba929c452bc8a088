#!/usr/bin/env bash
# install_deps.sh - install the Debian/Ubuntu packages the build and the tests
# need, only those missing. Needs root when something is missing.
set -euo pipefail

PROG=${0##*/}
# libdpdk-dev: headers and pkg-config; dpdk: dpdk-devbind.py; dpdk-dev: dpdk-testpmd;
# clang/libclang-dev: bindgen; libpcap-dev: l2_ping; dpkg-dev: make deb (dpkg-shlibdeps);
# patch: dpdk-patches/ for the from-source lanes; ethtool: a veth's checksum offload off (the
# UDP echo's tests); clang also builds xdp_echo's BPF program; the rest: tests, demo and
# script checks.
PACKAGES=(libdpdk-dev dpdk dpdk-dev pkg-config clang libclang-dev gcc libc6-dev make libpcap-dev dpkg-dev
          iproute2 iputils-ping util-linux procps shellcheck python3 tcpdump patch ethtool)

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( ${#missing[@]} == 0 )); then
    exit 0
fi
if [[ $EUID -ne 0 ]]; then
    echo "$PROG: error: missing packages: ${missing[*]}; run as root (sudo make test) or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "$PROG: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
