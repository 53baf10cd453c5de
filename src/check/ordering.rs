//! Ordering checks on a transfer: the preliminary reply comes first, and
//! the right side closes the data connection before the final reply.

use std::time::Duration;

use super::facts::{CheckCtx, Findings, Negotiation, TransferFacts};
use super::replies::{answer_to, replies, SeenReply};
use crate::script::{Direction, Level, Loc};
use crate::timeline::{CloseKind, ConnId, Event, EventKind, Side};

pub const PRELIMINARY_RULE: &str = "preliminary-before-data";
pub const DOWNLOAD_RULE: &str = "download-closed-by-server";
pub const UPLOAD_RULE: &str = "upload-closed-by-client";

/// How much earlier than the data FIN the final reply may be seen: the
/// two travel on different connections and are read by different tasks.
pub const CLOSE_SKEW: Duration = Duration::from_secs(1);

pub fn check(events: &[Event], neg: &Negotiation, ctx: &CheckCtx) -> Findings {
    let mut out = Findings::default();
    let Some(t) = neg.transfer.as_ref() else {
        return out;
    };
    let answer = answer_to(&replies(events, ctx.control), t.sent_seq);
    let Some(last) = answer.last().filter(|r| r.code / 100 == 2) else {
        return out;
    };
    preliminary_first(&answer, last, t, ctx, neg.loc.as_ref(), &mut out);
    if let (false, Some(data)) = (t.aborted, t.data) {
        match t.direction {
            Direction::Download => download_close(events, data, last, t, ctx, neg, &mut out),
            Direction::Upload => upload_close(events, data, last, ctx, neg, &mut out),
        }
    }
    out
}

// RFC 959 5.4 (command-reply sequences): "RETR / 125, 150 / (110) / 226, 250
// / 425, 426, 451"; the preliminary reply opens the exchange and the
// completion reply ends it. RFC 959 4.2: "the server-PI sends a confirming
// reply" only once the transfer is done.
fn preliminary_first(
    answer: &[SeenReply],
    last: &SeenReply,
    t: &TransferFacts,
    ctx: &CheckCtx,
    loc: Option<&Loc>,
    out: &mut Findings,
) {
    if answer.iter().any(|r| r.code == 125 || r.code == 150) {
        return;
    }
    out.violation(
        PRELIMINARY_RULE,
        "RFC 959 5.4",
        ctx.incidental(Level::Must),
        format!("125 or 150 before the final reply to {}", t.verb),
        format!("{} with no preliminary reply", last.line),
        loc,
    );
}

// RFC 959 3.3: "The server MUST close the data connection under the
// following conditions: 1. The server has completed sending data in a
// transfer mode that requires a close to indicate EOF." In stream mode "the
// end of the file must be indicated by closing the connection" (RFC 959
// 3.4.1), and 226 reads "Closing data connection" (RFC 959 4.2).
fn download_close(
    events: &[Event],
    data: ConnId,
    last: &SeenReply,
    t: &TransferFacts,
    ctx: &CheckCtx,
    neg: &Negotiation,
    out: &mut Findings,
) {
    let loc = neg.loc.as_ref();
    let Some((by, kind, at)) = first_close(events, data) else {
        return;
    };
    if by != Side::Server || kind != CloseKind::Fin {
        let actual = match (by, kind) {
            (Side::Server, CloseKind::Reset) => "the server reset the data connection".to_string(),
            _ => "the harness closed the data connection; the server never did".to_string(),
        };
        let grade = ctx.incidental(Level::Must);
        let expected = format!("the server closes the data connection after {}", t.verb);
        out.violation(DOWNLOAD_RULE, "RFC 959 3.3", grade, expected, actual, loc);
        return;
    }
    if last.at + CLOSE_SKEW < at {
        let actual = format!(
            "'{}' at {} ms, data FIN at {} ms",
            last.line,
            last.at.as_millis(),
            at.as_millis()
        );
        let grade = ctx.incidental(Level::Should);
        let expected = "the final reply after the data connection closed (1 s skew allowed)";
        out.violation(DOWNLOAD_RULE, "RFC 959 4.2", grade, expected, actual, loc);
    }
}

// RFC 959 3.4.1 (stream mode): "If the structure is a file structure, the
// EOF is indicated by the sending host closing the data connection". In an
// upload the client sends, so the client closes, and the server can only
// confirm the file after that close.
fn upload_close(
    events: &[Event],
    data: ConnId,
    last: &SeenReply,
    ctx: &CheckCtx,
    neg: &Negotiation,
    out: &mut Findings,
) {
    let loc = neg.loc.as_ref();
    let grade = ctx.incidental(Level::Must);
    let Some((by, kind, _)) = first_close(events, data) else {
        return;
    };
    if by == Side::Server {
        let what = if kind == CloseKind::Reset {
            "reset"
        } else {
            "closed"
        };
        let actual = format!("the server {what} the data connection before the client's EOF");
        out.violation(
            UPLOAD_RULE,
            "RFC 959 3.4.1",
            grade,
            "the client's close ends the upload",
            actual,
            loc,
        );
        return;
    }
    let client_close = close_seq(events, data, Side::Client);
    if client_close.is_some_and(|seq| last.seq < seq) {
        let actual = format!(
            "'{}' before the client closed the data connection",
            last.line
        );
        out.violation(
            UPLOAD_RULE,
            "RFC 959 3.4.1",
            grade,
            "the final reply after the client's EOF",
            actual,
            loc,
        );
    }
}

/// Who closed `conn` first, how, and when.
fn first_close(events: &[Event], conn: ConnId) -> Option<(Side, CloseKind, Duration)> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Closed { conn: c, by, kind } if *c == conn => Some((*by, *kind, e.at)),
        _ => None,
    })
}

fn close_seq(events: &[Event], conn: ConnId, by: Side) -> Option<u64> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Closed { conn: c, by: b, .. } if *c == conn && *b == by => Some(e.seq),
        _ => None,
    })
}
