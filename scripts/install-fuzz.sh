#!/usr/bin/env bash
# Installs cargo-fuzz, the cargo subcommand that builds and runs the fuzz
# targets under fuzz/ with libFuzzer (scripts/fuzz.sh, docs/robustness.md).
# It comes from crates.io like any crate; its build takes about 2 minutes
# of CPU. Idempotent: with the pinned version present it does nothing.
set -euo pipefail

VERSION=0.13.2

if cargo fuzz --version 2>/dev/null | grep -q " $VERSION"; then
    exit 0
fi
echo "install-fuzz: cargo install cargo-fuzz $VERSION" >&2
timeout 1200 cargo install cargo-fuzz --version "$VERSION" --locked
