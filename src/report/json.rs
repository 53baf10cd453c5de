//! The JSON report: `{"cases": [...]}` with one object per case result.

use serde_json::{json, Value};

use crate::verdict::{CaseResult, Violation};

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

/// The whole report as a JSON value.
pub fn render(results: &[CaseResult]) -> Value {
    json!({
        "summary": summary(results),
        "cases": results.iter().map(case).collect::<Vec<_>>(),
    })
}

fn summary(results: &[CaseResult]) -> Value {
    let s = super::Summary::of(results);
    json!({
        "total": s.total, "pass": s.pass, "non_strict": s.non_strict,
        "unimplemented": s.unimplemented, "info": s.info, "fail": s.fail,
        "error": s.error, "skipped": s.skipped, "must_failures": s.must_failures,
    })
}

fn case(r: &CaseResult) -> Value {
    json!({
        "id": r.id,
        "suite": r.suite,
        "role": r.role.as_str(),
        "target": r.target,
        "rfc": r.rfc,
        "level": r.level.as_str(),
        "verdict": r.verdict.as_str(),
        "violations": r.violations.iter().map(violation).collect::<Vec<_>>(),
        "notes": r.notes,
        "reason": r.reason,
        "duration_ms": r.duration.as_millis() as u64,
        "capture": r.capture.as_ref().map(|p| p.display().to_string()),
    })
}

fn violation(v: &Violation) -> Value {
    json!({
        "rule": v.rule.as_str(),
        "rfc": v.rfc,
        "grade": v.grade.as_str(),
        "expected": v.expected,
        "actual": v.actual,
        "at": v.loc.as_ref().map(|l| l.to_string()),
        "context": v.context,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Level, Role, RuleId, Verdict};
    use std::time::Duration;

    fn result(verdict: Verdict, level: Level) -> CaseResult {
        CaseResult {
            id: "eprt-bad-family".into(),
            suite: "rfc2428".into(),
            role: Role::Server,
            target: "embedded".into(),
            rfc: vec!["RFC 2428 2".into()],
            level,
            verdict,
            violations: vec![Violation {
                rule: RuleId::Suite("eprt-unknown-family".into()),
                rfc: "RFC 2428 2".into(),
                grade: verdict,
                expected: "522".into(),
                actual: "500 bad".into(),
                loc: None,
                context: vec!["C> EPRT |3|x|1|".into()],
            }],
            notes: vec![],
            reason: None,
            duration: Duration::from_millis(12),
            capture: None,
        }
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
    }

    #[test]
    fn exit_code_follows_must_failures_and_errors() {
        let s = super::super::Summary::of(&[result(Verdict::NonStrict, Level::Should)]);
        assert_eq!(s.exit_code(), 0);
        let s = super::super::Summary::of(&[result(Verdict::Fail, Level::Must)]);
        assert_eq!(s.exit_code(), 1);
        let s = super::super::Summary::of(&[result(Verdict::Error, Level::Must)]);
        assert_eq!(s.exit_code(), 2);
    }

    #[test]
    fn table_lists_violation_details() {
        let t = super::super::table::render(&[result(Verdict::Fail, Level::Must)]);
        assert!(t.contains("eprt-unknown-family"), "{t}");
        assert!(t.contains("expected: 522"), "{t}");
        assert!(t.contains("1 cases: 1 fail (1 must failures)"), "{t}");
    }
}
