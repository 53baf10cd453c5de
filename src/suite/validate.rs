//! Stage 2: checks a `RawSuite` and builds `crate::script` types, collecting
//! every error with the position of the offending node.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::ctx::{timeout, Ctx};
use super::error::SuiteError;
use super::locate::{NodePath, Positions};
use super::raw::{OneOrMany, RawCase, RawDefaults, RawLevel, RawRole, RawSuite};
use super::values;
use super::{client, steps};
use crate::script::{Capability, Case, CaseBody, Cover, Suite};
use crate::verdict::{Level, Loc, Role};

/// Default per-step timeout when neither the case nor the defaults set one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// File-wide defaults, resolved.
struct Defaults {
    level: Level,
    timeout: Duration,
    rfc: Vec<String>,
    requires: Vec<Capability>,
}

/// Validates a stage-1 suite read from `path` (whose text was `text`).
pub fn suite(raw: &RawSuite, path: &Path, text: &str) -> Result<Suite, Vec<SuiteError>> {
    let positions = Positions::of(text);
    let mut ctx = Ctx::new(path, &positions);
    let root = NodePath::root();
    let name = suite_name(&mut ctx, raw, path);
    let role = role(raw.role);
    let defaults = defaults(&mut ctx, raw.defaults.as_ref(), &root.key("defaults"));
    let cases = cases(&mut ctx, raw, role, &defaults);
    if !ctx.errors.is_empty() {
        return Err(ctx.errors);
    }
    Ok(Suite {
        name,
        path: Arc::new(path.to_path_buf()),
        role,
        cases,
    })
}

fn suite_name(ctx: &mut Ctx, raw: &RawSuite, path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = raw.suite.clone().or(stem).unwrap_or_default();
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok {
        let msg = format!("bad suite name `{name}`: use letters, digits, - _ and .");
        ctx.error(&NodePath::root().key("suite"), msg);
    }
    name
}

fn role(raw: RawRole) -> Role {
    match raw {
        RawRole::Server => Role::Server,
        RawRole::Client => Role::Client,
    }
}

pub fn level(raw: RawLevel) -> Level {
    match raw {
        RawLevel::Must => Level::Must,
        RawLevel::Should => Level::Should,
        RawLevel::May => Level::May,
        RawLevel::Info => Level::Info,
    }
}

fn defaults(ctx: &mut Ctx, raw: Option<&RawDefaults>, at: &NodePath) -> Defaults {
    let builtin = Defaults {
        level: Level::Must,
        timeout: DEFAULT_TIMEOUT,
        rfc: Vec::new(),
        requires: Vec::new(),
    };
    let Some(raw) = raw else { return builtin };
    Defaults {
        level: raw.level.map(level).unwrap_or(builtin.level),
        timeout: timeout(ctx, raw.timeout.as_ref(), &at.key("timeout")).unwrap_or(builtin.timeout),
        rfc: rfc_list(ctx, raw.rfc.as_ref(), &at.key("rfc")).unwrap_or_default(),
        requires: capabilities(ctx, raw.requires.as_deref(), &at.key("requires"))
            .unwrap_or_default(),
    }
}

fn rfc_list(ctx: &mut Ctx, raw: Option<&OneOrMany<String>>, at: &NodePath) -> Option<Vec<String>> {
    let refs = raw?.to_vec();
    for (i, r) in refs.iter().enumerate() {
        if r.trim().is_empty() {
            let at = if matches!(raw, Some(OneOrMany::Many(_))) {
                at.index(i)
            } else {
                at.clone()
            };
            ctx.error(&at, "empty RFC reference");
        }
    }
    Some(refs)
}

/// A `requires:` list; an unknown name is an error at its position.
fn capabilities(ctx: &mut Ctx, raw: Option<&[String]>, at: &NodePath) -> Option<Vec<Capability>> {
    let mut caps = Vec::new();
    for (i, name) in raw?.iter().enumerate() {
        caps.extend(ctx.check(&at.index(i), values::capability(name)));
    }
    Some(caps)
}

