#!/usr/bin/env bash
# Fuzzes the harness's parsers with cargo-fuzz (libFuzzer), see
# docs/robustness.md.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Runs each target (default: all) for SECONDS (default 5). Seeds come from
# the suites and captures (fuzz/src/seed_corpus.rs, written to fuzz/seeds
# by examples/fuzz_seeds.rs) and the crash inputs kept as regressions
# (fuzz/regressions/TARGET); what a run learns grows fuzz/corpus/TARGET;
# full logs go to fuzz/logs/TARGET.log. Exits non-zero at the first crash,
# whose input is under fuzz/artifacts/TARGET: reduce it, fix the bug, and
# keep the input in fuzz/regressions/TARGET (tests/fuzz_corpus.rs replays
# it in every `cargo test`).
#
# cargo-fuzz asks rustc for unstable flags (-Cpasses=sancov-module and
# friends); RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them. It is
# set for cargo-fuzz alone: cargo fingerprints it, and setting it for the
# main crate's build would rebuild every dependency there.
# No sanitizer: the fuzzed code is safe Rust, and the run is faster.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS="${1:-5}"
shift || true

cargo run -q --example fuzz_seeds -- fuzz/seeds
cd fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build --sanitizer none
if [ $# -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo fuzz list)
fi
mkdir -p logs
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "regressions/$t"
    started=$(date +%s)
    if ! cargo fuzz run --sanitizer none "$t" "corpus/$t" "seeds/$t" "regressions/$t" -- \
        -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 >"logs/$t.log" 2>&1; then
        echo "fuzz: $t FAILED (fuzz/logs/$t.log):" >&2
        grep -v '^#[0-9]' "logs/$t.log" | tail -40 >&2
        exit 1
    fi
    # The last status line says how far the run got: `#RUNS ... cov: N ft: N`.
    status=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1 | sed -E 's/ +/ /g')
    echo "fuzz: $t ok in $(($(date +%s) - started)) s: $status"
done
