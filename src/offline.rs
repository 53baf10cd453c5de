//! Checks over a capture file (`ftpconform check`): every FTP session the
//! capture reader finds is judged by the same timeline checks as a live
//! run, once as the server's case and once as the client's. A capture has
//! no script, so the checks that compare with a case's expectations do not
//! apply; what the capture cannot show (a handshake before it started,
//! bytes it lost, a connection attempt that never reached the wire) is
//! listed as `unknown: ...` in the notes, never guessed.

pub mod departures;
pub mod import;
mod wire_facts;

use std::path::Path;
use std::time::Duration;

pub use wire_facts::{exchanges, negotiations, Exchange};

use crate::capture::sessions::{Options, Summary};
use crate::capture::{read_sessions, CaptureError, Session};
use crate::check::client_view::ClientView;
use crate::check::facts::{CheckCtx, Findings};
use crate::check::{active, client_data, ordering, pasv, security};
use crate::timeline::ConnId;
use crate::verdict::{CaseResult, Level, Role, Rule, Violation};

/// Checks every session of the capture at `path`, handing over the two
/// results of each (server, then client) as soon as the session ends.
pub fn check_file(
    path: &Path,
    opts: &Options,
    mut each: impl FnMut(CaseResult),
) -> Result<Summary, CaptureError> {
    let suite = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    read_sessions(path, opts, |s| {
        let [server, client] = judge(&suite, &s);
        each(with_capture(server, path));
        each(with_capture(client, path));
    })
}

fn with_capture(mut r: CaseResult, path: &Path) -> CaseResult {
    r.capture = Some(path.to_path_buf());
    r
}

/// The server's and the client's results for one session.
pub fn judge(suite: &str, s: &Session) -> [CaseResult; 2] {
    let events = &s.events;
    let (greeting, xs) = exchanges(events);
    let negs = negotiations(events, (s.client, s.server), &xs);
    let ctx = CheckCtx {
        case_id: format!("session-{}", s.number),
        level: Level::Must,
        control: ConnId(0),
        passive_range: None,
    };
    let mut server = Findings::default();
    let mut unknown = s.unknown.clone();
    if s.unknown
        .iter()
        .all(|u| !u.contains("inside the control connection"))
    {
        greeting_check(&greeting, &mut server);
    }
    for n in &negs {
        server.extend(pasv::check(events, n, &ctx));
        server.extend(security::check(events, n, &ctx));
        server.extend(ordering::check(events, n, &ctx));
        match refused_unseen(n) {
            Some(text) => unknown.push(text),
            None => server.extend(active::check(events, n, &ctx)),
        }
    }
    let view = ClientView::from_events(events);
    let mut client = client_data::trusted_foreign_pasv(&view);
    let grade = |r: Rule| r.grade(Level::Must);
    client.extend(client_data::passive_sources(
        &view,
        grade(Rule::PassiveDataFromControlAddress),
    ));
    client.extend(client_data::active_addresses(
        &view,
        grade(Rule::ActiveAddressMatchesControl),
    ));
    let duration = events.last().map_or(Duration::ZERO, |e| e.at);
    let mut notes: Vec<String> = unknown.iter().map(|u| format!("unknown: {u}")).collect();
    notes.extend(summary_notes(&xs, &negs));
    let result = |role, target: String, violations: Vec<Violation>, extra: Vec<String>| {
        let mut notes = notes.clone();
        notes.extend(extra);
        CaseResult {
            id: ctx.case_id.clone(),
            suite: suite.to_string(),
            role,
            target,
            rfc: Vec::new(),
            level: Level::Must,
            verdict: CaseResult::grade(&violations),
            violations,
            notes,
            reason: None,
            duration,
            capture: None,
        }
    };
    [
        result(
            Role::Server,
            format!("server {}", s.server),
            server.violations,
            server.notes,
        ),
        result(
            Role::Client,
            format!("client {}", s.client),
            client,
            Vec::new(),
        ),
    ]
}

// RFC 959 5.4: "Connection Establishment / 120 / 220 / 220 / 421".
fn greeting_check(codes: &[u16], out: &mut Findings) {
    let ok = match codes {
        [220, ..] | [120, 220, ..] | [421, ..] => true,
        [] => return,
        _ => false,
    };
    if !ok {
        let seen: Vec<String> = codes.iter().map(u16::to_string).collect();
        out.violation(
            Rule::Greeting220,
            Rule::Greeting220.grade(Level::Must),
            "220 (or 120, then 220) on a new control connection",
            format!("greeting {}", seen.join(", ")),
            None,
        );
    }
}

/// An active negotiation whose transfer the server answered 425 with no
/// data connection in the capture: whether it tried to connect is not on
/// the wire here.
fn refused_unseen(n: &crate::check::facts::Negotiation) -> Option<String> {
    let t = n.transfer.as_ref()?;
    let refused = !t.succeeded && t.data.is_none() && !n.mode.is_passive();
    refused.then(|| {
        format!(
            "whether the server tried to connect for {} after {} (no such connection in the capture)",
            t.verb,
            n.mode.verb()
        )
    })
}

/// One line per negotiation: mode, reply, data connection.
fn summary_notes(xs: &[Exchange], negs: &[crate::check::facts::Negotiation]) -> Vec<String> {
    let mut out = vec![format!("{} commands", xs.len())];
    for n in negs {
        let code = n
            .reply_code
            .map_or("no reply".to_string(), |c| c.to_string());
        let data = match n.transfer.as_ref() {
            Some(t) => match t.data {
                Some(c) => format!("{} over connection {}", t.verb, c.0),
                None => format!("{} with no data connection", t.verb),
            },
            None => "no transfer".to_string(),
        };
        out.push(format!("{} -> {code}, {data}", n.mode.verb()));
    }
    out
}
