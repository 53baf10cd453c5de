//! Stage 2 for server-role steps (the fake client's script): one action per
//! step, variables defined before use, loopback-only addresses.

use std::time::Duration;

use super::ctx::{timeout, Ctx};
use super::expect::{codes_only, refuse_ends, regex_list, reply_expect, Scope};
use super::locate::NodePath;
use super::raw::{
    RawConnect, RawData, RawDataExpect, RawDataMode, RawDirection, RawFamily, RawSide, RawStep,
    RawStepMap, RawTlsSession, RawTransfer, StepWord, StrOr,
};
use super::values;
use crate::script::{
    Content, DataExpect, DataMode, DataSetup, Direction, Family, Payload, ReplyExpect, Step,
    StepKind, Transfer,
};
use crate::timeline::Side;
use crate::verdict::Role;
use crate::wire::addr;

/// Grace period of `expect-no-stray` when none is given.
pub const DEFAULT_GRACE: Duration = Duration::from_millis(500);

/// What earlier steps of the case provide to later ones.
struct State {
    scope: Scope,
    has_data: bool,
}

/// The steps of a server-role case (required, not empty).
pub fn case_steps(ctx: &mut Ctx, raw: Option<&[RawStep]>, case: &NodePath) -> Vec<Step> {
    let at = case.key("steps");
    let raw = match raw {
        None => {
            ctx.error(case, "a server-role case needs `steps`");
            return Vec::new();
        }
        Some([]) => {
            ctx.key_error(&at, "`steps` is empty");
            return Vec::new();
        }
        Some(raw) => raw,
    };
    let mut state = State {
        scope: Scope::new(Role::Server),
        has_data: false,
    };
    let steps: Vec<Option<Step>> = raw
        .iter()
        .enumerate()
        .map(|(i, s)| step(ctx, &mut state, s, &at.index(i)))
        .collect();
    steps.into_iter().flatten().collect()
}

fn step(ctx: &mut Ctx, state: &mut State, raw: &RawStep, at: &NodePath) -> Option<Step> {
    let (kind, timeout) = match raw {
        StrOr::Word(word) => (word_kind(*word), None),
        StrOr::Map(map) => {
            let t = timeout(ctx, map.timeout.as_ref(), &at.key("timeout"));
            (map_kind(ctx, state, map, at)?, t)
        }
    };
    if matches!(kind, StepKind::Data(_)) {
        state.has_data = true;
    }
    Some(Step {
        loc: ctx.loc(at),
        timeout,
        kind,
    })
}

fn word_kind(word: StepWord) -> StepKind {
    match word {
        StepWord::Login => StepKind::Login,
        StepWord::Disconnect => StepKind::Disconnect { abrupt: false },
        StepWord::ExpectNoStray => StepKind::ExpectNoStray {
            grace: DEFAULT_GRACE,
        },
    }
}

