//! Judging a `transfer` step from what the fake client recorded: the
//! preliminary and final replies, the replies after ABOR, and the bytes
//! that arrived on the data connection.

use super::facts::TransferFacts;
use super::replies::SeenReply;
use super::server_case::Walk;
use crate::script::{Body, Content, Direction, Transfer};
use crate::timeline::{ConnId, Digest, Event, EventKind, PeerEvent, Side, TransferEnd};
use crate::verdict::{Rule, Verdict, Violation};
use crate::wire::escape::escape_preview;

/// How many bytes of a download a violation shows.
const PREVIEW: usize = 60;

impl Walk<'_> {
    /// Judges the transfer that just ended and records it with its
    /// negotiation.
    pub(super) fn transferred(&mut self, end: &TransferEnd) {
        let Some(x) = self.transfer_step() else {
            return;
        };
        let replies: Vec<SeenReply> = end.replies.iter().filter_map(|n| self.reply(*n)).collect();
        self.used_data(end.data);
        let succeeded = self.judge_transfer(x, end, &replies);
        let sent_seq = self.transfer_seq();
        let facts = TransferFacts {
            verb: sent_verb(self.events, self.control, sent_seq),
            direction: x.direction,
            sent_seq,
            data: end.data,
            aborted: end.aborted,
            succeeded,
        };
        self.attach(facts);
    }

    /// Grades the replies and the data; true when the transfer succeeded.
    fn judge_transfer(&mut self, x: &Transfer, end: &TransferEnd, replies: &[SeenReply]) -> bool {
        if let Some(p) = replies.iter().find(|r| r.reply.is_preliminary()) {
            self.grade(&x.preliminary, p);
        }
        let finals: Vec<&SeenReply> = replies
            .iter()
            .filter(|r| !r.reply.is_preliminary())
            .collect();
        let Some(last) = finals.last() else {
            let expected = super::expect::describe_codes(&x.complete.codes);
            let actual = end
                .problem
                .clone()
                .unwrap_or_else(|| "no final reply".into());
            self.violate(x.complete.rule.as_deref(), expected, actual);
            return false;
        };
        if end.aborted {
            // `complete` grades the last reply (the answer to ABOR); the
            // shape of the whole exchange is checked apart.
            if self.judge_abort(&finals) {
                self.grade(&x.complete, last);
            }
            return false;
        }
        let accepted = self.grade(&x.complete, last);
        if !accepted || last.code / 100 != 2 {
            return false;
        }
        self.judge_content(x, end.data)
    }

    // RFC 959 4.1.3 (ABOR): "In the first case, the server closes the data
    // connection (if it is open) and responds with a 226 reply, indicating
    // that the abort command was successfully processed. In the second case,
    // the server aborts the FTP service in progress and closes the data
    // connection, returning a 426 reply to indicate that the service request
    // terminated abnormally. The server then sends a 226 reply".
    // RFC 959 5.4 lists 225 and 226 for ABOR; ABOR is not in the minimum
    // implementation (RFC 959 5.1), so 500 / 502 grade as unimplemented.
    /// Checks the shape of the replies after ABOR; false when ABOR itself
    /// is not implemented (nothing more to grade).
    fn judge_abort(&mut self, finals: &[&SeenReply]) -> bool {
        let codes: Vec<u16> = finals.iter().map(|r| r.code).collect();
        let lines: Vec<&str> = finals.iter().map(|r| r.line.as_str()).collect();
        let actual = lines.join(" / ");
        let rule = Rule::AbortReplies;
        if let [_, 500 | 502] = codes.as_slice() {
            let expected = "225 or 226 to ABOR";
            self.push(Violation::of(
                rule,
                Verdict::Unimplemented,
                expected,
                actual,
            ));
            return false;
        }
        let ok = match codes.as_slice() {
            [_] => true,
            [first, _] => [426, 451, 226, 250].contains(first),
            _ => false,
        };
        if !ok {
            let expected = "426 then 226, or 226 alone, after ABOR";
            self.push(Violation::of(
                rule,
                rule.grade(self.level()),
                expected,
                actual,
            ));
        }
        true
    }

    /// Rule `transfer-content`, citing the section the case tests.
    fn judge_content(&mut self, x: &Transfer, data: Option<ConnId>) -> bool {
        if x.direction == Direction::Upload {
            return true;
        }
        let got = data.map(|c| received(self.events, c)).unwrap_or_default();
        let expected = match &x.content {
            Content::Bytes(b) if !got.is(b) => Some(format!("{} bytes as given", b.len())),
            Content::Size(n) if got.len != *n => Some(format!("exactly {n} bytes")),
            Content::AtLeast(n) if got.len < *n => Some(format!("at least {n} bytes")),
            Content::Body(b) => body_mismatch(&got, b),
            _ => None,
        };
        let mut wrong = Vec::new();
        if let Some(expected) = expected {
            wrong.push((expected, format!("{} bytes: {}", got.len, got.preview())));
        }
        let text = String::from_utf8_lossy(&got.kept).to_string();
        for re in x.data_text.iter().filter(|re| !re.is_match(&text)) {
            wrong.push((format!("data matching /{}/", re.as_str()), got.preview()));
        }
        let ok = wrong.is_empty();
        let rule = Rule::TransferContent;
        let rfc = self.case_rfc().unwrap_or(rule.rfc()).to_string();
        for (expected, actual) in wrong {
            let grade = rule.grade(self.level());
            self.push(Violation::of(rule, grade, expected, actual).citing(&rfc));
        }
        ok
    }
}

