#!/usr/bin/env bash
# Writes docs/nat.md from a run: every real server and client through every
# NAT and firewall topology in the four data modes (src/topology, src/nat).
# Needs root and the peers (scripts/install-peers.sh). Takes several
# minutes; captures go to target/ftpconform/nat. Extra arguments go to
# `ftpconform nat-table` (e.g. --topology client-nat --server vsftpd).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --bin ftpconform
exec ./target/debug/ftpconform nat-table --out docs/nat.md "$@"
