//! The reader of real traffic (`capture::read_sessions_from`) over
//! arbitrary bytes: never a panic; each session's events are numbered in
//! order, a connection opens before its bytes, and its streams move
//! forward (each direction's offsets only grow; a payload is kept whole
//! or not at all).

use std::collections::HashMap;
use std::path::Path;

use super::take_byte;
use crate::capture::read_sessions_from;
use crate::capture::sessions::Options;
use crate::timeline::EventKind;

/// One input: panics on any broken property.
pub fn check(data: &[u8]) {
    let (port_byte, input) = take_byte(data);
    let opts = Options {
        // A small cap, so that the retention edge is reached.
        retain: 4096,
        control_port: (port_byte >= 128).then_some(21),
    };
    let _ = read_sessions_from(input, Path::new("fuzz.pcap"), &opts, |s| {
        let mut ends: HashMap<_, u64> = HashMap::new();
        let mut sides = HashMap::new();
        for (i, e) in s.events.iter().enumerate() {
            assert_eq!(e.seq, i as u64);
            match &e.kind {
                EventKind::Opened {
                    conn,
                    initiator_side,
                    acceptor_side,
                    ..
                } => {
                    sides.insert(*conn, initiator_side == acceptor_side);
                }
                EventKind::Bytes {
                    conn,
                    from,
                    offset,
                    len,
                    bytes,
                } => {
                    assert!(bytes.is_empty() || bytes.len() as u64 == *len);
                    assert!(
                        sides.contains_key(conn),
                        "{conn:?} has bytes before it opened"
                    );
                    if sides.get(conn) == Some(&true) {
                        continue;
                    }
                    let end = ends.entry((*conn, *from)).or_insert(0);
                    assert!(
                        *offset >= *end,
                        "{conn:?} {from:?}: offset {offset} before {end}"
                    );
                    *end = offset + len;
                }
                _ => {}
            }
        }
    });
}
