//! Reports: views of case results for people (a verdict table) and for
//! machines (JSON), and the run's exit status.

pub mod json;
pub mod table;

use crate::verdict::{CaseResult, Level, Verdict};

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

    /// One line: `85 cases: 70 pass, 3 non-strict, ...`.
    pub fn line(&self) -> String {
        let parts = [
            (self.pass, "pass"),
            (self.non_strict, "non-strict"),
            (self.unimplemented, "unimplemented"),
            (self.info, "info"),
            (self.fail, "fail"),
            (self.error, "error"),
            (self.skipped, "skipped"),
        ];
        let body: Vec<String> = parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, w)| format!("{n} {w}"))
            .collect();
        format!(
            "{} cases: {} ({} must failures)",
            self.total,
            if body.is_empty() {
                "none".to_string()
            } else {
                body.join(", ")
            },
            self.must_failures
        )
    }

    /// Exit status: 2 when the harness could not run a case, 1 when a must
    /// failed, 0 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.error > 0 {
            2
        } else if self.must_failures > 0 {
            1
        } else {
            0
        }
    }
}
