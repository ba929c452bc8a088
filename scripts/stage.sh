#!/usr/bin/env bash
# stage.sh - times the stages of `make test` and watches their budgets:
#
#   stage.sh --begin                      forgets the last run's times
#   stage.sh NAME BUDGET COMMAND [ARG...] runs COMMAND as stage NAME
#   stage.sh --report                     the table, the total, the overruns
#
# Each stage prints its time as it ends, so a slow stage shows in every CI
# log. BUDGET is the stage's time in seconds as measured from nothing on a
# fresh 2-core machine (Debian roots and DPDK builds made, crates
# downloaded), with a margin: a warm run stays well under it. --report, at
# the end, prints every stage against its budget and the total against
# TOTAL_BUDGET (default 3300 s: CI gives `make test` 60 minutes on a new
# machine, and 5 are kept for the machine being slower), and says loudly
# which went over, so growth is seen on a developer's machine before CI
# runs out of time. A failing stage prints the times so far and fails.
set -euo pipefail

PROG=${0##*/}
TIMES=${L2ECHO_STAGE_TIMES:-$(cd "$(dirname "$0")/.." && pwd)/target/test-stages.tsv}
TOTAL_BUDGET=${TOTAL_BUDGET:-3300}

die() { echo "$PROG: error: $*" >&2; exit 2; }

mmss() { printf '%d:%02d' $(( $1 / 60 )) $(( $1 % 60 )); }

report() {
    [[ -s $TIMES ]] || { echo "$PROG: no stage has run"; return 0; }
    local total=0 over=() name secs budget status
    echo
    echo "make test: stage times (budgets measured from nothing on a fresh 2-core machine)"
    printf '  %-22s %8s %8s  %s\n' stage time budget result
    while IFS=$'\t' read -r name secs budget status; do
        total=$(( total + secs ))
        printf '  %-22s %8s %8s  %s\n' "$name" "$(mmss "$secs")" "$(mmss "$budget")" "$status"
        (( secs > budget )) && over+=("$name: $(mmss "$secs") against a budget of $(mmss "$budget")")
    done < "$TIMES"
    printf '  %-22s %8s %8s\n' total "$(mmss "$total")" "$(mmss "$TOTAL_BUDGET")"
    (( total > TOTAL_BUDGET )) && over+=("the whole run: $(mmss "$total") against $(mmss "$TOTAL_BUDGET"); CI stops at 90:00 and must pass from nothing in 60:00")
    if (( ${#over[@]} )); then
        echo
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo "!! make test: OVER BUDGET (find the cause before CI times out; the budgets and"
        echo "!! how they were measured are in the Makefile and docs/tests.md):"
        local line
        for line in "${over[@]}"; do echo "!!   $line"; done
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    fi
}

case ${1:-} in
    --begin) mkdir -p "$(dirname "$TIMES")"; : > "$TIMES"; exit 0 ;;
    --report) report; exit 0 ;;
    ''|-*) die "usage: $PROG --begin | --report | NAME BUDGET_SECS COMMAND [ARG...]" ;;
esac
(( $# >= 3 )) || die "usage: $PROG NAME BUDGET_SECS COMMAND [ARG...]"
name=$1 budget=$2
shift 2
[[ $budget =~ ^[1-9][0-9]*$ ]] || die "$name: the budget must be a whole number of seconds, got '$budget'"
[[ $name != *[[:space:]]* ]] || die "a stage's name has no spaces: '$name'"

started=$SECONDS
status=0
"$@" || status=$?
secs=$(( SECONDS - started ))
result=passed
(( status == 0 )) || result="FAILED (exit $status)"
mkdir -p "$(dirname "$TIMES")"
printf '%s\t%d\t%d\t%s\n' "$name" "$secs" "$budget" "$result" >> "$TIMES"
note=
(( secs > budget )) && note=": OVER BUDGET"
echo "make test: stage $name: $result in $(mmss "$secs") (budget $(mmss "$budget")$note)"
if (( status != 0 )); then
    report
    exit "$status"
fi
