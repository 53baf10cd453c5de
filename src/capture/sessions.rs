//! A capture of real traffic, streamed into FTP sessions: each TCP
//! connection is reassembled per direction, control connections are found
//! by their content (any port), data connections by the PORT, EPRT, 227 or
//! 229 that announced their address, and each session's timeline is handed
//! over as soon as its control connection and data connections have ended.
//! Connections that are not FTP are dropped as soon as that is clear, so
//! memory follows the open sessions, not the size of the file.

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::classify::{looks, LOOK_CAP};
use super::link::{decode, supported, Seg};
use super::log::Log;
use super::packets::{self, End, Packet};
use super::reasm::{Dir, Out};
use super::CaptureError;
use crate::timeline::{ConnId, ConnRole, EventKind, Side};
use crate::wire::addr::{find_in_command, find_in_reply, ArgKind};
use crate::wire::DEFAULT_LINE_CAP;

/// Connections tracked at once before those not known to be FTP are
/// dropped.
const FLOW_CAP: usize = 65_536;

/// One FTP session of a capture: its timeline, and what the capture
/// could not show of it.
pub struct Session {
    /// 1-based, in the order the control connections were recognised.
    pub number: u32,
    pub events: Vec<crate::timeline::Event>,
    /// The client's and the server's control addresses.
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Things the capture cannot tell (each a sentence).
    pub unknown: Vec<String>,
}

/// How reading a capture went, beside its sessions.
#[derive(Debug, Default)]
pub struct Summary {
    pub packets: u64,
    pub bytes: u64,
    pub sessions: u32,
    /// TCP connections that were not FTP (nor data of a session seen).
    pub other_connections: u64,
    /// Why the file stopped before its end, if it did.
    pub damaged: Option<String>,
}

/// What the reader is told.
#[derive(Debug, Clone)]
pub struct Options {
    /// Payload bytes kept per connection and direction.
    pub retain: u64,
    /// A port whose connections are control connections whatever they
    /// carry (for sessions whose start is not in the capture).
    pub control_port: Option<u16>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            retain: 1024 * 1024,
            control_port: None,
        }
    }
}

