//! Where a live session departs from the recording it replays
//! (`ftpconform replay`). Both sessions are read from captures (the
//! recording, and the capture the replay wrote) and outlined from what the
//! wire shows alone: each command with its final reply code, and each
//! transfer's data connection (which side opened it, the bytes each way
//! and their digest, whether the final reply came before the data
//! connection's first close). The outlines are compared in order; each
//! difference is one sentence.
//!
//! A reply code that differs also fails the replayed case's step; the
//! other differences (who opened a data connection, other bytes, another
//! order) are what a step's expectations do not say, and are reported
//! here only.

use std::time::{Duration, Instant};

use super::wire_facts::{exchanges, negotiations};
use crate::capture::Session;
use crate::check::ordering::CLOSE_SKEW;
use crate::timeline::{ConnId, Digest, Event, EventKind, Side};

/// The first run of USER / PASS / ACCT exchanges, outlined as one command: the
/// replay logs in with the target's own account (the `login` step), so a
/// server that takes USER alone and one that asks for PASS log in alike.
pub const LOGIN: &str = "login";
const LOGIN_VERBS: [&str; 3] = ["USER", "PASS", "ACCT"];

/// One command and the code of its final reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub verb: String,
    pub code: Option<u16>,
}

/// One transfer command and what its data connection showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub verb: String,
    /// The side that opened the data connection; `None`: none was made.
    pub opened_by: Option<Side>,
    /// How many bytes the client and the server sent on it.
    pub bytes: [u64; 2],
    /// The digests of those bytes, compared only when `whole`.
    pub digests: [Digest; 2],
    /// Whether every byte was seen (a capture can lose some).
    pub whole: bool,
    /// Whether the final reply came before the data connection's first
    /// close; `None` when either is missing, or when they came within the
    /// skew the ordering check tolerates ([`CLOSE_SKEW`]): inside it the
    /// order is a race between two sockets, not the peer's behaviour.
    pub reply_first: Option<bool>,
}

/// A session as the comparison sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    pub commands: Vec<Command>,
    pub transfers: Vec<Transfer>,
}

/// The outline of session `s`.
pub fn outline(s: &Session) -> Outline {
    let (_, xs) = exchanges(&s.events);
    let negs = negotiations(&s.events, (s.client, s.server), &xs);
    let mut commands: Vec<Command> = Vec::new();
    for x in &xs {
        let verb = x.verb.to_ascii_uppercase();
        let code = x.last_code();
        let logs_in = LOGIN_VERBS.contains(&verb.as_str());
        let first = !commands.iter().any(|c| c.verb == LOGIN);
        match commands.last_mut() {
            Some(login) if logs_in && login.verb == LOGIN => login.code = code,
            _ if logs_in && first => commands.push(Command {
                verb: LOGIN.to_string(),
                code,
            }),
            _ => commands.push(Command { verb, code }),
        }
    }
    let transfers = negs
        .iter()
        .filter_map(|n| n.transfer.as_ref())
        .map(|t| {
            let final_seq = xs.iter().find(|x| x.seq == t.sent_seq);
            let final_seq = final_seq.and_then(|x| x.final_seq);
            transfer(&s.events, &t.verb, t.data, final_seq)
        })
        .collect();
    Outline {
        commands,
        transfers,
    }
}

fn transfer(
    events: &[Event],
    verb: &str,
    data: Option<ConnId>,
    final_seq: Option<u64>,
) -> Transfer {
    let mut t = Transfer {
        verb: verb.to_ascii_uppercase(),
        opened_by: None,
        bytes: [0; 2],
        digests: [Digest::default(); 2],
        whole: true,
        reply_first: None,
    };
    let Some(id) = data else { return t };
    let mut closed = None;
    for e in events {
        match &e.kind {
            EventKind::Opened {
                conn,
                initiator_side,
                ..
            } if *conn == id => t.opened_by = Some(*initiator_side),
            EventKind::Bytes {
                conn,
                from,
                len,
                bytes,
                ..
            } if *conn == id => {
                t.bytes[index(*from)] += len;
                t.digests[index(*from)].update(bytes);
                t.whole &= bytes.len() as u64 == *len;
            }
            EventKind::Closed { conn, .. } if *conn == id => {
                closed.get_or_insert(e.seq);
            }
            _ => {}
        }
    }
    let at = |seq: u64| events.iter().find(|e| e.seq == seq).map(|e| e.at);
    let apart = |r: u64, c: u64| match (at(r), at(c)) {
        (Some(a), Some(b)) => a.max(b) - a.min(b) > CLOSE_SKEW,
        _ => true,
    };
    t.reply_first = final_seq
        .zip(closed)
        .filter(|(r, c)| apart(*r, *c))
        .map(|(r, c)| r < c);
    t
}

