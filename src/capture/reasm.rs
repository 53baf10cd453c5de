//! TCP reassembly of one direction of a connection: bytes come out in
//! stream order, once each, whatever order the segments came in.
//! Retransmissions and overlaps are trimmed; bytes the capture never held
//! (a lost packet, a short snap length, a connection seen from the middle)
//! come out as gaps, never invented. Out-of-order bytes wait in a bounded
//! buffer; when it is full, or the peer acknowledges bytes the capture
//! lacks, the hole is given up as a gap.

use std::collections::BTreeMap;

use crate::timeline::CloseKind;

/// Out-of-order bytes held per direction before a hole is given up on.
pub const PENDING_CAP: usize = 1024 * 1024;

/// What one direction delivers, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum Out<'a> {
    Data {
        offset: u64,
        bytes: &'a [u8],
    },
    /// `len` bytes at `offset` are not in the capture.
    Gap {
        offset: u64,
        len: u64,
    },
    Closed(CloseKind),
}

/// Held bytes: the captured ones, then how many were cut by the snap length.
struct Held {
    bytes: Vec<u8>,
    cut: u32,
}

/// One direction of a connection.
#[derive(Default)]
pub struct Dir {
    /// Sequence number of the next byte expected (that of `delivered`).
    next: Option<u32>,
    /// Stream offset of the next byte expected.
    delivered: u64,
    pending: BTreeMap<u64, Held>,
    pending_bytes: usize,
    fin_at: Option<u64>,
    closed: bool,
}

impl Dir {
    /// A SYN: the stream starts after its sequence number.
    pub fn syn(&mut self, seq: u32) {
        self.next.get_or_insert(seq.wrapping_add(1));
    }

    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Bytes seen so far (delivered or given up as gaps).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// The stream offset of sequence number `seq`.
    fn offset(&mut self, seq: u32) -> i64 {
        let next = *self.next.get_or_insert(seq);
        self.delivered as i64 + i64::from(seq.wrapping_sub(next) as i32)
    }

    /// One segment: `payload` at `seq`, then `cut` bytes the capture lost.
    pub fn segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        cut: u32,
        fin: bool,
        out: &mut impl FnMut(Out<'_>),
    ) {
        if self.closed {
            return;
        }
        let off = self.offset(seq);
        let total = payload.len() as i64 + i64::from(cut);
        if total == 0 {
            // A bare ACK or FIN: no bytes to place.
        } else if off > self.delivered as i64 {
            self.hold(off as u64, payload, cut, out);
        } else if off + total > self.delivered as i64 {
            let skip = (self.delivered as i64 - off) as usize;
            self.deliver(
                payload.get(skip..).unwrap_or(&[]),
                skip,
                payload.len(),
                cut,
                out,
            );
            self.drain(out);
        }
        if fin && self.fin_at.is_none() {
            self.fin_at = Some((off + total).max(0) as u64);
        }
        self.maybe_close(out);
    }

