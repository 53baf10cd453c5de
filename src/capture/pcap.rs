//! The pcap writer: a timeline observer that synthesizes the TCP packets of
//! every connection (handshake from the real initiator, MSS-sized segments
//! with consistent sequence numbers, FIN or RST from the side observed) and
//! streams them to a pcap file while the case runs.
//!
//! On control connections each line goes in its own segment (a read that
//! brought `150 ...` and `226 ...` together gives two segments): Wireshark's
//! FTP dissector takes one command or reply per segment, and would hide the
//! second line otherwise.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapPacket, PcapWriter};

use crate::timeline::{CloseKind, ConnId, ConnRole, Event, EventKind, Observer, Side, TlsEvent};

/// Segment size for IPv4 (Ethernet MTU 1500 - 20 - 20).
pub const MSS_V4: usize = 1460;
/// Segment size for IPv6 (1500 - 40 - 20).
pub const MSS_V6: usize = 1440;
/// Buffered bytes after which the writer flushes at the next event boundary.
const FLUSH_AT: usize = 64 * 1024;
const WINDOW: u16 = 65535;

/// The file behind the pcap writer, shared so that the observer can flush
/// at event boundaries (`PcapWriter` does not expose its writer).
#[derive(Clone)]
struct Sink(Arc<Mutex<SinkFile>>);

struct SinkFile {
    /// `None` once writing failed: nothing more reaches the file.
    w: Option<BufWriter<File>>,
    /// Bytes handed to the writer so far.
    taken: u64,
    /// Bytes on disk at the last flush that worked, at a record boundary.
    good: u64,
}

impl Sink {
    fn with<T>(&self, f: impl FnOnce(&mut SinkFile) -> T) -> T {
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Flushes at a record boundary (every call is made between records).
    fn flush_boundary(&self) -> io::Result<()> {
        self.with(|s| {
            let w = s.w.as_mut().ok_or_else(stopped)?;
            w.flush()?;
            s.good = s.taken;
            Ok(())
        })
    }

    /// Stops writing: the buffered bytes are dropped and the file is cut
    /// back to the last record boundary that reached the disk, so that it
    /// stays a readable pcap (a full disk leaves half a record otherwise).
    /// Returns the length kept.
    fn cut(&self) -> u64 {
        self.with(|s| {
            if let Some(w) = s.w.take() {
                let (file, _unwritten) = w.into_parts();
                let _ = file.set_len(s.good);
            }
            s.good
        })
    }
}

fn stopped() -> io::Error {
    io::Error::other("the capture stopped after a write error")
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.with(|s| {
            let n = s.w.as_mut().ok_or_else(stopped)?.write(buf)?;
            s.taken += n as u64;
            Ok(n)
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        self.with(|s| s.w.as_mut().map_or(Ok(()), |w| w.flush()))
    }
}

/// What went wrong with a capture while the case ran, readable after the
/// observer went into the timeline.
#[derive(Clone, Default)]
pub struct CaptureHealth(Arc<Mutex<Option<String>>>);

impl CaptureHealth {
    /// The first write error and what of the file was kept, if any.
    pub fn problem(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, text: String) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(text);
    }
}

/// TCP state of one connection: endpoint 0 is the initiator.
struct Conn {
    ends: [SocketAddr; 2],
    sides: [Side; 2],
    next_seq: [u32; 2],
    /// A control connection: one line per segment.
    control: bool,
    /// TLS runs over it: the wire carries its records, not the plaintext.
    tls: bool,
}

impl Conn {
    /// Which endpoint `side` is, if any.
    fn dir(&self, side: Side) -> Option<usize> {
        self.sides.iter().position(|s| *s == side)
    }

    fn mss(&self) -> usize {
        match self.ends[0] {
            SocketAddr::V4(_) => MSS_V4,
            SocketAddr::V6(_) => MSS_V6,
        }
    }
}

/// One TCP segment to emit.
struct Segment<'a> {
    dir: usize,
    syn: bool,
    ack: bool,
    fin: bool,
    rst: bool,
    payload: &'a [u8],
}

impl<'a> Segment<'a> {
    fn new(dir: usize) -> Self {
        Segment {
            dir,
            syn: false,
            ack: true,
            fin: false,
            rst: false,
            payload: &[],
        }
    }
}

/// Writes a pcap file (Ethernet, IPv4/IPv6, TCP) from timeline events as
/// they arrive. Errors after creation are kept, not raised: the first one is
/// available from [`PcapObserver::health`], writing stops, and the file is
/// cut back to its last whole record.
pub struct PcapObserver {
    writer: PcapWriter<Sink>,
    sink: Sink,
    conns: HashMap<ConnId, Conn>,
    last_ts: Duration,
    error: Option<io::Error>,
    health: CaptureHealth,
    path: PathBuf,
    /// The TLS key log lines of the case.
    secrets: String,
}

