//! A view of a client-role timeline: the control connection, the commands
//! the client sent, data connections with their bytes, and stray ones.

use std::net::SocketAddr;

use crate::timeline::{stream, ConnId, ConnRole, Event, EventKind, Side};
use crate::wire::command::CommandDecoder;
use crate::wire::DEFAULT_LINE_CAP;

/// One command the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentCommand {
    pub verb: String,
    pub arg: Option<String>,
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
                };
                match role {
                    ConnRole::Control => {
                        view.control.get_or_insert((*initiator, *acceptor));
                        view.commands.extend(commands(&seen.from_client));
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

/// Decodes the commands of a control stream (bad lines are skipped).
pub fn commands(bytes: &[u8]) -> Vec<SentCommand> {
    let mut dec = CommandDecoder::new(DEFAULT_LINE_CAP);
    dec.feed(bytes);
    let mut out = Vec::new();
    // Each call consumes a line; the count bounds the loop.
    for _ in 0..=bytes.len() {
        match dec.next() {
            Some(Ok(c)) => out.push(SentCommand {
                verb: c.verb,
                arg: c.arg,
            }),
            Some(Err(_)) => {}
            None => break,
        }
    }
    out
}
