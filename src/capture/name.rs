//! Names the connections read from a capture: which are control and which
//! data connections, and which side (client or server) each endpoint is,
//! from the control port and the ports announced by PASV, EPSV, PORT and
//! EPRT on the control connections.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::timeline::{CloseKind, ConnId, ConnRole, Event, EventKind, Side};
use crate::wire::addr::{find_in_command, find_in_reply};

/// Longest control line scanned for negotiations.
const LINE_CAP: usize = 8192;

/// An event before roles and sides are known: directions are endpoint
/// indexes (0 = initiator).
pub(super) enum Raw {
    Open(usize),
    Data {
        flow: usize,
        dir: usize,
        offset: u64,
        bytes: Vec<u8>,
    },
    Close {
        flow: usize,
        dir: usize,
        kind: CloseKind,
    },
    Note(String),
}

/// The endpoints of one TCP connection (0 = initiator), and whether its
/// SYN was in the capture (without it, the initiator is a guess).
pub(super) struct FlowEnds {
    pub(super) ends: [SocketAddr; 2],
    pub(super) syn_seen: bool,
}

/// Names roles and sides once the flows are known.
pub(super) struct Namer<'a> {
    flows: &'a [FlowEnds],
    control_port: Option<u16>,
    /// (client ip, server ip) of the latest control connection.
    ctx: Option<(IpAddr, IpAddr)>,
    server_ports: HashSet<u16>,
    client_ports: HashSet<u16>,
    sides: Vec<[Side; 2]>,
    roles: Vec<ConnRole>,
    next_data: u32,
    lines: HashMap<(usize, usize), Vec<u8>>,
}

impl<'a> Namer<'a> {
    pub(super) fn new(flows: &'a [FlowEnds], control_port: Option<u16>) -> Self {
        let guess = || {
            let has_21 = flows.iter().any(|f| f.ends[1].port() == 21);
            let first = flows.first().map(|f| f.ends[1].port());
            if has_21 {
                Some(21)
            } else {
                first
            }
        };
        Namer {
            flows,
            control_port: control_port.or_else(guess),
            ctx: None,
            server_ports: HashSet::new(),
            client_ports: HashSet::new(),
            sides: Vec::new(),
            roles: Vec::new(),
            next_data: 0,
            lines: HashMap::new(),
        }
    }

    pub(super) fn events(mut self, raw: Vec<(Duration, Raw)>) -> Vec<Event> {
        let mut out = Vec::with_capacity(raw.len());
        for (at, r) in raw {
            let kind = self.kind(r);
            let seq = out.len() as u64;
            out.push(Event { seq, at, kind });
        }
        out
    }

    fn kind(&mut self, raw: Raw) -> EventKind {
        match raw {
            Raw::Open(flow) => self.open(flow),
            Raw::Data {
                flow,
                dir,
                offset,
                bytes,
            } => {
                self.scan(flow, dir, &bytes);
                EventKind::Bytes {
                    conn: ConnId(flow as u32),
                    from: self.sides[flow][dir],
                    offset,
                    len: bytes.len() as u64,
                    bytes,
                }
            }
            Raw::Close { flow, dir, kind } => EventKind::Closed {
                conn: ConnId(flow as u32),
                by: self.sides[flow][dir],
                kind,
            },
            Raw::Note(text) => EventKind::Note { text },
        }
    }

    fn open(&mut self, flow: usize) -> EventKind {
        let f = &self.flows[flow];
        let cp = self.control_port;
        let (role, sides) = if Some(f.ends[1].port()) == cp {
            self.ctx = Some((f.ends[0].ip(), f.ends[1].ip()));
            (ConnRole::Control, [Side::Client, Side::Server])
        } else if !f.syn_seen && Some(f.ends[0].port()) == cp {
            self.ctx = Some((f.ends[1].ip(), f.ends[0].ip()));
            (ConnRole::Control, [Side::Server, Side::Client])
        } else {
            self.next_data += 1;
            (ConnRole::Data(self.next_data), self.data_sides(f.ends))
        };
        self.roles.push(role);
        self.sides.push(sides);
        EventKind::Opened {
            conn: ConnId(flow as u32),
            role,
            initiator: f.ends[0],
            acceptor: f.ends[1],
            initiator_side: sides[0],
            acceptor_side: sides[1],
        }
    }

    /// Sides of a data connection: the acceptor is whoever announced its
    /// port (PASV/EPSV: server, PORT/EPRT: client), else judged by address.
    fn data_sides(&self, ends: [SocketAddr; 2]) -> [Side; 2] {
        let Some((client, server)) = self.ctx else {
            return [Side::Client, Side::Server];
        };
        let by_ip = |ip: IpAddr| match (ip == client, ip == server) {
            (true, false) => Some(Side::Client),
            (false, true) => Some(Side::Server),
            (true, true) => None,
            (false, false) => Some(Side::Third),
        };
        let port = ends[1].port();
        let acceptor = match by_ip(ends[1].ip()) {
            Some(side) => side,
            None if self.server_ports.contains(&port) => Side::Server,
            None if self.client_ports.contains(&port) => Side::Client,
            None => Side::Server,
        };
        let opposite = match acceptor {
            Side::Client => Side::Server,
            _ => Side::Client,
        };
        let initiator = match by_ip(ends[0].ip()) {
            None => opposite,
            Some(side) if side == acceptor => Side::Third,
            Some(side) => side,
        };
        [initiator, acceptor]
    }

    /// Collects ports announced on control connections.
    fn scan(&mut self, flow: usize, dir: usize, bytes: &[u8]) {
        if self.roles[flow] != ConnRole::Control {
            return;
        }
        let from_server = self.sides[flow][dir] == Side::Server;
        let buf = self.lines.entry((flow, dir)).or_default();
        buf.extend_from_slice(bytes);
        let mut found = Vec::new();
        while let Some(nl) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=nl).collect();
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end();
            let arg = match from_server {
                true => find_in_reply(text),
                false => find_in_command(text),
            };
            if let Some(a) = arg {
                found.push((a.kind.names_server(), a.port));
            }
        }
        if buf.len() > LINE_CAP {
            buf.clear();
        }
        for (server, port) in found {
            let set = if server {
                &mut self.server_ports
            } else {
                &mut self.client_ports
            };
            set.insert(port);
        }
    }
}
