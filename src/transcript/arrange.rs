//! Puts each data connection's lines at a stable point of the transcript.
//!
//! When a data connection opens, sends and closes relative to the control
//! lines depends on timing (a client may connect before or after sending
//! RETR; a close may land before or after the 226). So the lines of each
//! data connection (and of each failed data connect) form one block, placed
//! by the control lines alone:
//!
//! 1. the *negotiation* is the last PASV, EPSV, LPSV, PORT, EPRT or LPRT
//!    command sent before the connection opened;
//! 2. the block goes right after the first 1yz reply that follows the
//!    negotiation on the same control connection (before the next
//!    negotiation), that is after the `150` of the transfer;
//! 3. with no such reply, right after the reply to the negotiation (the
//!    first complete reply after it); with no reply at all, right after the
//!    negotiation;
//! 4. a connection opened before any negotiation stays where it opened.
//!
//! Blocks sharing a place keep their opening order.

use std::collections::BTreeMap;

use super::Entry;
use crate::timeline::ConnId;

/// What a transcript line is, for placing data blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// A line that keeps its place in event order.
    Other,
    /// A command that negotiates a data connection, on this control
    /// connection.
    Negotiation(ConnId),
    /// The last line of a reply (`ddd ` or `ddd` alone) on this control
    /// connection, with the reply's first digit.
    Reply(ConnId, u8),
    /// A line of the data block opened at this event sequence number.
    Data(u64),
}

/// The transcript in canonical order: control lines in event order, each
/// data block at its stable place.
pub(super) fn arrange(lines: Vec<Entry>, places: Vec<Place>) -> Vec<Entry> {
    let mut main: Vec<(Entry, Place)> = Vec::new();
    let mut blocks: BTreeMap<u64, Vec<Entry>> = BTreeMap::new();
    for (entry, place) in lines.into_iter().zip(places) {
        match place {
            Place::Data(key) => blocks.entry(key).or_default().push(entry),
            other => main.push((entry, other)),
        }
    }
    let mut after: BTreeMap<usize, Vec<Vec<Entry>>> = BTreeMap::new();
    for (key, block) in blocks {
        after.entry(position(&main, key)).or_default().push(block);
    }
    let mut out = Vec::new();
    let mut emit = |at: usize, out: &mut Vec<Entry>| {
        for block in after.remove(&at).unwrap_or_default() {
            out.extend(block);
        }
    };
    emit(0, &mut out);
    for (i, (entry, _)) in main.into_iter().enumerate() {
        out.push(entry);
        emit(i + 1, &mut out);
    }
    out
}

/// How many main lines come before the block opened at event `key`.
fn position(main: &[(Entry, Place)], key: u64) -> usize {
    let before = main.iter().take_while(|(e, _)| e.seq < key).count();
    let negotiation = main[..before]
        .iter()
        .rposition(|(_, p)| matches!(p, Place::Negotiation(_)));
    let Some(n) = negotiation else {
        return before;
    };
    let Place::Negotiation(ctrl) = main[n].1 else {
        return before;
    };
    let end = main[n + 1..]
        .iter()
        .position(|(_, p)| matches!(p, Place::Negotiation(_)))
        .map_or(main.len(), |i| n + 1 + i);
    let replies = || {
        main[n + 1..end]
            .iter()
            .enumerate()
            .filter_map(move |(i, (_, p))| match p {
                Place::Reply(c, digit) if *c == ctrl => Some((n + 1 + i, *digit)),
                _ => None,
            })
    };
    let preliminary = replies().find(|(_, d)| *d == 1).map(|(i, _)| i);
    let first = replies().next().map(|(i, _)| i);
    preliminary.or(first).unwrap_or(n) + 1
}

/// Whether a client control line negotiates a data connection.
pub fn is_negotiation(line: &str) -> bool {
    let mut words = line.split_ascii_whitespace();
    let verb = words.next().unwrap_or("").to_ascii_uppercase();
    let arg = words.next().unwrap_or("");
    match verb.as_str() {
        "PASV" | "LPSV" | "PORT" | "EPRT" | "LPRT" => true,
        "EPSV" => !arg.eq_ignore_ascii_case("ALL"),
        _ => false,
    }
}

/// The first digit of a server line that ends a reply (`ddd` then a space
/// or nothing), if it is one.
pub fn reply_end(line: &str) -> Option<u8> {
    let b = line.as_bytes();
    let coded = b.len() >= 3 && b[..3].iter().all(u8::is_ascii_digit);
    let ends = b.len() == 3 || b.get(3) == Some(&b' ');
    (coded && ends).then(|| b[0] - b'0')
}
