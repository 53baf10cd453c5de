//! Stage 2 of a requirement file: checks the serde form and builds the
//! map, each error at the `file:line:col` of the node that causes it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::raw::{RawDirection, RawFile, RawRequirement, RawSide};
use super::{CaseRef, Kind, Map, Requirement, Side, Status};
use crate::suite::{parse_yaml, NodePath, Positions, SuiteError};
use crate::verdict::{Loc, Role};

/// The longest quote: a short, cut sentence, not a passage.
const MAX_QUOTE: usize = 300;

/// The largest requirement file read.
const MAX_FILE_SIZE: u64 = 4 << 20;

/// Loads every `rfc*.yaml` of `dir`, sorted by name, with every error;
/// an id named in two files is an error at its second place.
pub fn load_dir(dir: &Path) -> Result<Map, Vec<SuiteError>> {
    let files = files(dir)?;
    let mut map = Map::default();
    let mut errors = Vec::new();
    for file in &files {
        match load_file(file) {
            Ok(part) => map.requirements.extend(part.requirements),
            Err(errs) => errors.extend(errs),
        }
    }
    errors.extend(duplicates(&map));
    if errors.is_empty() {
        Ok(map)
    } else {
        Err(errors)
    }
}

/// Loads one requirement file.
pub fn load_file(path: &Path) -> Result<Map, Vec<SuiteError>> {
    let text = read(path).map_err(|msg| vec![SuiteError::at_file(path, msg)])?;
    let raw: RawFile = parse_yaml(path, &text).map_err(|e| vec![e])?;
    let positions = Positions::of(&text);
    let mut ctx = Ctx {
        file: Arc::new(path.to_path_buf()),
        positions: &positions,
        errors: Vec::new(),
    };
    let map = file(&mut ctx, &raw);
    if ctx.errors.is_empty() {
        Ok(map)
    } else {
        Err(ctx.errors)
    }
}

fn files(dir: &Path) -> Result<Vec<PathBuf>, Vec<SuiteError>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![SuiteError::at_file(
            dir,
            format!("cannot read the folder: {e}"),
        )]
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| n.starts_with("rfc") && n.ends_with(".yaml"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        let msg = "no rfc*.yaml requirement file in this folder";
        return Err(vec![SuiteError::at_file(dir, msg)]);
    }
    Ok(files)
}

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > MAX_FILE_SIZE {
        return Err(format!("file larger than {MAX_FILE_SIZE} bytes"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
}

/// Where nodes are, and the errors found so far.
struct Ctx<'a> {
    file: Arc<PathBuf>,
    positions: &'a Positions,
    errors: Vec<SuiteError>,
}

impl Ctx<'_> {
    fn loc(&self, at: &NodePath) -> Loc {
        let pos = self.positions.value(at);
        Loc {
            file: self.file.clone(),
            line: pos.line,
            col: pos.col,
        }
    }

    fn key_loc(&self, at: &NodePath) -> Loc {
        let pos = self.positions.key(at);
        Loc {
            file: self.file.clone(),
            line: pos.line,
            col: pos.col,
        }
    }

    fn error(&mut self, loc: Loc, message: impl Into<String>) {
        self.errors.push(SuiteError::new(loc, message));
    }
}

fn file(ctx: &mut Ctx, raw: &RawFile) -> Map {
    let at = NodePath::root().key("requirements");
    if raw.title.trim().is_empty() {
        ctx.error(ctx.loc(&NodePath::root().key("title")), "empty title");
    }
    if raw.requirements.is_empty() {
        ctx.error(ctx.key_loc(&at), "`requirements` is empty");
    }
    let requirements = raw
        .requirements
        .iter()
        .enumerate()
        .filter_map(|(i, r)| requirement(ctx, raw.rfc, r, &at.index(i)))
        .collect();
    Map { requirements }
}

fn requirement(
    ctx: &mut Ctx,
    rfc: u32,
    raw: &RawRequirement,
    at: &NodePath,
) -> Option<Requirement> {
    let before = ctx.errors.len();
    if let Err(msg) = id(rfc, &raw.id) {
        ctx.error(ctx.loc(&at.key("id")), msg);
    }
    texts(ctx, raw, at);
    let sides = sides(ctx, raw, at);
    if ctx.errors.len() > before {
        return None;
    }
    Some(Requirement {
        id: raw.id.clone(),
        rfc,
        section: raw.section.clone(),
        keyword: raw.keyword.clone(),
        quote: raw.quote.clone(),
        sides,
        loc: ctx.loc(at),
    })
}

/// A well-formed requirement id (the same rule as a case's `covers:`)
/// of this file's RFC.
fn id(rfc: u32, id: &str) -> Result<(), String> {
    crate::suite::requirement_id(id)?;
    let prefix = format!("rfc{rfc}-");
    match id.starts_with(&prefix) {
        true => Ok(()),
        false => Err(format!(
            "requirement id `{id}` in the map of RFC {rfc}: write {prefix}..."
        )),
    }
}

/// The requirement words a quote may carry.
const KEYWORDS: &[&str] = &[
    "must",
    "must-not",
    "should",
    "should-not",
    "may",
    "required",
    "shall",
    "recommended",
    "not-recommended",
    "optional",
    "suggested",
];

