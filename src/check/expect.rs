//! Judging a reply against a [`ReplyExpect`]: codes, alternatives, text
//! patterns and captures.
//!
//! Two rules keep grades the same for the same deviation on every peer
//! (docs/verdicts.md):
//!
//! - RFC 959 4.2: "The number is intended for use by automata to determine
//!   what state to enter next; the text is intended for the human user."
//!   A suite matches text only where an RFC gives it a machine-read format
//!   (227's address, 229's port, 522's protocol list), so a wrong code
//!   never grades better than the right code with imperfect text: an
//!   alternative code (other than `unimplemented`) of an expectation with
//!   text patterns grades at least as a text mismatch does.
//! - RFC 959 4.2.1: the first digit says whether the command failed, and
//!   how. Where an expectation asks for a refusal (every passing code 4yz or
//!   5yz), another refusal of the same first digit that the suite did not
//!   list is a refusal in a non-preferred way, graded `non-strict` like a
//!   listed alternative.
//!
//! And as a catalogued rule is softened by a weaker case, no alternative
//! grades worse than a reply nobody accepted would: the case's level.

use crate::script::{CodeMatch, Grade, ReplyExpect};
use crate::verdict::Verdict;
use crate::wire::reply::Reply;

/// How a reply compares with an expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// A passing code, text patterns matched.
    Pass,
    /// A passing code but a text pattern did not match.
    TextMismatch(String),
    /// An alternative code, with its grade and note.
    Alternative(Verdict, Option<String>),
    /// No accepted code.
    Unexpected,
}

/// Compares `reply` with `exp` (captures are separate: [`failed_captures`]);
/// `case` is how a reply nobody accepted grades, and a passing code with
/// the wrong text (the case's level).
pub fn judge(exp: &ReplyExpect, reply: &Reply, case: Verdict) -> Judgement {
    if exp.codes.iter().any(|c| c.matches(reply.code)) {
        let text = reply.text();
        return match exp.text.iter().find(|re| !re.is_match(&text)) {
            Some(re) => Judgement::TextMismatch(re.as_str().to_string()),
            None => Judgement::Pass,
        };
    }
    let alternative = exp
        .alternatives
        .iter()
        .find(|alt| alt.codes.iter().any(|c| c.matches(reply.code)))
        .map(|alt| (grade_verdict(alt.grade), alt.note.clone()));
    match alternative.or_else(|| other_refusal(exp, reply.code)) {
        Some((grade, note)) => Judgement::Alternative(bounded(exp, grade, case), note),
        None => Judgement::Unexpected,
    }
}

/// A deviation grades no worse than a reply nobody accepted would (the
/// case's grade `case`), and, when the expectation matches text, no better
/// than a text mismatch (the same grade). `unimplemented` is not a
/// deviation: the command is optional.
fn bounded(exp: &ReplyExpect, grade: Verdict, case: Verdict) -> Verdict {
    match grade {
        Verdict::Unimplemented => grade,
        _ if exp.text.is_empty() => grade.min(case),
        _ => case,
    }
}

/// A refusal the suite did not list, of the same first digit as one it
/// asks for: `non-strict`, with a note saying why it is not a failure.
fn other_refusal(exp: &ReplyExpect, code: u16) -> Option<(Verdict, Option<String>)> {
    let digits: Vec<u16> = exp.codes.iter().map(|c| first_digit(*c)).collect();
    let refusal = !digits.is_empty() && digits.iter().all(|d| *d == 4 || *d == 5);
    if !refusal || !digits.contains(&(code / 100)) {
        return None;
    }
    let note = format!(
        "a refusal ({}yz), but not the code the RFC gives",
        code / 100
    );
    Some((Verdict::NonStrict, Some(note)))
}

fn first_digit(c: CodeMatch) -> u16 {
    match c {
        CodeMatch::Exact(n) => n / 100,
        CodeMatch::Class(d) | CodeMatch::Group(d, _) => u16::from(d),
    }
}

fn grade_verdict(g: Grade) -> Verdict {
    match g {
        Grade::NonStrict => Verdict::NonStrict,
        Grade::Unimplemented => Verdict::Unimplemented,
        Grade::Info => Verdict::Info,
    }
}

