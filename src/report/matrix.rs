//! The interoperability matrix: targets × cases with graded cells, the
//! counts per target and per RFC, as Markdown and as a self-contained HTML
//! page. Each cell links to its case's capture (relative to the folder the
//! matrix is written to).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::verdict::{CaseResult, Level, Role, Verdict};

use super::Summary;

/// The verdict columns, in report order.
fn verdicts() -> [Verdict; 7] {
    Summary::default().counts().map(|(_, v)| v)
}

/// Targets in the order they were run.
fn targets(results: &[CaseResult]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in results {
        if !out.contains(&r.target) {
            out.push(r.target.clone());
        }
    }
    out
}

/// The counts table: one row per target, the verdict counts and the
/// must-level failures. This is the table of `docs/interop.md`.
pub fn counts_table(results: &[CaseResult]) -> String {
    let cols = verdicts();
    let mut out = String::from("| target | cases | ");
    out.push_str(&cols.map(|v| v.as_str()).join(" | "));
    out.push_str(" | must failures |\n| --- | ---: |");
    out.push_str(&" ---: |".repeat(cols.len() + 1));
    out.push('\n');
    for t in targets(results) {
        let mine: Vec<&CaseResult> = results.iter().filter(|r| r.target == t).collect();
        let n = cols.map(|v| mine.iter().filter(|r| r.verdict == v).count().to_string());
        let must = mine
            .iter()
            .filter(|r| r.verdict == Verdict::Fail && r.level == Level::Must)
            .count();
        let _ = writeln!(out, "| {t} | {} | {} | {must} |", mine.len(), n.join(" | "));
    }
    out
}

/// The RFC document of a section reference: `RFC 959 4.1.1` -> `RFC 959`.
fn document(section: &str) -> String {
    section
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Verdict counts per RFC document and role, over every target.
fn per_rfc(results: &[CaseResult]) -> String {
    let cols = verdicts();
    let mut rows: BTreeMap<(String, &str), [usize; 7]> = BTreeMap::new();
    for r in results {
        let mut docs: Vec<String> = r.rfc.iter().map(|s| document(s)).collect();
        docs.sort();
        docs.dedup();
        for d in docs {
            let row = rows.entry((d, r.role.as_str())).or_default();
            if let Some(i) = cols.iter().position(|v| *v == r.verdict) {
                row[i] += 1;
            }
        }
    }
    let mut out = String::from("| RFC | role tested | ");
    out.push_str(&cols.map(|v| v.as_str()).join(" | "));
    out.push_str(" |\n| --- | --- |");
    out.push_str(&" ---: |".repeat(cols.len()));
    out.push('\n');
    for ((doc, role), n) in rows {
        let n = n.map(|x| x.to_string());
        let _ = writeln!(out, "| {doc} | {role} | {} |", n.join(" | "));
    }
    out
}

/// Each verdict's cell: its short text and its background colour.
const CELLS: [(Verdict, &str, &str); 7] = [
    (Verdict::Pass, "ok", "#cfeccf"),
    (Verdict::NonStrict, "ns", "#fde3b5"),
    (Verdict::Unimplemented, "un", "#e4e4e4"),
    (Verdict::Info, "i", "#d3e5f5"),
    (Verdict::Fail, "FAIL", "#f6c5c5"),
    (Verdict::Error, "ERR", "#e2cde9"),
    (Verdict::Skipped, "-", "#f4f4f4"),
];

fn cell(v: Verdict) -> (&'static str, &'static str) {
    CELLS
        .iter()
        .find(|(w, _, _)| *w == v)
        .map_or(("?", "#ffffff"), |(_, m, c)| (*m, *c))
}

/// The short text of a cell.
fn mark(v: Verdict) -> &'static str {
    cell(v).0
}

/// (role) -> case key -> target -> result.
type Grid<'a> = BTreeMap<String, BTreeMap<String, &'a CaseResult>>;

fn grid(results: &[CaseResult], role: Role) -> Grid<'_> {
    let mut g = Grid::new();
    for r in results.iter().filter(|r| r.role == role) {
        g.entry(format!("{}::{}", r.suite, r.id))
            .or_default()
            .insert(r.target.clone(), r);
    }
    g
}

/// The grid of each role that has cases, with its columns (the targets
/// that ran some case of it, in run order).
fn grids(results: &[CaseResult]) -> Vec<(Role, Grid<'_>, Vec<String>)> {
    let mut out = Vec::new();
    for role in [Role::Server, Role::Client] {
        let g = grid(results, role);
        if g.is_empty() {
            continue;
        }
        let cols: Vec<String> = targets(results)
            .into_iter()
            .filter(|t| g.values().any(|row| row.contains_key(t)))
            .collect();
        out.push((role, g, cols));
    }
    out
}

fn link(r: &CaseResult, base: &Path) -> Option<String> {
    let capture = r.capture.as_ref()?;
    let rel = capture.strip_prefix(base).unwrap_or(capture);
    Some(rel.display().to_string())
}

