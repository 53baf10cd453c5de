//! The JSON report: a summary and one object per case result, in the shape
//! of `Report`, whose JSON Schema `ftpconform schema --report` prints.

use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde_json::Value;

use crate::verdict::{CaseResult, Level, Role, Violation};

/// The version of the report's shape; it changes when a field is removed
/// or changes meaning (new fields may appear without a change).
pub const VERSION: u32 = 1;

/// The keys every case object carries (the documented contract).
pub const CASE_FIELDS: &[&str] = &[
    "id",
    "suite",
    "role",
    "target",
    "rfc",
    "level",
    "verdict",
    "violations",
    "duration_ms",
];

/// A run's JSON report.
#[derive(Serialize, JsonSchema)]
#[schemars(title = "ftpconform report", deny_unknown_fields)]
struct Report {
    /// The version of this shape (see `VERSION`).
    version: u32,
    summary: Summary,
    /// Every case run (or skipped), in run order.
    cases: Vec<Case>,
}

/// How many cases got each verdict.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Summary {
    total: usize,
    pass: usize,
    non_strict: usize,
    unimplemented: usize,
    info: usize,
    fail: usize,
    error: usize,
    skipped: usize,
    /// Failed cases of level `must`.
    must_failures: usize,
    /// Cases where the peer did a dangerous thing (a violation with a
    /// `security` tag). Every `fail` makes the run exit 1.
    security_failures: usize,
}

/// One case against one target.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Case {
    /// The case id, unique within its suite.
    id: String,
    suite: String,
    /// Which implementation the case tests.
    #[schemars(schema_with = "role_schema")]
    role: &'static str,
    /// The target's name (a server profile, `host:port`, a client profile).
    target: String,
    /// The RFC sections the case checks, e.g. `RFC 959 4.1.1`.
    rfc: Vec<String>,
    /// The case's requirement level.
    #[schemars(schema_with = "level_schema")]
    level: &'static str,
    /// The worst grade of its violations.
    #[schemars(schema_with = "verdict_schema")]
    verdict: &'static str,
    /// Every rule the target broke in this case.
    violations: Vec<CaseViolation>,
    /// Observations that are not violations.
    notes: Vec<String>,
    /// Why the case was skipped or could not run.
    reason: Option<String>,
    duration_ms: u64,
    /// The pcap capture of the case, when one was written.
    capture: Option<String>,
}

/// One broken rule.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct CaseViolation {
    /// The rule id: one of `ftpconform rules`, or the suite's own.
    rule: String,
    /// The RFC section, e.g. `RFC 2577 3`.
    rfc: String,
    /// How this violation grades.
    #[schemars(schema_with = "verdict_schema")]
    grade: &'static str,
    expected: String,
    actual: String,
    /// The suite line (`file:line:col`) that declared the check.
    at: Option<String>,
    /// Transcript lines up to the offending exchange.
    context: Vec<String>,
    /// The attack class (with the CVE where one is known) when the peer did
    /// the dangerous thing the rule guards against; such a violation fails
    /// whatever the level.
    security: Option<&'static str>,
}

/// The schema of a verdict: one of their names, best to worst (`skipped`
/// last).
fn verdict_schema(_: &mut SchemaGenerator) -> Schema {
    names(super::Summary::default().counts().map(|(_, v)| v.as_str()))
}

fn level_schema(_: &mut SchemaGenerator) -> Schema {
    names([Level::Must, Level::Should, Level::May, Level::Info].map(Level::as_str))
}

fn role_schema(_: &mut SchemaGenerator) -> Schema {
    names([Role::Server, Role::Client].map(Role::as_str))
}

fn names<const N: usize>(names: [&str; N]) -> Schema {
    json_schema!({ "type": "string", "enum": names.to_vec() })
}

/// The JSON Schema (draft 2020-12) of the report.
pub fn json_schema() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    generator.into_root_schema_for::<Report>().to_value()
}

/// The whole report as a JSON value.
pub fn render(results: &[CaseResult]) -> Value {
    let report = Report {
        version: VERSION,
        summary: summary(results),
        cases: results.iter().map(case).collect(),
    };
    serde_json::to_value(report).unwrap_or(Value::Null)
}

fn summary(results: &[CaseResult]) -> Summary {
    let s = super::Summary::of(results);
    Summary {
        total: s.total,
        pass: s.pass,
        non_strict: s.non_strict,
        unimplemented: s.unimplemented,
        info: s.info,
        fail: s.fail,
        error: s.error,
        skipped: s.skipped,
        must_failures: s.must_failures,
        security_failures: s.security,
    }
}

fn case(r: &CaseResult) -> Case {
    Case {
        id: r.id.clone(),
        suite: r.suite.clone(),
        role: r.role.as_str(),
        target: r.target.clone(),
        rfc: r.rfc.clone(),
        level: r.level.as_str(),
        verdict: r.verdict.as_str(),
        violations: r.violations.iter().map(violation).collect(),
        notes: r.notes.clone(),
        reason: r.reason.clone(),
        duration_ms: r.duration.as_millis() as u64,
        capture: r.capture.as_ref().map(|p| p.display().to_string()),
    }
}

fn violation(v: &Violation) -> CaseViolation {
    CaseViolation {
        rule: v.rule.as_str().to_string(),
        rfc: v.rfc.clone(),
        grade: v.grade.as_str(),
        expected: v.expected.clone(),
        actual: v.actual.clone(),
        at: v.loc.as_ref().map(|l| l.to_string()),
        context: v.context.clone(),
        security: v.security,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::result;
    use super::*;
    use crate::verdict::{Level, Verdict};

    #[test]
    fn the_report_validates_against_its_schema() {
        let schema = json_schema();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let mut skipped = result(Verdict::Skipped, Level::May);
        skipped.violations.clear();
        skipped.reason = Some("target lacks MLST".into());
        let report = render(&[result(Verdict::Fail, Level::Must), skipped]);
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let mut extra = report.clone();
        extra["cases"][0]["surprise"] = true.into();
        assert!(!validator.is_valid(&extra), "unknown fields are refused");
        assert_eq!(schema["title"], "ftpconform report");
    }

    #[test]
    fn json_has_the_documented_fields() {
        let v = render(&[result(Verdict::NonStrict, Level::Should)]);
        let c = &v["cases"][0];
        for key in CASE_FIELDS {
            assert!(!c[*key].is_null(), "missing {key}");
        }
        assert_eq!(c["verdict"], "non-strict");
        assert_eq!(c["role"], "server");
        assert_eq!(c["violations"][0]["rule"], "eprt-unknown-family");
        assert_eq!(c["duration_ms"], 12);
        assert_eq!(v["version"], VERSION);
    }
}
