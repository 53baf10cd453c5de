//! The JUnit XML report, for CI dashboards: one `<testsuite>` per target
//! and suite, one `<testcase>` per case. A `fail` verdict is a `<failure>`
//! whose message names the first broken rule with its RFC section and whose
//! text holds every violation (expected, actual, transcript) and the
//! capture path; `error` is an `<error>`, `skipped` a `<skipped>`; the
//! other verdicts pass, with what they found in `<system-out>`. A failure
//! where the peer did a dangerous thing has the type `security: RULE` and
//! its message opens with the attack class.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::verdict::{CaseResult, Verdict};

/// The report as XML text.
pub fn render(results: &[CaseResult]) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("ftpconform");
    let mut suites: Vec<TestSuite> = Vec::new();
    for r in results {
        let name = format!("{}::{}", r.target, r.suite);
        let at = match suites.iter().position(|s| s.name.as_str() == name) {
            Some(i) => i,
            None => {
                suites.push(TestSuite::new(name.as_str()));
                suites.len() - 1
            }
        };
        suites[at].add_test_case(case(r));
    }
    for s in &mut suites {
        let time: Duration = s.test_cases.iter().filter_map(|c| c.time).sum();
        s.set_time(time);
    }
    let time = suites.iter().filter_map(|s| s.time).sum();
    report.add_test_suites(suites).set_time(time);
    report.to_string()
}

fn case(r: &CaseResult) -> TestCase {
    let mut c = TestCase::new(r.id.as_str(), status(r));
    c.set_classname(format!("{}::{}", r.target, r.suite))
        .set_time(r.duration);
    let out = match r.verdict {
        Verdict::Fail | Verdict::Error | Verdict::Skipped => String::new(),
        _ => super::details(r),
    };
    let verdict = format!(
        "verdict: {} (level {})\n",
        r.verdict.as_str(),
        r.level.as_str()
    );
    c.set_system_out(verdict + &out);
    c
}

fn status(r: &CaseResult) -> TestCaseStatus {
    let kind = match r.verdict {
        Verdict::Fail => NonSuccessKind::Failure,
        Verdict::Error => NonSuccessKind::Error,
        Verdict::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(r.reason.clone().unwrap_or_default());
            return s;
        }
        _ => return TestCaseStatus::success(),
    };
    let mut s = TestCaseStatus::non_success(kind);
    s.set_message(message(r)).set_description(super::details(r));
    match r.violations.iter().find(|v| v.security.is_some()) {
        Some(v) => s.set_type(format!("security: {}", v.rule)),
        None => match r.violations.first() {
            Some(v) => s.set_type(v.rule.as_str()),
            None => &mut s,
        },
    };
    s
}

/// One line: the first violation's rule, section, expected and actual (the
/// first dangerous one, with its attack class, if there is one), or the
/// reason the case could not run.
fn message(r: &CaseResult) -> String {
    let first = r.violations.iter().find(|v| v.security.is_some());
    match (first.or(r.violations.first()), &r.reason) {
        (Some(v), _) => {
            let more = match r.violations.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            let class = v.security.map(|c| format!("security ({c}): "));
            format!(
                "{}{} [{}]: expected {}, got {}{more}",
                class.unwrap_or_default(),
                v.rule,
                v.rfc,
                v.expected,
                v.actual
            )
        }
        (None, Some(reason)) => reason.clone(),
        (None, None) => r.verdict.as_str().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::result;
    use super::*;
    use crate::verdict::Level;

    #[test]
    fn a_failure_carries_rule_section_expected_actual_and_capture() {
        let mut r = result(Verdict::Fail, Level::Must);
        r.capture = Some("caps/embedded/rfc2428/eprt-bad-family.pcap".into());
        let xml = render(&[r, result(Verdict::Pass, Level::Must)]).unwrap();
        assert!(
            xml.contains(r#"<testsuite name="embedded::rfc2428" tests="2""#),
            "{xml}"
        );
        assert!(xml.contains(r#"failures="1""#), "{xml}");
        assert!(
            xml.contains(
                r#"message="eprt-unknown-family [RFC 2428 2]: expected 522, got 500 bad""#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"type="eprt-unknown-family""#), "{xml}");
        assert!(
            xml.contains("capture: caps/embedded/rfc2428/eprt-bad-family.pcap"),
            "{xml}"
        );
        assert!(xml.contains("| C&gt; EPRT |3|x|1|"), "{xml}");
    }

    #[test]
    fn a_dangerous_failure_names_its_class() {
        let mut r = result(Verdict::Fail, Level::Should);
        r.violations.push(crate::verdict::Violation::dangerous(
            crate::verdict::Rule::PassiveTheftRefused,
            "no data served",
            "12 bytes sent to 127.0.0.2:4000",
        ));
        let xml = render(&[r]).unwrap();
        assert!(
            xml.contains(r#"type="security: passive-theft-refused""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"message="security (passive port theft (CVE-1999-0351, Pizza Thief)): passive-theft-refused [RFC 2577 8]: expected no data served, got 12 bytes sent to 127.0.0.2:4000 (and 1 more)""#),
            "{xml}"
        );
    }

    #[test]
    fn skipped_and_error_cases_say_why() {
        let mut skipped = result(Verdict::Skipped, Level::Must);
        skipped.violations.clear();
        skipped.reason = Some("target lacks MLST".into());
        let mut error = result(Verdict::Error, Level::Must);
        error.violations.clear();
        error.reason = Some("cannot connect".into());
        let xml = render(&[skipped, error]).unwrap();
        assert!(
            xml.contains(r#"<skipped message="target lacks MLST"/>"#),
            "{xml}"
        );
        assert!(xml.contains(r#"<error message="cannot connect">"#), "{xml}");
    }
}
