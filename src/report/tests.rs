//! Case results the report tests share, and the tests of the summary and
//! the terminal table.

use std::time::Duration;

use crate::verdict::{CaseResult, Level, Role, RuleId, Verdict, Violation};

/// A case of `eprt-bad-family` on `embedded` with one violation graded
/// `verdict`.
pub(super) fn result(verdict: Verdict, level: Level) -> CaseResult {
    CaseResult {
        id: "eprt-bad-family".into(),
        suite: "rfc2428".into(),
        role: Role::Server,
        target: "embedded".into(),
        rfc: vec!["RFC 2428 2".into()],
        level,
        verdict,
        violations: vec![Violation {
            context: vec!["C> EPRT |3|x|1|".into()],
            ..Violation::new(
                RuleId::Suite("eprt-unknown-family".into()),
                "RFC 2428 2",
                verdict,
                "522",
                "500 bad",
            )
        }],
        notes: vec![],
        reason: None,
        duration: Duration::from_millis(12),
        capture: None,
    }
}

#[test]
fn exit_code_follows_must_failures_and_errors() {
    let s = super::Summary::of(&[result(Verdict::NonStrict, Level::Should)]);
    assert_eq!(s.exit_code(), 0);
    let s = super::Summary::of(&[result(Verdict::Fail, Level::Must)]);
    assert_eq!(s.exit_code(), 1);
    let s = super::Summary::of(&[result(Verdict::Error, Level::Must)]);
    assert_eq!(s.exit_code(), 2);
}

/// A should-level case where the peer did the dangerous thing.
fn bounced() -> CaseResult {
    let v = Violation::dangerous(
        crate::verdict::Rule::BounceRefused,
        "no connection to 127.0.0.2:4000 named in PORT",
        "the server connected to 127.0.0.2:4000 from 127.0.0.1:5000 and sent 12 bytes",
    );
    CaseResult {
        id: "port-bounce-foreign-refused".into(),
        verdict: Verdict::Fail,
        violations: vec![v],
        ..result(Verdict::Fail, Level::Should)
    }
}

#[test]
fn a_dangerous_thing_fails_a_should_case_and_the_run() {
    let s = super::Summary::of(&[bounced()]);
    assert_eq!((s.fail, s.must_failures, s.security), (1, 0, 1));
    assert_eq!(s.exit_code(), 1);
    assert!(
        s.line().ends_with("(0 must failures, 1 security failures)"),
        "{}",
        s.line()
    );
    let t = super::table::render(&[bounced()]);
    assert!(t.contains("  security: FTP bounce (CVE-1999-0017)"), "{t}");
}

#[test]
fn strict_turns_should_findings_into_failures() {
    let r = result(Verdict::NonStrict, Level::Should).strict();
    assert_eq!(
        (r.verdict, r.violations[0].grade),
        (Verdict::Fail, Verdict::Fail)
    );
    let s = super::Summary::of(&[r]);
    assert_eq!(s.exit_code(), 1);
    let r = result(Verdict::Unimplemented, Level::Must).strict();
    assert_eq!(r.verdict, Verdict::Unimplemented);
}

#[test]
fn table_lists_violation_details() {
    let t = super::table::render(&[result(Verdict::Fail, Level::Must)]);
    assert!(t.contains("eprt-unknown-family"), "{t}");
    assert!(t.contains("expected: 522"), "{t}");
    assert!(t.contains("1 cases: 1 fail (1 must failures)"), "{t}");
    assert!(
        t.starts_with(
            "TARGET    SUITE    PASS  NON-STRICT  UNIMPLEMENTED  INFO  FAIL  ERROR  SKIPPED\n\
             embedded  rfc2428     0           0              0     0     1      0        0\n"
        ),
        "{t}"
    );
}
