#!/usr/bin/env bash
# Measures how stable the verdicts are: runs the conformance trials N times
# (default 20) and prints every trial whose verdict differed from its
# snapshot in any run, with how often. The trials never rerun a case, so a
# trial fails exactly when its verdict differs from the recorded one.
#
#   bash scripts/flakiness.sh [RUNS] [-- extra libtest arguments, e.g. a filter]
#
# Output: one line per differing trial (`count/RUNS name`), then a summary
# line `flakiness: D differing trials over RUNS runs of T trials`. The log of
# each run is kept under target/flakiness/. Exit status 0 when nothing
# differed, 1 otherwise.
#
# On a machine where several checkouts run real peers, set FLAKINESS_LOCK to
# a lock file: each run then holds it (flock) for its own duration only, so
# that other runs can take turns between two of these.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-20}"
shift || true
[ "${1:-}" = "--" ] && shift
case "$runs" in '' | *[!0-9]*) echo "usage: $0 [RUNS] [-- ARGS]" >&2; exit 2 ;; esac

out=target/flakiness
mkdir -p "$out"
rm -f "$out"/run-*.log
cargo test --test conformance --no-run -q

total=0
for i in $(seq 1 "$runs"); do
    log="$out/run-$i.log"
    # A failing run is expected here; the log is what counts. Each run is
    # bounded (a hung run would be a bug to report, not to wait for).
    if [ -n "${FLAKINESS_LOCK:-}" ]; then
        flock "$FLAKINESS_LOCK" timeout 1800 cargo test --test conformance -- "$@" >"$log" 2>&1 || true
    else
        timeout 1800 cargo test --test conformance -- "$@" >"$log" 2>&1 || true
    fi
    n=$(grep -cE '^test .* \.\.\. (ok|FAILED)$' "$log" || true)
    total=$n
    bad=$(grep -cE '^test .* \.\.\. FAILED$' "$log" || true)
    echo "run $i/$runs: $n trials, $bad differing" >&2
done

differing=$(cat "$out"/run-*.log | sed -nE 's/^test (.*) \.\.\. FAILED$/\1/p' | sort | uniq -c | sort -rn)
if [ -n "$differing" ]; then
    echo "$differing" | awk -v r="$runs" '{print $1 "/" r, $2}'
fi
count=$(printf '%s' "$differing" | grep -c . || true)
echo "flakiness: $count differing trials over $runs runs of $total trials"
[ "$count" -eq 0 ]
