//! Stage 2 for client-role cases: the task given to the real client, the
//! fake server's files and reply rules, and the expected client behaviour.

use super::ctx::Ctx;
use super::expect::Scope;
use super::locate::NodePath;
use super::raw::{
    ActionWord, RawAction, RawActionMap, RawCase, RawCertificate, RawClientExpect, RawClientMode,
    RawClientTask, RawCommandPattern, RawFamily, RawFile, RawOp, RawPasv, RawReply, RawRule,
    RawShape, RawStyle, StrOr,
};
use super::values;
use crate::script::{
    Action, Body, Certificate, ClientExpect, ClientOp, ClientScript, ClientTls, CommandPattern,
    Family, ReplyRule, Template, TemplatePart, VirtualFile,
};
use crate::verdict::Role;
use crate::wire::addr::{self, PasvShape};
use crate::wire::reply::MultilineStyle;

/// The script of a client-role case: the client's task, the fake server's
/// files and rules, the expected behaviour.
pub fn client_script(ctx: &mut Ctx, raw: &RawCase, at: &NodePath) -> Option<ClientScript> {
    let Some(task) = &raw.client else {
        ctx.error(at, "a client-role case needs `client: {op: ...}`");
        return None;
    };
    let path = task_path(ctx, task, &at.key("client"));
    let files = files(ctx, raw, &at.key("files"));
    let rules = rules(
        ctx,
        raw.rules.as_deref().unwrap_or_default(),
        &at.key("rules"),
    );
    let expect = client_expect(ctx, raw.expect.as_ref(), &at.key("expect"));
    let family = family(ctx, task, &at.key("client"));
    let tls = tls(ctx, task, &at.key("client"));
    Some(ClientScript {
        files: files?,
        op: op(task.op),
        path: path?,
        passive: task.mode != Some(RawClientMode::Active),
        extended: task.extended,
        family: family?,
        rules: rules?,
        expect: expect?,
        tls: tls?,
    })
}

/// FTPS: `tls: true`, with the certificate the fake server presents and
/// whether it allows resumption; `certificate` or `resume` without `tls:
/// true` is an error.
fn tls(ctx: &mut Ctx, task: &RawClientTask, at: &NodePath) -> Option<Option<ClientTls>> {
    let certificate = match task.certificate {
        None | Some(RawCertificate::Good) => Certificate::Good,
        Some(RawCertificate::OtherName) => Certificate::OtherName,
        Some(RawCertificate::Untrusted) => Certificate::Untrusted,
    };
    let resume = task.resume.unwrap_or(true);
    if task.tls == Some(true) {
        return Some(Some(ClientTls {
            certificate,
            resume,
        }));
    }
    let stray = [
        ("certificate", task.certificate.is_some()),
        ("resume", task.resume.is_some()),
    ];
    let keys: Vec<&str> = stray.iter().filter(|(_, s)| *s).map(|(k, _)| *k).collect();
    for key in &keys {
        ctx.error(&at.key(key), format!("`{key}` needs `tls: true`"));
    }
    keys.is_empty().then_some(None)
}

/// The address family; PASV and PORT cannot carry an IPv6 address (RFC
/// 2428 1), so an IPv6 case cannot ask for them.
fn family(ctx: &mut Ctx, task: &RawClientTask, at: &NodePath) -> Option<Family> {
    match (task.family, task.extended) {
        (Some(RawFamily::Ipv6), Some(false)) => {
            let why = "PASV and PORT cannot carry an IPv6 address (RFC 2428 1): \
                       an ipv6 case asks for `extended: true` or leaves it out";
            ctx.error(&at.key("extended"), why);
            None
        }
        (Some(RawFamily::Ipv6), _) => Some(Family::V6),
        _ => Some(Family::V4),
    }
}

fn op(raw: RawOp) -> ClientOp {
    match raw {
        RawOp::List => ClientOp::List,
        RawOp::Get => ClientOp::Get,
        RawOp::Resume => ClientOp::Resume,
        RawOp::Put => ClientOp::Put,
        RawOp::Mkdir => ClientOp::Mkdir,
        RawOp::Delete => ClientOp::Delete,
    }
}

/// Every op but `list` works on a path.
fn task_path(ctx: &mut Ctx, task: &RawClientTask, at: &NodePath) -> Option<String> {
    match (&task.path, task.op) {
        (Some(p), _) if p.trim().is_empty() => {
            ctx.error(&at.key("path"), "empty path");
            None
        }
        (Some(p), _) => Some(p.clone()),
        (None, RawOp::List) => Some(String::new()),
        (None, _) => {
            ctx.error(at, "`client` needs a `path` for this op");
            None
        }
    }
}

fn files(ctx: &mut Ctx, raw: &RawCase, at: &NodePath) -> Option<Vec<VirtualFile>> {
    let Some(files) = &raw.files else {
        return Some(Vec::new());
    };
    let checked: Vec<_> = files
        .iter()
        .map(|(path, f)| file(ctx, path, f, &at.key(path)))
        .collect();
    checked.into_iter().collect()
}