fn texts(ctx: &mut Ctx, raw: &RawRequirement, at: &NodePath) {
    if raw.section.trim().is_empty() {
        ctx.error(ctx.loc(&at.key("section")), "empty section");
    }
    if !KEYWORDS.contains(&raw.keyword.as_str()) {
        let msg = format!(
            "unknown keyword `{}`: one of {}",
            raw.keyword,
            KEYWORDS.join(", ")
        );
        ctx.error(ctx.loc(&at.key("keyword")), msg);
    }
    let quote = raw.quote.trim();
    if quote.is_empty() || quote.chars().count() > MAX_QUOTE {
        let msg = format!("the quote must hold 1 to {MAX_QUOTE} characters (cut it with ...)");
        ctx.error(ctx.loc(&at.key("quote")), msg);
    }
}

fn sides(ctx: &mut Ctx, raw: &RawRequirement, at: &NodePath) -> Vec<Side> {
    let (server, client) = match raw.direction {
        RawDirection::Server => (true, false),
        RawDirection::Client => (false, true),
        RawDirection::Both => (true, true),
    };
    let mut out = Vec::new();
    for (role, wanted, raw_side) in [
        (Role::Server, server, raw.server.as_ref()),
        (Role::Client, client, raw.client.as_ref()),
    ] {
        let key = role.as_str();
        match (wanted, raw_side) {
            (true, Some(s)) => out.extend(side(ctx, role, s, &at.key(key))),
            (true, None) => {
                let msg = format!("direction binds the {key}: a `{key}:` side is needed");
                ctx.error(ctx.key_loc(&at.key("direction")), msg);
            }
            (false, Some(_)) => {
                let msg =
                    format!("direction does not bind the {key}: drop `{key}:` or change direction");
                ctx.error(ctx.key_loc(&at.key(key)), msg);
            }
            (false, None) => {}
        }
    }
    out
}

fn side(ctx: &mut Ctx, role: Role, raw: &RawSide, at: &NodePath) -> Option<Side> {
    let given = [
        raw.cases.is_some(),
        raw.untestable.is_some(),
        raw.gap.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        let msg = "a side needs exactly one of `cases`, `untestable` or `gap`";
        ctx.error(ctx.key_loc(at), msg);
        return None;
    }
    if raw.why.is_some() && raw.untestable.is_none() {
        ctx.error(ctx.key_loc(&at.key("why")), "`why` goes with `untestable`");
        return None;
    }
    let status = if let Some(cases) = &raw.cases {
        Status::Cases(case_refs(ctx, cases, &at.key("cases"))?)
    } else if let Some(kind) = &raw.untestable {
        untestable(ctx, kind, raw.why.as_deref(), at)?
    } else {
        gap(ctx, raw.gap.as_deref().unwrap_or_default(), at)?
    };
    Some(Side {
        role,
        status,
        loc: ctx.key_loc(at),
    })
}

fn case_refs(ctx: &mut Ctx, cases: &[String], at: &NodePath) -> Option<Vec<CaseRef>> {
    if cases.is_empty() {
        let msg = "`cases` is empty: name a case, or write `untestable` or `gap`";
        ctx.error(ctx.key_loc(at), msg);
        return None;
    }
    let mut out = Vec::new();
    for (i, name) in cases.iter().enumerate() {
        let loc = ctx.loc(&at.index(i));
        match name.split_once("::") {
            Some((suite, case)) if !suite.is_empty() && !case.is_empty() => out.push(CaseRef {
                suite: suite.to_string(),
                case: case.to_string(),
                loc,
            }),
            _ => ctx.error(loc, format!("bad case `{name}`: write suite::case")),
        }
    }
    (out.len() == cases.len()).then_some(out)
}

fn untestable(ctx: &mut Ctx, kind: &str, why: Option<&str>, at: &NodePath) -> Option<Status> {
    let Some(kind) = Kind::from_name(kind) else {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        let msg = format!("unknown kind `{kind}`: one of {}", known.join(", "));
        ctx.error(ctx.loc(&at.key("untestable")), msg);
        return None;
    };
    if why.is_some_and(|w| w.trim().is_empty()) {
        ctx.error(ctx.loc(&at.key("why")), "empty `why`");
        return None;
    }
    Some(Status::Untestable {
        kind,
        why: why.map(str::to_string),
    })
}

fn gap(ctx: &mut Ctx, text: &str, at: &NodePath) -> Option<Status> {
    if text.trim().is_empty() {
        let msg = "empty `gap`: say what a case would need";
        ctx.error(ctx.loc(&at.key("gap")), msg);
        return None;
    }
    Some(Status::Gap(text.to_string()))
}

/// An id defined twice in the map.
fn duplicates(map: &Map) -> Vec<SuiteError> {
    let mut first: HashMap<&str, &Loc> = HashMap::new();
    let mut errors = Vec::new();
    for r in &map.requirements {
        if let Some(at) = first.get(r.id.as_str()) {
            let msg = format!("duplicate requirement id `{}` (first at {at})", r.id);
            errors.push(SuiteError::new(r.loc.clone(), msg));
        } else {
            first.insert(&r.id, &r.loc);
        }
    }
    errors
}
