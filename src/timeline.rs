//! The timeline: one ordered log of every connection event of a case.
//!
//! It is the single source of truth. Checks, the pcap capture, the text
//! transcript and snapshots are all *views* of it, never separate recordings.
//! It holds enough to rebuild both directions of every TCP stream exactly
//! (every byte with its stream offset) and the order of closes.
//!
//! No I/O here: the network layer calls [`Timeline::record`]; observers
//! (such as the pcap writer) see each event as it is appended, so that a
//! capture is written while the case runs and survives a failing case.

mod digest;
mod peer;
mod tls;

pub use digest::Digest;
pub use peer::{Answer, Inapplicable, PeerEvent, Purpose, TransferEnd};
pub use tls::TlsEvent;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Which FTP party an endpoint or action belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// The FTP client (the fake client, or the real client under test).
    Client,
    /// The FTP server (the real server under test, or the fake server).
    Server,
    /// A third party the harness plays: a theft attempt from 127.0.0.2, or
    /// the listener a bounce PORT names.
    Third,
}

impl Side {
    /// One-letter tag used in transcripts: `C`, `S` or `T`.
    pub fn tag(self) -> &'static str {
        match self {
            Side::Client => "C",
            Side::Server => "S",
            Side::Third => "T",
        }
    }
}

/// Identifies one TCP connection within a case (assigned in opening order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u32);

/// The part a connection plays in the FTP session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnRole {
    /// The control connection.
    Control,
    /// The N-th data connection of the case (1-based).
    Data(u32),
    /// A connection no negotiation asked for: a passive-theft attempt, or a
    /// connection arriving at a bounce listener.
    Stray,
}

impl fmt::Display for ConnRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnRole::Control => write!(f, "control"),
            ConnRole::Data(n) => write!(f, "D{n}"),
            ConnRole::Stray => write!(f, "stray"),
        }
    }
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseKind {
    /// Orderly close (FIN) in this direction.
    Fin,
    /// Abortive close (RST).
    Reset,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A TCP connection was established. `initiator` is the address that sent
    /// the SYN, `acceptor` the one that accepted it.
    Opened {
        conn: ConnId,
        role: ConnRole,
        initiator: SocketAddr,
        acceptor: SocketAddr,
        initiator_side: Side,
        acceptor_side: Side,
    },
    /// A connection attempt that failed (refused, timed out).
    ConnectFailed {
        role: ConnRole,
        from_side: Side,
        target: SocketAddr,
        reason: String,
    },
    /// A side started listening (for active mode, or a bounce trap).
    Listening {
        side: Side,
        addr: SocketAddr,
        purpose: String,
    },
    /// Bytes sent by `from` on `conn`; `offset` is the stream offset of the
    /// first byte in that direction. When the timeline's retention cap is
    /// reached, `bytes` is empty and `len` still counts them (observers saw
    /// the full bytes).
    Bytes {
        conn: ConnId,
        from: Side,
        offset: u64,
        len: u64,
        bytes: Vec<u8>,
    },
    /// `by` half-closed its sending direction (FIN) or reset the connection.
    Closed {
        conn: ConnId,
        by: Side,
        kind: CloseKind,
    },
    /// A harness annotation (a timeout, a step boundary); not on the wire.
    Note { text: String },
    /// What a fake peer did or saw beside the wire (see [`PeerEvent`]).
    Peer(PeerEvent),
    /// What TLS did on a connection (see [`TlsEvent`]).
    Tls(TlsEvent),
}

/// One entry of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Position in the timeline, 0-based.
    pub seq: u64,
    /// Monotonic time since the case started.
    pub at: Duration,
    pub kind: EventKind,
}

/// Sees each event as it is appended (the pcap writer, a live transcript).
pub trait Observer: Send {
    fn observe(&mut self, start: SystemTime, event: &Event);
    /// Called once when the case ends; flush anything buffered.
    fn finish(&mut self) {}
}

/// Payload bytes kept in memory per connection and direction before the
/// timeline stops retaining payloads (observers still see everything).
pub const DEFAULT_RETAIN_BYTES: u64 = 8 * 1024 * 1024;

struct Inner {
    start_instant: Instant,
    start_wall: SystemTime,
    events: Vec<Event>,
    observers: Vec<Box<dyn Observer>>,
    next_conn: u32,
    next_data: u32,
    offsets: Vec<[u64; 3]>,
    retain: u64,
}

/// A cheaply cloneable handle to one case's timeline.
#[derive(Clone)]
pub struct Timeline(Arc<Mutex<Inner>>);

impl Default for Timeline {
    fn default() -> Self {
        Self::new()
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
        Side::Third => 2,
    }
}

impl Timeline {
    pub fn new() -> Self {
        Self::with_retention(DEFAULT_RETAIN_BYTES)
    }

