//! Reports: views of case results for people (the terminal's table, an
//! HTML page with ladders, Markdown) and for machines (JSON, JUnit XML),
//! and the run's exit status.

pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod matrix;
pub mod table;

use std::fmt::Write;

use crate::verdict::{CaseResult, Level, Verdict, Violation};

/// The counts of each (target, suite) in order of first appearance.
pub fn by_suite(results: &[CaseResult]) -> Vec<(String, String, Summary)> {
    let mut groups: Vec<(String, String, Vec<CaseResult>)> = Vec::new();
    for r in results {
        match groups
            .iter_mut()
            .find(|(t, s, _)| *t == r.target && *s == r.suite)
        {
            Some(g) => g.2.push(r.clone()),
            None => groups.push((r.target.clone(), r.suite.clone(), vec![r.clone()])),
        }
    }
    groups
        .into_iter()
        .map(|(t, s, rs)| (t, s, Summary::of(&rs)))
        .collect()
}

/// What a case that did not pass shows in every text report: why it did not
/// run, each violation (rule, RFC section, suite line, expected and actual,
/// the transcript up to it), the notes and the capture path.
pub fn details(r: &CaseResult) -> String {
    let mut out = String::new();
    if let Some(reason) = &r.reason {
        let _ = writeln!(out, "reason: {reason}");
    }
    for v in &r.violations {
        violation(&mut out, v);
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    if let Some(c) = &r.capture {
        let _ = writeln!(out, "capture: {}", c.display());
    }
    out
}

fn violation(out: &mut String, v: &Violation) {
    let at = v
        .loc
        .as_ref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    let _ = writeln!(out, "{} {} [{}]{at}", v.grade.as_str(), v.rule, v.rfc);
    if let Some(class) = v.security {
        let _ = writeln!(out, "  security: {class}");
    }
    let _ = writeln!(out, "  expected: {}", v.expected);
    let _ = writeln!(out, "  actual:   {}", v.actual);
    for line in &v.context {
        let _ = writeln!(out, "  | {line}");
    }
}

/// Counts of each verdict in a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub info: usize,
    pub unimplemented: usize,
    pub non_strict: usize,
    pub fail: usize,
    pub error: usize,
    pub skipped: usize,
    /// Cases of level `must` that failed.
    pub must_failures: usize,
    /// Cases where the peer did a dangerous thing (they fail whatever
    /// their level).
    pub security: usize,
}

impl Summary {
    pub fn of(results: &[CaseResult]) -> Summary {
        let mut s = Summary {
            total: results.len(),
            ..Summary::default()
        };
        for r in results {
            *s.slot(r.verdict) += 1;
            if r.verdict == Verdict::Fail && r.level == Level::Must {
                s.must_failures += 1;
            }
            if r.dangerous() {
                s.security += 1;
            }
        }
        s
    }

    fn slot(&mut self, v: Verdict) -> &mut usize {
        match v {
            Verdict::Pass => &mut self.pass,
            Verdict::Info => &mut self.info,
            Verdict::Unimplemented => &mut self.unimplemented,
            Verdict::NonStrict => &mut self.non_strict,
            Verdict::Fail => &mut self.fail,
            Verdict::Error => &mut self.error,
            Verdict::Skipped => &mut self.skipped,
        }
    }

    /// Each verdict's count, best to worst (`skipped` last).
    pub fn counts(&self) -> [(usize, Verdict); 7] {
        [
            (self.pass, Verdict::Pass),
            (self.non_strict, Verdict::NonStrict),
            (self.unimplemented, Verdict::Unimplemented),
            (self.info, Verdict::Info),
            (self.fail, Verdict::Fail),
            (self.error, Verdict::Error),
            (self.skipped, Verdict::Skipped),
        ]
    }

    /// One line: `85 cases: 70 pass, 3 non-strict, ... (1 must failures)`,
    /// with `, 2 security failures` inside the brackets when there are any.
    pub fn line(&self) -> String {
        let parts = self.counts().map(|(n, v)| (n, v.as_str()));
        let body: Vec<String> = parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, w)| format!("{n} {w}"))
            .collect();
        let security = match self.security {
            0 => String::new(),
            n => format!(", {n} security failures"),
        };
        format!(
            "{} cases: {} ({} must failures{security})",
            self.total,
            if body.is_empty() {
                "none".to_string()
            } else {
                body.join(", ")
            },
            self.must_failures
        )
    }

    /// Exit status: 2 when the harness could not run a case, 1 when a case
    /// failed (a must broken, a dangerous thing done, or with `--strict` a
    /// should broken), 0 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.error > 0 {
            2
        } else if self.fail > 0 {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests;
