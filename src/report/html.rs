//! The HTML report: one self-contained page (inline CSS and SVG, no script,
//! no font or image fetched) to attach to a bug report. A bar of verdict
//! counts, counts per target and suite, every case's verdict with its notes
//! (what the checks measured and tolerated, passing cases too), and for
//! each case that did not pass its violations (expected, actual, transcript
//! excerpt, the attack class of a dangerous one) and its ladder diagram with
//! the violations marked.

use std::collections::HashMap;
use std::fmt::Write;

use crate::ladder::{self, escape, Mark};
use crate::timeline::Event;
use crate::transcript::{transcript_entries, Entry, Shows};
use crate::verdict::{CaseResult, Verdict, Violation};

use super::Summary;

/// The transcripts the page draws ladders from, by case.
#[derive(Default)]
pub struct Ladders(HashMap<String, Vec<Entry>>);

impl Ladders {
    /// Keeps the transcript of the case `r` ran as (its events are not
    /// needed afterwards). The page draws the ladders of the cases that did
    /// not pass: the others need not be recorded.
    pub fn record(&mut self, r: &CaseResult, events: &[Event]) {
        self.0.insert(key(r), transcript_entries(events));
    }

    /// Takes over the ladders `other` recorded (another target's).
    pub fn extend(&mut self, other: Ladders) {
        self.0.extend(other.0);
    }

    fn get(&self, r: &CaseResult) -> Option<&[Entry]> {
        self.0.get(&key(r)).map(Vec::as_slice)
    }
}