/// Reads the capture at `path`, handing each session to `each`.
pub fn read_sessions(
    path: &Path,
    opts: &Options,
    each: impl FnMut(Session),
) -> Result<Summary, CaptureError> {
    let file = std::fs::File::open(path).map_err(|source| CaptureError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_sessions_from(file, path, opts, each)
}

/// Reads a capture from `input` as [`read_sessions`] does; `path` only
/// names it in errors.
pub fn read_sessions_from(
    input: impl Read,
    path: &Path,
    opts: &Options,
    each: impl FnMut(Session),
) -> Result<Summary, CaptureError> {
    let mut reader = Reader {
        flows: HashMap::new(),
        last_at: Duration::ZERO,
        sink: Sink {
            opts: opts.clone(),
            sessions: HashMap::new(),
            expects: HashMap::new(),
            each,
            summary: Summary::default(),
            unsupported: None,
        },
    };
    let end = packets::for_each(input, |p| reader.packet(p)).map_err(|e| e.at(path))?;
    if let Some(link) = reader.sink.unsupported.take() {
        if reader.sink.summary.packets == 0 {
            return Err(CaptureError::UnsupportedLinkType {
                path: path.to_path_buf(),
                link,
            });
        }
    }
    if let End::Damaged(detail) = end {
        reader.sink.summary.damaged = Some(detail);
    }
    Ok(reader.finish())
}

type Key = (SocketAddr, SocketAddr);

fn key(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// What a connection is known to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Unknown,
    Control(u32),
    Data(u32, ConnId),
    Other,
}

/// One TCP connection; end 0 is the initiator (a guess until the content
/// tells, when the SYN is not in the capture).
struct Flow {
    ends: [SocketAddr; 2],
    syn_seen: bool,
    isn: Option<u32>,
    dirs: [Dir; 2],
    class: Class,
    sides: [Side; 2],
    /// Bytes of an unknown connection until it is judged: each chunk with
    /// its direction and stream offset, in arrival order.
    held: Vec<(usize, u64, Vec<u8>)>,
    /// FINs seen of a connection that is not followed.
    fins: [bool; 2],
}

impl Flow {
    fn new(seg: &Seg<'_>) -> Flow {
        let ends = if seg.syn && seg.ack.is_some() {
            [seg.dst, seg.src]
        } else {
            [seg.src, seg.dst]
        };
        Flow {
            ends,
            syn_seen: seg.syn,
            isn: None,
            dirs: Default::default(),
            class: Class::Unknown,
            sides: [Side::Client, Side::Server],
            held: Default::default(),
            fins: [false; 2],
        }
    }

    fn done(&self) -> bool {
        self.dirs.iter().all(Dir::closed)
    }

    fn swap(&mut self) {
        self.ends.swap(0, 1);
        self.dirs.swap(0, 1);
        for chunk in &mut self.held {
            chunk.0 = 1 - chunk.0;
        }
    }
}

struct Reader<F> {
    flows: HashMap<Key, Flow>,
    /// Time of the latest packet.
    last_at: Duration,
    sink: Sink<F>,
}

/// A session being read.
struct Live {
    number: u32,
    client: SocketAddr,
    server: SocketAddr,
    log: Log,
    next_conn: u32,
    next_data: u32,
    open: usize,
    control_done: bool,
    /// Partial control lines, client's then server's.
    lines: [Vec<u8>; 2],
    expects: Vec<SocketAddr>,
    unknown: Vec<String>,
}

struct Sink<F> {
    opts: Options,
    sessions: HashMap<u32, Live>,
    /// Announced data addresses (the acceptor's): their session, and
    /// who announced them (the client in PORT and EPRT, the server in 227
    /// and 229).
    expects: HashMap<SocketAddr, (u32, Side)>,
    each: F,
    summary: Summary,
    unsupported: Option<String>,
}

impl<F: FnMut(Session)> Reader<F> {
    fn packet(&mut self, p: Packet<'_>) {
        if !supported(p.link) {
            self.sink.unsupported = Some(format!("{:?}", p.link));
            return;
        }
        self.sink.summary.packets += 1;
        self.sink.summary.bytes += p.data.len() as u64;
        self.last_at = self.last_at.max(p.at);
        if let Some(seg) = decode(p.link, p.data) {
            self.segment(p.at, &seg);
        }
    }

    fn segment(&mut self, at: Duration, seg: &Seg<'_>) {
        let k = key(seg.src, seg.dst);
        if let Some(f) = self.flows.get(&k) {
            let renewed = seg.syn && seg.ack.is_none() && f.isn.is_some_and(|i| i != seg.seq);
            if renewed && (f.done() || f.dirs[0].delivered() > 0) {
                self.end_flow(at, k);
            }
        }
        if !self.flows.contains_key(&k) {
            if !seg.syn && seg.payload.is_empty() {
                // A bare ACK, FIN or RST of a connection not followed.
                return;
            }
            if self.flows.len() >= FLOW_CAP {
                self.evict();
            }
            let flow = self.sink.classify_new(at, Flow::new(seg));
            self.flows.insert(k, flow);
        }
        let Some(flow) = self.flows.get_mut(&k) else {
            return;
        };
        let dir = usize::from(flow.ends[0] != seg.src);
        if flow.class == Class::Other {
            flow.fins[dir] |= seg.fin;
            if seg.rst || flow.fins == [true, true] {
                self.flows.remove(&k);
            }
            return;
        }
        self.sink.feed(at, flow, dir, seg);
        if flow.class == Class::Unknown {
            self.sink.judge(at, flow);
        }
        if flow.done() {
            self.end_flow(at, k);
        }
    }

    /// Drops every connection not known to be part of a session.
    fn evict(&mut self) {
        let before = self.flows.len();
        self.flows
            .retain(|_, f| matches!(f.class, Class::Control(_) | Class::Data(..)));
        self.sink.summary.other_connections += (before - self.flows.len()) as u64;
    }

    fn end_flow(&mut self, at: Duration, k: Key) {
        let Some(mut flow) = self.flows.remove(&k) else {
            return;
        };
        for dir in 0..2 {
            let (sink, d) = (&mut self.sink, &mut flow.dirs[dir]);
            d.finish(&mut |o| sink.out(at, flow.class, flow.sides[dir], o));
        }
        self.sink.flow_ended(flow.class);
    }

    fn finish(mut self) -> Summary {
        let keys: Vec<Key> = self.flows.keys().copied().collect();
        for k in keys {
            self.end_flow(self.last_at, k);
        }
        let mut numbers: Vec<u32> = self.sink.sessions.keys().copied().collect();
        numbers.sort_unstable();
        for n in numbers {
            self.sink.end_session(n);
        }
        self.sink.summary
    }
}

impl<F: FnMut(Session)> Sink<F> {
    /// A new connection: data of a session if its acceptor was announced,
    /// control if it uses the given control port, else unknown.
    fn classify_new(&mut self, at: Duration, mut flow: Flow) -> Flow {
        let announced = |a: &SocketAddr| self.expects.get(a).copied();
        let found = match (announced(&flow.ends[1]), flow.syn_seen) {
            (Some(s), _) => Some(s),
            (None, false) => announced(&flow.ends[0]).inspect(|_| flow.swap()),
            (None, true) => None,
        };
        if let Some((sid, by)) = found {
            self.open_data(at, sid, by, &mut flow);
            return flow;
        }
        let port = self.opts.control_port;
        if port.is_some() && !flow.syn_seen && Some(flow.ends[0].port()) == port {
            flow.swap();
        }
        if port.is_some() && Some(flow.ends[1].port()) == port {
            self.open_control(at, &mut flow);
        }
        flow
    }

    /// Reassembles one segment of `flow` in direction `dir`.
    fn feed(&mut self, at: Duration, flow: &mut Flow, dir: usize, seg: &Seg<'_>) {
        let Flow {
            dirs,
            class,
            sides,
            held,
            isn,
            ..
        } = flow;
        let class = *class;
        let mut out = |d: usize, o: Out<'_>| match class {
            Class::Unknown => hold(held, d, o),
            _ => self.out(at, class, sides[d], o),
        };
        if seg.syn {
            dirs[dir].syn(seg.seq);
            if dir == 0 {
                isn.get_or_insert(seg.seq);
            }
        }
        if let Some(ack) = seg.ack {
            dirs[1 - dir].acked(ack, &mut |o| out(1 - dir, o));
        }
        if seg.rst {
            for d in [dir, 1 - dir] {
                dirs[d].reset(&mut |o| out(d, o));
            }
            return;
        }
        if !seg.syn {
            let (payload, cut) = (seg.payload, seg.missing);
            dirs[dir].segment(seg.seq, payload, cut, seg.fin, &mut |o| out(dir, o));
        }
    }

    /// Judges an unknown connection from the lines it has carried.
    fn judge(&mut self, at: Duration, flow: &mut Flow) {
        let middle = !flow.syn_seen;
        let side = |d: usize| -> Vec<u8> {
            let chunks = flow.held.iter().filter(|c| c.0 == d);
            chunks.flat_map(|c| c.2.iter().copied()).collect()
        };
        let [a, b] = [looks(&side(0), middle), looks(&side(1), middle)];
        let big = flow.held.iter().map(|c| c.2.len()).sum::<usize>() > LOOK_CAP;
        if a.foreign || b.foreign || big || flow.done() {
            flow.class = Class::Other;
            flow.held = Default::default();
            self.summary.other_connections += 1;
            return;
        }
        let server_is_acceptor = b.replies && a.commands;
        let server_is_initiator = a.replies && b.commands && !flow.syn_seen;
        if !(server_is_acceptor || server_is_initiator) {
            return;
        }
        if server_is_initiator {
            flow.swap();
        }
        self.open_control(at, flow);
        let held = std::mem::take(&mut flow.held);
        let class = flow.class;
        for (dir, offset, bytes) in &held {
            let o = Out::Data {
                offset: *offset,
                bytes,
            };
            self.out(at, class, flow.sides[*dir], o);
        }
    }

    fn open_control(&mut self, at: Duration, flow: &mut Flow) {
        self.summary.sessions += 1;
        let number = self.summary.sessions;
        let [client, server] = flow.ends;
        let mut live = Live {
            number,
            client,
            server,
            log: Log::new(at, self.opts.retain),
            next_conn: 1,
            next_data: 0,
            open: 1,
            control_done: false,
            lines: Default::default(),
            expects: Vec::new(),
            unknown: Vec::new(),
        };
        if !flow.syn_seen {
            live.unknown.push(
                "the capture starts inside the control connection: who opened it, \
                 and the greeting, are not in it"
                    .into(),
            );
        }
        flow.class = Class::Control(number);
        flow.sides = [Side::Client, Side::Server];
        live.log
            .push(at, opened(ConnId(0), ConnRole::Control, flow));
        self.sessions.insert(number, live);
    }

    /// A data connection to the address `by` announced.
    fn open_data(&mut self, at: Duration, sid: u32, by: Side, flow: &mut Flow) {
        let Some(live) = self.sessions.get_mut(&sid) else {
            return;
        };
        let conn = ConnId(live.next_conn);
        live.next_conn += 1;
        live.next_data += 1;
        live.open += 1;
        let side = |ip, default| match (ip == live.client.ip(), ip == live.server.ip()) {
            (true, true) => default,
            (true, false) => Side::Client,
            (false, true) => Side::Server,
            (false, false) => Side::Third,
        };
        let acceptor = side(flow.ends[1].ip(), by);
        let opposite = match by {
            Side::Client => Side::Server,
            _ => Side::Client,
        };
        flow.sides = [side(flow.ends[0].ip(), opposite), acceptor];
        if flow.sides[0] == flow.sides[1] {
            flow.sides[0] = Side::Third;
        }
        flow.class = Class::Data(sid, conn);
        let role = ConnRole::Data(live.next_data);
        live.log.push(at, opened(conn, role, flow));
        if !flow.syn_seen {
            live.unknown.push(format!(
                "the capture starts inside data connection D{}: who opened it is a guess",
                live.next_data
            ));
        }
    }

    /// One thing a known connection delivered.
    fn out(&mut self, at: Duration, class: Class, side: Side, o: Out<'_>) {
        let (sid, conn) = match class {
            Class::Control(s) => (s, ConnId(0)),
            Class::Data(s, c) => (s, c),
            _ => return,
        };
        let Some(live) = self.sessions.get_mut(&sid) else {
            return;
        };
        match o {
            Out::Data { offset, bytes } => {
                live.log.bytes(at, conn, side, offset, bytes);
                if conn == ConnId(0) {
                    for (addr, by) in live.scan(side, bytes) {
                        live.expects.push(addr);
                        self.expects.insert(addr, (sid, by));
                    }
                }
            }
            Out::Gap { offset, len } => {
                let text = format!(
                    "{len} bytes sent by {side:?} on {} at offset {offset} are not in the capture",
                    if conn == ConnId(0) {
                        "the control connection".to_string()
                    } else {
                        format!("connection {}", conn.0)
                    }
                );
                live.log.push(at, EventKind::Note { text: text.clone() });
                live.unknown.push(text);
                if conn == ConnId(0) {
                    live.lines[usize::from(side != Side::Client)].clear();
                }
            }
            Out::Closed(kind) => {
                live.log.push(
                    at,
                    EventKind::Closed {
                        conn,
                        by: side,
                        kind,
                    },
                );
            }
        }
    }

    fn flow_ended(&mut self, class: Class) {
        let sid = match class {
            Class::Control(s) | Class::Data(s, _) => s,
            _ => return,
        };
        let Some(live) = self.sessions.get_mut(&sid) else {
            return;
        };
        live.open -= 1;
        if class == Class::Control(sid) {
            live.control_done = true;
        }
        if live.control_done && live.open == 0 {
            self.end_session(sid);
        }
    }

    fn end_session(&mut self, sid: u32) {
        let Some(live) = self.sessions.remove(&sid) else {
            return;
        };
        for a in &live.expects {
            if self.expects.get(a).is_some_and(|(s, _)| *s == sid) {
                self.expects.remove(a);
            }
        }
        let mut unknown = live.unknown;
        if let Some(d) = &self.summary.damaged {
            unknown.push(format!("the capture ends in a damaged record: {d}"));
        }
        (self.each)(Session {
            number: live.number,
            events: live.log.into_events(),
            client: live.client,
            server: live.server,
            unknown,
        });
    }
}