fn file(ctx: &mut Ctx, path: &str, raw: &RawFile, at: &NodePath) -> Option<VirtualFile> {
    if path.is_empty() || path.split('/').any(|seg| seg == "..") {
        ctx.key_error(
            at,
            format!("bad file path `{path}`: no empty path, no `..`"),
        );
        return None;
    }
    let content = match raw {
        StrOr::Word(text) => Body::bytes(text.as_bytes()),
        StrOr::Map(spec) => super::body::file_body(ctx, spec, at)?,
    };
    Some(VirtualFile {
        path: path.to_string(),
        content,
    })
}

fn rules(ctx: &mut Ctx, raw: &[RawRule], at: &NodePath) -> Option<Vec<ReplyRule>> {
    let checked: Vec<_> = raw
        .iter()
        .enumerate()
        .map(|(i, r)| rule(ctx, r, &at.index(i)))
        .collect();
    checked.into_iter().collect()
}

fn rule(ctx: &mut Ctx, raw: &RawRule, at: &NodePath) -> Option<ReplyRule> {
    let on = match raw.on.as_str() {
        "*" => Some("*".to_string()),
        verb => ctx.check(&at.key("on"), values::verb(verb)),
    };
    if raw.nth == Some(0) {
        ctx.error(&at.key("nth"), "`nth` counts from 1");
    }
    let do_at = at.key("do");
    if raw.actions.is_empty() {
        ctx.error(&do_at, "`do` is empty: give at least one action");
    }
    let actions: Vec<_> = raw
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| action(ctx, a, &do_at.index(i)))
        .collect();
    let actions: Option<Vec<Action>> = actions.into_iter().collect();
    if raw.nth == Some(0) || raw.actions.is_empty() {
        return None;
    }
    Some(ReplyRule {
        loc: ctx.loc(at),
        on: on?,
        nth: raw.nth,
        actions: actions?,
    })
}

fn action(ctx: &mut Ctx, raw: &RawAction, at: &NodePath) -> Option<Action> {
    match raw {
        StrOr::Word(word) => Some(word_action(*word)),
        StrOr::Map(map) => map_action(ctx, map, at),
    }
}

fn word_action(word: ActionWord) -> Action {
    match word {
        ActionWord::Default => Action::Default,
        ActionWord::NoDataConnection => Action::NoDataConnection,
        ActionWord::LatePreliminary => Action::LatePreliminary,
        ActionWord::Use125 => Action::Use125,
        ActionWord::Disconnect => Action::Disconnect,
        ActionWord::NoCloseNotify => Action::NoCloseNotify,
        ActionWord::PlaintextData => Action::PlaintextData,
        ActionWord::SplitReplies => Action::SplitReplies,
        ActionWord::ConnectFromForeign => Action::ConnectFromForeign,
    }
}

fn map_action(ctx: &mut Ctx, m: &RawActionMap, at: &NodePath) -> Option<Action> {
    let keys: Vec<&str> = [
        ("reply", m.reply.is_some()),
        ("raw", m.raw.is_some()),
        ("pasv", m.pasv.is_some()),
        ("close-data-after", m.close_data_after.is_some()),
        ("delay", m.delay.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, present)| present.then_some(k))
    .collect();
    if keys.len() != 1 {
        let msg = "an action map has exactly one key: reply, raw, pasv, close-data-after or delay";
        ctx.error(at, msg);
        return None;
    }
    let at = at.key(keys[0]);
    if let Some(reply) = &m.reply {
        return reply_action(ctx, reply, &at);
    }
    if let Some(raw) = &m.raw {
        return raw_action(ctx, raw, &at);
    }
    if let Some(pasv) = &m.pasv {
        return pasv_action(ctx, pasv, &at);
    }
    if let Some(n) = m.close_data_after {
        return Some(Action::CloseDataAfter(n));
    }
    Some(Action::Delay(
        ctx.check(&at, values::duration(m.delay.as_ref()?))?,
    ))
}

/// The most interior lines `pad-lines` adds to a reply (about 2 MB).
const MAX_PAD_LINES: u32 = 100_000;

