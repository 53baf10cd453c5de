//! `docs/interop.md` explains every non-passing verdict of every target: the
//! section between its `verdicts:begin` and `verdicts:end` markers holds one
//! row per non-passing snapshot line (same target, case and verdict) with the
//! peer's reply or the reason quoted and the capture named. A snapshot that
//! gains a non-passing line, or changes one, fails here until the document
//! says what the peer did (`scripts/interop-report.sh --verdicts`).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// (target, `suite::case`) -> verdict.
type Verdicts = BTreeMap<(String, String), String>;

/// The non-passing lines of every verdict snapshot.
fn snapshot_verdicts(dir: &Path) -> Verdicts {
    let mut all = all_snapshot_verdicts(dir);
    all.retain(|_, v| v != "pass");
    all
}

/// Every line of every verdict snapshot.
fn all_snapshot_verdicts(dir: &Path) -> Verdicts {
    let mut out = Verdicts::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(target) = name
            .strip_prefix("conformance__verdicts-")
            .and_then(|n| n.strip_suffix(".snap"))
        else {
            continue;
        };
        let text = fs::read_to_string(&path).unwrap();
        // The body follows the second `---` line of the insta header.
        let body = text.splitn(3, "---\n").nth(2).unwrap_or_default();
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            // `suite::case verdict [rule, ...]`
            let mut words = line.split(' ');
            let (Some(case), Some(verdict)) = (words.next(), words.next()) else {
                panic!("{name}: unreadable line {line:?}");
            };
            out.insert((target.to_string(), case.to_string()), verdict.to_string());
        }
    }
    out
}

/// The rows of the document's verdict section, with their evidence and
/// capture cells.
fn documented(doc: &str) -> (Verdicts, Vec<String>) {
    let begin = doc
        .find("<!-- verdicts:begin -->")
        .expect("no verdicts:begin marker");
    let end = doc
        .find("<!-- verdicts:end -->")
        .expect("no verdicts:end marker");
    let mut rows = Verdicts::new();
    let mut problems = Vec::new();
    let mut target = None;
    for line in doc[begin..end].lines() {
        if let Some(t) = line.strip_prefix("### ") {
            target = Some(t.trim().to_string());
            continue;
        }
        if !line.starts_with("| ") || line.starts_with("| case ") || line.starts_with("| ---") {
            continue;
        }
        let cells: Vec<&str> = split_cells(line);
        let Some(t) = &target else {
            problems.push(format!("row before any target heading: {line}"));
            continue;
        };
        if cells.len() != 5 {
            problems.push(format!("{t}: row without 5 cells: {line}"));
            continue;
        }
        if cells[3].is_empty() || cells[4].is_empty() {
            problems.push(format!("{t}: {} names no evidence or no capture", cells[0]));
        }
        let key = (t.clone(), cells[0].to_string());
        if rows.insert(key, cells[1].to_string()).is_some() {
            problems.push(format!("{t}: {} listed twice", cells[0]));
        }
    }
    (rows, problems)
}

/// The cells of a Markdown table row; `\|` is a pipe inside a cell.
fn split_cells(line: &str) -> Vec<&str> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = Vec::new();
    let mut start = 0;
    let bytes = inner.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'|' && (i == 0 || bytes[i - 1] != b'\\') {
            cells.push(inner[start..i].trim());
            start = i + 1;
        }
    }
    cells.push(inner[start..].trim());
    cells
}

