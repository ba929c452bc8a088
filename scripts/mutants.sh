#!/usr/bin/env bash
# mutants.sh - cargo-mutants over the pure code (make mutants): every small
# change it makes to the numbers from the command line, the probe format,
# checks and tally (probe/, l2_ping's and l2_load's), l2_load's modules
# (src/load/: schedule, search, options, trial verdicts, report, plot), the
# rewrite, --mode icmp's responder, the counters, the idle schedule and the
# pool sizing must make a unit test fail. Each mutant is tested by the unit
# tests (--lib) of its own crate only (--test-workspace=false): a crate's pure
# code is pinned by its own tests, not by a caller's, and a mutant rebuilds one
# crate instead of the workspace (here about 1 s a mutant in probe/, 6 s in the
# main crate). Prints the counts and the mutants no test noticed, which are
# also in target/mutants/mutants.out/missed.txt. Installs cargo-mutants when
# missing. Arguments go to cargo mutants (e.g. --file src/echo/idle.rs).
set -euo pipefail

PROG=${0##*/}
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
if ! cargo mutants --version >/dev/null 2>&1; then
    echo "$PROG: installing cargo-mutants (cargo install cargo-mutants --locked)"
    cargo install cargo-mutants --locked
fi

files=(
    "cli-values/src/*.rs"
    "probe/src/*.rs" l2-ping/src/cli.rs
    src/cli.rs src/echo/rewrite.rs src/echo/icmp.rs src/echo/counters.rs src/echo/idle.rs src/echo/setup.rs
    "src/load/*.rs" plot/src/lib.rs
)
args=()
for f in "${files[@]}"; do args+=(--file "$f"); done
status=0
# bring_up_port, a trial's loop, the warm-up and the search's trials drive a
# real port, and report's json writes stdout: they carry #[mutants::skip], and
# the integration tests cover them, not --lib.
cargo mutants --workspace --test-workspace=false "${args[@]}" \
    --output target/mutants -j 1 "$@" -- --lib || status=$?
out=target/mutants/mutants.out
count() { if [[ -s $out/$1.txt ]]; then grep -c . "$out/$1.txt"; else echo 0; fi; }
echo "$PROG: caught $(count caught), missed $(count missed), unviable $(count unviable), timeouts $(count timeout)"
# cargo mutants exits 2 when some were missed, 3 when a mutant made a test
# hang (an endless loop: noticed all the same, so not a failure here).
(( status == 3 )) && status=0
exit "$status"
