//! Replies as the timeline saw them: the server's control stream decoded
//! event by event, each reply stamped with the event that completed it and
//! numbered as the fake client numbers the replies it reads.

use std::time::Duration;

use crate::timeline::{ConnId, Event, EventKind, Side};
use crate::wire::reply::{Reply, ReplyDecoder};
use crate::wire::DEFAULT_LINE_CAP;

/// One reply and when its last byte arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenReply {
    pub seq: u64,
    pub at: Duration,
    pub code: u16,
    /// The first line as received, without its line end.
    pub line: String,
    pub reply: Reply,
}

/// Every reply item the server sent on `control`, in order: the `n`-th is
/// the reply numbered `n` in the fake client's `Answer::Reply`; `None` for
/// a malformed one.
pub fn numbered(events: &[Event], control: ConnId) -> Vec<Option<SeenReply>> {
    let mut dec = ReplyDecoder::new(DEFAULT_LINE_CAP);
    let mut out = Vec::new();
    for e in events {
        let EventKind::Bytes {
            conn, from, bytes, ..
        } = &e.kind
        else {
            continue;
        };
        if *conn != control || *from != Side::Server {
            continue;
        }
        dec.feed(bytes);
        while let Some(r) = dec.next() {
            out.push(r.ok().map(|reply| SeenReply {
                seq: e.seq,
                at: e.at,
                code: reply.code,
                line: first_line(&reply),
                reply,
            }));
        }
    }
    out
}

/// Every well-formed reply the server sent on `control`, in order.
pub fn replies(events: &[Event], control: ConnId) -> Vec<SeenReply> {
    numbered(events, control).into_iter().flatten().collect()
}

/// The replies answering a command sent after `from_seq`: every reply up to
/// and including the first non-preliminary one.
pub fn answer_to(replies: &[SeenReply], from_seq: u64) -> Vec<SeenReply> {
    let mut out = Vec::new();
    for r in replies.iter().filter(|r| r.seq > from_seq) {
        out.push(r.clone());
        if r.code >= 200 {
            break;
        }
    }
    out
}

/// The first line of a reply as received, without its line end.
pub fn first_line(reply: &Reply) -> String {
    let raw = &reply.raw;
    let end = raw.iter().position(|&b| b == b'\n').unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end])
        .trim_end_matches('\r')
        .to_string()
}
