//! What a session's control connection shows, read back from the wire
//! alone (a capture has no script and no fake peer's account): the
//! commands with the replies that answered them, and each data
//! negotiation with its transfer and data connection, as the timeline
//! checks take them.

use std::net::{IpAddr, SocketAddr};

use crate::check::facts::{Negotiation, TransferFacts};
use crate::script::{DataMode, Direction};
use crate::timeline::{ConnId, ConnRole, Event, EventKind, Side};
use crate::wire::addr;
use crate::wire::command::CommandDecoder;
use crate::wire::reply::ReplyDecoder;
use crate::wire::DEFAULT_LINE_CAP;

/// One command and every reply that answered it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub verb: String,
    pub arg: Option<String>,
    /// Sequence number of the event that carried the command.
    pub seq: u64,
    /// Codes and first lines, preliminary ones included.
    pub replies: Vec<(u16, String)>,
    /// Sequence number of the event that completed the final reply.
    pub final_seq: Option<u64>,
}

impl Exchange {
    /// The final (not 1xx) reply code.
    pub fn last_code(&self) -> Option<u16> {
        self.replies.last().map(|r| r.0).filter(|c| *c >= 200)
    }
}

/// The greeting codes and the exchanges of control connection 0.
pub fn exchanges(events: &[Event]) -> (Vec<u16>, Vec<Exchange>) {
    let mut cmds = CommandDecoder::new(DEFAULT_LINE_CAP);
    let mut replies = ReplyDecoder::new(DEFAULT_LINE_CAP);
    let (mut greeting, mut out) = (Vec::new(), Vec::<Exchange>::new());
    let mut answered = 0;
    for e in events {
        let EventKind::Bytes {
            conn: ConnId(0),
            from,
            bytes,
            ..
        } = &e.kind
        else {
            continue;
        };
        if *from == Side::Client {
            cmds.feed(bytes);
            while let Some(c) = cmds.next() {
                out.extend(c.ok().map(|c| Exchange {
                    verb: c.verb,
                    arg: c.arg,
                    seq: e.seq,
                    replies: Vec::new(),
                    final_seq: None,
                }));
            }
            continue;
        }
        replies.feed(bytes);
        while let Some(r) = replies.next() {
            let Ok(r) = r else { continue };
            let line = crate::check::replies::first_line(&r);
            let none_sent = out.is_empty();
            match out.get_mut(answered) {
                Some(x) => {
                    x.replies.push((r.code, line));
                    if !r.is_preliminary() {
                        x.final_seq = Some(e.seq);
                        answered += 1;
                    }
                }
                None if none_sent => greeting.push(r.code),
                None => {}
            }
        }
    }
    (greeting, out)
}

/// The data negotiations of a session, each with the transfer that
/// followed it and the data connection made for it.
pub fn negotiations(
    events: &[Event],
    control: (SocketAddr, SocketAddr),
    exchanges: &[Exchange],
) -> Vec<Negotiation> {
    let data = data_conns(events);
    let mut out: Vec<Negotiation> = Vec::new();
    for x in exchanges {
        // `EPSV ALL` asks for no data connection (RFC 2428 4).
        let all = x
            .arg
            .as_deref()
            .is_some_and(|a| a.trim().eq_ignore_ascii_case("ALL"));
        if let Some(mode) = mode_of(&x.verb).filter(|_| !all) {
            out.push(negotiation(mode, x, control));
            continue;
        }
        let Some(direction) = direction_of(&x.verb) else {
            continue;
        };
        let Some(neg) = out.last_mut().filter(|n| n.transfer.is_none()) else {
            continue;
        };
        let target = neg.announced.or(neg.named);
        let conn = data
            .iter()
            .find(|(seq, _, acceptor)| {
                *seq > neg.sent_seq && target.is_some_and(|t| same(t, *acceptor, control.1.ip()))
            })
            .map(|d| d.1);
        let ok = x.last_code().is_some_and(|c| c / 100 == 2);
        neg.transfer = Some(TransferFacts {
            verb: x.verb.clone(),
            direction,
            sent_seq: x.seq,
            data: conn,
            aborted: false,
            succeeded: ok,
        });
    }
    out
}

/// Whether a connection to `acceptor` is one to the announced `target`
/// (the same address, or the control connection's server address with
/// the announced port, as a client behind NAT connects).
fn same(target: SocketAddr, acceptor: SocketAddr, server: IpAddr) -> bool {
    target == acceptor || (target.port() == acceptor.port() && acceptor.ip() == server)
}

fn negotiation(mode: DataMode, x: &Exchange, control: (SocketAddr, SocketAddr)) -> Negotiation {
    let (client, server) = control;
    let arg = x.arg.as_deref().unwrap_or("").trim();
    let reply = x.replies.last().map(|r| r.1.as_str()).unwrap_or("");
    let text = reply.get(4..).unwrap_or("");
    let (announced, named) = match mode {
        DataMode::Pasv => (addr::parse_pasv_reply(text).ok().map(SocketAddr::V4), None),
        DataMode::Epsv => (
            addr::parse_epsv_reply(text)
                .ok()
                .map(|p| SocketAddr::new(server.ip(), p)),
            None,
        ),
        DataMode::Port => (None, addr::parse_port(arg).ok().map(SocketAddr::V4)),
        DataMode::Eprt => (None, addr::parse_eprt(arg).ok()),
    };
    let trap = named.is_some_and(|n| n.ip() != client.ip() || n.port() < 1024);
    Negotiation {
        mode,
        loc: None,
        sent_seq: x.seq,
        reply_code: x.last_code(),
        announced: announced.filter(|_| x.last_code().is_some_and(|c| c / 100 == 2)),
        named,
        listener: named,
        trap,
        explicit_expect: false,
        thief: None,
        thief_conn: None,
        transfer: None,
    }
}

/// Data connections: when each opened, its id and its acceptor.
fn data_conns(events: &[Event]) -> Vec<(u64, ConnId, SocketAddr)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Opened {
                conn,
                role: ConnRole::Data(_),
                acceptor,
                ..
            } => Some((e.seq, *conn, *acceptor)),
            _ => None,
        })
        .collect()
}

fn mode_of(verb: &str) -> Option<DataMode> {
    Some(match verb {
        "PASV" => DataMode::Pasv,
        "EPSV" => DataMode::Epsv,
        "PORT" => DataMode::Port,
        "EPRT" => DataMode::Eprt,
        _ => return None,
    })
}

/// The direction of a transfer command's data.
pub fn direction_of(verb: &str) -> Option<Direction> {
    match verb {
        "RETR" | "LIST" | "NLST" | "MLSD" => Some(Direction::Download),
        "STOR" | "STOU" | "APPE" => Some(Direction::Upload),
        _ => None,
    }
}
