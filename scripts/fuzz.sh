#!/usr/bin/env bash
# fuzz.sh [--update-corpus] [SECS] - runs each cargo-fuzz target in fuzz/ for
# SECS seconds (default 10): the reply check l2_ping and l2_load share (bytes
# from the network) and the servers' argument handling (the split at `--` and
# the option parser).
#
# Builds with the nightly toolchain and the flags cargo-fuzz uses (libFuzzer,
# AddressSanitizer, SanitizerCoverage), plus debug assertions and overflow
# checks; cargo-fuzz itself is not needed (`cargo +nightly fuzz run TARGET`
# works on the same directory). Each target starts from its corpus in
# fuzz/corpus/TARGET; what a run discovers goes to a temporary directory, or,
# with --update-corpus, is merged into the tree's corpus, which keeps the
# fewest inputs that reach every edge; a
# target may have a dictionary, fuzz/TARGET.dict. A crash
# fails, its input is kept in target/fuzz-artifacts/. Without a nightly
# toolchain it says it skipped and exits 0.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TARGETS=(probe_reply server_args)
UPDATE=0
if [[ ${1:-} == --update-corpus ]]; then UPDATE=1; shift; fi
SECS=${1:-10}
[[ $SECS =~ ^[1-9][0-9]*$ ]] || { echo "$PROG: error: SECS must be a whole number of seconds, got '$SECS'" >&2; exit 2; }

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "$PROG: skipped: no nightly toolchain (rustup toolchain install nightly)"
    exit 0
fi

host=$(rustc +nightly -vV | sed -n 's/^host: //p')
flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Zsanitizer=address \
-Cdebug-assertions -Coverflow-checks"
# RUSTFLAGS replaces .cargo/config.toml's: keep DPDK's x86 baseline there.
[[ $host == x86_64-* ]] && flags+=" -Ctarget-cpu=x86-64-v2"
# --target keeps build scripts (bindgen, the shim) uninstrumented.
RUSTFLAGS=$flags cargo +nightly build --release --quiet --manifest-path "$REPO/fuzz/Cargo.toml" \
    --target "$host" --target-dir "$REPO/target/fuzz" --bins

artifacts=$REPO/target/fuzz-artifacts
mkdir -p "$artifacts"
found=$(mktemp -d)
trap 'rm -rf "$found"' EXIT
for t in "${TARGETS[@]}"; do
    corpus=$REPO/fuzz/corpus/$t
    mkdir -p "$corpus" "$found/$t"
    log=$found/$t.log
    dict=()
    [[ -f $REPO/fuzz/$t.dict ]] && dict=(-dict="$REPO/fuzz/$t.dict")
    if ! "$REPO/target/fuzz/$host/release/$t" "$found/$t" "$corpus" "${dict[@]}" -max_total_time="$SECS" \
            -artifact_prefix="$artifacts/$t-" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "$PROG: $t: FAILED: a crash; its input is in $artifacts/" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
    echo "$PROG: $t: ${runs:-?} executions in ${SECS} s, no crash ($cov, corpus $(find "$corpus" -type f | wc -l) in the tree)"
    if (( UPDATE )); then
        # The fewest inputs that reach every edge reached so far (hit counts aside).
        mkdir "$found/$t.merged"
        "$REPO/target/fuzz/$host/release/$t" -merge=1 -use_counters=0 "$found/$t.merged" "$corpus" "$found/$t" \
            >/dev/null 2>&1
        rm -rf "$corpus"
        mv "$found/$t.merged" "$corpus"
        echo "$PROG: $t: corpus now $(find "$corpus" -type f | wc -l) inputs, $(du -sh "$corpus" | cut -f1)"
    fi
done
