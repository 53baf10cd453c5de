//! Judging a reply against a [`ReplyExpect`]: codes, alternatives, text
//! patterns and captures.

use std::collections::HashMap;

use crate::script::{CaptureFrom, CodeMatch, Grade, ReplyExpect};
use crate::verdict::Verdict;
use crate::wire::addr::{parse_epsv_reply, parse_pasv_reply};
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

/// Compares `reply` with `exp` (captures are separate: [`capture`]).
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

/// Sets every captured variable from `reply`; returns the captures that
/// failed, as `(var, why)`.
pub fn capture(
    exp: &ReplyExpect,
    reply: &Reply,
    vars: &mut HashMap<String, String>,
) -> Vec<(String, String)> {
    let mut failed = Vec::new();
    let text = reply.text();
    for cap in &exp.captures {
        match captured(&cap.from, &text) {
            Ok(v) => {
                vars.insert(cap.var.clone(), v);
            }
            Err(why) => failed.push((cap.var.clone(), why)),
        }
    }
    failed
}

fn captured(from: &CaptureFrom, text: &str) -> Result<String, String> {
    match from {
        CaptureFrom::PasvAddr => parse_pasv_reply(text)
            .map(|a| a.to_string())
            .map_err(|e| format!("no 227 address: {e}")),
        CaptureFrom::EpsvPort => parse_epsv_reply(text)
            .map(|p| p.to_string())
            .map_err(|e| format!("no 229 port: {e}")),
        CaptureFrom::Regex { re, group } => re
            .captures(text)
            .and_then(|c| c.get(*group))
            .map(|m| m.as_str().to_string())
            .ok_or_else(|| format!("/{}/ group {group} did not match", re.as_str())),
        CaptureFrom::Text => Ok(text.to_string()),
    }
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

/// An expectation of exactly these codes, nothing else.
pub fn codes(list: &[u16]) -> ReplyExpect {
    ReplyExpect {
        codes: list.iter().map(|c| CodeMatch::Exact(*c)).collect(),
        alternatives: Vec::new(),
        text: Vec::new(),
        captures: Vec::new(),
        rule: None,
    }
}

/// True when some passing code is a success (2xx).
pub fn allows_success(exp: &ReplyExpect) -> bool {
    exp.codes.iter().any(|c| match c {
        CodeMatch::Exact(n) => n / 100 == 2,
        CodeMatch::Class(d) | CodeMatch::Group(d, _) => *d == 2,
    })
}

/// True when the expectation only accepts success (2xx) codes, so a
/// refusal leaves nothing for later steps to work on.
pub fn wants_success(exp: &ReplyExpect) -> bool {
    exp.codes.iter().all(|c| match c {
        CodeMatch::Exact(n) => n / 100 == 2,
        CodeMatch::Class(d) | CodeMatch::Group(d, _) => *d == 2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{Alternative, Capture};
    use regex::Regex;

    fn epsv_expect() -> ReplyExpect {
        let mut exp = codes(&[229]);
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
    fn captures_set_variables_or_say_why_not() {
        let exp = epsv_expect();
        let mut vars = HashMap::new();
        let ok = Reply::new(229, &["Entering Extended Passive Mode (|||5000|)"]);
        assert!(capture(&exp, &ok, &mut vars).is_empty());
        assert_eq!(vars.get("port").map(String::as_str), Some("5000"));
        let failed = capture(&exp, &Reply::new(229, &["no port"]), &mut vars);
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
        assert!(wants_success(&codes(&[227])));
        assert!(!wants_success(&codes(&[200, 504])));
        assert!(allows_success(&codes(&[200, 504])));
        assert!(!allows_success(&codes(&[500, 522])));
    }
}
