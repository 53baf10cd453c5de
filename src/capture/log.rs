//! The timeline of one FTP session read from a capture: the same events a
//! live run records, stamped with the capture's times. Payload bytes are
//! kept up to a cap per connection and direction (past it, `len` still
//! counts them, as in a live timeline); consecutive bytes of one direction
//! make one event, so that a long transfer costs one event, not one per
//! packet.

use std::time::Duration;

use crate::timeline::{ConnId, Event, EventKind, Side};

pub struct Log {
    events: Vec<Event>,
    start: Duration,
    retain: u64,
}

impl Log {
    pub fn new(start: Duration, retain: u64) -> Log {
        Log {
            events: Vec::new(),
            start,
            retain,
        }
    }

    pub fn push(&mut self, at: Duration, kind: EventKind) {
        let seq = self.events.len() as u64;
        let at = at.saturating_sub(self.start);
        self.events.push(Event { seq, at, kind });
    }

    /// Bytes sent by `from` on `conn` at stream `offset`.
    pub fn bytes(&mut self, at: Duration, conn: ConnId, from: Side, offset: u64, data: &[u8]) {
        let n = data.len() as u64;
        let keep = offset + n <= self.retain;
        let at_rel = at.saturating_sub(self.start);
        if let Some(last) = self.events.last_mut() {
            if let EventKind::Bytes {
                conn: c,
                from: f,
                offset: o,
                len,
                bytes,
            } = &mut last.kind
            {
                let kept = bytes.len() as u64 == *len;
                if *c == conn && *f == from && *o + *len == offset && kept == keep {
                    if keep {
                        bytes.extend_from_slice(data);
                    }
                    *len += n;
                    last.at = at_rel;
                    return;
                }
            }
        }
        let bytes = if keep { data.to_vec() } else { Vec::new() };
        let kind = EventKind::Bytes {
            conn,
            from,
            offset,
            len: n,
            bytes,
        };
        self.push(at, kind);
    }

    pub fn into_events(self) -> Vec<Event> {
        self.events
    }
}
