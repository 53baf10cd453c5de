#!/usr/bin/env bash
# The README's test command: installs the real FTP peers the tests use
# (scripts/install-peers.sh), then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-peers.sh
cargo test --all-targets "$@"
# The embeddable harness under nextest, partitions included.
bash scripts/nextest-partitions.sh
