//! Judging a reply against a [`ReplyExpect`]: codes, alternatives, text
//! patterns and captures.

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

/// Compares `reply` with `exp` (captures are separate: [`failed_captures`]).
pub fn judge(exp: &ReplyExpect, reply: &Reply) -> Judgement {
    if exp.codes.iter().any(|c| c.matches(reply.code)) {
        let text = reply.text();
        return match exp.text.iter().find(|re| !re.is_match(&text)) {
            Some(re) => Judgement::TextMismatch(re.as_str().to_string()),
            None => Judgement::Pass,
        };
    }
    for alt in &exp.alternatives {
        if alt.codes.iter().any(|c| c.matches(reply.code)) {
            return Judgement::Alternative(grade_verdict(alt.grade), alt.note.clone());
        }
    }
    Judgement::Unexpected
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
        assert_eq!(judge(&exp, &ok), Judgement::Pass);
        let bad_text = Reply::new(229, &["Entering Extended Passive Mode"]);
        assert!(matches!(judge(&exp, &bad_text), Judgement::TextMismatch(_)));
        let alt = Reply::new(502, &["not implemented"]);
        let note = Some("EPSV is optional".to_string());
        assert_eq!(
            judge(&exp, &alt),
            Judgement::Alternative(Verdict::Unimplemented, note)
        );
        assert_eq!(
            judge(&exp, &Reply::new(425, &["no"])),
            Judgement::Unexpected
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
}
