//! Ordering checks on a transfer: the preliminary reply comes first, and
//! the right side closes the data connection before the final reply.

use std::time::Duration;

use super::facts::{CheckCtx, Findings, Negotiation, TransferFacts};
use super::replies::{answer_to, replies, SeenReply};
use crate::script::Direction;
use crate::timeline::{CloseKind, ConnId, Event, EventKind, Side};
use crate::verdict::{Level, Loc, Rule, Violation};

/// How much later than both the final reply and the server's last data
/// byte the data FIN may be seen: the two connections are read in turns,
/// so bytes already sent wait for the harness to read them. Measuring from
/// the last byte too means a slow reader (a loaded machine, a big file read
/// after the reply) never makes a prompt close look late; a server that
/// keeps the connection open after its last byte does.
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
        Rule::PreliminaryBeforeData,
        ctx.grade(Rule::PreliminaryBeforeData),
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
        let grade = ctx.grade(Rule::DownloadClosedByServer);
        let expected = format!("the server closes the data connection after {}", t.verb);
        out.violation(Rule::DownloadClosedByServer, grade, expected, actual, loc);
        return;
    }
    let last_byte = last_bytes_at(events, data, Side::Server).unwrap_or_default();
    if last.at.max(last_byte) + CLOSE_SKEW < at {
        let actual = format!(
            "'{}' at {} ms, last data byte at {} ms, data FIN at {} ms",
            last.line,
            last.at.as_millis(),
            last_byte.as_millis(),
            at.as_millis()
        );
        let grade = ctx.at_level(Level::Should);
        let expected = "the final reply after the data connection closed (1 s skew allowed after the reply and the last byte)";
        let v = Violation::of(Rule::DownloadClosedByServer, grade, expected, actual);
        out.push(v.citing("RFC 959 4.2").at(loc));
    } else if last.at < at {
        // Tolerated, but shown: how early the reply came.
        let early = (at - last.at).as_millis();
        let skew = CLOSE_SKEW.as_millis();
        out.note(format!(
            "{}: {} seen {early} ms before the data connection's FIN (up to {skew} ms tolerated)",
            t.verb, last.code
        ));
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
    let grade = ctx.grade(Rule::UploadClosedByClient);
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
            Rule::UploadClosedByClient,
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
            Rule::UploadClosedByClient,
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

/// When the last bytes from `from` on `conn` were read.
fn last_bytes_at(events: &[Event], conn: ConnId, from: Side) -> Option<Duration> {
    events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Bytes {
            conn: c, from: f, ..
        } if *c == conn && *f == from => Some(e.at),
        _ => None,
    })
}

