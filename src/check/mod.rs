//! Verdicts and violations: what checks conclude about a case.
//!
//! Checks are computed from the timeline (and the script) after or while a
//! case runs; this module holds the shared result types.

use std::path::PathBuf;
use std::time::Duration;

use crate::script::{Case, Level, Loc, Role};

/// The grade of a case or of one violation, from best to worst (`Skipped`
/// stands apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Pass,
    /// Worth recording, not a failure.
    Info,
    /// An optional command answered 500/502.
    Unimplemented,
    /// A should broken, or an accepted but less precise reply.
    NonStrict,
    /// A must broken.
    Fail,
    /// The harness could not run the case.
    Error,
    /// Not run, with a reason.
    Skipped,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Info => "info",
            Verdict::Unimplemented => "unimplemented",
            Verdict::NonStrict => "non-strict",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
            Verdict::Skipped => "skipped",
        }
    }

    /// How a broken requirement of `level` grades.
    pub fn for_level(level: Level) -> Verdict {
        match level {
            Level::Must => Verdict::Fail,
            Level::Should => Verdict::NonStrict,
            Level::May | Level::Info => Verdict::Info,
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Rule id, e.g. `pasv-address-matches-control`.
    pub rule: String,
    /// RFC section, e.g. `RFC 2577 3`.
    pub rfc: String,
    /// How this violation grades.
    pub grade: Verdict,
    pub expected: String,
    pub actual: String,
    /// The suite line that declared the check, when there is one.
    pub loc: Option<Loc>,
    /// Transcript lines around the offending exchange.
    pub context: Vec<String>,
}

impl Violation {
    /// A violation with no suite location and no transcript context yet.
    pub fn new(
        rule: &str,
        rfc: &str,
        grade: Verdict,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Violation {
        Violation {
            rule: rule.to_string(),
            rfc: rfc.to_string(),
            grade,
            expected: expected.into(),
            actual: actual.into(),
            loc: None,
            context: Vec::new(),
        }
    }
}

/// The outcome of one case against one target.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub id: String,
    pub suite: String,
    pub role: Role,
    pub target: String,
    pub rfc: Vec<String>,
    pub level: Level,
    pub verdict: Verdict,
    pub violations: Vec<Violation>,
    /// Observations that are not violations (e.g. "active connection came
    /// from port 20", "connected at PORT time").
    pub notes: Vec<String>,
    /// Why the case was skipped or errored.
    pub reason: Option<String>,
    pub duration: Duration,
    pub capture: Option<PathBuf>,
}

impl CaseResult {
    /// A passing result with nothing recorded yet: `case` of `suite`
    /// against `target`.
    pub fn blank(case: &Case, suite: &str, target: &str) -> CaseResult {
        CaseResult {
            id: case.id.clone(),
            suite: suite.to_string(),
            role: case.role(),
            target: target.to_string(),
            rfc: case.rfc.clone(),
            level: case.level,
            verdict: Verdict::Pass,
            violations: Vec::new(),
            notes: Vec::new(),
            reason: None,
            duration: Duration::ZERO,
            capture: None,
        }
    }

    /// The case verdict: the worst grade among its violations, `Pass` if none.
    pub fn grade(violations: &[Violation]) -> Verdict {
        violations
            .iter()
            .map(|v| v.grade)
            .max()
            .unwrap_or(Verdict::Pass)
    }
}

pub mod client_case;
pub mod client_commands;
pub mod client_data;
pub mod client_outcome;
pub mod client_view;
// Timeline checks of server-role cases (pure functions over events and what
// the fake client negotiated).
pub mod active;
pub mod facts;
pub mod ordering;
pub mod pasv;
pub mod replies;
pub mod security;
