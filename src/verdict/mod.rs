//! Verdicts: what the checks conclude about a case, and the catalogue of
//! every rule the harness itself checks.
//!
//! A leaf: it imports nothing from the crate, so that every layer (the
//! script, the checks, the runner, the reports) can name a verdict.
//!
//! - [`catalogue`]: the typed list of the harness's own rules ([`Rule`]).
//! - [`Violation`]: one broken rule, catalogued or declared by a suite
//!   ([`RuleId`]).
//! - [`CaseResult`]: the outcome of one case against one target.

pub mod catalogue;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use catalogue::Rule;

/// Where something was declared: file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: Arc<PathBuf>,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// Which implementation a case tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The case tests a real FTP server; the harness plays the client.
    Server,
    /// The case tests a real FTP client; the harness plays the server.
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Client => "client",
        }
    }
}

/// Requirement level (RFC 2119 words), deciding how a failed check grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Must,
    Should,
    May,
    Info,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
            Level::May => "may",
            Level::Info => "info",
        }
    }
}

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

/// The rule a violation breaks: one of the catalogue, or one a suite
/// declared (`rule:` on an expectation; by default the case id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleId {
    Catalogue(Rule),
    Suite(String),
}

impl RuleId {
    pub fn as_str(&self) -> &str {
        match self {
            RuleId::Catalogue(rule) => rule.id(),
            RuleId::Suite(id) => id,
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Rule> for RuleId {
    fn eq(&self, other: &Rule) -> bool {
        *self == RuleId::Catalogue(*other)
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: RuleId,
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
    /// The attack class, when the peer did the dangerous thing the rule
    /// guards against (the violation then fails whatever the level).
    pub security: Option<&'static str>,
}

impl Violation {
    /// A break of the catalogued `rule`, citing the rule's own section,
    /// with no suite location and no transcript context yet.
    pub fn of(
        rule: Rule,
        grade: Verdict,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Violation {
        Violation::new(RuleId::Catalogue(rule), rule.rfc(), grade, expected, actual)
    }

    /// A break of a rule the suite declared, citing `rfc`.
    pub fn new(
        rule: RuleId,
        rfc: &str,
        grade: Verdict,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Violation {
        Violation {
            rule,
            rfc: rfc.to_string(),
            grade,
            expected: expected.into(),
            actual: actual.into(),
            loc: None,
            context: Vec::new(),
            security: None,
        }
    }

    /// A break of `rule` where the peer did the dangerous thing the rule
    /// guards against (connected to a third party, served a thief): it
    /// fails whatever the rule's and the case's level, tagged with the
    /// rule's security class.
    pub fn dangerous(
        rule: Rule,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Violation {
        Violation {
            security: rule.security(),
            ..Violation::of(rule, Verdict::Fail, expected, actual)
        }
    }

    /// The same violation citing a more precise section than the rule's.
    pub fn citing(self, rfc: &str) -> Violation {
        Violation {
            rfc: rfc.to_string(),
            ..self
        }
    }

    /// The same violation pointing at the suite line `loc`.
    pub fn at(self, loc: Option<&Loc>) -> Violation {
        Violation {
            loc: loc.cloned(),
            ..self
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
    /// The case verdict: the worst grade among its violations, `Pass` if none.
    pub fn grade(violations: &[Violation]) -> Verdict {
        violations
            .iter()
            .map(|v| v.grade)
            .max()
            .unwrap_or(Verdict::Pass)
    }

    /// The result as `--strict` grades it: every should-level finding
    /// (`non-strict`) fails.
    pub fn strict(mut self) -> CaseResult {
        let harden = |v: Verdict| match v {
            Verdict::NonStrict => Verdict::Fail,
            v => v,
        };
        for v in &mut self.violations {
            v.grade = harden(v.grade);
        }
        self.verdict = harden(self.verdict);
        self
    }

    /// The case holds a violation where the peer did a dangerous thing.
    pub fn dangerous(&self) -> bool {
        self.violations.iter().any(|v| v.security.is_some())
    }
}