/// What the server sent on a data connection: every byte counted, the
/// bytes the timeline kept (all of them unless past its retention cap),
/// and the length and running hash the fake client kept as they arrived.
#[derive(Default)]
struct Received {
    len: u64,
    kept: Vec<u8>,
    digest: Option<Digest>,
}

/// What a download should have brought when it is not the bytes of `body`
/// (read again now, a chunk at a time).
fn body_mismatch(got: &Received, body: &Body) -> Option<String> {
    let name = match body {
        Body::File { path, .. } => path.display().to_string(),
        _ => "the given body".to_string(),
    };
    match body.digest() {
        Ok(d) if got.has(d) => None,
        Ok(d) => Some(format!("the {} bytes of {name}", d.len)),
        Err(e) => Some(format!(
            "the bytes of {name} (which could not be read: {e})"
        )),
    }
}

impl Received {
    fn is(&self, bytes: &[u8]) -> bool {
        self.has(Digest::of(bytes))
    }

    /// Whether the bytes received are those of digest `d`.
    fn has(&self, d: Digest) -> bool {
        match self.digest {
            Some(got) => got == d,
            None => Digest::of(&self.kept) == d && self.len == d.len,
        }
    }

    fn preview(&self) -> String {
        format!("\"{}\"", escape_preview(&self.kept, PREVIEW))
    }
}

fn received(events: &[Event], conn: ConnId) -> Received {
    let mut got = Received::default();
    for e in events {
        if let EventKind::Bytes {
            conn: c,
            from: Side::Server,
            len,
            bytes,
            ..
        } = &e.kind
        {
            if *c == conn {
                got.len += len;
                got.kept.extend_from_slice(bytes);
            }
        }
        if let EventKind::Peer(PeerEvent::Received { conn: c, digest }) = &e.kind {
            if *c == conn {
                got.digest = Some(*digest);
            }
        }
    }
    got
}

/// The upper-case verb of the first command sent on `control` after
/// `after` (the transfer command).
fn sent_verb(events: &[Event], control: ConnId, after: u64) -> String {
    let line = events.iter().find_map(|e| match &e.kind {
        EventKind::Bytes {
            conn,
            from: Side::Client,
            bytes,
            ..
        } if *conn == control && e.seq > after => Some(bytes),
        _ => None,
    });
    let text = String::from_utf8_lossy(line.map_or(&[][..], |b| b.as_slice()));
    let verb = text.split([' ', '\r', '\n']).next().unwrap_or("");
    verb.to_ascii_uppercase()
}
