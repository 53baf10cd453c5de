#!/usr/bin/env bash
# Run every interop target one at a time and write a JSON report per target.
# Usage: scripts/interop-report.sh [OUT_DIR]   (default /tmp/interop)
# Needs: target/release/ftpconform (cargo build --release) and .peers/
# (bash scripts/install-peers.sh). Targets run one after another on purpose.
set -u
out=${1:-/tmp/interop}
bin=${FTPCONFORM:-target/release/ftpconform}
mkdir -p "$out/captures" "$out/logs"
servers="embedded vsftpd proftpd pure-ftpd pyftpdlib twisted"
clients="suppaftp curl wget lftp ncftp tnftp inetutils-ftp ftplib busybox"
run() { # NAME ARGS...
  local name=$1; shift
  echo "== $name $(date -u +%T)"
  "$bin" run "$@" --report "json=$out/$name.json" --capture-dir "$out/captures" \
    >"$out/logs/$name.out" 2>"$out/logs/$name.err"
  echo "   exit $? $(date -u +%T)"
}
for s in $servers; do run "$s" --server "$s"; done
for s in $servers; do
  [ "$s" = embedded ] || run "$s-ipv6" --server "$s" --ipv6
done
for c in $clients; do
  arg=$c; [ "$c" = suppaftp ] && arg=embedded
  run "$c" --client "$arg"
done
