#!/usr/bin/env bash
# callgrind.sh - instructions per frame, counted by valgrind's callgrind
# (deterministic: no other process can move it).
#
#   sudo scripts/callgrind.sh [l2_echo|l2_load]...   (default: both)
#
# l2_echo: on net_null, the instructions of the lcore's job (the echo loop,
# the PMD's rx/tx and the mempool, all inclusive) over the packets it echoed.
# l2_load: on net_ring, which loops each frame back to the port that sent it
# (to its own MAC, so --expect swap holds), asked for more than it can send:
# the trial's instructions (build, send, receive, check, time; the PMD and
# the mempool inclusive) over the frames it sent, each received and checked
# once; then where they go, function by function.
#
# MODE=reply|swap (l2_echo; default swap), SECS (default 2; under valgrind a
# run lasts longer than asked: only the ratio matters), BIN_DIR (default
# target/release). Needs root (the EAL).
set -euo pipefail

BIN_DIR=${BIN_DIR:-target/release}
MODE=${MODE:-swap}
SECS=${SECS:-2}
EAL=(--no-pci --no-huge -m 256 --no-shconf --no-telemetry --file-prefix "cg$$" -l 0)
die() { echo "callgrind.sh: error: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root (the EAL)"
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# profile BIN ARGS...: runs BIN under callgrind into $work/out, its stdout
# in $work/stdout. l2_load's exit status 1 (frames late or lost: valgrind
# slows it far below its schedule) is no failure here.
profile() {
    local name=$1 rc=0
    shift
    [[ -x $BIN_DIR/$name ]] || die "no $BIN_DIR/$name: build it first (make build)"
    valgrind --tool=callgrind --callgrind-out-file="$work/out" ${COLLECT:+--toggle-collect="$COLLECT"} \
        "$BIN_DIR/$name" "${EAL[@]}" "$@" \
        >"$work/stdout" 2>"$work/stderr" || rc=$?
    if (( rc != 0 )) && ! [[ $name == l2_load && $rc == 1 ]]; then
        die "$name failed: $(tail -3 "$work/stderr")"
    fi
}
# inclusive PATTERN: the inclusive instructions of the first function matching PATTERN.
inclusive() {
    callgrind_annotate --inclusive=yes "$work/out" | awk -v pat="$1" '$0 ~ pat { gsub(",", "", $1); print $1; exit }'
}
# json KEY: KEY of the last JSON line of the run's stdout.
json() { grep '^{' "$work/stdout" | tail -1 | python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
per() { python3 -c "import sys; i, p = map(int, sys.argv[1:3]); print(f'{i / p:.2f} {sys.argv[3]}')" "$@"; }

targets=("$@")
(( ${#targets[@]} )) || targets=(l2_echo l2_load)
for target in "${targets[@]}"; do
    case $target in
        l2_echo)
            profile l2_echo --vdev net_null0 -- --mode "$MODE" --duration "$SECS" --json
            job=$(inclusive 'lcore::Job<.*>::run ')
            [[ -n $job ]] || die "no lcore job in the profile (was the binary stripped?)"
            per "$job" "$(json rx_packets)" "instructions per packet (l2_echo, $(json rx_packets) packets, $MODE)"
            ;;
        l2_load)
            # The trial's function by its exact name: a pattern that also matched
            # its closures (run::{{closure}}) would toggle collection off inside
            # them, leaving out the receive path, the check and the histogram.
            COLLECT='dpdk_echo::load::trial::run' profile l2_load --vdev net_ring0 -- --dst 00:00:00:00:00:00 --expect swap \
                --rate 100000000 --duration 0.02 --timeout "$SECS" --json
            trial=$(inclusive 'load::trial::run ')
            [[ -n $trial ]] || die "no trial in the profile (was the binary stripped?)"
            sent=$(json sent)
            per "$trial" "$sent" "instructions per frame (l2_load, $sent frames sent, received and checked)"
            echo "  where they go (instructions per frame, by function, itself only):"
            callgrind_annotate --inclusive=no "$work/out" | awk -v n="$sent" -v total="$trial" '
                /^ *[0-9,]+ +\(/ && !/PROGRAM TOTALS/ {
                    c = $1; gsub(",", "", c); if (c / n < 1) next
                    name = $0; sub(/^[^)]*\) +/, "", name); sub(/ \[.*/, "", name)
                    sub(/^\?\?\?:/, "", name); printf "  %8.1f  %s\n", c / n, name
                }' | head -12
            ;;
        *) die "unknown target '$target': l2_echo or l2_load" ;;
    esac
done
