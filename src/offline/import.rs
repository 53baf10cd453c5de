//! `ftpconform import`: one session of a capture written as a suite case,
//! the fake client's side (to replay against servers) or the fake
//! server's (to replay against clients). The data addresses of the
//! recording are not copied: a `data` step names the mode, and the replay
//! negotiates its own addresses (the harness's listener in PORT and EPRT,
//! whatever the server announces in 227 and 229). The first USER and PASS
//! become `login` (the target's own credentials). Text payloads of up to
//! [`INLINE_CAP`] bytes are inlined; a larger or binary one is written
//! beside the case (`file:`, when the caller gives a folder for it:
//! [`import_with_payloads`]) or else replayed by its size.

use std::fmt::Write as _;
use std::net::SocketAddr;

use super::wire_facts::{direction_of, exchanges, negotiations, Exchange};
use crate::capture::Session;
use crate::check::facts::Negotiation;
use crate::script::{DataMode, Direction};
use crate::timeline::{stream, Side};

/// Payload bytes written into the case as text.
pub const INLINE_CAP: usize = 4096;

/// Which peer the written case tests (`--role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportRole {
    /// The fake client plays the recorded client (the case tests servers).
    Server,
    /// The fake server plays the recorded server (the case tests clients).
    Client,
}

/// A written case and the payload files it names (each a path relative to
/// the case file, and the bytes to write there).
#[derive(Debug, Default)]
pub struct Imported {
    pub yaml: String,
    pub payloads: Vec<(String, Vec<u8>)>,
}

/// Where the payloads that are not inlined go: named in the case as
/// `file:` under `dir`, or (no `dir`) replayed by their size.
struct Payloads {
    dir: Option<String>,
    files: Vec<(String, Vec<u8>)>,
}

/// How a payload appears in the case.
enum Written {
    Text(String),
    File(String),
    Size(u64),
}

impl Payloads {
    fn place(&mut self, d: &[u8]) -> Written {
        if let Some(text) = std::str::from_utf8(d)
            .ok()
            .filter(|_| d.len() <= INLINE_CAP)
        {
            return Written::Text(quote(text));
        }
        let Some(dir) = &self.dir else {
            return Written::Size(d.len() as u64);
        };
        let name = format!("{dir}/transfer-{}.bin", self.files.len() + 1);
        self.files.push((name.clone(), d.to_vec()));
        Written::File(quote(&name))
    }
}

/// The suite text of session `s` of the capture named `file`; payloads
/// that are not inlined are replayed by their size.
pub fn import(file: &str, s: &Session, role: ImportRole) -> String {
    imported(file, s, role, None).yaml
}

/// The case of session `s`, with the payloads that are not inlined named
/// as files under `dir` (relative to the case file), returned to be
/// written there.
pub fn import_with_payloads(file: &str, s: &Session, role: ImportRole, dir: &str) -> Imported {
    imported(file, s, role, Some(dir.to_string()))
}

fn imported(file: &str, s: &Session, role: ImportRole, dir: Option<String>) -> Imported {
    let (_, xs) = exchanges(&s.events);
    let negs = negotiations(&s.events, (s.client, s.server), &xs);
    let stem = slug(file);
    let mut out = format!(
        "# Imported by `ftpconform import` from {file}, session {} \
         (client {}, server {}, {} commands).\n",
        s.number,
        s.client,
        s.server,
        xs.len()
    );
    let mut payloads = Payloads {
        dir,
        files: Vec::new(),
    };
    let p = &mut payloads;
    match role {
        ImportRole::Server => server_suite(&mut out, p, &stem, s, &xs, &negs),
        ImportRole::Client => client_suite(&mut out, p, &stem, s, &xs, &negs),
    }
    Imported {
        yaml: out,
        payloads: payloads.files,
    }
}

fn header(out: &mut String, stem: &str, role: &str, s: &Session, title: &str) {
    let _ = writeln!(out, "suite: import-{stem}");
    let _ = writeln!(out, "role: {role}");
    let _ = writeln!(out, "cases:");
    let _ = writeln!(out, "  - id: session-{}", s.number);
    let _ = writeln!(out, "    title: {}", quote(title));
    let _ = writeln!(out, "    level: must");
    let _ = writeln!(out, "    rfc: [\"RFC 959 5.4\"]");
}

fn server_suite(
    out: &mut String,
    payloads: &mut Payloads,
    stem: &str,
    s: &Session,
    xs: &[Exchange],
    negs: &[Negotiation],
) {
    let title = format!("The recorded client's session {} replayed", s.number);
    header(out, stem, "server", s, &title);
    let _ = writeln!(out, "    steps:");
    let all = negs;
    let mut negs = negs.iter().peekable();
    let mut i = 0;
    while i < xs.len() {
        let x = &xs[i];
        if x.verb == "USER" && i == first_user(xs) {
            let _ = writeln!(out, "      - login");
            i += if xs.get(i + 1).is_some_and(|p| p.verb == "PASS") {
                2
            } else {
                1
            };
            continue;
        }
        let neg = negs.next_if(|n| n.sent_seq == x.seq);
        match (neg, direction_of(&x.verb)) {
            (Some(n), _) if ok(x) => data_step(out, n, s.server),
            (None, Some(dir)) if ok(x) && seen_negotiation(xs, i) => {
                let data = transfer_data(s, all, x.seq, dir);
                transfer_step(out, payloads, x, dir, data.as_deref());
            }
            _ => send_step(out, x),
        }
        i += 1;
    }
}

fn first_user(xs: &[Exchange]) -> usize {
    xs.iter()
        .position(|x| x.verb == "USER")
        .unwrap_or(usize::MAX)
}