    /// A timeline that keeps at most `retain` payload bytes per connection
    /// and direction in memory.
    pub fn with_retention(retain: u64) -> Self {
        Timeline(Arc::new(Mutex::new(Inner {
            start_instant: Instant::now(),
            start_wall: SystemTime::now(),
            events: Vec::new(),
            observers: Vec::new(),
            next_conn: 0,
            next_data: 0,
            offsets: Vec::new(),
            retain,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the log consistent (each
        // append is a single push), so a poisoned lock is still usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add_observer(&self, observer: Box<dyn Observer>) {
        self.lock().observers.push(observer);
    }

    /// Wall-clock time at which the case started.
    pub fn start_wall(&self) -> SystemTime {
        self.lock().start_wall
    }

    /// Appends an event, stamping it with sequence number and time.
    pub fn record(&self, kind: EventKind) -> u64 {
        let mut inner = self.lock();
        let at = inner.start_instant.elapsed();
        inner.push(at, kind)
    }

    /// Allocates a connection id and, for data connections, the next data
    /// number; records `Opened`.
    pub fn open(
        &self,
        role: OpenRole,
        initiator: (SocketAddr, Side),
        acceptor: (SocketAddr, Side),
    ) -> ConnId {
        let mut inner = self.lock();
        let conn = ConnId(inner.next_conn);
        inner.next_conn += 1;
        inner.offsets.push([0; 3]);
        let role = match role {
            OpenRole::Control => ConnRole::Control,
            OpenRole::Data => {
                inner.next_data += 1;
                ConnRole::Data(inner.next_data)
            }
            OpenRole::Stray => ConnRole::Stray,
        };
        let at = inner.start_instant.elapsed();
        inner.push(
            at,
            EventKind::Opened {
                conn,
                role,
                initiator: initiator.0,
                acceptor: acceptor.0,
                initiator_side: initiator.1,
                acceptor_side: acceptor.1,
            },
        );
        conn
    }

    /// Records bytes sent by `from` on `conn`, computing the stream offset.
    /// Past the retention cap the payload is not kept, and a run of such
    /// chunks with nothing between them is one event (its `len` grows), so
    /// that a transfer of any size costs a bounded number of events.
    pub fn bytes(&self, conn: ConnId, from: Side, data: &[u8]) {
        let mut inner = self.lock();
        let at = inner.start_instant.elapsed();
        let idx = side_index(from);
        let offset = inner
            .offsets
            .get(conn.0 as usize)
            .map(|o| o[idx])
            .unwrap_or(0);
        if let Some(o) = inner.offsets.get_mut(conn.0 as usize) {
            o[idx] += data.len() as u64;
        }
        let len = data.len() as u64;
        let keep = offset + len <= inner.retain;
        if !inner.observers.is_empty() {
            // Observers get the full bytes, whatever is retained.
            let full = Event {
                seq: inner.events.len() as u64,
                at,
                kind: EventKind::Bytes {
                    conn,
                    from,
                    offset,
                    len,
                    bytes: data.to_vec(),
                },
            };
            let start = inner.start_wall;
            for obs in inner.observers.iter_mut() {
                obs.observe(start, &full);
            }
        }
        if !keep && inner.extend_elided(conn, from, len, at) {
            return;
        }
        let bytes = match keep {
            true => data.to_vec(),
            false => Vec::new(),
        };
        let seq = inner.events.len() as u64;
        let kind = EventKind::Bytes {
            conn,
            from,
            offset,
            len,
            bytes,
        };
        inner.events.push(Event { seq, at, kind });
    }

    /// Records TLS bytes as they crossed the wire: observers (the pcap
    /// writer) see them, the log keeps only their length.
    pub fn tls_record(&self, conn: ConnId, from: Side, data: &[u8]) {
        let mut inner = self.lock();
        let at = inner.start_instant.elapsed();
        let len = data.len() as u64;
        let record = |bytes| {
            EventKind::Tls(TlsEvent::Record {
                conn,
                from,
                len,
                bytes,
            })
        };
        let full = Event {
            seq: inner.events.len() as u64,
            at,
            kind: record(data.to_vec()),
        };
        let start = inner.start_wall;
        for obs in inner.observers.iter_mut() {
            obs.observe(start, &full);
        }
        inner.events.push(Event {
            kind: record(Vec::new()),
            ..full
        });
    }

    /// Records a TLS event other than a record.
    pub fn tls(&self, event: TlsEvent) {
        self.record(EventKind::Tls(event));
    }

    pub fn close(&self, conn: ConnId, by: Side, kind: CloseKind) {
        self.record(EventKind::Closed { conn, by, kind });
    }

    pub fn note(&self, text: impl Into<String>) {
        self.record(EventKind::Note { text: text.into() });
    }

    /// Records what a fake peer did or saw.
    pub fn peer(&self, event: PeerEvent) {
        self.record(EventKind::Peer(event));
    }

    /// A copy of every event recorded so far.
    pub fn events(&self) -> Vec<Event> {
        self.lock().events.clone()
    }

    /// Tells every observer the case is over and lets go of them: events
    /// recorded afterwards (a straggling task after a timeout or Ctrl-C)
    /// stay in the log but reach no observer, so a finished capture file is
    /// never appended to.
    pub fn finish(&self) {
        let observers = std::mem::take(&mut self.lock().observers);
        for mut obs in observers {
            obs.finish();
        }
    }
}

/// The role asked for when opening a connection (data numbers are assigned
/// by the timeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenRole {
    Control,
    Data,
    Stray,
}

impl Inner {
    /// Adds `len` bytes to the last event when it is an elided run of the
    /// same connection and direction; false when it is not.
    fn extend_elided(&mut self, conn: ConnId, from: Side, more: u64, now: Duration) -> bool {
        let Some(last) = self.events.last_mut() else {
            return false;
        };
        match &mut last.kind {
            EventKind::Bytes {
                conn: c,
                from: f,
                len,
                bytes,
                ..
            } if *c == conn && *f == from && (bytes.len() as u64) < *len => {
                *len += more;
                last.at = now;
                true
            }
            _ => false,
        }
    }

    fn push(&mut self, at: Duration, kind: EventKind) -> u64 {
        let seq = self.events.len() as u64;
        let event = Event { seq, at, kind };
        let start = self.start_wall;
        for obs in self.observers.iter_mut() {
            obs.observe(start, &event);
        }
        self.events.push(event);
        seq
    }
}

/// Rebuilds the byte stream sent by `from` on `conn` from retained events.
/// Returns `None` if some payload was not retained.
pub fn stream(events: &[Event], conn: ConnId, from: Side) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for e in events {
        if let EventKind::Bytes {
            conn: c,
            from: f,
            len,
            bytes,
            ..
        } = &e.kind
        {
            if *c == conn && *f == from {
                if bytes.len() as u64 != *len {
                    return None;
                }
                out.extend_from_slice(bytes);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn offsets_per_direction_and_stream_rebuild() {
        let t = Timeline::new();
        let c = t.open(
            OpenRole::Control,
            (addr("127.0.0.1:40000"), Side::Client),
            (addr("127.0.0.1:21"), Side::Server),
        );
        t.bytes(c, Side::Server, b"220 hi\r\n");
        t.bytes(c, Side::Client, b"USER a\r\n");
        t.bytes(c, Side::Server, b"331 pw\r\n");
        t.close(c, Side::Client, CloseKind::Fin);
        let ev = t.events();
        assert_eq!(ev.len(), 5);
        match &ev[3].kind {
            EventKind::Bytes { offset, .. } => assert_eq!(*offset, 8),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            stream(&ev, c, Side::Server).unwrap(),
            b"220 hi\r\n331 pw\r\n".to_vec()
        );
        assert!(ev
            .windows(2)
            .all(|w| w[0].seq < w[1].seq && w[0].at <= w[1].at));
    }

    #[test]
    fn data_connections_are_numbered_in_order() {
        let t = Timeline::new();
        let a = addr("127.0.0.1:1");
        let b = addr("127.0.0.1:2");
        t.open(OpenRole::Control, (a, Side::Client), (b, Side::Server));
        t.open(OpenRole::Data, (a, Side::Client), (b, Side::Server));
        t.open(OpenRole::Data, (b, Side::Server), (a, Side::Client));
        let roles: Vec<_> = t
            .events()
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Opened { role, .. } => Some(role),
                _ => None,
            })
            .collect();
        assert_eq!(
            roles,
            vec![ConnRole::Control, ConnRole::Data(1), ConnRole::Data(2)]
        );
    }

    #[test]
    fn retention_cap_keeps_lengths_and_feeds_observers_in_full() {
        struct Count(Arc<Mutex<u64>>);
        impl Observer for Count {
            fn observe(&mut self, _: SystemTime, e: &Event) {
                if let EventKind::Bytes { bytes, .. } = &e.kind {
                    *self.0.lock().unwrap() += bytes.len() as u64;
                }
            }
        }
        let seen = Arc::new(Mutex::new(0));
        let t = Timeline::with_retention(4);
        t.add_observer(Box::new(Count(seen.clone())));
        let a = addr("127.0.0.1:1");
        let c = t.open(OpenRole::Data, (a, Side::Server), (a, Side::Client));
        t.bytes(c, Side::Server, b"abc");
        t.bytes(c, Side::Server, b"defg");
        assert_eq!(*seen.lock().unwrap(), 7);
        assert_eq!(stream(&t.events(), c, Side::Server), None);
    }

    #[test]
    fn elided_chunks_in_a_row_are_one_event() {
        let t = Timeline::with_retention(4);
        let a = addr("127.0.0.1:1");
        let c = t.open(OpenRole::Data, (a, Side::Server), (a, Side::Client));
        for _ in 0..1000 {
            t.bytes(c, Side::Server, b"0123456789");
        }
        t.close(c, Side::Server, CloseKind::Fin);
        t.bytes(c, Side::Client, b"xy");
        let lens: Vec<(u64, u64, usize)> = t
            .events()
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Bytes {
                    offset, len, bytes, ..
                } => Some((*offset, *len, bytes.len())),
                _ => None,
            })
            .collect();
        assert_eq!(lens, vec![(0, 10_000, 0), (0, 2, 2)]);
    }
}
