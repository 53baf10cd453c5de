//! A view of a client-role timeline: the control connection, the commands
//! the client sent, data connections with their bytes, and stray ones.

use std::net::SocketAddr;

use crate::timeline::{stream, ConnId, ConnRole, Digest, Event, EventKind, PeerEvent, Side};
use crate::wire::command::CommandDecoder;
use crate::wire::reply::ReplyDecoder;
use crate::wire::DEFAULT_LINE_CAP;

/// One command the client sent, and the final (not 1xx) reply code that
/// answered it, if one came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentCommand {
    pub verb: String,
    pub arg: Option<String>,
    pub reply: Option<u16>,
}

impl std::fmt::Display for SentCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.arg {
            Some(a) => write!(f, "{} {a}", self.verb),
            None => write!(f, "{}", self.verb),
        }
    }
}

/// One connection other than the control connection.
#[derive(Debug, Clone)]
pub struct SeenConn {
    pub id: ConnId,
    pub role: ConnRole,
    pub initiator: SocketAddr,
    pub acceptor: SocketAddr,
    pub initiator_side: Side,
    /// Bytes the client sent on it (uploads).
    pub from_client: Vec<u8>,
    /// Bytes the server sent on it (downloads).
    pub from_server: Vec<u8>,
    /// What the fake server read from it (uploads): length and hash of
    /// every byte, where `from_client` holds at most the timeline's
    /// retained prefix.
    pub received: Digest,
}

/// What a client-role case's timeline shows.
#[derive(Debug, Clone, Default)]
pub struct ClientView {
    /// The client's and the server's addresses on the first control
    /// connection.
    pub control: Option<(SocketAddr, SocketAddr)>,
    /// Commands of every control connection, connection after connection.
    pub commands: Vec<SentCommand>,
    /// Data connections in opening order.
    pub data: Vec<SeenConn>,
    /// Connections that reached a trap (a client trusting a foreign 227).
    pub strays: Vec<SeenConn>,
}

impl ClientView {
    pub fn from_events(events: &[Event]) -> ClientView {
        let mut view = ClientView::default();
        for e in events {
            if let EventKind::Opened {
                conn,
                role,
                initiator,
                acceptor,
                initiator_side,
                ..
            } = &e.kind
            {
                let seen = SeenConn {
                    id: *conn,
                    role: *role,
                    initiator: *initiator,
                    acceptor: *acceptor,
                    initiator_side: *initiator_side,
                    from_client: stream(events, *conn, Side::Client).unwrap_or_default(),
                    from_server: stream(events, *conn, Side::Server).unwrap_or_default(),
                    received: received(events, *conn),
                };
                match role {
                    ConnRole::Control => {
                        view.control.get_or_insert((*initiator, *acceptor));
                        view.commands.extend(exchanges(events, *conn));
                    }
                    ConnRole::Data(_) => view.data.push(seen),
                    ConnRole::Stray => view.strays.push(seen),
                }
            }
        }
        view
    }

    /// The client's control address.
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.control.map(|(c, _)| c)
    }
}

/// Every control connection of a client-role timeline: the server's
/// address and the bytes the client sent on it, connection after
/// connection (for the checks that read the raw command stream: Telnet,
/// HOST order per connection).
pub fn client_control_bytes(events: &[Event]) -> Vec<(SocketAddr, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Opened {
                conn,
                role: ConnRole::Control,
                acceptor,
                ..
            } => Some((
                *acceptor,
                stream(events, *conn, Side::Client).unwrap_or_default(),
            )),
            _ => None,
        })
        .collect()
}

/// A client session on one control connection (127.0.0.1:40000 to
/// 127.0.0.1:2121) whose client sent `sent`: the timeline the client
/// checks' unit tests read.
#[cfg(test)]
pub fn client_sent(sent: &[u8]) -> Vec<Event> {
    use crate::timeline::{OpenRole, Timeline};
    let t = Timeline::new();
    let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let server: SocketAddr = "127.0.0.1:2121".parse().unwrap();
    let conn = t.open(
        OpenRole::Control,
        (client, Side::Client),
        (server, Side::Server),
    );
    t.bytes(conn, Side::Server, b"220 ready\r\n");
    t.bytes(conn, Side::Client, sent);
    t.events()
}

/// The commands of control connection `conn`, in order, each with the
/// final reply that answered it: replies answer commands in the order they
/// were sent, and a reply before any unanswered command (the greeting, an
/// unsolicited one) answers none. Bad lines are skipped.
/// What the fake server recorded it read from `conn` (nothing: empty).
fn received(events: &[Event], conn: ConnId) -> Digest {
    let mut digests = events.iter().filter_map(|e| match &e.kind {
        EventKind::Peer(PeerEvent::Received { conn: c, digest }) if *c == conn => Some(*digest),
        _ => None,
    });
    digests.next_back().unwrap_or_default()
}

fn exchanges(events: &[Event], conn: ConnId) -> Vec<SentCommand> {
    let mut cmds = CommandDecoder::new(DEFAULT_LINE_CAP);
    let mut replies = ReplyDecoder::new(DEFAULT_LINE_CAP);
    let mut out: Vec<SentCommand> = Vec::new();
    let mut answered = 0;
    for e in events {
        let EventKind::Bytes {
            conn: c,
            from,
            bytes,
            ..
        } = &e.kind
        else {
            continue;
        };
        if *c != conn {
            continue;
        }
        match from {
            Side::Client => {
                cmds.feed(bytes);
                // Each call consumes a line (bad ones too).
                while let Some(c) = cmds.next() {
                    out.extend(c.ok().map(|c| SentCommand {
                        verb: c.verb,
                        arg: c.arg,
                        reply: None,
                    }));
                }
            }
            Side::Server => {
                replies.feed(bytes);
                while let Some(r) = replies.next() {
                    let Ok(r) = r else { continue };
                    if r.is_preliminary() {
                        continue;
                    }
                    if let Some(cmd) = out.get_mut(answered) {
                        cmd.reply = Some(r.code);
                        answered += 1;
                    }
                }
            }
            Side::Third => {}
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::timeline::{OpenRole, Timeline};

    /// A control session from its lines: `C> ` lines the client sent, the
    /// others the server's.
    pub(crate) fn session(lines: &[&str]) -> Vec<Event> {
        let tl = Timeline::new();
        let (c, s) = (
            "127.0.0.1:5000".parse().unwrap(),
            "127.0.0.1:21".parse().unwrap(),
        );
        let conn = tl.open(OpenRole::Control, (c, Side::Client), (s, Side::Server));
        for line in lines {
            match line.strip_prefix("C> ") {
                Some(cmd) => tl.bytes(conn, Side::Client, format!("{cmd}\r\n").as_bytes()),
                None => tl.bytes(conn, Side::Server, format!("{line}\r\n").as_bytes()),
            }
        }
        tl.events()
    }

    #[test]
    fn each_command_gets_the_final_reply_that_answered_it() {
        let events = session(&[
            "220 hi",
            "C> USER u",
            "331 pass",
            "C> PASS p",
            "230 in",
            "C> RETR a",
            "150 here",
            "550 gone",
            "C> QUIT",
        ]);
        let got: Vec<(String, Option<u16>)> = ClientView::from_events(&events)
            .commands
            .into_iter()
            .map(|c| (c.verb, c.reply))
            .collect();
        let want = [
            ("USER", Some(331)),
            ("PASS", Some(230)),
            ("RETR", Some(550)),
            ("QUIT", None),
        ];
        let want: Vec<(String, Option<u16>)> =
            want.iter().map(|(v, r)| (v.to_string(), *r)).collect();
        assert_eq!(got, want);
    }
}
