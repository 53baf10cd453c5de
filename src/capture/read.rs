//! The pcap reader: reassembles the TCP streams of a capture into timeline
//! events (Opened by the SYN sender, Bytes with stream offsets, Closed on
//! FIN or RST), then names roles (control or data) and sides (client or
//! server) from the control port and the negotiations seen on it.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::link::{decode, supported, Seg};
use super::name::{FlowEnds, Namer, Raw};
use super::packets::{self, End};
use super::CaptureError;
use crate::timeline::{CloseKind, Event};

/// Out-of-order bytes held per direction before gaps are given up on.
const PENDING_CAP: usize = 64 * 1024 * 1024;

/// Reads the capture at `path` into timeline events. Connections whose
/// server port is `control_port` are control connections; without it, port
/// 21 is assumed if some connection uses it, else the first connection's
/// server port. Other connections are data connections, numbered in order.
pub fn read_pcap(path: &Path, control_port: Option<u16>) -> Result<Vec<Event>, CaptureError> {
    let file = File::open(path).map_err(|source| CaptureError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_pcap_from(BufReader::new(file), path, control_port)
}

/// Reads a capture from `input` as [`read_pcap`] does; `path` only names it
/// in errors. pcap and pcapng (a case that ran TLS is written as pcapng).
pub fn read_pcap_from(
    input: impl Read,
    path: &Path,
    control_port: Option<u16>,
) -> Result<Vec<Event>, CaptureError> {
    let mut asm = Assembler::default();
    let mut unsupported = None;
    let end = packets::for_each(input, |p| {
        if !supported(p.link) {
            unsupported.get_or_insert(p.link);
            return;
        }
        if let Some(seg) = decode(p.link, p.data) {
            asm.segment(p.at, seg);
        }
    })
    .map_err(|e| e.at(path))?;
    if let Some(link) = unsupported {
        return Err(CaptureError::UnsupportedLinkType {
            path: path.to_path_buf(),
            link: format!("{link:?}"),
        });
    }
    if let End::Damaged(e) = end {
        asm.note(format!("capture ends in a damaged record: {e}"));
    }
    asm.finish();
    let ends: Vec<FlowEnds> = asm
        .flows
        .iter()
        .map(|f| FlowEnds {
            ends: f.ends,
            syn_seen: f.syn_seen,
        })
        .collect();
    Ok(Namer::new(&ends, control_port).events(asm.raw))
}

/// One direction of a TCP connection being reassembled.
#[derive(Default)]
struct Dir {
    isn: Option<u32>,
    /// Sequence number of the next byte expected (that of `delivered`).
    next: Option<u32>,
    delivered: u64,
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    fin_at: Option<u64>,
    fin_done: bool,
}

/// One TCP connection; endpoint 0 is the initiator.
struct Flow {
    ends: [SocketAddr; 2],
    syn_seen: bool,
    dirs: [Dir; 2],
    reset: bool,
}

impl Flow {
    fn done(&self) -> bool {
        self.reset || self.dirs.iter().all(|d| d.fin_done)
    }
}

#[derive(Default)]
struct Assembler {
    flows: Vec<Flow>,
    by_key: HashMap<(SocketAddr, SocketAddr), usize>,
    raw: Vec<(Duration, Raw)>,
    first_ts: Option<Duration>,
    now: Duration,
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl Assembler {
    fn push(&mut self, raw: Raw) {
        self.raw.push((self.now, raw));
    }

    fn note(&mut self, text: String) {
        self.push(Raw::Note(text));
    }

    fn segment(&mut self, ts: Duration, seg: Seg<'_>) {
        let first = *self.first_ts.get_or_insert(ts);
        self.now = ts.saturating_sub(first);
        let flow = self.flow_for(&seg);
        let dir = usize::from(self.flows[flow].ends[0] != seg.src);
        if seg.syn {
            let d = &mut self.flows[flow].dirs[dir];
            d.isn.get_or_insert(seg.seq);
            d.next.get_or_insert(seg.seq.wrapping_add(1));
            return;
        }
        if seg.rst {
            if !self.flows[flow].reset {
                self.flows[flow].reset = true;
                let kind = CloseKind::Reset;
                self.push(Raw::Close { flow, dir, kind });
            }
            return;
        }
        self.data(flow, dir, seg.seq, seg.payload);
        if seg.fin {
            self.fin(flow, dir, seg.seq.wrapping_add(seg.payload.len() as u32));
        }
    }

    /// The flow a segment belongs to; a SYN that is not a retransmission
    /// starts a new one.
    fn flow_for(&mut self, seg: &Seg<'_>) -> usize {
        let k = key(seg.src, seg.dst);
        if let Some(&i) = self.by_key.get(&k) {
            let f = &self.flows[i];
            let dir = usize::from(f.ends[0] != seg.src);
            let new_syn = seg.syn && seg.ack.is_none() && f.dirs[dir].isn != Some(seg.seq);
            if !(new_syn && (f.done() || dir == 0 || f.dirs[0].delivered > 0)) {
                return i;
            }
        }
        let ends = if seg.syn && seg.ack.is_some() {
            [seg.dst, seg.src]
        } else {
            [seg.src, seg.dst]
        };
        let i = self.flows.len();
        self.flows.push(Flow {
            ends,
            syn_seen: seg.syn,
            dirs: Default::default(),
            reset: false,
        });
        self.by_key.insert(k, i);
        self.push(Raw::Open(i));
        i
    }

    fn data(&mut self, flow: usize, dir: usize, seq: u32, payload: &[u8]) {
        let d = &mut self.flows[flow].dirs[dir];
        let next = *d.next.get_or_insert(seq);
        if payload.is_empty() {
            return;
        }
        let off = d.delivered as i64 + i64::from(seq.wrapping_sub(next) as i32);
        let end = off + payload.len() as i64;
        if end <= d.delivered as i64 {
            return; // a retransmission of bytes already delivered
        }
        if off > d.delivered as i64 {
            if d.pending_bytes + payload.len() <= PENDING_CAP {
                d.pending_bytes += payload.len();
                d.pending.insert(off as u64, payload.to_vec());
            }
            return;
        }
        let skip = (d.delivered as i64 - off) as usize;
        self.deliver(flow, dir, payload[skip..].to_vec());
        self.drain(flow, dir);
    }

    fn deliver(&mut self, flow: usize, dir: usize, bytes: Vec<u8>) {
        let d = &mut self.flows[flow].dirs[dir];
        let offset = d.delivered;
        d.delivered += bytes.len() as u64;
        d.next = d.next.map(|n| n.wrapping_add(bytes.len() as u32));
        self.push(Raw::Data {
            flow,
            dir,
            offset,
            bytes,
        });
    }

    /// Delivers pending bytes that have become contiguous.
    fn drain(&mut self, flow: usize, dir: usize) {
        loop {
            let d = &mut self.flows[flow].dirs[dir];
            let Some((&off, _)) = d.pending.first_key_value() else {
                break;
            };
            if off > d.delivered {
                break;
            }
            let bytes = d.pending.remove(&off).unwrap_or_default();
            d.pending_bytes -= bytes.len();
            let skip = (d.delivered - off) as usize;
            if skip < bytes.len() {
                self.deliver(flow, dir, bytes[skip..].to_vec());
            }
        }
        self.maybe_fin(flow, dir);
    }

    fn fin(&mut self, flow: usize, dir: usize, fin_seq: u32) {
        let d = &mut self.flows[flow].dirs[dir];
        if d.fin_at.is_none() {
            let next = d.next.unwrap_or(fin_seq);
            let at = d.delivered as i64 + i64::from(fin_seq.wrapping_sub(next) as i32);
            d.fin_at = Some(at.max(0) as u64);
        }
        self.maybe_fin(flow, dir);
    }

    fn maybe_fin(&mut self, flow: usize, dir: usize) {
        let d = &mut self.flows[flow].dirs[dir];
        if !d.fin_done && d.fin_at.is_some_and(|at| at <= d.delivered) {
            d.fin_done = true;
            let kind = CloseKind::Fin;
            self.push(Raw::Close { flow, dir, kind });
        }
    }

    /// At the end of the capture, delivers what is still pending across
    /// gaps (with a note) and closes directions whose FIN was seen.
    fn finish(&mut self) {
        for flow in 0..self.flows.len() {
            for dir in 0..2 {
                self.skip_gaps(flow, dir);
                let d = &mut self.flows[flow].dirs[dir];
                if d.fin_at.is_some() && !d.fin_done {
                    d.fin_at = Some(d.delivered);
                }
                self.maybe_fin(flow, dir);
            }
        }
    }

    fn skip_gaps(&mut self, flow: usize, dir: usize) {
        while let Some((&off, _)) = self.flows[flow].dirs[dir].pending.first_key_value() {
            let d = &mut self.flows[flow].dirs[dir];
            let gap = off.saturating_sub(d.delivered);
            d.next = d.next.map(|n| n.wrapping_add(gap as u32));
            d.delivered += gap;
            self.note(format!(
                "{gap} bytes missing from the capture (flow {flow})"
            ));
            self.drain(flow, dir);
        }
    }
}
