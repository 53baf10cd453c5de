//! Stage 2 for reply expectations (`expect:`, `preliminary:`, `complete:`,
//! data negotiation replies): codes, alternatives, text patterns, captures.

use std::collections::HashSet;

use super::ctx::Ctx;
use super::locate::NodePath;
use super::raw::{
    OneOrMany, RawAlternative, RawCapture, RawCaptureFrom, RawCode, RawExpect, RawExpectMap,
    RawGrade,
};
use super::values;
use crate::script::{
    Alternative, Builtin, Capture, CaptureFrom, CodeMatch, Grade, ReplyExpect, Template,
    TemplatePart,
};
use crate::verdict::Role;

/// The variables defined so far in a case: the built-ins of its role, then
/// every `set` and capture in step order.
#[derive(Debug, Clone)]
pub struct Scope {
    role: Role,
    vars: HashSet<String>,
}

impl Scope {
    /// The scope at the start of a case of `role`: its built-ins only.
    pub fn new(role: Role) -> Scope {
        Scope {
            role,
            vars: HashSet::new(),
        }
    }

    /// Defines `var`; built-ins cannot be redefined.
    pub fn define(&mut self, var: &str) -> Result<(), String> {
        values::var_name(var)?;
        if Builtin::from_name(var).is_some() {
            return Err(format!(
                "`{var}` is a built-in variable and cannot be redefined"
            ));
        }
        self.vars.insert(var.to_string());
        Ok(())
    }

    /// Parses `text` and checks that every `${var}` is defined.
    pub fn template(&self, text: &str) -> Result<Template, String> {
        let t = values::template(text)?;
        for part in &t.parts {
            if let TemplatePart::Var(v) = part {
                self.check_defined(v)?;
            }
        }
        Ok(t)
    }

    fn check_defined(&self, var: &str) -> Result<(), String> {
        if self.vars.contains(var) {
            return Ok(());
        }
        let role = self.role.as_str();
        match Builtin::from_name(var) {
            Some(b) if b.roles().contains(&self.role) => Ok(()),
            Some(b) => Err(format!(
                "`${{{var}}}` ({}) is not a built-in of {role}-role cases",
                b.meaning()
            )),
            None => {
                let builtins: Vec<&str> = Builtin::ALL
                    .iter()
                    .filter(|b| b.roles().contains(&self.role))
                    .map(|b| b.name())
                    .collect();
                Err(format!(
                    "undefined variable `${{{var}}}`: not a built-in ({}) and not set or captured before",
                    builtins.join(", ")
                ))
            }
        }
    }
}

/// The expectation used when the file gives none.
pub fn codes_only(codes: &[u16]) -> ReplyExpect {
    ReplyExpect {
        codes: codes.iter().map(|c| CodeMatch::Exact(*c)).collect(),
        alternatives: Vec::new(),
        text: Vec::new(),
        captures: Vec::new(),
        rule: None,
        ends: Vec::new(),
    }
}

/// Validates an expectation; captures are added to `scope`.
pub fn reply_expect(
    ctx: &mut Ctx,
    scope: &mut Scope,
    raw: &RawExpect,
    at: &NodePath,
) -> Option<ReplyExpect> {
    match raw {
        RawExpect::Codes(codes) => {
            let codes = code_list(ctx, codes, at)?;
            Some(ReplyExpect {
                codes,
                ..codes_only(&[])
            })
        }
        RawExpect::Full(map) => full(ctx, scope, map, at),
    }
}

fn full(
    ctx: &mut Ctx,
    scope: &mut Scope,
    raw: &RawExpectMap,
    at: &NodePath,
) -> Option<ReplyExpect> {
    let codes = code_list(ctx, &raw.code, &at.key("code"));
    let alternatives = alternatives(
        ctx,
        raw.accept.as_deref().unwrap_or_default(),
        &at.key("accept"),
    );
    let text = regex_list(ctx, raw.text.as_ref(), &at.key("text"));
    let captures = captures(
        ctx,
        scope,
        raw.capture.as_deref().unwrap_or_default(),
        &at.key("capture"),
    );
    let rule = match &raw.rule {
        Some(rule) => {
            Some(ctx.check(&at.key("rule"), values::case_id(rule).map(|_| rule.clone()))?)
        }
        None => None,
    };
    let ends = match &raw.ends {
        Some(ends) => code_list(ctx, ends, &at.key("ends")),
        None => Some(Vec::new()),
    };
    Some(ReplyExpect {
        codes: codes?,
        alternatives: alternatives?,
        text: text?,
        captures: captures?,
        rule,
        ends: ends?,
    })
}

/// `ends:` belongs to `send` / `raw` and `expect` steps and to a
/// transfer's final reply (`complete`): elsewhere (a negotiation, a
/// preliminary reply) the fake client does not stop there.
pub fn refuse_ends(ctx: &mut Ctx, raw: Option<&RawExpect>, at: &NodePath) {
    if let Some(RawExpect::Full(map)) = raw {
        if map.ends.is_some() {
            let why = "`ends` is allowed only in the expectation of a send, raw or expect step, or a transfer's `complete`";
            ctx.error(&at.key("ends"), why.to_string());
        }
    }
}

