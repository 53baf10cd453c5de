#!/usr/bin/env bash
# The embeddable harness under cargo nextest: runs tests/embedded_harness.rs
# in two partitions of each kind (count:K/2, hash:K/2) and checks that the
# union of the shards of each kind runs every trial exactly once.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo nextest --version >/dev/null 2>&1; then
    echo "nextest-partitions: cargo-nextest is not installed; skipped" >&2
    exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo nextest list --test embedded_harness --message-format oneline 2>/dev/null \
    | sed 's/^[^ ]* //' | sort >"$out/all"
total=$(wc -l <"$out/all")
[ "$total" -gt 0 ] || { echo "nextest-partitions: no trial listed" >&2; exit 1; }
for kind in count hash; do
    : >"$out/$kind"
    for k in 1 2; do
        cargo nextest run --test embedded_harness --partition "$kind:$k/2" \
            --no-fail-fast --status-level pass --final-status-level none 2>&1 \
            | sed -n 's/^ *PASS \[[^]]*\] *([^)]*) *[^ ]* //p' >>"$out/$kind"
    done
    sort "$out/$kind" -o "$out/$kind"
    if ! diff -u "$out/all" "$out/$kind"; then
        echo "nextest-partitions: the $kind shards do not run every trial exactly once (diff above: listed vs passed)" >&2
        exit 1
    fi
    echo "nextest-partitions: $kind:1/2 + $kind:2/2 ran each of the $total trials once, all passed"
done