fn close_seq(events: &[Event], conn: ConnId, by: Side) -> Option<u64> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Closed { conn: c, by: b, .. } if *c == conn && *b == by => Some(e.seq),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::facts::Negotiation;
    use crate::script::DataMode;
    use crate::timeline::ConnRole;
    use crate::verdict::{RuleId, Verdict};

    fn ev(seq: u64, ms: u64, kind: EventKind) -> Event {
        Event {
            seq,
            at: Duration::from_millis(ms),
            kind,
        }
    }

    fn bytes(conn: u32, from: Side, b: &[u8]) -> EventKind {
        EventKind::Bytes {
            conn: ConnId(conn),
            from,
            offset: 0,
            len: b.len() as u64,
            bytes: b.to_vec(),
        }
    }

    fn opened(conn: u32, role: ConnRole) -> EventKind {
        let a = "127.0.0.1:1".parse().unwrap();
        let b = "127.0.0.1:2".parse().unwrap();
        EventKind::Opened {
            conn: ConnId(conn),
            role,
            initiator: a,
            acceptor: b,
            initiator_side: Side::Client,
            acceptor_side: Side::Server,
        }
    }

    /// A download whose 226 comes at 20 ms and whose FIN at `fin_ms`.
    fn download(fin_ms: u64, prelim: bool) -> Vec<Event> {
        download_with_data_at(15, fin_ms, prelim)
    }

    /// A download whose data is read at `data_ms`, its 226 at 20 ms and
    /// its FIN at `fin_ms`.
    fn download_with_data_at(data_ms: u64, fin_ms: u64, prelim: bool) -> Vec<Event> {
        let mut kinds = vec![
            (0, opened(0, ConnRole::Control)),
            (1, opened(1, ConnRole::Data(1))),
            (
                2,
                EventKind::Note {
                    text: "RETR".into(),
                },
            ),
        ];
        if prelim {
            kinds.push((10, bytes(0, Side::Server, b"150 here\r\n")));
        }
        kinds.push((data_ms, bytes(1, Side::Server, b"data")));
        kinds.push((20, bytes(0, Side::Server, b"226 done\r\n")));
        let close = EventKind::Closed {
            conn: ConnId(1),
            by: Side::Server,
            kind: CloseKind::Fin,
        };
        kinds.push((fin_ms, close));
        kinds.sort_by_key(|(ms, _)| *ms);
        let events = kinds.into_iter().enumerate();
        events.map(|(i, (ms, k))| ev(i as u64, ms, k)).collect()
    }

    fn neg(sent_seq: u64) -> Negotiation {
        Negotiation {
            mode: DataMode::Pasv,
            loc: None,
            sent_seq,
            reply_code: Some(227),
            announced: None,
            named: None,
            listener: None,
            trap: false,
            explicit_expect: false,
            thief: None,
            thief_conn: None,
            transfer: Some(TransferFacts {
                verb: "RETR".into(),
                direction: Direction::Download,
                sent_seq,
                data: Some(ConnId(1)),
                aborted: false,
                succeeded: true,
            }),
        }
    }

    fn ctx(level: Level) -> CheckCtx {
        CheckCtx::test(level)
    }

    fn rules(f: &Findings) -> Vec<(RuleId, Verdict)> {
        f.violations
            .iter()
            .map(|v| (v.rule.clone(), v.grade))
            .collect()
    }

    #[test]
    fn final_reply_within_the_skew_of_the_fin_passes() {
        let f = check(&download(1020, true), &neg(2), &ctx(Level::Must));
        assert_eq!(rules(&f), vec![]);
        let tolerated =
            "RETR: 226 seen 1000 ms before the data connection's FIN (up to 1000 ms tolerated)";
        assert_eq!(f.notes, vec![tolerated.to_string()]);
        let f = check(&download(18, true), &neg(2), &ctx(Level::Must));
        assert_eq!(
            (rules(&f), f.notes),
            (vec![], vec![]),
            "FIN first: nothing tolerated"
        );
    }

    #[test]
    fn final_reply_long_before_the_fin_is_a_should() {
        let f = check(&download(1021, true), &neg(2), &ctx(Level::Must));
        assert_eq!(
            rules(&f),
            vec![(
                RuleId::Catalogue(Rule::DownloadClosedByServer),
                Verdict::NonStrict
            )]
        );
        let f = check(&download(1021, true), &neg(2), &ctx(Level::Info));
        assert_eq!(
            rules(&f),
            vec![(
                RuleId::Catalogue(Rule::DownloadClosedByServer),
                Verdict::Info
            )]
        );
    }

    #[test]
    fn a_fin_right_after_data_read_late_passes() {
        // The harness read the data 1.5 s after the 226 (a slow reader):
        // the server closed right after its last byte.
        let events = download_with_data_at(1500, 1510, true);
        let f = check(&events, &neg(2), &ctx(Level::Must));
        assert_eq!(rules(&f), vec![]);
        let events = download_with_data_at(1500, 2501, true);
        let f = check(&events, &neg(2), &ctx(Level::Must));
        assert_eq!(f.violations.len(), 1);
        assert!(f.violations[0].actual.contains("last data byte at 1500 ms"));
    }

    #[test]
    fn missing_preliminary_reply_is_a_must() {
        let events = download(25, false);
        let f = check(&events, &neg(2), &ctx(Level::Must));
        assert_eq!(
            rules(&f),
            vec![(
                RuleId::Catalogue(Rule::PreliminaryBeforeData),
                Verdict::Fail
            )]
        );
        assert_eq!(f.violations[0].actual, "226 done with no preliminary reply");
    }
}