    /// Delivers `bytes` (what is left of a segment of `len` captured bytes
    /// once `skip` were already delivered), then the `cut` lost bytes.
    fn deliver(
        &mut self,
        bytes: &[u8],
        skip: usize,
        len: usize,
        cut: u32,
        out: &mut impl FnMut(Out<'_>),
    ) {
        if !bytes.is_empty() {
            out(Out::Data {
                offset: self.delivered,
                bytes,
            });
            self.advance(bytes.len() as u64);
        }
        let lost = (len + cut as usize).saturating_sub(skip.max(len)) as u64;
        let lost = lost.min(u64::from(cut));
        if lost > 0 {
            out(Out::Gap {
                offset: self.delivered,
                len: lost,
            });
            self.advance(lost);
        }
    }

    fn advance(&mut self, n: u64) {
        self.delivered += n;
        self.next = self.next.map(|s| s.wrapping_add(n as u32));
    }

    fn hold(&mut self, off: u64, payload: &[u8], cut: u32, out: &mut impl FnMut(Out<'_>)) {
        if self.pending.contains_key(&off) {
            return;
        }
        self.pending_bytes += payload.len();
        let held = Held {
            bytes: payload.to_vec(),
            cut,
        };
        self.pending.insert(off, held);
        while self.pending_bytes > PENDING_CAP {
            self.skip_to_pending(out);
        }
    }

    /// Delivers held bytes that have become contiguous.
    fn drain(&mut self, out: &mut impl FnMut(Out<'_>)) {
        while let Some(entry) = self.pending.first_entry() {
            let off = *entry.key();
            if off > self.delivered {
                break;
            }
            let held = entry.remove();
            self.pending_bytes -= held.bytes.len();
            let skip = (self.delivered - off) as usize;
            let (len, cut) = (held.bytes.len(), held.cut);
            let rest = held.bytes.get(skip..).unwrap_or(&[]);
            if skip < len + cut as usize {
                self.deliver(rest, skip, len, cut, out);
            }
        }
    }

    /// Gives up the hole before the first held bytes as a gap.
    fn skip_to_pending(&mut self, out: &mut impl FnMut(Out<'_>)) {
        let Some((&off, _)) = self.pending.first_key_value() else {
            return;
        };
        let len = off.saturating_sub(self.delivered);
        if len > 0 {
            out(Out::Gap {
                offset: self.delivered,
                len,
            });
            self.advance(len);
        }
        self.drain(out);
    }

    /// The peer acknowledged up to `ack`: bytes before it that the capture
    /// lacks will never come (the peer had them), so the hole is a gap.
    pub fn acked(&mut self, ack: u32, out: &mut impl FnMut(Out<'_>)) {
        let Some(next) = self.next else { return };
        let ahead = ack.wrapping_sub(next) as i32;
        if ahead <= 0 || self.closed {
            return;
        }
        let upto = self.delivered + ahead as u64;
        while self
            .pending
            .first_key_value()
            .is_some_and(|(&off, _)| off <= upto)
        {
            self.skip_to_pending(out);
        }
        self.maybe_close(out);
    }

    fn maybe_close(&mut self, out: &mut impl FnMut(Out<'_>)) {
        if !self.closed && self.fin_at.is_some_and(|at| at <= self.delivered) {
            self.closed = true;
            out(Out::Closed(CloseKind::Fin));
        }
    }

    /// A reset: the direction ends here.
    pub fn reset(&mut self, out: &mut impl FnMut(Out<'_>)) {
        self.finish(out);
        if !self.closed {
            self.closed = true;
            out(Out::Closed(CloseKind::Reset));
        }
    }

    /// The capture ends (or the connection was reset): held bytes come out
    /// after their holes, and a FIN seen is honoured.
    pub fn finish(&mut self, out: &mut impl FnMut(Out<'_>)) {
        while !self.pending.is_empty() {
            self.skip_to_pending(out);
        }
        if let Some(at) = self.fin_at.filter(|at| *at > self.delivered) {
            out(Out::Gap {
                offset: self.delivered,
                len: at - self.delivered,
            });
            self.advance(at - self.delivered);
        }
        self.maybe_close(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a direction delivers for `segments` (seq, payload, cut, fin),
    /// then at the end of the capture, as text.
    fn run(segments: &[(u32, &[u8], u32, bool)]) -> Vec<String> {
        let mut d = Dir::default();
        d.syn(99);
        let mut got = Vec::new();
        let mut out = |o: Out<'_>| {
            got.push(match o {
                Out::Data { offset, bytes } => {
                    format!("{offset}:{}", String::from_utf8_lossy(bytes))
                }
                Out::Gap { offset, len } => format!("{offset}:gap {len}"),
                Out::Closed(k) => format!("closed {k:?}"),
            })
        };
        for (seq, payload, cut, fin) in segments {
            d.segment(*seq, payload, *cut, *fin, &mut out);
        }
        d.finish(&mut out);
        got
    }

    #[test]
    fn in_order_out_of_order_retransmitted_and_overlapping() {
        let got = run(&[
            (100, b"ab", 0, false),
            (104, b"ef", 0, false),
            (100, b"ab", 0, false),
            (101, b"bcd", 0, false),
            (106, b"", 0, true),
        ]);
        assert_eq!(got, ["0:ab", "2:cd", "4:ef", "closed Fin"]);
    }

    #[test]
    fn holes_and_cut_segments_are_gaps() {
        let got = run(&[(100, b"ab", 3, false), (110, b"xy", 0, true)]);
        assert_eq!(got, ["0:ab", "2:gap 3", "5:gap 5", "10:xy", "closed Fin"]);
    }

    #[test]
    fn an_ack_past_a_hole_gives_it_up_at_once() {
        let mut d = Dir::default();
        d.syn(99);
        let mut got = Vec::new();
        let mut out = |o: Out<'_>| got.push(format!("{o:?}"));
        d.segment(105, b"late", 0, false, &mut out);
        d.acked(109, &mut out);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].contains("Gap { offset: 0, len: 5 }"));
    }
}