/// The action keys present in a step map (`expect` counts as an action only
/// without `send` / `raw`).
fn actions(m: &RawStepMap) -> Vec<&'static str> {
    let with_payload = m.send.is_some() || m.raw.is_some();
    [
        ("login", m.login.is_some()),
        ("send", m.send.is_some()),
        ("raw", m.raw.is_some()),
        ("expect", m.expect.is_some() && !with_payload),
        ("data", m.data.is_some()),
        ("transfer", m.transfer.is_some()),
        ("data-expect", m.data_expect.is_some()),
        ("expect-no-stray", m.expect_no_stray.is_some()),
        ("set", m.set.is_some()),
        ("compare", m.compare.is_some()),
        ("sleep", m.sleep.is_some()),
        ("disconnect", m.disconnect.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect()
}

fn map_kind(ctx: &mut Ctx, state: &mut State, m: &RawStepMap, at: &NodePath) -> Option<StepKind> {
    let found = actions(m);
    let payload = m.send.is_some() || m.raw.is_some();
    if m.expect.is_some() && !payload && found.len() > 1 {
        let other = found
            .iter()
            .find(|a| **a != "expect")
            .copied()
            .unwrap_or("?");
        ctx.key_error(
            &at.key("expect"),
            format!("`expect` goes with `send` or `raw`, not with `{other}`"),
        );
        return None;
    }
    let action = match found[..] {
        [] => {
            ctx.error(at, "a step needs one action: login, send, raw, expect, data, transfer, data-expect, expect-no-stray, set, compare, sleep or disconnect");
            return None;
        }
        [one] => one,
        [first, second, ..] => {
            let msg = format!("a step has one action, found `{first}` and `{second}`");
            ctx.key_error(&at.key(second), msg);
            return None;
        }
    };
    kind(ctx, state, m, action, at)
}

fn kind(
    ctx: &mut Ctx,
    state: &mut State,
    m: &RawStepMap,
    action: &str,
    at: &NodePath,
) -> Option<StepKind> {
    let key = at.key(action);
    Some(match action {
        "login" => StepKind::Login,
        "send" | "raw" => send(ctx, state, m, &key)?,
        "expect" => StepKind::Expect(reply_expect(
            ctx,
            &mut state.scope,
            m.expect.as_ref()?,
            &key,
        )?),
        "data" => StepKind::Data(data(ctx, state, m.data.as_ref()?, &key)?),
        "transfer" => StepKind::Transfer(transfer(ctx, state, m.transfer.as_ref()?, &key)?),
        "data-expect" => {
            StepKind::DataExpect(data_expect(ctx, state, m.data_expect.as_ref()?, &key)?)
        }
        "expect-no-stray" => no_stray(ctx, m, &key)?,
        "set" => set(ctx, state, m, &key)?,
        "compare" => compare(ctx, state, m, &key)?,
        "sleep" => StepKind::Sleep(ctx.check(&key, values::duration(m.sleep.as_ref()?))?),
        "disconnect" => {
            let abrupt = m
                .disconnect
                .as_ref()?
                .as_ref()
                .and_then(|d| d.abrupt)
                .unwrap_or(false);
            StepKind::Disconnect { abrupt }
        }
        _ => return None,
    })
}

fn send(ctx: &mut Ctx, state: &mut State, m: &RawStepMap, key: &NodePath) -> Option<StepKind> {
    let payload = match (&m.send, &m.raw) {
        (Some(line), _) => Payload::Line(ctx.check(key, state.scope.template(line))?),
        (None, Some(raw)) => Payload::Raw(ctx.check(key, values::unescape(raw))?),
        (None, None) => return None,
    };
    let text = match &payload {
        Payload::Line(_) => m.send.clone().unwrap_or_default(),
        Payload::Raw(bytes) => String::from_utf8_lossy(bytes).into_owned(),
    };
    if let Some(ip) = text.lines().find_map(addr::foreign_in_command) {
        ctx.error(
            key,
            format!(
                "{ip} is not loopback: PORT/EPRT may only name 127.0.0.0/8 or ::1 (network safety)"
            ),
        );
        return None;
    }
    let expect_at = key.sibling("expect");
    let expect = match &m.expect {
        Some(e) => Some(reply_expect(ctx, &mut state.scope, e, &expect_at)?),
        None => None,
    };
    Some(StepKind::Send { payload, expect })
}

fn data(ctx: &mut Ctx, state: &mut State, raw: &RawData, at: &NodePath) -> Option<DataSetup> {
    let mode = match raw.mode {
        RawDataMode::Pasv => DataMode::Pasv,
        RawDataMode::Epsv => DataMode::Epsv,
        RawDataMode::Port => DataMode::Port,
        RawDataMode::Eprt => DataMode::Eprt,
    };
    let errors = ctx.errors.len();
    data_keys_fit_mode(ctx, raw, mode, at);
    let family = raw.family.map(|f| match f {
        RawFamily::Ipv4 => Family::V4,
        RawFamily::Ipv6 => Family::V6,
    });
    let address = ctx.opt(&at.key("address"), raw.address.as_ref(), |a| {
        values::loopback(a)
    });
    let steal_from = ctx.opt(&at.key("steal-from"), raw.steal_from.as_ref(), |a| {
        values::loopback(a)
    });
    refuse_ends(ctx, raw.expect.as_ref(), &at.key("expect"));
    let expect = match &raw.expect {
        Some(e) => Some(reply_expect(ctx, &mut state.scope, e, &at.key("expect"))?),
        None => None,
    };
    if let Ok(Some(ip)) = address {
        address_fits(ctx, ip, mode, family, &at.key("address"));
    }
    if ctx.errors.len() > errors {
        return None;
    }
    Some(DataSetup {
        mode,
        family,
        address: address.ok()?,
        port: raw.port,
        steal_from: steal_from.ok()?,
        expect,
        connect_late: raw.connect == Some(RawConnect::Late),
        fresh_tls_session: raw.tls_session == Some(RawTlsSession::Fresh),
    })
}

/// PORT names IPv4 addresses; an EPRT address matches a given `family`.
fn address_fits(
    ctx: &mut Ctx,
    ip: std::net::IpAddr,
    mode: DataMode,
    family: Option<Family>,
    at: &NodePath,
) {
    if mode == DataMode::Port && !ip.is_ipv4() {
        ctx.error(at, "PORT names an IPv4 address; use mode: eprt for IPv6");
    }
    let want_v4 = match family {
        Some(Family::V4) => true,
        Some(Family::V6) => false,
        None => return,
    };
    if ip.is_ipv4() != want_v4 {
        ctx.error(at, format!("address {ip} does not match the given family"));
    }
}

/// `address`/`port` are for active modes, `steal-from`/`connect` for passive
/// ones, `family` for the extended commands.
fn data_keys_fit_mode(ctx: &mut Ctx, raw: &RawData, mode: DataMode, at: &NodePath) {
    let passive = mode.is_passive();
    let extended = matches!(mode, DataMode::Epsv | DataMode::Eprt);
    let misplaced = [
        (
            "address",
            raw.address.is_some() && passive,
            "active modes (port, eprt)",
        ),
        (
            "port",
            raw.port.is_some() && passive,
            "active modes (port, eprt)",
        ),
        (
            "steal-from",
            raw.steal_from.is_some() && !passive,
            "passive modes (pasv, epsv)",
        ),
        (
            "connect",
            raw.connect.is_some() && !passive,
            "passive modes (pasv, epsv)",
        ),
        (
            "family",
            raw.family.is_some() && !extended,
            "extended modes (epsv, eprt)",
        ),
    ];
    for (key, wrong, allowed) in misplaced {
        if wrong {
            let msg = format!(
                "`{key}` is only for {allowed}, not {}",
                mode.verb().to_lowercase()
            );
            ctx.key_error(&at.key(key), msg);
        }
    }
}

fn transfer(
    ctx: &mut Ctx,
    state: &mut State,
    raw: &RawTransfer,
    at: &NodePath,
) -> Option<Transfer> {
    if !state.has_data {
        ctx.error(at, "`transfer` needs a `data` step before it in the case");
        return None;
    }
    let command = ctx.check(&at.key("command"), state.scope.template(&raw.command));
    let direction = direction(ctx, raw, at);
    let content = direction.and_then(|d| content(ctx, raw, d, at));
    let data_text = regex_list(ctx, raw.matches.as_ref(), &at.key("match"));
    refuse_ends(ctx, raw.preliminary.as_ref(), &at.key("preliminary"));
    let preliminary = optional_expect(
        ctx,
        state,
        raw.preliminary.as_ref(),
        &at.key("preliminary"),
        &[125, 150],
    );
    let complete = optional_expect(
        ctx,
        state,
        raw.complete.as_ref(),
        &at.key("complete"),
        &[226, 250],
    );
    if raw.close_notify == Some(false) && direction != Some(Direction::Upload) {
        ctx.error(
            &at.key("close-notify"),
            "`close-notify: false` is for uploads: a download is ended by the server",
        );
        return None;
    }
    Some(Transfer {
        command: command?,
        direction: direction?,
        content: content?,
        data_text: data_text?,
        preliminary: preliminary?,
        complete: complete?,
        abort_after: raw.abort_after,
        close_notify: raw.close_notify.unwrap_or(true),
    })
}

fn optional_expect(
    ctx: &mut Ctx,
    state: &mut State,
    raw: Option<&super::raw::RawExpect>,
    at: &NodePath,
    default: &[u16],
) -> Option<ReplyExpect> {
    match raw {
        Some(e) => reply_expect(ctx, &mut state.scope, e, at),
        None => Some(codes_only(default)),
    }
}

/// The given direction, or the one the verb implies.
fn direction(ctx: &mut Ctx, raw: &RawTransfer, at: &NodePath) -> Option<Direction> {
    if let Some(d) = raw.direction {
        return Some(match d {
            RawDirection::Download => Direction::Download,
            RawDirection::Upload => Direction::Upload,
        });
    }
    let verb = raw
        .command
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    match verb.as_str() {
        "RETR" | "LIST" | "NLST" | "MLSD" => Some(Direction::Download),
        "STOR" | "APPE" | "STOU" => Some(Direction::Upload),
        _ => {
            ctx.error(
                &at.key("command"),
                format!("cannot tell the direction of `{verb}`: add `direction: download|upload`"),
            );
            None
        }
    }
}

fn content(
    ctx: &mut Ctx,
    raw: &RawTransfer,
    direction: Direction,
    at: &NodePath,
) -> Option<Content> {
    // A file that cannot be read is its own error, and the only one.
    let file = match &raw.file {
        Some(f) => Some(super::body::disk_file(ctx, f, &at.key("file"))?),
        None => None,
    };
    let given: Vec<(&str, Content)> = [
        (
            "content",
            raw.content
                .as_ref()
                .map(|c| Content::Bytes(c.as_bytes().to_vec())),
        ),
        ("size", raw.size.map(Content::Size)),
        ("at-least", raw.at_least.map(Content::AtLeast)),
        ("file", file.map(Content::Body)),
    ]
    .into_iter()
    .filter_map(|(k, c)| Some((k, c?)))
    .collect();
    match (&given[..], direction) {
        ([], Direction::Download) => Some(Content::Any),
        ([], Direction::Upload) => {
            ctx.error(at, "an upload needs `content`, `size` or `file`");
            None
        }
        ([(key, Content::AtLeast(_))], Direction::Upload) => {
            ctx.key_error(&at.key(key), "`at-least` is only for downloads");
            None
        }
        ([(_, c)], _) => Some(c.clone()),
        ([(first, _), (second, _), ..], _) => {
            ctx.key_error(
                &at.key(second),
                format!("give one of `content`, `size`, `at-least`, `file`, not `{first}` and `{second}`"),
            );
            None
        }
    }
}

fn data_expect(
    ctx: &mut Ctx,
    state: &State,
    raw: &RawDataExpect,
    at: &NodePath,
) -> Option<DataExpect> {
    if !state.has_data {
        ctx.error(
            at,
            "`data-expect` needs a `data` step before it in the case",
        );
        return None;
    }
    if raw.opened_by.is_none() && raw.closed_by.is_none() {
        ctx.error(at, "`data-expect` needs `opened-by` or `closed-by`");
        return None;
    }
    let side = |s: RawSide| match s {
        RawSide::Client => Side::Client,
        RawSide::Server => Side::Server,
    };
    Some(DataExpect {
        opened_by: raw.opened_by.map(side),
        closed_by: raw.closed_by.map(side),
    })
}

fn no_stray(ctx: &mut Ctx, m: &RawStepMap, at: &NodePath) -> Option<StepKind> {
    let grace = m
        .expect_no_stray
        .as_ref()?
        .as_ref()
        .and_then(|n| n.grace.as_ref());
    let grace = match grace {
        Some(g) => ctx.check(&at.key("grace"), values::duration(g))?,
        None => DEFAULT_GRACE,
    };
    Some(StepKind::ExpectNoStray { grace })
}

fn set(ctx: &mut Ctx, state: &mut State, m: &RawStepMap, at: &NodePath) -> Option<StepKind> {
    let raw = m.set.as_ref()?;
    let value = ctx.check(&at.key("value"), state.scope.template(&raw.value))?;
    ctx.check(&at.key("var"), state.scope.define(&raw.var))?;
    Some(StepKind::Set {
        var: raw.var.clone(),
        value,
    })
}

fn compare(ctx: &mut Ctx, state: &mut State, m: &RawStepMap, at: &NodePath) -> Option<StepKind> {
    let raw = m.compare.as_ref()?;
    let values_at = at.key("values");
    let [left, right] = &raw.values[..] else {
        ctx.error(&values_at, "`values` takes exactly two templates");
        return None;
    };
    let left = ctx.check(&values_at, state.scope.template(left));
    let right = ctx.check(&values_at, state.scope.template(right));
    let rule = match &raw.rule {
        Some(rule) => {
            Some(ctx.check(&at.key("rule"), values::case_id(rule).map(|_| rule.clone()))?)
        }
        None => None,
    };
    Some(StepKind::Compare {
        left: left?,
        right: right?,
        same: raw.same,
        rule,
    })
}