/// The matrix as Markdown: counts per target, per RFC, then one grid per
/// role (cases down, targets across).
pub fn markdown(results: &[CaseResult], base: &Path) -> String {
    let mut out = String::from("# ftpconform interoperability matrix\n\n");
    let _ = writeln!(out, "{}\n", Summary::of(results).line());
    out.push_str("## Verdicts per target\n\n");
    out.push_str(&counts_table(results));
    out.push_str("\n## Verdicts per RFC\n\n");
    out.push_str(&per_rfc(results));
    out.push_str(
        "\nCells: ok pass, ns non-strict, un unimplemented, i info, FAIL fail, ERR error, - skipped; each links to the case's capture.\n",
    );
    for (role, g, cols) in grids(results) {
        let _ = writeln!(out, "\n## {} cases\n", title(role));
        let _ = writeln!(out, "| case | {} |", cols.join(" | "));
        let _ = writeln!(out, "| --- |{}", " :-: |".repeat(cols.len()));
        for (case, row) in &g {
            let cells: Vec<String> = cols
                .iter()
                .map(|t| match row.get(t) {
                    None => String::new(),
                    Some(r) => match link(r, base) {
                        Some(l) => format!("[{}]({})", mark(r.verdict), l.replace(' ', "%20")),
                        None => mark(r.verdict).to_string(),
                    },
                })
                .collect();
            let _ = writeln!(out, "| {case} | {} |", cells.join(" | "));
        }
    }
    out
}

fn title(role: Role) -> &'static str {
    match role {
        Role::Server => "Server",
        Role::Client => "Client",
    }
}

fn colour(v: Verdict) -> &'static str {
    cell(v).1
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The matrix as one self-contained HTML page (no script, no network):
/// the same tables, cells coloured by verdict, a cell's title naming the
/// rules broken, its link the capture.
pub fn html(results: &[CaseResult], base: &Path) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>ftpconform interoperability matrix</title>\n<style>\
         body{font-family:sans-serif;margin:16px}table{border-collapse:collapse;margin:8px 0}\
         th,td{border:1px solid #ccc;padding:2px 6px;font-size:13px}td.c{text-align:center}\
         th.t{writing-mode:vertical-rl;transform:rotate(180deg)}a{color:inherit;text-decoration:none}\
         </style>\n</head>\n<body>\n<h1>ftpconform interoperability matrix</h1>\n",
    );
    let _ = writeln!(
        out,
        "<p id=\"summary-line\">{}</p>",
        escape(&Summary::of(results).line())
    );
    for (role, g, cols) in grids(results) {
        let _ = writeln!(
            out,
            "<h2>{} cases</h2>\n<table id=\"matrix-{}\">",
            title(role),
            role.as_str()
        );
        out.push_str("<tr><th>case</th>");
        for t in &cols {
            let _ = write!(out, "<th class=\"t\">{}</th>", escape(t));
        }
        out.push_str("</tr>\n");
        for (case, row) in &g {
            let _ = write!(out, "<tr><td>{}</td>", escape(case));
            for t in &cols {
                match row.get(t) {
                    None => out.push_str("<td></td>"),
                    Some(r) => {
                        let mut rules: Vec<&str> =
                            r.violations.iter().map(|v| v.rule.as_str()).collect();
                        rules.dedup();
                        let tip = format!("{t}: {} {}", r.verdict.as_str(), rules.join(", "));
                        let text = match link(r, base) {
                            Some(l) => {
                                format!("<a href=\"{}\">{}</a>", escape(&l), mark(r.verdict))
                            }
                            None => mark(r.verdict).to_string(),
                        };
                        let _ = write!(
                            out,
                            "<td class=\"c\" style=\"background:{}\" title=\"{}\">{text}</td>",
                            colour(r.verdict),
                            escape(&tip)
                        );
                    }
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    fn result(target: &str, id: &str, verdict: Verdict, level: Level) -> CaseResult {
        CaseResult {
            id: id.into(),
            suite: "s".into(),
            role: Role::Server,
            target: target.into(),
            rfc: vec!["RFC 959 4.1.1".into(), "RFC 959 5.4".into()],
            level,
            verdict,
            violations: vec![],
            notes: vec![],
            reason: None,
            duration: Duration::from_millis(3),
            capture: Some(PathBuf::from(format!("/out/captures/{target}/s/{id}.pcap"))),
        }
    }

    fn sample() -> Vec<CaseResult> {
        vec![
            result("b", "one", Verdict::Pass, Level::Must),
            result("b", "two", Verdict::Fail, Level::Must),
            result("a", "one", Verdict::NonStrict, Level::Should),
            result("a", "two", Verdict::Fail, Level::Should),
        ]
    }

    #[test]
    fn counts_keep_the_run_order_and_count_must_failures() {
        let t = counts_table(&sample());
        let rows: Vec<&str> = t.lines().skip(2).collect();
        assert_eq!(
            rows,
            vec![
                "| b | 2 | 1 | 0 | 0 | 0 | 1 | 0 | 0 | 1 |",
                "| a | 2 | 0 | 1 | 0 | 0 | 1 | 0 | 0 | 0 |",
            ]
        );
    }

    #[test]
    fn grid_cells_link_to_captures_and_rfc_totals_count_each_case_once() {
        let md = markdown(&sample(), Path::new("/out"));
        assert!(
            md.contains(
                "| s::two | [FAIL](captures/b/s/two.pcap) | [FAIL](captures/a/s/two.pcap) |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| RFC 959 | server | 1 | 1 | 0 | 0 | 2 | 0 | 0 |"),
            "{md}"
        );
        let page = html(&sample(), Path::new("/out"));
        assert!(
            page.contains("<a href=\"captures/a/s/one.pcap\">ns</a>"),
            "{page}"
        );
        assert!(!page.contains("<script"));
    }
}
