#!/usr/bin/env bash
# stress_demo.sh - runs the demo and the veth tests RUNS times under each kind
# of background load a fresh machine has (none; a CPU-bound neighbour; heavy
# writeback, as right after a build) and prints the pass counts.
#
#   sudo make stress-demo            # STRESS_RUNS=20 by default
#   sudo scripts/stress_demo.sh [--runs N] [--loads none,cpu,writeback]
#
# Each run is the real thing: scripts/demo.sh, then the tests that send over a
# veth (l2_ping, idle, the 4-queue af_packet case, link loss, the demo test),
# each asserting that nothing was lost. The loads run unpinned, wherever the
# scheduler puts them, as a neighbour's would. Exits 0 only when every run of
# every load passed; a failed run's output is kept in the work directory.
set -euo pipefail
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
RUNS=${STRESS_RUNS:-20}
LOADS=none,cpu,writeback
# The tests that send frames over a veth and count what comes back.
VETH_TESTS=(--test demo --test l2_ping --test idle --test l2_multi_echo --test reliability --
            --include-ignored --exact the_demo_proves_the_bypass every_probe_comes_back_from_l2_echo
            frames_returned_unchanged_are_bad adaptive_idle_answers_every_probe_even_after_a_quiet_spell
            adaptive_idle_on_every_queue_of_l2_multi_echo
            af_packet_over_a_four_queue_veth_spreads_udp_flows_over_every_queue
            the_echo_survives_the_peer_link_going_down_and_up)

die() { echo "$PROG: error: $*" >&2; exit 1; }
usage() { sed -n '2,13s/^# \{0,1\}//p' "$0"; }

while (( $# )); do
    case $1 in
        --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
        --loads) LOADS=${2:?--loads needs a list}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
if ! [[ $RUNS =~ ^[0-9]+$ ]] || (( RUNS < 1 || RUNS > 1000 )); then
    die "--runs must be from 1 to 1000: $RUNS"
fi
[[ $EUID -eq 0 ]] || die "run as root: sudo make stress-demo (the demo and the veth tests need it)"

WORK=$(mktemp -d /tmp/l2echo-stress.XXXXXX)
load_pid=

stop_load() {
    if [[ -n $load_pid ]]; then
        kill -TERM -- "-$load_pid" 2>/dev/null || true
        wait "$load_pid" 2>/dev/null || true
        load_pid=
    fi
    rm -f "$WORK/writeback"
}
cleanup() {
    stop_load
    # Keep the work directory only when it holds a failed run's output.
    compgen -G "$WORK/*.failed" >/dev/null || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_load KIND: the background load, in a process group of its own.
start_load() {
    case $1 in
        none) return ;;
        cpu) setsid bash -c 'while :; do :; done' & ;;
        writeback) setsid bash -c "while :; do dd if=/dev/zero of='$WORK/writeback' bs=1M count=2000 conv=fsync status=none; done" & ;;
        *) die "unknown load $1 (none, cpu, writeback)" ;;
    esac
    load_pid=$!
}

echo "$PROG: building the tests"
# The same command line as below: another would rebuild the binaries each time.
(cd "$TOP" && cargo test --release --no-run --quiet "${VETH_TESTS[@]}") || die "the build failed"

summary=()
failed=0
IFS=, read -ra loads <<<"$LOADS"
for load in "${loads[@]}"; do
    start_load "$load"
    demo_ok=0 tests_ok=0
    for run in $(seq "$RUNS"); do
        if (cd "$TOP" && scripts/demo.sh) >"$WORK/$load-$run-demo.out" 2>&1; then
            demo_ok=$((demo_ok + 1)); rm -f "$WORK/$load-$run-demo.out"
        else
            mv "$WORK/$load-$run-demo.out" "$WORK/$load-$run-demo.failed"
        fi
        if (cd "$TOP" && cargo test --release "${VETH_TESTS[@]}") >"$WORK/$load-$run-tests.out" 2>&1; then
            tests_ok=$((tests_ok + 1)); rm -f "$WORK/$load-$run-tests.out"
        else
            mv "$WORK/$load-$run-tests.out" "$WORK/$load-$run-tests.failed"
        fi
        printf '%s: load %-9s run %d/%d: demo %d passed, veth tests %d passed\n' \
            "$PROG" "$load" "$run" "$RUNS" "$demo_ok" "$tests_ok"
    done
    stop_load
    summary+=("$(printf '%-9s demo %d/%d, veth tests %d/%d' "$load" "$demo_ok" "$RUNS" "$tests_ok" "$RUNS")")
    (( demo_ok == RUNS && tests_ok == RUNS )) || failed=1
done

echo
echo "$PROG: passes under each load ($(nproc) CPUs, $(uname -r)):"
printf '  %s\n' "${summary[@]}"
if (( failed )); then
    die "some runs failed: their output is in $WORK/*.failed"
fi