/// The captures of `exp` that `reply` gives no value for, as `(var, why)`.
pub fn failed_captures(exp: &ReplyExpect, reply: &Reply) -> Vec<(String, String)> {
    let text = reply.text();
    exp.captures
        .iter()
        .filter_map(|cap| {
            cap.from
                .extract(&text)
                .err()
                .map(|why| (cap.var.clone(), why))
        })
        .collect()
}

/// `226 or 250`, `2xx`, `125, 150 or 226`.
pub fn describe_codes(codes: &[CodeMatch]) -> String {
    let parts: Vec<String> = codes.iter().map(|c| describe_code(*c)).collect();
    match parts.split_last() {
        None => "any reply".to_string(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

fn describe_code(c: CodeMatch) -> String {
    match c {
        CodeMatch::Exact(n) => n.to_string(),
        CodeMatch::Class(d) => format!("{d}xx"),
        CodeMatch::Group(a, b) => format!("{a}{b}x"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{Alternative, Capture, CaptureFrom};
    use regex::Regex;

    fn epsv_expect() -> ReplyExpect {
        let mut exp = ReplyExpect::codes(&[229]);
        exp.alternatives.push(Alternative {
            codes: vec![CodeMatch::Exact(500), CodeMatch::Exact(502)],
            grade: Grade::Unimplemented,
            note: Some("EPSV is optional".into()),
        });
        exp.text.push(Regex::new(r"\(\|\|\|\d+\|\)").unwrap());
        exp.captures.push(Capture {
            var: "port".into(),
            from: CaptureFrom::EpsvPort,
        });
        exp
    }

    #[test]
    fn codes_alternatives_and_text_grade_apart() {
        let exp = epsv_expect();
        let ok = Reply::new(229, &["Entering Extended Passive Mode (|||5000|)"]);
        assert_eq!(judge(&exp, &ok, Verdict::Fail), Judgement::Pass);
        let bad_text = Reply::new(229, &["Entering Extended Passive Mode"]);
        assert!(matches!(
            judge(&exp, &bad_text, Verdict::Fail),
            Judgement::TextMismatch(_)
        ));
        let alt = Reply::new(502, &["not implemented"]);
        let note = Some("EPSV is optional".to_string());
        assert_eq!(
            judge(&exp, &alt, Verdict::Fail),
            Judgement::Alternative(Verdict::Unimplemented, note)
        );
        assert_eq!(
            judge(&exp, &Reply::new(425, &["no"]), Verdict::Fail),
            Judgement::Unexpected
        );
    }

    /// `522` with the protocol list, `501` accepted as non-strict.
    fn unknown_protocol_expect() -> ReplyExpect {
        let mut exp = ReplyExpect::codes(&[522]);
        exp.text.push(Regex::new(r"\([12](,[12])*\)").unwrap());
        exp.alternatives.push(Alternative {
            codes: vec![CodeMatch::Exact(501)],
            grade: Grade::NonStrict,
            note: None,
        });
        exp
    }

    #[test]
    fn a_wrong_code_grades_no_better_than_the_right_code_with_wrong_text() {
        // vsftpd's `522` without the list fails a must case; pyftpdlib's
        // `501` used to be only non-strict there.
        let exp = unknown_protocol_expect();
        let pyftpdlib = Reply::new(501, &["Unknown network protocol"]);
        assert_eq!(
            judge(&exp, &pyftpdlib, Verdict::Fail),
            Judgement::Alternative(Verdict::Fail, None)
        );
        assert_eq!(
            judge(&exp, &pyftpdlib, Verdict::NonStrict),
            Judgement::Alternative(Verdict::NonStrict, None)
        );
        let unlisted = Reply::new(500, &["what?"]);
        assert!(matches!(
            judge(&exp, &unlisted, Verdict::Fail),
            Judgement::Alternative(Verdict::Fail, Some(_))
        ));
    }

    #[test]
    fn an_unlisted_refusal_of_the_same_class_is_non_strict() {
        let mut exp = ReplyExpect::codes(&[501]);
        exp.alternatives.push(Alternative {
            codes: vec![CodeMatch::Exact(500), CodeMatch::Exact(504)],
            grade: Grade::NonStrict,
            note: Some("listed".into()),
        });
        let listed = Reply::new(504, &["no"]);
        let note = Some("listed".to_string());
        assert_eq!(
            judge(&exp, &listed, Verdict::Fail),
            Judgement::Alternative(Verdict::NonStrict, note)
        );
        let unlisted = Reply::new(502, &["no"]);
        assert!(matches!(
            judge(&exp, &unlisted, Verdict::Fail),
            Judgement::Alternative(Verdict::NonStrict, Some(_))
        ));
        assert!(
            matches!(
                judge(&exp, &unlisted, Verdict::Info),
                Judgement::Alternative(Verdict::Info, Some(_))
            ),
            "never worse than the case's level"
        );
        for (code, why) in [(200, "acceptance"), (421, "another class")] {
            let r = Reply::new(code, &["x"]);
            assert_eq!(
                judge(&exp, &r, Verdict::Fail),
                Judgement::Unexpected,
                "{why}"
            );
        }
        let accept = ReplyExpect::codes(&[200]);
        let r = Reply::new(202, &["x"]);
        assert_eq!(
            judge(&accept, &r, Verdict::Fail),
            Judgement::Unexpected,
            "only refusals"
        );
    }

    #[test]
    fn only_a_code_that_matches_an_unimplemented_alternative_first_is_unimplemented() {
        let mut exp = epsv_expect();
        assert!(exp.unimplemented(502));
        assert!(!exp.unimplemented(229) && !exp.unimplemented(425));
        exp.alternatives.insert(
            0,
            Alternative {
                codes: vec![CodeMatch::Class(5)],
                grade: Grade::NonStrict,
                note: None,
            },
        );
        assert!(
            !exp.unimplemented(502),
            "the first matching alternative grades"
        );
    }

    #[test]
    fn a_capture_without_a_value_says_why() {
        let exp = epsv_expect();
        let ok = Reply::new(229, &["Entering Extended Passive Mode (|||5000|)"]);
        assert!(failed_captures(&exp, &ok).is_empty());
        let failed = failed_captures(&exp, &Reply::new(229, &["no port"]));
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].0, "port");
    }

    #[test]
    fn code_lists_read_naturally() {
        let list = [
            CodeMatch::Exact(125),
            CodeMatch::Exact(150),
            CodeMatch::Class(2),
        ];
        assert_eq!(describe_codes(&list), "125, 150 or 2xx");
        assert_eq!(describe_codes(&[CodeMatch::Group(2, 5)]), "25x");
    }

    /// Every reply expectation of a server-role case's steps.
    fn expectations(steps: &[crate::script::Step]) -> Vec<ReplyExpect> {
        use crate::script::StepKind;
        steps
            .iter()
            .flat_map(|s| match &s.kind {
                StepKind::Send { expect, .. } => expect.iter().cloned().collect(),
                StepKind::Expect(e) => vec![e.clone()],
                StepKind::Data(d) => vec![d.reply_expect()],
                StepKind::Transfer(x) => vec![x.preliminary.clone(), x.complete.clone()],
                _ => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn no_suite_declares_a_grade_the_judge_would_change() {
        // The judge bounds alternatives (no worse than the case's level, no
        // better than a text mismatch); a suite that declares another grade
        // would read differently from what it reports.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites");
        let suites = crate::suite::load_paths(&[root]).expect("the suites load");
        let mut wrong = Vec::new();
        for case in suites.iter().flat_map(|s| &s.cases) {
            let crate::script::CaseBody::Server(steps) = &case.body else {
                continue;
            };
            let level = Verdict::for_level(case.level);
            for exp in expectations(steps) {
                for alt in &exp.alternatives {
                    let grade = grade_verdict(alt.grade);
                    if bounded(&exp, grade, level) != grade {
                        wrong.push(format!("{}: {:?} {grade:?}", case.id, alt.codes));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{wrong:?}");
    }
}
