#!/usr/bin/env bash
# Runs every interop target (docs/interop.md) one at a time, with a JSON
# report per target, or prints the matrix table of an earlier run.
#
#   scripts/interop-report.sh [OUT_DIR]            run all targets (default /tmp/interop)
#   scripts/interop-report.sh --matrix [OUT_DIR]   print the Markdown matrix
#   scripts/interop-report.sh --verdicts [OUT_DIR] rewrite the section of
#       docs/interop.md that lists every non-passing verdict (evidence and
#       capture per case); tests/interop_doc.rs checks it against the
#       verdict snapshots
#
# Needs target/release/ftpconform (cargo build --release) and .peers/
# (bash scripts/install-peers.sh). Targets run one after another on purpose:
# real peers have timing races and the machine has two cores.
set -u
bin=${FTPCONFORM:-target/release/ftpconform}
servers="embedded vsftpd proftpd pure-ftpd pyftpdlib twisted"
clients="suppaftp curl wget lftp ncftp tnftp inetutils-ftp ftplib busybox"

matrix() { # OUT_DIR
  python3 - "$1" "$servers" "$clients" <<'PY'
import json, os, sys
out, servers, clients = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
# The -ipv6 snapshots hold only the cases that require ipv6.
ipv6_cases = {"eprt-ipv6", "eprt-ipv6-stor", "epsv-2-ipv6", "epsv-2-list"}
targets = servers + [s + "-ipv6" for s in servers if s != "embedded"] + clients
cols = ["pass", "non-strict", "unimplemented", "info", "fail", "error", "skipped"]
print("| target | cases | " + " | ".join(cols) + " | must failures |")
print("| --- | ---: |" + " ---: |" * (len(cols) + 1))
for t in targets:
    path = f"{out}/{t}.json"
    if not os.path.exists(path):
        print(f"| {t} | no report |" + " |" * (len(cols) + 1))
        continue
    cases = json.load(open(path))["cases"]
    if t.endswith("-ipv6"):
        cases = [c for c in cases if c["id"] in ipv6_cases]
    n = {k: sum(c["verdict"] == k for c in cases) for k in cols}
    must = sum(c["verdict"] == "fail" and c["level"] == "must" for c in cases)
    print(f"| {t} | {len(cases)} | " + " | ".join(str(n[k]) for k in cols) + f" | {must} |")
PY
}

run() { # OUT_DIR NAME CAPTURES ARGS...
  local out=$1 name=$2 cap=$3; shift 3
  echo "== $name $(date -u +%T)"
  "$bin" run "$@" --report "json=$out/$name.json" --capture-dir "$out/captures/$cap" \
    >"$out/logs/$name.out" 2>"$out/logs/$name.err"
  echo "   exit $? $(date -u +%T)"
}

verdicts() { # OUT_DIR
  python3 - "$1" "$servers" "$clients" docs/interop.md <<'PY'
import json, os, re, sys
out, servers, clients, doc = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4]
targets = servers + [s + "-ipv6" for s in servers if s != "embedded"] + clients
def cell(text, limit=220):
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text.replace("|", "\\|").replace("`", "'")
lines = []
for t in targets:
    path = f"{out}/{t}.json"
    if not os.path.exists(path):
        sys.exit(f"no report {path}: run the targets first")
    cases = [c for c in json.load(open(path))["cases"] if c["verdict"] != "pass"]
    lines.append(f"### {t}\n")
    if not cases:
        lines.append("Every case passes.\n")
        continue
    lines.append("| case | verdict | rule | what the peer did | capture |")
    lines.append("| --- | --- | --- | --- | --- |")
    for c in sorted(cases, key=lambda c: (c["suite"], c["id"])):
        worst = [v for v in c["violations"] if v["grade"] == c["verdict"]] or c["violations"]
        if worst:
            v = worst[0]
            rule, what = v["rule"], f"{v['actual']} (expected: {v['expected']})"
        else:
            rule, what = "-", c.get("reason") or "; ".join(c["notes"])
        cap = os.path.relpath(c["capture"], out) if c.get("capture") else "none"
        lines.append(f"| {c['suite']}::{c['id']} | {c['verdict']} | {rule} | {cell(what)} | `{cell(cap, 120)}` |")
    lines.append("")
text = open(doc).read()
begin, end = "<!-- verdicts:begin -->", "<!-- verdicts:end -->"
if begin not in text:
    sys.exit(f"{doc} has no {begin} marker")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(doc, "w").write(head + begin + "\n\n" + "\n".join(lines) + "\n" + end + tail)
PY
}

if [ "${1:-}" = "--verdicts" ]; then
  verdicts "${2:-/tmp/interop}"
  exit
fi
if [ "${1:-}" = "--matrix" ]; then
  matrix "${2:-/tmp/interop}"
  exit
fi
out=${1:-/tmp/interop}
mkdir -p "$out/logs"
for s in $servers; do run "$out" "$s" ipv4 --server "$s"; done
for s in $servers; do
  # an --ipv6 run writes its captures under the server's name too
  [ "$s" = embedded ] || run "$out" "$s-ipv6" ipv6 --server "$s" --ipv6
done
for c in $clients; do
  arg=$c
  [ "$c" = suppaftp ] && arg=embedded
  run "$out" "$c" ipv4 --client "$arg"
done