fn ok(x: &Exchange) -> bool {
    x.last_code().is_some_and(|c| c / 100 == 2)
}

/// Whether a negotiation came before exchange `i` (a transfer needs one).
fn seen_negotiation(xs: &[Exchange], i: usize) -> bool {
    xs[..i]
        .iter()
        .any(|x| matches!(x.verb.as_str(), "PASV" | "EPSV" | "PORT" | "EPRT"))
}

/// The bytes of the data connection used by the transfer sent at `seq`.
fn transfer_data(s: &Session, negs: &[Negotiation], seq: u64, dir: Direction) -> Option<Vec<u8>> {
    let t = negs
        .iter()
        .filter_map(|n| n.transfer.as_ref())
        .find(|t| t.sent_seq == seq)?;
    let from = match dir {
        Direction::Download => Side::Server,
        Direction::Upload => Side::Client,
    };
    stream(&s.events, t.data?, from)
}

fn data_step(out: &mut String, n: &Negotiation, server: SocketAddr) {
    let mode = match n.mode {
        DataMode::Pasv => "pasv",
        DataMode::Epsv => "epsv",
        DataMode::Port => "port",
        DataMode::Eprt => "eprt",
    };
    let mut fields = vec![format!("mode: {mode}")];
    let extended = matches!(n.mode, DataMode::Epsv | DataMode::Eprt);
    if extended && server.is_ipv6() {
        fields.push("family: ipv6".into());
    }
    let default = match n.mode {
        DataMode::Pasv => 227,
        DataMode::Epsv => 229,
        _ => 200,
    };
    match n.reply_code {
        Some(c) if c != default => fields.push(format!("expect: {c}")),
        _ => {}
    }
    let _ = writeln!(out, "      - data: {{{}}}", fields.join(", "));
}

fn transfer_step(
    out: &mut String,
    payloads: &mut Payloads,
    x: &Exchange,
    dir: Direction,
    data: Option<&[u8]>,
) {
    let mut fields = vec![format!("command: {}", quote(&command(x)))];
    let listing = matches!(x.verb.as_str(), "LIST" | "NLST" | "MLSD");
    match (data, dir) {
        (_, Direction::Download) if listing => {}
        (Some(d), _) => fields.push(match payloads.place(d) {
            Written::Text(t) => format!("content: {t}"),
            Written::File(f) => format!("file: {f}"),
            Written::Size(n) => format!("size: {n}"),
        }),
        (None, Direction::Upload) => fields.push("size: 0".into()),
        (None, Direction::Download) => {}
    }
    let _ = writeln!(out, "      - transfer: {{{}}}", fields.join(", "));
}

fn send_step(out: &mut String, x: &Exchange) {
    let _ = writeln!(out, "      - send: {}", quote(&command(x)));
    if let Some(code) = x.replies.last().map(|r| r.0) {
        let _ = writeln!(out, "        expect: {code}");
    }
}

/// The command line as recorded, with `$` kept from reading as a variable.
fn command(x: &Exchange) -> String {
    let line = match &x.arg {
        Some(a) => format!("{} {a}", x.verb),
        None => x.verb.clone(),
    };
    line.replace('$', "$$")
}

fn client_suite(
    out: &mut String,
    payloads: &mut Payloads,
    stem: &str,
    s: &Session,
    xs: &[Exchange],
    negs: &[Negotiation],
) {
    let title = format!("The recorded server's session {} replayed", s.number);
    header(out, &format!("{stem}-client"), "client", s, &title);
    let transfer = negs.iter().find_map(|n| Some((n, n.transfer.as_ref()?)));
    let (op, path, data) = match transfer {
        Some((_, t)) => {
            let x = xs.iter().find(|x| x.seq == t.sent_seq);
            let path = x.and_then(|x| x.arg.clone()).unwrap_or_default();
            let op = match t.verb.as_str() {
                "RETR" => "get",
                "STOR" | "APPE" | "STOU" => "put",
                _ => "list",
            };
            let from = if op == "put" {
                Side::Client
            } else {
                Side::Server
            };
            (op, path, t.data.and_then(|c| stream(&s.events, c, from)))
        }
        None => ("list", String::new(), None),
    };
    let mode = transfer.map_or(DataMode::Pasv, |(n, _)| n.mode);
    let _ = write!(out, "    client: {{op: {op}");
    if op != "list" {
        let _ = write!(out, ", path: {}", quote(&path));
    }
    let passive = if mode.is_passive() {
        "passive"
    } else {
        "active"
    };
    let extended = matches!(mode, DataMode::Epsv | DataMode::Eprt);
    let _ = writeln!(out, ", mode: {passive}, extended: {extended}}}");
    if op == "get" {
        let _ = writeln!(out, "    files:");
        let content = match data.as_deref().map(|d| payloads.place(d)) {
            Some(Written::Text(t)) => t,
            Some(Written::File(f)) => format!("{{file: {f}}}"),
            Some(Written::Size(n)) => format!("{{size: {n}}}"),
            None => quote(""),
        };
        let _ = writeln!(out, "      {}: {content}", quote(&path));
    }
    let verb = transfer.map_or("LIST".to_string(), |(_, t)| t.verb.clone());
    let _ = writeln!(out, "    expect:");
    let _ = writeln!(out, "      commands: [{verb}]");
    let ok = transfer.is_some_and(|(_, t)| t.succeeded);
    let _ = writeln!(out, "      success: {ok}");
}

/// A YAML double-quoted scalar (JSON's escapes are YAML's).
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// A suite name from a file name: lower case, `-` for anything else.
fn slug(file: &str) -> String {
    let stem = file.rsplit('/').next().unwrap_or(file);
    let stem = stem.split('.').next().unwrap_or(stem);
    let s: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.trim_matches('-').to_string()
}
