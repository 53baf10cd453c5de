//! Reply rules: which actions answer a command (by verb and occurrence),
//! and `${var}` templates. The reply bytes come from `wire::reply::emit`.

use std::collections::HashMap;

use crate::script::{Action, ReplyRule, Template, TemplatePart};

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
    use crate::wire::reply::MultilineStyle;
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
}