#[test]
fn every_non_passing_verdict_is_explained() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let snapshots = snapshot_verdicts(&root.join("tests/snapshots"));
    assert!(
        snapshots.len() > 50,
        "only {} non-passing lines read",
        snapshots.len()
    );
    let doc = fs::read_to_string(root.join("docs/interop.md")).unwrap();
    let (rows, mut problems) = documented(&doc);
    for (key, verdict) in &snapshots {
        match rows.get(key) {
            None => problems.push(format!("{}: {} is {verdict}, not explained", key.0, key.1)),
            Some(v) if v != verdict => problems.push(format!(
                "{}: {} is {verdict} in the snapshot, {v} in the document",
                key.0, key.1
            )),
            Some(_) => {}
        }
    }
    for (key, verdict) in &rows {
        // A run lists the cases a target skips (the IPv6 cases on an IPv4
        // server); the snapshots hold only the trials that run.
        if !snapshots.contains_key(key) && verdict != "skipped" {
            problems.push(format!(
                "{}: {} documented as {verdict}, passes or is gone in the snapshot",
                key.0, key.1
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems (rewrite the section with scripts/interop-report.sh --verdicts):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The verdict columns of the matrix table, in its order.
const COLUMNS: [&str; 7] = [
    "pass",
    "non-strict",
    "unimplemented",
    "info",
    "fail",
    "error",
    "skipped",
];

/// The matrix table's rows as the snapshots give them: target -> the
/// verdict counts and the must failures. The `cases` and `skipped` columns
/// are left out: a run lists the cases a target skips, the snapshots hold
/// only the cases the trials run.
fn counts_from_snapshots(root: &Path) -> BTreeMap<String, Vec<usize>> {
    let suites = ftpconform::suite::load_paths(&[root.join("suites")]).expect("the suites load");
    let must: std::collections::BTreeSet<String> = suites
        .iter()
        .flat_map(|s| s.cases.iter().map(move |c| (s, c)))
        .filter(|(_, c)| c.level == ftpconform::verdict::Level::Must)
        .map(|(s, c)| format!("{}::{}", s.name, c.id))
        .collect();
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for ((target, case), verdict) in all_snapshot_verdicts(&root.join("tests/snapshots")) {
        // pass .. error, then the must failures (no skipped column).
        let row = out.entry(target).or_insert_with(|| vec![0; COLUMNS.len()]);
        let i = COLUMNS
            .iter()
            .position(|c| *c == verdict)
            .unwrap_or_else(|| panic!("verdict {verdict}"));
        if verdict != "skipped" {
            row[i] += 1;
        }
        if verdict == "fail" && must.contains(&case) {
            row[COLUMNS.len() - 1] += 1;
        }
    }
    out
}

#[test]
fn the_matrix_table_counts_what_the_snapshots_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = fs::read_to_string(root.join("docs/interop.md")).unwrap();
    let begin = doc
        .find("<!-- matrix:begin -->")
        .expect("no matrix:begin marker");
    let end = doc
        .find("<!-- matrix:end -->")
        .expect("no matrix:end marker");
    let mut documented = BTreeMap::new();
    for line in doc[begin..end]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| ---"))
    {
        let cells = split_cells(line);
        if cells[0] == "target" {
            assert_eq!(&cells[2..9], &COLUMNS, "the table's columns");
            continue;
        }
        let mut n: Vec<usize> = cells[2..].iter().map(|c| c.parse().unwrap()).collect();
        n.remove(COLUMNS.len() - 1); // skipped
        documented.insert(cells[0].to_string(), n);
    }
    assert_eq!(
        documented,
        counts_from_snapshots(root),
        "docs/interop.md's matrix table is stale: rewrite it with scripts/interop-report.sh --verdicts"
    );
}

#[test]
fn the_reader_finds_rows_and_escaped_pipes() {
    let doc = "<!-- verdicts:begin -->\n### vsftpd\n\n| case | verdict | rule | what | capture |\n\
               | --- | --- | --- | --- | --- |\n\
               | s::c | fail | r | 500 a \\| b | `x.pcap` |\n\
               | s::d | non-strict | r |  | `y.pcap` |\n<!-- verdicts:end -->\n";
    let (rows, problems) = documented(doc);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[&("vsftpd".into(), "s::c".into())], "fail");
    assert_eq!(
        problems,
        vec!["vsftpd: s::d names no evidence or no capture".to_string()]
    );
}
