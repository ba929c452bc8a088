#!/usr/bin/env bash
# callgrind.sh - instructions per echoed packet, counted by valgrind's
# callgrind (deterministic: no other process can move it): l2_echo on
# net_null, the instructions of the lcore's job (the echo loop, the PMD's
# rx/tx and the mempool, all inclusive) over the packets it echoed.
#
#   sudo scripts/callgrind.sh [BIN]    (default target/release/l2_echo)
#
# MODE=reply|swap (default swap), SECS (default 2; under valgrind a run
# lasts longer than asked: only the ratio matters). Needs root (the EAL).
set -euo pipefail

BIN=${1:-target/release/l2_echo}
MODE=${MODE:-swap}
SECS=${SECS:-2}
die() { echo "callgrind.sh: error: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root (the EAL)"
[[ -x $BIN ]] || die "no $BIN: build it first (make build)"
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

valgrind --tool=callgrind --callgrind-out-file="$work/out" "$BIN" \
    --no-pci --no-huge -m 256 --no-shconf --no-telemetry --file-prefix "cg$$" \
    -l 0 --vdev net_null0 -- --mode "$MODE" --duration "$SECS" --json \
    >"$work/stdout" 2>"$work/stderr" || die "l2_echo failed: $(tail -3 "$work/stderr")"
job=$(callgrind_annotate --inclusive=yes "$work/out" | awk '/lcore::Job<.*>::run / { gsub(",", "", $1); print $1; exit }')
[[ -n $job ]] || die "no lcore job in the profile (was the binary stripped?)"
packets=$(grep '^{' "$work/stdout" | tail -1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["rx_packets"])')
python3 -c "import sys; i, p = map(int, sys.argv[1:]); print(f'{i / p:.2f} instructions per packet ({p} packets, $MODE)')" "$job" "$packets"