impl PcapObserver {
    /// Creates (truncates) the file at `path` and writes the pcap header;
    /// a header that cannot be written (a full disk) leaves no file.
    pub fn create(path: &Path) -> io::Result<Self> {
        let file = File::create(path)?;
        let sink = Sink(Arc::new(Mutex::new(SinkFile {
            w: Some(BufWriter::with_capacity(2 * FLUSH_AT, file)),
            taken: 0,
            good: 0,
        })));
        let header = PcapWriter::new(sink.clone())
            .map_err(io::Error::other)
            .and_then(|w| sink.flush_boundary().map(|()| w));
        let writer = match header {
            Ok(w) => w,
            Err(e) => {
                sink.cut();
                if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
                    let _ = std::fs::remove_file(path);
                }
                return Err(e);
            }
        };
        Ok(PcapObserver {
            writer,
            sink,
            conns: HashMap::new(),
            last_ts: Duration::ZERO,
            error: None,
            health: CaptureHealth::default(),
            path: path.to_path_buf(),
            secrets: String::new(),
        })
    }

    /// What went wrong while writing, readable once the observer is gone.
    pub fn health(&self) -> CaptureHealth {
        self.health.clone()
    }

    fn flush(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.sink.flush_boundary() {
                self.fail(e);
            }
        }
    }

    /// Keeps the first error, stops writing and cuts the file back to its
    /// last whole record.
    fn fail(&mut self, e: io::Error) {
        let kept = self.sink.cut();
        self.health.set(format!(
            "{e}; the file keeps its first {kept} bytes, whole records"
        ));
        self.error.get_or_insert(e);
    }

    fn buffered(&self) -> usize {
        self.sink
            .with(|s| s.w.as_ref().map_or(0, |w| w.buffer().len()))
    }

    fn on_event(&mut self, ts: Duration, kind: &EventKind) {
        match kind {
            EventKind::Opened {
                conn,
                role,
                initiator,
                acceptor,
                initiator_side,
                acceptor_side,
            } => {
                self.open(
                    ts,
                    *conn,
                    [*initiator, *acceptor],
                    [*initiator_side, *acceptor_side],
                );
                if let Some(c) = self.conns.get_mut(conn) {
                    c.control = *role == ConnRole::Control;
                }
            }
            EventKind::Bytes {
                conn, from, bytes, ..
            } if !self.conns.get(conn).is_some_and(|c| c.tls) => {
                self.data(ts, *conn, *from, bytes, true)
            }
            EventKind::Closed { conn, by, kind } => self.close(ts, *conn, *by, *kind),
            EventKind::Tls(t) => self.tls(ts, t),
            _ => {}
        }
    }

    /// TLS records go on the wire in place of the plaintext, from the
    /// first one (the hello) until TLS is cleared (CCC).
    fn tls(&mut self, ts: Duration, t: &TlsEvent) {
        match t {
            TlsEvent::Record {
                conn, from, bytes, ..
            } => {
                if let Some(c) = self.conns.get_mut(conn) {
                    c.tls = true;
                }
                self.data(ts, *conn, *from, bytes, false);
            }
            TlsEvent::Cleared { conn } => {
                if let Some(c) = self.conns.get_mut(conn) {
                    c.tls = false;
                }
            }
            TlsEvent::Secret { line } => {
                self.secrets.push_str(line);
                self.secrets.push('\n');
            }
            _ => {}
        }
    }

    fn open(&mut self, ts: Duration, id: ConnId, ends: [SocketAddr; 2], sides: [Side; 2]) {
        let conn = Conn {
            ends: same_family(ends),
            sides,
            next_seq: isns(id),
            control: false,
            tls: false,
        };
        self.conns.insert(id, conn);
        let syn = Segment {
            syn: true,
            ack: false,
            ..Segment::new(0)
        };
        self.emit(ts, id, syn);
        self.advance(id, 0, 1);
        let syn_ack = Segment {
            syn: true,
            ..Segment::new(1)
        };
        self.emit(ts, id, syn_ack);
        self.advance(id, 1, 1);
        self.emit(ts, id, Segment::new(0));
    }

    /// `lines`: a control connection's plaintext goes one line a segment.
    fn data(&mut self, ts: Duration, id: ConnId, from: Side, bytes: &[u8], lines: bool) {
        let Some((dir, mss, control)) = self
            .conns
            .get(&id)
            .and_then(|c| Some((c.dir(from)?, c.mss(), c.control)))
        else {
            return;
        };
        let pieces: Vec<&[u8]> = match control && lines {
            true => bytes.split_inclusive(|b| *b == b'\n').collect(),
            false => vec![bytes],
        };
        for chunk in pieces.into_iter().flat_map(|p| p.chunks(mss)) {
            let seg = Segment {
                payload: chunk,
                ..Segment::new(dir)
            };
            self.emit(ts, id, seg);
            self.advance(id, dir, chunk.len() as u32);
        }
        if !bytes.is_empty() {
            self.emit(ts, id, Segment::new(1 - dir));
        }
    }

    fn close(&mut self, ts: Duration, id: ConnId, by: Side, kind: CloseKind) {
        let Some(dir) = self.conns.get(&id).and_then(|c| c.dir(by)) else {
            return;
        };
        match kind {
            CloseKind::Fin => {
                let fin = Segment {
                    fin: true,
                    ..Segment::new(dir)
                };
                self.emit(ts, id, fin);
                self.advance(id, dir, 1);
                self.emit(ts, id, Segment::new(1 - dir));
            }
            CloseKind::Reset => {
                let rst = Segment {
                    rst: true,
                    ..Segment::new(dir)
                };
                self.emit(ts, id, rst);
                self.conns.remove(&id);
            }
        }
    }

    fn advance(&mut self, id: ConnId, dir: usize, by: u32) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.next_seq[dir] = c.next_seq[dir].wrapping_add(by);
        }
    }

    fn emit(&mut self, ts: Duration, id: ConnId, seg: Segment<'_>) {
        if self.error.is_some() {
            return;
        }
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let frame = match build_frame(conn, &seg) {
            Ok(f) => f,
            Err(e) => return self.fail(io::Error::other(e)),
        };
        let ts = ts.max(self.last_ts);
        self.last_ts = ts;
        let packet = PcapPacket::new(ts, frame.len() as u32, &frame);
        if let Err(e) = self.writer.write_packet(&packet) {
            self.fail(io::Error::other(e));
        }
    }
}