fn reply_action(ctx: &mut Ctx, raw: &RawReply, at: &NodePath) -> Option<Action> {
    let errors = ctx.errors.len();
    let code = ctx.check(&at.key("code"), values::reply_code(raw.code));
    let scope = Scope::new(Role::Client);
    let text_at = at.key("text");
    let many = matches!(raw.text, super::raw::OneOrMany::Many(_));
    let mut lines = Vec::new();
    for (i, line) in raw.text.to_vec().iter().enumerate() {
        let line_at = if many {
            text_at.index(i)
        } else {
            text_at.clone()
        };
        if code == Some(227) {
            if let Some(ip) = addr::foreign_in_pasv_text(line) {
                ctx.error(
                    &line_at,
                    format!("227 names {ip}, which is not loopback (network safety)"),
                );
            }
        }
        lines.extend(ctx.check(&line_at, scope.template(line)));
    }
    if let Some(n) = raw.pad_lines {
        if n > MAX_PAD_LINES {
            let msg = format!("`pad-lines` is at most {MAX_PAD_LINES}, not {n}");
            ctx.error(&at.key("pad-lines"), msg);
        }
        let last = lines.pop();
        // Plain text: nothing to parse.
        lines.extend((1..=n.min(MAX_PAD_LINES)).map(|i| Template {
            parts: vec![TemplatePart::Lit(format!("padding line {i}"))],
        }));
        lines.extend(last);
    }
    let style = match raw.style {
        None | Some(RawStyle::AllCoded) => MultilineStyle::AllCoded,
        Some(RawStyle::Uncoded) => MultilineStyle::Uncoded,
        Some(RawStyle::Indented) => MultilineStyle::Indented,
    };
    if ctx.errors.len() > errors {
        return None;
    }
    Some(Action::Reply {
        code: code?,
        lines,
        style,
        bare_lf: raw.bare_lf.unwrap_or(false),
    })
}

fn raw_action(ctx: &mut Ctx, raw: &str, at: &NodePath) -> Option<Action> {
    let bytes = ctx.check(at, values::unescape(raw))?;
    let text = String::from_utf8_lossy(&bytes);
    let pasv = text
        .lines()
        .filter(|l| l.starts_with("227"))
        .find_map(addr::foreign_in_pasv_text);
    if let Some(ip) = pasv {
        ctx.error(
            at,
            format!("227 names {ip}, which is not loopback (network safety)"),
        );
        return None;
    }
    Some(Action::Raw(bytes))
}

fn pasv_action(ctx: &mut Ctx, raw: &RawPasv, at: &NodePath) -> Option<Action> {
    let address = ctx
        .opt(&at.key("address"), raw.address.as_ref(), |a| {
            values::loopback(a)
        })
        .ok()?;
    if address.is_some_and(|ip| !ip.is_ipv4()) {
        ctx.error(&at.key("address"), "a 227 reply names an IPv4 address");
        return None;
    }
    let shape = match raw.shape {
        None | Some(RawShape::Standard) => PasvShape::Standard,
        Some(RawShape::TrailingPeriod) => PasvShape::TrailingPeriod,
        Some(RawShape::NoParens) => PasvShape::NoParens,
        Some(RawShape::LowerCase) => PasvShape::LowerCase,
        Some(RawShape::ExtraText) => PasvShape::ExtraText,
    };
    Some(Action::Pasv { address, shape })
}

fn client_expect(
    ctx: &mut Ctx,
    raw: Option<&RawClientExpect>,
    at: &NodePath,
) -> Option<ClientExpect> {
    let empty = RawClientExpect {
        commands: None,
        forbidden: None,
        success: None,
        intact: None,
    };
    let raw = raw.unwrap_or(&empty);
    let cmd_at = at.key("commands");
    let commands = raw.commands.as_deref().unwrap_or_default();
    let commands: Vec<_> = commands
        .iter()
        .enumerate()
        .map(|(i, c)| command(ctx, c, &cmd_at.index(i)))
        .collect();
    let forbidden = raw.forbidden.as_deref().unwrap_or_default();
    let forbidden: Vec<_> = forbidden
        .iter()
        .enumerate()
        .map(|(i, v)| ctx.check(&at.key("forbidden").index(i), values::verb(v)))
        .collect();
    Some(ClientExpect {
        commands: commands.into_iter().collect::<Option<_>>()?,
        forbidden: forbidden.into_iter().collect::<Option<_>>()?,
        success: raw.success,
        intact: raw.intact.unwrap_or(false),
    })
}

fn command(
    ctx: &mut Ctx,
    raw: &StrOr<String, RawCommandPattern>,
    at: &NodePath,
) -> Option<CommandPattern> {
    let loc = ctx.loc(at);
    let pattern = match raw {
        StrOr::Word(verb) => {
            let verb = ctx.check(at, values::verb(verb))?;
            CommandPattern {
                loc,
                verbs: vec![verb],
                arg: None,
                optional: false,
            }
        }
        StrOr::Map(m) => {
            let many = matches!(m.verb, super::raw::OneOrMany::Many(_));
            let verb_at = at.key("verb");
            let verbs: Vec<_> = m
                .verb
                .to_vec()
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    ctx.check(
                        &if many {
                            verb_at.index(i)
                        } else {
                            verb_at.clone()
                        },
                        values::verb(v),
                    )
                })
                .collect();
            let verbs: Vec<String> = verbs.into_iter().collect::<Option<_>>()?;
            if verbs.is_empty() {
                ctx.error(&verb_at, "empty verb list");
                return None;
            }
            let arg = ctx
                .opt(&at.key("arg"), m.arg.as_ref(), |a| values::regex(a))
                .ok()?;
            CommandPattern {
                loc,
                verbs,
                arg,
                optional: m.optional.unwrap_or(false),
            }
        }
    };
    Some(pattern)
}