fn cases(ctx: &mut Ctx, raw: &RawSuite, role: Role, d: &Defaults) -> Vec<Case> {
    let at = NodePath::root().key("cases");
    if raw.cases.is_empty() {
        ctx.key_error(&at, "`cases` is empty: a suite needs at least one case");
    }
    let mut seen: HashMap<&str, Loc> = HashMap::new();
    let mut out = Vec::new();
    for (i, rc) in raw.cases.iter().enumerate() {
        let at = at.index(i);
        if let Some(first) = seen.get(rc.id.as_str()) {
            let msg = format!(
                "duplicate case id `{}` (first at line {})",
                rc.id, first.line
            );
            ctx.error(&at.key("id"), msg);
        } else {
            seen.insert(&rc.id, ctx.loc(&at.key("id")));
        }
        out.extend(case(ctx, rc, role, d, &at));
    }
    out
}

fn case(ctx: &mut Ctx, raw: &RawCase, role: Role, d: &Defaults, at: &NodePath) -> Option<Case> {
    let errors_before = ctx.errors.len();
    ctx.check(&at.key("id"), values::case_id(&raw.id));
    if raw.title.trim().is_empty() {
        ctx.error(&at.key("title"), "empty title");
    }
    role_keys(ctx, raw, role, at);
    let rfc = rfc_list(ctx, raw.rfc.as_ref(), &at.key("rfc")).unwrap_or_else(|| d.rfc.clone());
    let requires = capabilities(ctx, raw.requires.as_deref(), &at.key("requires"));
    let covers = covers(ctx, raw.covers.as_deref(), &at.key("covers"));
    let timeout = timeout(ctx, raw.timeout.as_ref(), &at.key("timeout")).unwrap_or(d.timeout);
    let body = match role {
        Role::Server => Some(CaseBody::Server(steps::case_steps(
            ctx,
            raw.steps.as_deref(),
            at,
        ))),
        Role::Client => client::client_script(ctx, raw, at).map(CaseBody::Client),
    };
    if ctx.errors.len() > errors_before {
        return None;
    }
    Some(Case {
        id: raw.id.clone(),
        title: raw.title.clone(),
        rfc,
        covers,
        level: raw.level.map(level).unwrap_or(d.level),
        requires: requires.unwrap_or_else(|| d.requires.clone()),
        timeout,
        loc: ctx.loc(at),
        body: body?,
    })
}

/// A `covers:` list: each id well formed and named once. Whether the ids
/// exist is checked against the requirement map (`crate::coverage`).
fn covers(ctx: &mut Ctx, raw: Option<&[String]>, at: &NodePath) -> Vec<Cover> {
    let mut out: Vec<Cover> = Vec::new();
    for (i, id) in raw.unwrap_or_default().iter().enumerate() {
        let at = at.index(i);
        if ctx.check(&at, values::requirement_id(id)).is_none() {
            continue;
        }
        if let Some(first) = out.iter().find(|c| &c.id == id) {
            let msg = format!(
                "`{id}` is named twice in covers (first at line {})",
                first.loc.line
            );
            ctx.error(&at, msg);
            continue;
        }
        out.push(Cover {
            id: id.clone(),
            loc: ctx.loc(&at),
        });
    }
    out
}

/// Keys that belong to the other role are errors.
fn role_keys(ctx: &mut Ctx, raw: &RawCase, role: Role, at: &NodePath) {
    let wrong: &[(&str, bool)] = match role {
        Role::Server => &[
            ("client", raw.client.is_some()),
            ("files", raw.files.is_some()),
            ("rules", raw.rules.is_some()),
            ("expect", raw.expect.is_some()),
        ],
        Role::Client => &[("steps", raw.steps.is_some())],
    };
    for (key, present) in wrong {
        if *present {
            let msg = format!("`{key}` is not allowed in a {}-role case", role.as_str());
            ctx.key_error(&at.key(key), msg);
        }
    }
}
