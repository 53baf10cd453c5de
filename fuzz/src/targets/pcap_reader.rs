//! The pcap reader over arbitrary bytes: never a panic, and the streams it
//! rebuilds move forward (each direction's byte offsets only grow).

use std::collections::HashMap;
use std::path::Path;

use super::take_byte;
use crate::capture::read_pcap_from;
use crate::timeline::EventKind;

/// One input: panics on any broken property.
pub fn check(data: &[u8]) {
    let (port_byte, input) = take_byte(data);
    // Mostly guessed, sometimes a given control port (21 or another).
    let control_port = match port_byte {
        0..=127 => None,
        128..=191 => Some(21),
        n => Some(u16::from(n)),
    };
    let Ok(events) = read_pcap_from(input, Path::new("fuzz.pcap"), control_port) else {
        return;
    };
    let mut ends = HashMap::new();
    // Connections whose two ends got the same side (two third parties):
    // their directions cannot be told apart by side, so offsets are not
    // checked there.
    let mut same_sides = Vec::new();
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.seq, i as u64);
        if let EventKind::Opened {
            conn,
            initiator_side,
            acceptor_side,
            ..
        } = &event.kind
        {
            if initiator_side == acceptor_side {
                same_sides.push(*conn);
            }
        }
        if let EventKind::Bytes {
            conn,
            from,
            offset,
            len,
            bytes,
        } = &event.kind
        {
            assert_eq!(*len, bytes.len() as u64);
            if same_sides.contains(conn) {
                continue;
            }
            let end = ends.entry((*conn, *from)).or_insert(0u64);
            assert!(
                *offset >= *end,
                "{conn:?} {from:?}: offset {offset} before {end}"
            );
            *end = offset + len;
        }
    }
}