/// One code or a list; a list must not be empty.
pub fn code_list(ctx: &mut Ctx, raw: &OneOrMany<RawCode>, at: &NodePath) -> Option<Vec<CodeMatch>> {
    match raw {
        OneOrMany::One(code) => ctx.check(at, values::code(code)).map(|c| vec![c]),
        OneOrMany::Many(codes) if codes.is_empty() => {
            ctx.error(at, "empty code list");
            None
        }
        OneOrMany::Many(codes) => {
            let checked: Vec<_> = codes
                .iter()
                .enumerate()
                .map(|(i, c)| ctx.check(&at.index(i), values::code(c)))
                .collect();
            checked.into_iter().collect()
        }
    }
}

/// One regex or a list, each compiled.
pub fn regex_list(
    ctx: &mut Ctx,
    raw: Option<&OneOrMany<String>>,
    at: &NodePath,
) -> Option<Vec<regex::Regex>> {
    match raw {
        None => Some(Vec::new()),
        Some(OneOrMany::One(re)) => ctx.check(at, values::regex(re)).map(|r| vec![r]),
        Some(OneOrMany::Many(res)) => {
            let checked: Vec<_> = res
                .iter()
                .enumerate()
                .map(|(i, r)| ctx.check(&at.index(i), values::regex(r)))
                .collect();
            checked.into_iter().collect()
        }
    }
}

fn alternatives(ctx: &mut Ctx, raw: &[RawAlternative], at: &NodePath) -> Option<Vec<Alternative>> {
    let checked: Vec<_> = raw
        .iter()
        .enumerate()
        .map(|(i, alt)| alternative(ctx, alt, &at.index(i)))
        .collect();
    checked.into_iter().collect()
}

fn alternative(ctx: &mut Ctx, raw: &RawAlternative, at: &NodePath) -> Option<Alternative> {
    let codes = code_list(ctx, &raw.code, &at.key("code"))?;
    let grade = match raw.grade {
        RawGrade::NonStrict => Grade::NonStrict,
        RawGrade::Unimplemented => Grade::Unimplemented,
        RawGrade::Info => Grade::Info,
    };
    Some(Alternative {
        codes,
        grade,
        note: raw.note.clone(),
    })
}

fn captures(
    ctx: &mut Ctx,
    scope: &mut Scope,
    raw: &[RawCapture],
    at: &NodePath,
) -> Option<Vec<Capture>> {
    let checked: Vec<_> = raw
        .iter()
        .enumerate()
        .map(|(i, c)| capture(ctx, scope, c, &at.index(i)))
        .collect();
    checked.into_iter().collect()
}

fn capture(ctx: &mut Ctx, scope: &mut Scope, raw: &RawCapture, at: &NodePath) -> Option<Capture> {
    let from = match (&raw.from, &raw.regex) {
        (Some(_), Some(_)) => {
            ctx.error(at, "a capture takes `from` or `regex`, not both");
            return None;
        }
        (None, None) => {
            ctx.error(
                at,
                "a capture needs `from` (pasv-addr, epsv-port, text) or `regex`",
            );
            return None;
        }
        (Some(from), None) => capture_from(ctx, *from, raw.group, at)?,
        (None, Some(re)) => capture_regex(ctx, re, raw.group, at)?,
    };
    ctx.check(&at.key("var"), scope.define(&raw.var))?;
    Some(Capture {
        var: raw.var.clone(),
        from,
    })
}

fn capture_from(
    ctx: &mut Ctx,
    from: RawCaptureFrom,
    group: Option<usize>,
    at: &NodePath,
) -> Option<CaptureFrom> {
    if group.is_some() {
        ctx.error(&at.key("group"), "`group` goes with `regex`, not `from`");
        return None;
    }
    Some(match from {
        RawCaptureFrom::PasvAddr => CaptureFrom::PasvAddr,
        RawCaptureFrom::EpsvPort => CaptureFrom::EpsvPort,
        RawCaptureFrom::Text => CaptureFrom::Text,
    })
}

/// A regex capture; the default group is 1 when the regex has groups, else
/// the whole match.
fn capture_regex(
    ctx: &mut Ctx,
    text: &str,
    group: Option<usize>,
    at: &NodePath,
) -> Option<CaptureFrom> {
    let re = ctx.check(&at.key("regex"), values::regex(text))?;
    let group = group.unwrap_or(usize::from(re.captures_len() > 1));
    if group >= re.captures_len() {
        let msg = format!(
            "the regex has no group {group} (it has {})",
            re.captures_len() - 1
        );
        ctx.error(&at.key("group"), msg);
        return None;
    }
    Some(CaptureFrom::Regex { re, group })
}
