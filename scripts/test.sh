#!/usr/bin/env bash
# The README's test command: installs the real FTP peers the tests use
# (scripts/install-peers.sh), then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-peers.sh
cargo test --all-targets "$@"
# The embeddable harness under nextest, partitions included.
bash scripts/nextest-partitions.sh
# The fuzz targets' bodies already ran over their seeds and crash inputs
# (tests/fuzz_corpus.rs). FUZZ_SECONDS=N adds a libFuzzer run of N seconds
# per target (cargo-fuzz from crates.io; docs/robustness.md).
if [ -n "${FUZZ_SECONDS:-}" ]; then
    bash scripts/install-fuzz.sh
    bash scripts/fuzz.sh "$FUZZ_SECONDS"
fi