impl Live {
    /// Scans control bytes from `side` for announced data addresses.
    fn scan(&mut self, side: Side, bytes: &[u8]) -> Vec<(SocketAddr, Side)> {
        let from_server = side == Side::Server;
        let server = self.server;
        let buf = &mut self.lines[usize::from(from_server)];
        if !bytes.contains(&b'\n') {
            // Still inside a line: only the new bytes can end it. A line
            // longer than the cap is not scanned.
            if buf.len() + bytes.len() > DEFAULT_LINE_CAP {
                buf.clear();
            } else {
                buf.extend_from_slice(bytes);
            }
            return Vec::new();
        }
        buf.extend_from_slice(bytes);
        let mut found = Vec::new();
        let mut start = 0;
        while let Some(nl) = buf[start..].iter().position(|b| *b == b'\n') {
            let line = String::from_utf8_lossy(&buf[start..start + nl]);
            let line = line.trim_end();
            let arg = if from_server {
                find_in_reply(line)
            } else {
                find_in_command(line)
            };
            if let Some(a) = arg {
                let ip = a.ip.map_or(server.ip(), |(ip, _)| ip);
                found.push((SocketAddr::new(ip, a.port), side));
                if a.kind == ArgKind::Pasv && ip != server.ip() {
                    // Behind NAT the client may connect to the control address.
                    found.push((SocketAddr::new(server.ip(), a.port), side));
                }
            }
            start += nl + 1;
        }
        buf.drain(..start);
        if buf.len() > DEFAULT_LINE_CAP {
            buf.clear();
        }
        found
    }
}

/// Bytes of a connection not yet judged, kept up to the look cap.
fn hold(held: &mut Vec<(usize, u64, Vec<u8>)>, dir: usize, o: Out<'_>) {
    if let Out::Data { offset, bytes } = o {
        let total: usize = held.iter().map(|c| c.2.len()).sum();
        let room = (LOOK_CAP + 1).saturating_sub(total);
        held.push((dir, offset, bytes[..bytes.len().min(room)].to_vec()));
    }
}

fn opened(conn: ConnId, role: ConnRole, flow: &Flow) -> EventKind {
    EventKind::Opened {
        conn,
        role,
        initiator: flow.ends[0],
        acceptor: flow.ends[1],
        initiator_side: flow.sides[0],
        acceptor_side: flow.sides[1],
    }
}