fn index(side: Side) -> usize {
    match side {
        Side::Client => 0,
        _ => 1,
    }
}

fn name(side: Side) -> &'static str {
    match side {
        Side::Client => "the client",
        _ => "the server",
    }
}

/// Every difference between the recorded and the live outline, in order.
pub fn departures(recorded: &Outline, live: &Outline) -> Vec<String> {
    let mut out = commands(&recorded.commands, &live.commands);
    let (r, l) = (&recorded.transfers, &live.transfers);
    for (n, (a, b)) in r.iter().zip(l).enumerate() {
        transfer_departures(n + 1, a, b, &mut out);
    }
    if r.len() != l.len() {
        out.push(format!(
            "transfers: {} in the recording, {} live",
            r.len(),
            l.len()
        ));
    }
    out
}

/// The commands compared as two sequences of verbs (a diff, so that a
/// client that sends one more command, as a real client replayed against
/// the recorded server does, shows as that command and not as every later
/// one shifted), then the codes of the commands both sent.
fn commands(recorded: &[Command], live: &[Command]) -> Vec<String> {
    let old: Vec<&str> = recorded.iter().map(|c| c.verb.as_str()).collect();
    let new: Vec<&str> = live.iter().map(|c| c.verb.as_str()).collect();
    let mut out = Vec::new();
    // Bounded: past the deadline the diff is coarser, never slower.
    let deadline = Some(Instant::now() + Duration::from_secs(2));
    let ops =
        similar::capture_diff_slices_deadline(similar::Algorithm::Myers, &old, &new, deadline);
    for op in ops {
        let (removed, added) = (op.old_range(), op.new_range());
        if matches!(op, similar::DiffOp::Equal { .. }) {
            for (a, b) in removed.zip(added) {
                let (x, y) = (&recorded[a], &live[b]);
                if x.code != y.code {
                    out.push(format!(
                        "command {} ({}): the reply was {} in the recording, {} live",
                        a + 1,
                        x.verb,
                        code(x.code),
                        code(y.code)
                    ));
                }
            }
            continue;
        }
        for a in removed {
            let verb = &recorded[a].verb;
            out.push(format!(
                "command {} ({verb}) of the recording was not sent live",
                a + 1
            ));
        }
        for b in added {
            let verb = &live[b].verb;
            out.push(format!(
                "the live session sent {verb} (its command {}), not in the recording",
                b + 1
            ));
        }
    }
    out
}

fn code(c: Option<u16>) -> String {
    c.map_or_else(|| "none".to_string(), |c| c.to_string())
}

fn transfer_departures(n: usize, a: &Transfer, b: &Transfer, out: &mut Vec<String>) {
    let what = format!("transfer {n} ({})", a.verb);
    if a.verb != b.verb {
        out.push(format!(
            "{what}: the live session's transfer {n} is a {}",
            b.verb
        ));
        return;
    }
    match (a.opened_by, b.opened_by) {
        (Some(x), Some(y)) if x != y => out.push(format!(
            "{what}: the data connection was opened by {} in the recording, by {} live",
            name(x),
            name(y)
        )),
        (Some(_), None) => out.push(format!("{what}: no data connection was made live")),
        (None, Some(y)) => out.push(format!(
            "{what}: the recording has no data connection; live, {} opened one",
            name(y)
        )),
        _ => {}
    }
    for side in [Side::Client, Side::Server] {
        let i = index(side);
        let (x, y) = (a.bytes[i], b.bytes[i]);
        if x != y {
            out.push(format!(
                "{what}: {} sent {x} bytes on the data connection in the recording, {y} live",
                name(side)
            ));
        } else if a.digests[i] != b.digests[i] && a.whole && b.whole {
            out.push(format!(
                "{what}: {} sent as many bytes as recorded ({x}) but other ones",
                name(side)
            ));
        }
    }
    if let (Some(x), Some(y)) = (a.reply_first, b.reply_first) {
        if x != y {
            out.push(format!(
                "{what}: the final reply came {} the data connection's first close in the recording, {} it live",
                order(x),
                order(y)
            ));
        }
    }
}

fn order(reply_first: bool) -> &'static str {
    if reply_first {
        "before"
    } else {
        "after"
    }
}

#[cfg(test)]
mod tests;
