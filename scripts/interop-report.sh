#!/usr/bin/env bash
# Runs every interop target (docs/interop.md), eight at a time, with
# `ftpconform matrix`, or writes an earlier run into docs/interop.md.
#
#   scripts/interop-report.sh [OUT_DIR]            run all targets (default /tmp/interop)
#   scripts/interop-report.sh --verdicts [OUT_DIR] rewrite the matrix table and
#       the section that lists every non-passing verdict (evidence and
#       capture per case) in docs/interop.md; tests/interop_doc.rs checks
#       both against the verdict snapshots
#
# The server variants (servers::VARIANTS: vsftpd-tls-noreuse,
# vsftpd-implicit, proftpd-implicit) are matrix targets on their own suites.
#
# Needs target/release/ftpconform (cargo build --release; or set
# FTPCONFORM) and .peers/ (bash scripts/install-peers.sh). Targets run eight
# at a time (cases carry loopback addresses of their own).
set -u
bin=${FTPCONFORM:-target/release/ftpconform}

verdicts() { # OUT_DIR
  python3 - "$1" docs/interop.md <<'PY'
import json, os, re, sys
out, doc = sys.argv[1], sys.argv[2]
matrix = open(f"{out}/matrix.md").read()
counts = matrix.split("## Verdicts per target\n\n", 1)[1].split("\n\n", 1)[0]
targets = [l.split("|")[1].strip() for l in counts.splitlines()[2:]]
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
def splice(text, name, body):
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin not in text:
        sys.exit(f"{doc} has no {begin} marker")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return head + begin + "\n\n" + body + "\n" + end + tail
text = splice(open(doc).read(), "matrix", counts)
text = splice(text, "verdicts", "\n".join(lines))
open(doc, "w").write(text)
PY
}

if [ "${1:-}" = "--verdicts" ]; then
  verdicts "${2:-/tmp/interop}"
  exit
fi
out=${1:-/tmp/interop}
"$bin" matrix --out "$out"
echo "exit $? (1: some case failed); next: $0 --verdicts $out" >&2
