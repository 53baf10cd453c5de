//! The Markdown report, for a pull request comment or a bug report: the
//! summary line, counts per target and suite, the details of every case
//! that did not pass, and every case's verdict.

use std::fmt::Write;

use crate::verdict::{CaseResult, Verdict};

use super::Summary;

/// The report as Markdown text.
pub fn render(results: &[CaseResult]) -> String {
    let mut out = String::from("# ftpconform report\n\n");
    let _ = writeln!(out, "{}\n", Summary::of(results).line());
    counts(&mut out, results);
    let failing: Vec<&CaseResult> = results
        .iter()
        .filter(|r| r.verdict != Verdict::Pass)
        .collect();
    if !failing.is_empty() {
        out.push_str("\n## Cases that did not pass\n");
        for r in failing {
            details(&mut out, r);
        }
    }
    out.push_str("\n## Every case\n\n| target | suite | case | level | verdict | ms |\n");
    out.push_str("| --- | --- | --- | --- | --- | ---: |\n");
    for r in results {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&r.target),
            cell(&r.suite),
            cell(&r.id),
            r.level.as_str(),
            r.verdict.as_str(),
            r.duration.as_millis()
        );
    }
    out
}

fn counts(out: &mut String, results: &[CaseResult]) {
    let names = Summary::default().counts().map(|(_, v)| v.as_str());
    let _ = writeln!(out, "| target | suite | {} |", names.join(" | "));
    let _ = writeln!(out, "| --- | --- |{}", " ---: |".repeat(names.len()));
    for (target, suite, s) in super::by_suite(results) {
        let n = s.counts().map(|(n, _)| n.to_string());
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(&target),
            cell(&suite),
            n.join(" | ")
        );
    }
}

fn details(out: &mut String, r: &CaseResult) {
    let _ = writeln!(
        out,
        "\n### {} {}::{}::{}\n\n{} · level {} · {} ms\n",
        r.verdict.as_str(),
        r.target,
        r.suite,
        r.id,
        r.rfc.join(", "),
        r.level.as_str(),
        r.duration.as_millis()
    );
    let text = super::details(r);
    let fence = if text.contains("```") { "~~~~" } else { "```" };
    let _ = writeln!(out, "{fence}text\n{text}{fence}");
}

/// Text safe in a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::super::tests::result;
    use super::*;
    use crate::verdict::Level;

    #[test]
    fn markdown_has_counts_details_and_every_case() {
        let md = render(&[
            result(Verdict::Fail, Level::Must),
            result(Verdict::Pass, Level::Must),
        ]);
        assert!(
            md.starts_with("# ftpconform report\n\n2 cases: 1 pass, 1 fail"),
            "{md}"
        );
        assert!(
            md.contains("| embedded | rfc2428 | 1 | 0 | 0 | 0 | 1 | 0 | 0 |"),
            "{md}"
        );
        assert!(
            md.contains("### fail embedded::rfc2428::eprt-bad-family"),
            "{md}"
        );
        assert!(
            md.contains("```text\nfail eprt-unknown-family [RFC 2428 2]\n  expected: 522\n"),
            "{md}"
        );
        assert!(md.contains("  | C> EPRT |3|x|1|\n"), "{md}");
        assert_eq!(md.matches("| eprt-bad-family |").count(), 2, "{md}");
    }
}
