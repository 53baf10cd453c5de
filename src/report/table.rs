//! The terminal report: a table of verdict counts per target and suite,
//! expected vs actual (with the transcript excerpt) for every case that did
//! not pass, and a summary line.

use std::fmt::Write;

use crate::verdict::{CaseResult, Verdict};

use super::Summary;

/// Renders the summary table and the details of non-passing cases.
pub fn render(results: &[CaseResult]) -> String {
    let mut out = String::new();
    let mut rows = vec![header()];
    for (target, suite, s) in super::by_suite(results) {
        let mut row = vec![target, suite];
        row.extend(s.counts().map(|(n, _)| n.to_string()));
        rows.push(row);
    }
    push_rows(&mut out, &rows);
    for r in results.iter().filter(|r| r.verdict != Verdict::Pass) {
        details(&mut out, r);
    }
    let _ = writeln!(out, "\n{}", Summary::of(results).line());
    out
}

fn header() -> Vec<String> {
    let mut h = vec!["TARGET".to_string(), "SUITE".to_string()];
    h.extend(
        Summary::default()
            .counts()
            .map(|(_, v)| v.as_str().to_uppercase()),
    );
    h
}

/// Rows as columns two spaces apart: the first two left-aligned, the
/// counts right-aligned.
fn push_rows(out: &mut String, rows: &[Vec<String>]) {
    let mut widths = vec![0; rows[0].len()];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| match i {
                0 | 1 => format!("{c:<w$}"),
                _ => format!("{c:>w$}"),
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
}

fn details(out: &mut String, r: &CaseResult) {
    let _ = writeln!(
        out,
        "\n{} {}::{}::{} [{}]",
        r.verdict.as_str().to_uppercase(),
        r.target,
        r.suite,
        r.id,
        r.rfc.join(", ")
    );
    for line in super::details(r).lines() {
        let _ = writeln!(out, "  {line}");
    }
}