fn key(r: &CaseResult) -> String {
    format!("{}::{}::{}", r.target, r.suite, r.id)
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222}\
h1{margin:0 0 8px}table{border-collapse:collapse;margin:8px 0 16px}\
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top;font-size:14px}\
th{background:#f4f4f4}td.n{text-align:right}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}\
pre{background:#f7f7f7;padding:8px;overflow-x:auto}.badge{color:#fff;border-radius:3px;padding:1px 6px;font-size:12px}\
article{border-top:2px solid #eee;padding-top:8px;margin-top:16px}.ladder{overflow-x:auto}\
td.security{color:#d62728;font-weight:bold}";

/// The page.
pub fn render(results: &[CaseResult], ladders: &Ladders) -> String {
    let summary = Summary::of(results);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>ftpconform report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>ftpconform report</h1>\n<p id=\"summary-line\">{}</p>\n",
        escape(&summary.line())
    );
    out.push_str(&bar(&summary));
    counts(&mut out, results);
    cases(&mut out, results);
    let failing: Vec<(usize, &CaseResult)> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.verdict != Verdict::Pass)
        .collect();
    if !failing.is_empty() {
        out.push_str("<h2>Cases that did not pass</h2>\n");
        for (i, r) in failing {
            details(&mut out, i, r, ladders.get(r));
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "#2ca02c",
        Verdict::NonStrict => "#e08a00",
        Verdict::Unimplemented => "#7f7f7f",
        Verdict::Info => "#1f77b4",
        Verdict::Fail => "#d62728",
        Verdict::Error => "#7b2d8e",
        Verdict::Skipped => "#aaaaaa",
    }
}

fn badge(v: Verdict) -> String {
    format!(
        "<span class=\"badge\" style=\"background:{}\">{}</span>",
        colour(v),
        v.as_str()
    )
}

/// A stacked bar of the verdict counts, with a legend.
fn bar(s: &Summary) -> String {
    const WIDTH: usize = 720;
    let mut out = format!(
        "<svg id=\"summary-bar\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"44\" viewBox=\"0 0 {WIDTH} 44\">"
    );
    let total = s.total.max(1);
    let (mut x, mut legend_x) = (0, 0);
    for (n, v) in s.counts().into_iter().filter(|(n, _)| *n > 0) {
        let w = (n * WIDTH).div_ceil(total).min(WIDTH - x);
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"0\" width=\"{w}\" height=\"20\" fill=\"{}\"><title>{n} {}</title></rect>",
            colour(v),
            v.as_str()
        );
        let _ = write!(
            out,
            "<rect x=\"{legend_x}\" y=\"28\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"37\" font-size=\"12\" font-family=\"sans-serif\">{n} {}</text>",
            colour(v),
            legend_x + 14,
            v.as_str()
        );
        x += w;
        legend_x += 24 + 8 * (n.to_string().len() + v.as_str().len() + 1);
    }
    out.push_str("</svg>\n");
    out
}

fn counts(out: &mut String, results: &[CaseResult]) {
    out.push_str("<h2>Summary</h2>\n<table id=\"summary\">\n<tr><th>target</th><th>suite</th>");
    for (_, v) in Summary::default().counts() {
        let _ = write!(out, "<th>{}</th>", v.as_str());
    }
    out.push_str("</tr>\n");
    for (target, suite, s) in super::by_suite(results) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            escape(&target),
            escape(&suite)
        );
        for (n, _) in s.counts() {
            let _ = write!(out, "<td class=\"n\">{n}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn cases(out: &mut String, results: &[CaseResult]) {
    out.push_str(
        "<h2>Cases</h2>\n<table id=\"cases\">\n<tr><th>verdict</th><th>target</th><th>suite</th>\
         <th>case</th><th>level</th><th>RFC</th><th>ms</th><th>notes</th></tr>\n",
    );
    for (i, r) in results.iter().enumerate() {
        let name = if r.verdict == Verdict::Pass {
            escape(&r.id)
        } else {
            format!("<a href=\"#case-{i}\">{}</a>", escape(&r.id))
        };
        let notes: Vec<String> = r.notes.iter().map(|n| escape(n)).collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{name}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            badge(r.verdict),
            escape(&r.target),
            escape(&r.suite),
            r.level.as_str(),
            escape(&r.rfc.join(", ")),
            r.duration.as_millis(),
            notes.join("<br>")
        );
    }
    out.push_str("</table>\n");
}

fn details(out: &mut String, i: usize, r: &CaseResult, entries: Option<&[Entry]>) {
    let name = key(r);
    let _ = writeln!(
        out,
        "<article id=\"case-{i}\">\n<h3>{} {}</h3>\n<p>{} · level {} · {} ms</p>",
        badge(r.verdict),
        escape(&name),
        escape(&r.rfc.join(", ")),
        r.level.as_str(),
        r.duration.as_millis()
    );
    if let Some(reason) = &r.reason {
        let _ = writeln!(out, "<p>reason: {}</p>", escape(reason));
    }
    for v in &r.violations {
        violation(out, v);
    }
    for n in &r.notes {
        let _ = writeln!(out, "<p>note: {}</p>", escape(n));
    }
    if let Some(c) = &r.capture {
        let path = c.display().to_string();
        let _ = writeln!(out, "<p>capture: <code>{}</code></p>", escape(&path));
    }
    if let Some(entries) = entries.filter(|e| !e.is_empty()) {
        let marks = marks(&r.violations, entries);
        let svg = ladder::draw(&name, entries, &marks);
        let _ = writeln!(out, "<div class=\"ladder\">\n{svg}</div>");
    }
    out.push_str("</article>\n");
}

fn violation(out: &mut String, v: &Violation) {
    let at = v
        .loc
        .as_ref()
        .map(|l| format!(" <code>{}</code>", escape(&l.to_string())))
        .unwrap_or_default();
    let security = v
        .security
        .map(|c| {
            format!(
                "<tr><th>security</th><td class=\"security\">{}</td></tr>\n",
                escape(c)
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<table class=\"violation\">\n<tr><th>rule</th><td>{} <code>{}</code> [{}]{at}</td></tr>\n\
         {security}<tr><th>expected</th><td><code>{}</code></td></tr>\n<tr><th>actual</th><td><code>{}</code></td></tr>\n</table>",
        badge(v.grade),
        escape(v.rule.as_str()),
        escape(&v.rfc),
        escape(&v.expected),
        escape(&v.actual)
    );
    if !v.context.is_empty() {
        let _ = writeln!(
            out,
            "<pre class=\"transcript\">{}</pre>",
            escape(&v.context.join("\n"))
        );
    }
}

/// The violations that can be tied to a line of the transcript.
fn marks(violations: &[Violation], entries: &[Entry]) -> Vec<Mark> {
    violations
        .iter()
        .filter_map(|v| {
            let row = tie(&v.context, entries)?;
            let text = format!(
                "{} [{}]: expected {}, got {}",
                v.rule, v.rfc, v.expected, v.actual
            );
            Some(Mark { row, text })
        })
        .collect()
}

/// The transcript line a violation happened at: the end of the run of
/// control lines that best matches the control lines of its context (the
/// lines up to the offending exchange), when at least half of them match
/// (a context may show addresses unredacted). A context that ends where
/// the transcript ends is about the whole session and is tied to none.
fn tie(context: &[String], entries: &[Entry]) -> Option<usize> {
    if context.last() == entries.last().map(|e| &e.text) {
        return None;
    }
    let context: Vec<&str> = context
        .iter()
        .map(String::as_str)
        .filter(|l| is_control(l))
        .collect();
    let lines: Vec<(usize, &str)> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.shows, Shows::Control { .. }))
        .map(|(i, e)| (i, e.text.as_str()))
        .collect();
    let score = |end: usize| {
        let before = lines[..=end].iter().rev();
        context
            .iter()
            .rev()
            .zip(before)
            .filter(|(c, (_, l))| *c == l)
            .count()
    };
    let (best, end) = (0..lines.len())
        .map(|end| (score(end), end))
        .max_by_key(|(s, end)| (*s, std::cmp::Reverse(*end)))?;
    (best > 0 && best * 2 >= context.len()).then_some(lines[end].0)
}

/// Whether a transcript line is a control line (`C> `, `S> `, `ctrl2 C> `).
fn is_control(line: &str) -> bool {
    let words: Vec<&str> = line.splitn(3, ' ').take(2).collect();
    matches!(words.as_slice(), ["C>" | "S>", ..] | [_, "C>" | "S>"])
}

#[cfg(test)]
mod tests {
    use super::super::tests::result;
    use super::*;
    use crate::timeline::{ConnId, Side};
    use crate::verdict::Level;

    /// Entries of `lines`; `C> ` and `S> ` lines are control lines.
    fn entries(lines: &[&str]) -> Vec<Entry> {
        let shows = |l: &str| match l.split_once("> ") {
            Some((tag, line)) if tag == "C" || tag == "S" => Shows::Control {
                conn: ConnId(0),
                from: if tag == "C" {
                    Side::Client
                } else {
                    Side::Server
                },
                line: line.to_string(),
            },
            _ => Shows::Note { text: l.into() },
        };
        let entry = |(i, l): (usize, &&str)| Entry {
            seq: i as u64,
            text: l.to_string(),
            shows: shows(l),
        };
        lines.iter().enumerate().map(entry).collect()
    }

    #[test]
    fn a_violation_is_tied_to_the_end_of_its_context() {
        let e = entries(&[
            "S> 220 hi",
            "C> NOOP",
            "S> 200 ok",
            "# step: NOOP",
            "C> NOOP",
            "S> 500 no",
            "C> QUIT",
        ]);
        let ctx = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(tie(&ctx(&["C> NOOP", "S> 500 no"]), &e), Some(5));
        assert_eq!(tie(&ctx(&["S> 200 ok", "C> NOOP"]), &e), Some(4));
        assert_eq!(
            tie(
                &ctx(&["S> 220 hi", "C> NOOP", "S> 200 ok", "C> NOOP x"]),
                &e
            ),
            Some(4),
            "a line shown otherwise (an address unredacted) still ties"
        );
        assert_eq!(
            tie(&ctx(&["S> 500 no", "C> QUIT"]), &e),
            None,
            "the session's end"
        );
        assert_eq!(
            tie(&ctx(&["S> 500 no"]), &e),
            Some(5),
            "the last reply before the end"
        );
        assert_eq!(
            tie(&ctx(&["C> USER x", "C> PASS y", "S> 200 ok"]), &e),
            None
        );
        assert_eq!(tie(&[], &e), None);
    }

    #[test]
    fn a_dangerous_violation_shows_its_class_and_notes_show_on_passing_cases() {
        let mut bounce = result(Verdict::Fail, Level::Should);
        bounce.violations = vec![Violation::dangerous(
            crate::verdict::Rule::BounceRefused,
            "no connection",
            "connected",
        )];
        let mut pass = result(Verdict::Pass, Level::Must);
        pass.violations.clear();
        pass.notes = vec!["226 sent 12 ms before the data connection's FIN".into()];
        let html = render(&[bounce, pass], &Ladders::default());
        for needle in [
            "<tr><th>security</th><td class=\"security\">FTP bounce (CVE-1999-0017)</td></tr>",
            "<td>226 sent 12 ms before the data connection&#39;s FIN</td></tr>",
        ] {
            assert!(html.contains(needle), "missing {needle}: {html}");
        }
    }

    #[test]
    fn the_page_is_self_contained_and_shows_what_failed() {
        let fail = result(Verdict::Fail, Level::Must);
        let mut ladders = Ladders::default();
        ladders.0.insert(
            key(&fail),
            entries(&["C> EPRT |3|x|1|", "S> 500 bad", "# end"]),
        );
        let html = render(&[fail, result(Verdict::Pass, Level::Must)], &ladders);
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        for needle in [
            "<p id=\"summary-line\">2 cases: 1 pass, 1 fail (1 must failures)</p>",
            "<svg id=\"summary-bar\"",
            "<a href=\"#case-0\">eprt-bad-family</a>",
            "<code>eprt-unknown-family</code> [RFC 2428 2]",
            "<pre class=\"transcript\">C&gt; EPRT |3|x|1|</pre>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\"",
        ] {
            assert!(html.contains(needle), "missing {needle}: {html}");
        }
        for external in [
            "<script", "<link", "src=", "url(", "@import", "http://", "https://",
        ] {
            let hits = html.matches(external).count();
            let svg_ns = html.matches("http://www.w3.org/2000/svg").count();
            let allowed = if external == "http://" { svg_ns } else { 0 };
            assert_eq!(hits, allowed, "{external} in {html}");
        }
    }
}
