//! The human report: an aligned verdict table, the violations of every case
//! that did not pass, and a summary line.

use std::fmt::Write;

use crate::verdict::{CaseResult, Verdict};

use super::Summary;

/// Renders the verdict table and the details of non-passing cases.
pub fn render(results: &[CaseResult]) -> String {
    let mut out = String::new();
    let header = ["TARGET", "SUITE", "CASE", "LEVEL", "VERDICT"];
    let rows: Vec<[String; 5]> = results.iter().map(row).collect();
    let widths = column_widths(&header, &rows);
    push_row(&mut out, &header.map(String::from), &widths);
    for r in &rows {
        push_row(&mut out, r, &widths);
    }
    for r in results.iter().filter(|r| r.verdict != Verdict::Pass) {
        details(&mut out, r);
    }
    let _ = writeln!(out, "\n{}", Summary::of(results).line());
    out
}

fn row(r: &CaseResult) -> [String; 5] {
    [
        r.target.clone(),
        r.suite.clone(),
        r.id.clone(),
        r.level.as_str().to_string(),
        r.verdict.as_str().to_string(),
    ]
}

fn column_widths(header: &[&str; 5], rows: &[[String; 5]]) -> [usize; 5] {
    let mut w = header.map(str::len);
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            w[i] = w[i].max(cell.len());
        }
    }
    w
}

fn push_row(out: &mut String, cells: &[String; 5], widths: &[usize; 5]) {
    let line: Vec<String> = cells
        .iter()
        .zip(widths)
        .map(|(c, w)| format!("{c:<w$}"))
        .collect();
    let _ = writeln!(out, "{}", line.join("  ").trim_end());
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
    if let Some(reason) = &r.reason {
        let _ = writeln!(out, "  reason: {reason}");
    }
    for v in &r.violations {
        let at = v
            .loc
            .as_ref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {} {} [{}]{at}", v.grade.as_str(), v.rule, v.rfc);
        let _ = writeln!(out, "    expected: {}", v.expected);
        let _ = writeln!(out, "    actual:   {}", v.actual);
        for line in &v.context {
            let _ = writeln!(out, "    | {line}");
        }
    }
    for n in &r.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    if let Some(c) = &r.capture {
        let _ = writeln!(out, "  capture: {}", c.display());
    }
}
