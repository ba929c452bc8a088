#!/usr/bin/env bash
# test_arm64.sh - the test suite (cargo test --release --workspace, or the
# tests named by the arguments) built for arm64 and run under qemu-user,
# against Debian 12's arm64 DPDK, or with ARM64_SUITE=sid Debian sid's
# (scripts/cargo_arm64.sh: the cross-build and the cached arm64 root). Built
# without LTO, as the DPDK lanes are (scripts/test_dpdk.sh): what the
# architecture changes is the same without it, and the build takes half the
# time; `make build-arm64` and `make deb-arm64` build with it.
#
# qemu-user cannot do the ioctls that net_af_packet and libpcap need, so the
# tests that use a veth through them (QEMU_USER_CANNOT) are filtered out by
# name, which cargo counts ("filtered out"), as is the one test that times an
# adaptive echo waking at rates emulation cannot carry (its judgement needs
# an echo that keeps 1 Mpps), and the root-only tests run
# (--include-ignored); such a test run here anyway fails
# (L2ECHO_UNDER_QEMU_USER is set). The aarch64 guest of `make vm-test-arm64`
# runs those paths on arm64 for real. The tests' secondary processes
# (dpdk-proc-info, dpdk-dumpcap) are the root's arm64 builds
# (L2ECHO_DPDK_TOOLS), as a secondary must match its primary. Arguments are
# passed on to cargo test.
#
# Needs root (the arm64 root, hugepages, namespaces); as another user it says
# it skipped and exits 0.
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ARM64_ROOT:-/var/cache/l2echo/${ARM64_SUITE:-bookworm}-arm64}
TARGET=aarch64-unknown-linux-gnu
# The tests over a veth (tests/common: require_veth), xdp_echo's load
# refused for a user (qemu-user has no bpf() system call to refuse it), and
# an adaptive echo's wake-up timed at up to 1 Mpps.
QEMU_USER_CANNOT=(the_demo_proves_the_bypass every_probe_comes_back_from_l2_echo
    a_silent_peer_loses_everything_within_the_timeout frames_returned_unchanged_are_bad
    adaptive_idle_answers_every_probe_even_after_a_quiet_spell adaptive_idle_on_every_queue_of_l2_multi_echo
    af_packet_over_a_four_queue_veth_spreads_udp_flows_over_every_queue an_echo_killed_mid_run_is_reported
    icmp_probes_are_answered_by_the_kernel icmp_probes_are_answered_by_l2_echo_on_af_packet
    icmp_probes_are_answered_by_l2_echo_on_af_xdp udp_probes_are_answered_by_a_socket_echo
    l2_probes_are_answered_by_xdp l2_probes_are_answered_by_l2_echo_swap_on_af_xdp
    xdp_echo_refuses_a_busy_interface_and_leaves_nothing_when_killed as_a_user_it_says_to_run_it_with_sudo
    ping_and_arp_are_answered_by_l2_multi_echo_in_icmp_mode
    l2_multi_echo_spreads_flows_over_four_queues_in_order the_echo_survives_the_peer_link_going_down_and_up
    no_trial_loses_its_start_to_an_echo_asleep a_reply_is_judged_on_whichever_lane_it_lands)

die() { echo "$PROG: error: $*" >&2; exit 1; }
say() { echo "$PROG: $*"; }

if [[ $EUID -ne 0 ]]; then
    say "skipped: the arm64 tests need root (debootstrap, hugepages, namespaces); run: sudo make test-arm64"
    exit 0
fi

started=$SECONDS
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
"$HERE/cargo_arm64.sh" build --release --workspace
version=$(PKG_CONFIG_SYSROOT_DIR=$ROOT PKG_CONFIG_LIBDIR=$ROOT/usr/lib/aarch64-linux-gnu/pkgconfig \
          pkg-config --modversion libdpdk) || die "pkg-config finds no libdpdk in $ROOT"
say "testing $TARGET under qemu-user against DPDK $version (arm64, $ROOT)"

# DPDK's files in hugetlbfs and runtime dirs, to check that the run leaves none.
dpdk_files() { find /dev/hugepages /var/run/dpdk -mindepth 1 -maxdepth 1 2>/dev/null | sort; }
before=$(dpdk_files)
log=$(mktemp "/tmp/$PROG.XXXXXX")
trap 'rm -f "$log"' EXIT
# For the test binaries: the root-only tests, and not those qemu-user cannot run.
harness=(--include-ignored)
for t in "${QEMU_USER_CANNOT[@]}"; do harness+=(--skip "$t"); done
[[ " $* " == *" -- "* ]] || harness=(-- "${harness[@]}")
status=0
L2ECHO_UNDER_QEMU_USER=1 L2ECHO_DPDK_TOOLS=$ROOT/usr/bin "$HERE/cargo_arm64.sh" test --release --workspace --no-fail-fast "$@" "${harness[@]}" 2>&1 \
    | tee "$log" || status=$?

sum() { awk -v k="$1" '/^test result:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ "^" k) n += $i } END { print n + 0 }' "$log"; }
counts="passed $(sum passed), failed $(sum failed), ignored $(sum ignored), filtered out $(sum filtered) (the tests qemu-user cannot run: over a veth, needing bpf(), or an echo at 1 Mpps)"
left=$(comm -13 <(echo "$before") <(dpdk_files) | tr '\n' ' ')
[[ -z $left ]] || { (( status )) || status=1; echo "$PROG: the tests left DPDK files behind: $left" >&2; }
if (( status != 0 )); then
    die "$TARGET, DPDK $version: FAILED (cargo test exit status $status): $counts ($(( SECONDS - started )) s)"
fi
say "$TARGET, DPDK $version: PASSED: $counts ($(( SECONDS - started )) s)"
