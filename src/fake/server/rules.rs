//! Reply rules and reply bytes: which actions answer a command (by verb and
//! occurrence), how a reply is encoded (multiline styles, bare LF), the 227
//! shapes seen on real servers, and `${var}` templates.

use std::collections::HashMap;
use std::net::SocketAddrV4;

use crate::script::{Action, MultilineStyle, PasvShape, ReplyRule, Template, TemplatePart};

/// Picks the rule for each command, counting occurrences per verb.
#[derive(Debug, Default)]
pub struct RuleBook {
    rules: Vec<ReplyRule>,
    seen: HashMap<String, u32>,
    total: u32,
}

impl RuleBook {
    pub fn new(rules: &[ReplyRule]) -> RuleBook {
        RuleBook {
            rules: rules.to_vec(),
            ..RuleBook::default()
        }
    }

    /// Actions of a rule `on: GREETING` (the 220 sent on connect), if any.
    pub fn greeting_actions(&self) -> Option<Vec<Action>> {
        let rule = self
            .rules
            .iter()
            .find(|r| r.on.eq_ignore_ascii_case("GREETING"));
        rule.map(|r| r.actions.clone())
    }

    /// Counts this occurrence of `verb` and returns the actions of the first
    /// rule naming the verb, else of the first `*` rule; `None` means the
    /// default behaviour. `nth` counts the verb's occurrences (for `*`, all
    /// commands).
    pub fn actions_for(&mut self, verb: &str) -> Option<Vec<Action>> {
        let n = {
            let c = self.seen.entry(verb.to_string()).or_insert(0);
            *c += 1;
            *c
        };
        self.total += 1;
        let hits = |r: &&ReplyRule, count: u32| r.nth.is_none_or(|k| k == count);
        let exact = self
            .rules
            .iter()
            .find(|r| r.on.eq_ignore_ascii_case(verb) && hits(r, n));
        let any = || {
            self.rules
                .iter()
                .find(|r| r.on == "*" && hits(r, self.total))
        };
        exact.or_else(any).map(|r| r.actions.clone())
    }
}

/// Encodes a reply. One line: `xyz text`. Several: first `xyz-text`, last
/// `xyz text`, interior lines per `style`. Line ends CRLF, or bare LF.
pub fn encode_reply(code: u16, lines: &[String], style: MultilineStyle, bare_lf: bool) -> Vec<u8> {
    let eol = if bare_lf { "\n" } else { "\r\n" };
    let mut out = String::new();
    let last = lines.len().saturating_sub(1);
    if lines.len() <= 1 {
        let text = lines.first().map(String::as_str).unwrap_or("");
        return format!("{code} {text}{eol}").into_bytes();
    }
    for (i, line) in lines.iter().enumerate() {
        let text = match (i, style) {
            (0, _) => format!("{code}-{line}"),
            (i, _) if i == last => format!("{code} {line}"),
            (_, MultilineStyle::AllCoded) => format!("{code}-{line}"),
            (_, MultilineStyle::Uncoded) => line.clone(),
            (_, MultilineStyle::Indented) => format!(" {line}"),
        };
        out.push_str(&text);
        out.push_str(eol);
    }
    out.into_bytes()
}

/// A plain single-line reply with CRLF.
pub fn simple(code: u16, text: &str) -> Vec<u8> {
    format!("{code} {text}\r\n").into_bytes()
}

/// A whole 227 reply line naming `addr` in the given shape.
pub fn pasv_reply(addr: SocketAddrV4, shape: PasvShape) -> Vec<u8> {
    let o = addr.ip().octets();
    let (p1, p2) = (addr.port() >> 8, addr.port() & 0xff);
    let nums = format!("{},{},{},{},{p1},{p2}", o[0], o[1], o[2], o[3]);
    let text = match shape {
        PasvShape::Standard => format!("Entering Passive Mode ({nums})"),
        PasvShape::TrailingPeriod => format!("Entering Passive Mode ({nums})."),
        PasvShape::NoParens => format!("Entering Passive Mode {nums}"),
        PasvShape::LowerCase => format!("entering passive mode ({nums})"),
        PasvShape::ExtraText => format!("={nums} extra words"),
    };
    simple(227, &text)
}

/// A 229 reply naming `port` (RFC 2428 3).
pub fn epsv_reply(port: u16) -> Vec<u8> {
    simple(229, &format!("Entering Extended Passive Mode (|||{port}|)"))
}

/// Resolves `${var}` references; an unknown variable becomes empty.
pub fn render(t: &Template, vars: &HashMap<String, String>) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            TemplatePart::Lit(s) => s.clone(),
            TemplatePart::Var(v) => vars.get(v).cloned().unwrap_or_default(),
        })
        .collect()
}

/// True when the action list says what to reply (so no default is added).
pub fn answers(actions: &[Action]) -> bool {
    actions.iter().any(|a| {
        matches!(
            a,
            Action::Reply { .. }
                | Action::Raw(_)
                | Action::Default
                | Action::Pasv { .. }
                | Action::Disconnect
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Loc;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn rule(on: &str, nth: Option<u32>, code: u16) -> ReplyRule {
        ReplyRule {
            loc: Loc {
                file: Arc::new(PathBuf::from("t.yaml")),
                line: 1,
                col: 1,
            },
            on: on.into(),
            nth,
            actions: vec![Action::Reply {
                code,
                lines: vec![],
                style: MultilineStyle::AllCoded,
                bare_lf: false,
            }],
        }
    }

    fn code_of(a: Option<Vec<Action>>) -> Option<u16> {
        match a?.first()? {
            Action::Reply { code, .. } => Some(*code),
            _ => None,
        }
    }

    #[test]
    fn nth_occurrence_and_star_fallback() {
        let mut b = RuleBook::new(&[rule("PASV", Some(2), 425), rule("*", None, 500)]);
        assert_eq!(code_of(b.actions_for("PASV")), Some(500));
        assert_eq!(code_of(b.actions_for("PASV")), Some(425));
        let mut b = RuleBook::new(&[rule("EPSV", None, 502)]);
        assert_eq!(code_of(b.actions_for("epsv")), Some(502));
        assert_eq!(code_of(b.actions_for("PASV")), None);
    }

    #[test]
    fn multiline_styles() {
        let lines: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let enc = |s, lf| String::from_utf8(encode_reply(211, &lines, s, lf)).unwrap();
        assert_eq!(
            enc(MultilineStyle::AllCoded, false),
            "211-a\r\n211-b\r\n211 c\r\n"
        );
        assert_eq!(
            enc(MultilineStyle::Uncoded, false),
            "211-a\r\nb\r\n211 c\r\n"
        );
        assert_eq!(enc(MultilineStyle::Indented, true), "211-a\n b\n211 c\n");
    }

    #[test]
    fn pasv_shapes() {
        let a: SocketAddrV4 = "127.0.0.2:1027".parse().unwrap();
        let s = |sh| String::from_utf8(pasv_reply(a, sh)).unwrap();
        assert_eq!(
            s(PasvShape::Standard),
            "227 Entering Passive Mode (127,0,0,2,4,3)\r\n"
        );
        assert!(s(PasvShape::TrailingPeriod).ends_with("(127,0,0,2,4,3).\r\n"));
        assert_eq!(
            s(PasvShape::ExtraText),
            "227 =127,0,0,2,4,3 extra words\r\n"
        );
    }
}