impl Observer for PcapObserver {
    fn observe(&mut self, start: SystemTime, event: &Event) {
        let base = start
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        self.on_event(base + event.at, &event.kind);
        let is_bytes = matches!(event.kind, EventKind::Bytes { .. });
        if !is_bytes || self.buffered() >= FLUSH_AT {
            self.flush();
        }
    }

    fn finish(&mut self) {
        self.flush();
        if self.secrets.is_empty() || self.error.is_some() {
            return;
        }
        if let Err(e) = super::pcapng::add_secrets(&self.path, &self.secrets) {
            self.health
                .set(format!("the TLS keys could not be added to the file: {e}"));
            self.error = Some(e);
        }
        // Written once: the file is pcapng from here on.
        self.secrets.clear();
    }
}

impl Drop for PcapObserver {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Deterministic initial sequence numbers for both directions of `id`.
fn isns(id: ConnId) -> [u32; 2] {
    let h = id.0.wrapping_add(1).wrapping_mul(0x9E37_79B9);
    [h ^ 0x1000_0000, h.rotate_left(16) ^ 0x2000_0000]
}

/// Puts both endpoints in one family (IPv4-mapped IPv6 if they differ).
fn same_family(ends: [SocketAddr; 2]) -> [SocketAddr; 2] {
    if ends[0].is_ipv4() == ends[1].is_ipv4() {
        return ends;
    }
    ends.map(|a| match a.ip() {
        IpAddr::V4(v4) => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), a.port()),
        IpAddr::V6(_) => a,
    })
}

/// A locally administered MAC address per side.
fn mac(side: Side) -> [u8; 6] {
    let last = match side {
        Side::Client => 1,
        Side::Server => 2,
        Side::Third => 3,
    };
    [0x02, 0, 0, 0, 0, last]
}

fn build_frame(
    conn: &Conn,
    seg: &Segment<'_>,
) -> Result<Vec<u8>, etherparse::err::packet::BuildWriteError> {
    let (src, dst) = (conn.ends[seg.dir], conn.ends[1 - seg.dir]);
    let eth = PacketBuilder::ethernet2(mac(conn.sides[seg.dir]), mac(conn.sides[1 - seg.dir]));
    let ip = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), 64),
        (s, d) => eth.ipv6(v6_octets(s), v6_octets(d), 64),
    };
    let mut tcp = ip.tcp(src.port(), dst.port(), conn.next_seq[seg.dir], WINDOW);
    if seg.ack {
        tcp = tcp.ack(conn.next_seq[1 - seg.dir]);
    }
    if seg.syn {
        tcp = tcp.syn();
    }
    if seg.fin {
        tcp = tcp.fin();
    }
    if seg.rst {
        tcp = tcp.rst();
    }
    if !seg.payload.is_empty() {
        tcp = tcp.psh();
    }
    let mut out = Vec::with_capacity(tcp.size(seg.payload.len()));
    tcp.write(&mut out, seg.payload)?;
    Ok(out)
}

fn v6_octets(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}
