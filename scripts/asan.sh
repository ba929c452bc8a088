#!/usr/bin/env bash
# asan.sh - the unit tests of the workspace and the integration tests on
# net_pcap and net_null (and the af_packet/veth, bad-input, failing-thread, safe-layer,
# l2_load-over-memif, l2_ping command-line and udp_echo loopback tests) with AddressSanitizer and LeakSanitizer, built with the nightly
# toolchain into target/asan. DPDK itself is not instrumented: ASan sees the
# Rust code and the C shim; the tests run DPDK with --no-huge (the hugepage
# case is checked by hand: see docs/reliability.md). Without a nightly toolchain it says
# it skipped and exits 0. Arguments go to cargo test.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

PROG=${0##*/}
REPO=$(cd "$(dirname "$0")/.." && pwd)
# `cli` (l2-ping's) builds the l2_ping binary that hostile_options runs too;
# `echo` is udp_echo's over loopback (its recvmmsg/sendmmsg buffers).
TESTS=(l2_echo_pcap shutdown l2_multi_echo failure bad_input hostile_options safe_layer l2_load cli echo)

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "$PROG: skipped: no nightly toolchain (rustup toolchain install nightly)"
    exit 0
fi
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
flags="-Zsanitizer=address"
# RUSTFLAGS replaces .cargo/config.toml's: keep DPDK's x86 baseline there.
[[ $host == x86_64-* ]] && flags+=" -Ctarget-cpu=x86-64-v2"
args=()
for t in "${TESTS[@]}"; do args+=(--test "$t"); done
# As root, the root-only tests too (tests/common: require_root).
harness=()
[[ $EUID -eq 0 ]] && harness=(--include-ignored)
[[ ${#harness[@]} -eq 0 || " $* " == *" -- "* ]] || harness=(-- "${harness[@]}")
# Leaks in C libraries the project does not own, each named and explained there.
export LSAN_OPTIONS="suppressions=$REPO/scripts/lsan-suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# --target keeps build scripts uninstrumented; no LTO: a quicker build, the same checks.
# xdp-echo is left out: its unsafe is a signal mask and if_nametoindex, and
# its BPF loader (aya) would double this stage's build for no test.
RUSTFLAGS=$flags CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo +nightly test --release --workspace --exclude xdp-echo --target "$host" --target-dir "$REPO/target/asan" \
    --no-fail-fast --lib --bins "${args[@]}" "$@" "${harness[@]}"
echo "$PROG: PASSED under AddressSanitizer: unit tests, ${TESTS[*]}"
