//! The `transfer` step: send the command, move the data (see [`phase`]),
//! then grade the replies and the bytes.
//!
//! [`phase`]: super::phase

use std::time::Duration;

use super::data::PendingData;
use super::expect;
use super::phase::{finals, move_data, Moved, Source};
use super::session::{first_line, FakeClient, Stop};
use crate::check::facts::TransferFacts;
use crate::script::{Content, Direction, Step, Transfer};
use crate::verdict::{Rule, Verdict, Violation};
use crate::wire::escape::escape_preview;
use crate::wire::reply::Reply;

impl FakeClient<'_> {
    pub async fn transfer(&mut self, step: &Step, x: &Transfer, t: Duration) -> Result<(), Stop> {
        let loc = &step.loc;
        self.greet(loc, t).await?;
        let command = self.resolve(&x.command, loc)?;
        let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let mut pending = self.pending.take();
        if let Some(PendingData::Active(p)) = pending.as_mut() {
            p.check_now();
        }
        self.release_thief(x.direction, t).await;
        let sent_seq = self.mark(format!("{loc}: {command}"));
        self.send_line(&command, loc, t).await?;
        let source = match pending {
            None => Source::None,
            Some(PendingData::Connected(c)) => Source::Ready(c),
            Some(PendingData::Active(p)) => Source::Accept(p),
            Some(PendingData::Late(addr)) => {
                let server = self.ctrl()?.peer_addr().ip();
                Source::Ready(self.connect_data(step, addr, server, t).await?)
            }
        };
        let upload = upload_bytes(x);
        let moved = move_data(self.ctrl()?, source, x, &upload, t).await;
        for r in &moved.replies {
            self.remember_reply(r);
        }
        self.last_data = moved.data.or(self.last_data);
        let ok = self.judge_transfer(step, x, &moved);
        let facts = TransferFacts {
            verb,
            direction: x.direction,
            sent_seq,
            data: moved.data,
            aborted: moved.aborted,
            succeeded: ok,
        };
        if let Some(neg) = self.negs.last_mut().filter(|n| n.transfer.is_none()) {
            neg.transfer = Some(facts);
        }
        if moved.ctrl_lost || finals(&moved).is_empty() {
            return Err(Stop::Halt);
        }
        Ok(())
    }

    /// Grades the replies and the data; true when the transfer succeeded.
    fn judge_transfer(&mut self, step: &Step, x: &Transfer, m: &Moved) -> bool {
        let loc = &step.loc;
        if let Some(p) = m.replies.iter().find(|r| r.is_preliminary()) {
            self.grade(&x.preliminary, p, loc);
        }
        let finals = finals(m);
        let Some(last) = finals.last() else {
            let expected = expect::describe_codes(&x.complete.codes);
            let actual = m.problem.clone().unwrap_or_else(|| "no final reply".into());
            self.violate(x.complete.rule.as_deref(), loc, expected, actual);
            return false;
        };
        if m.aborted {
            // `complete` grades the last reply (the answer to ABOR); the
            // shape of the whole exchange is checked apart.
            if self.judge_abort(step, &finals) {
                self.grade(&x.complete, last, loc);
            }
            return false;
        }
        let accepted = self.grade(&x.complete, last, loc);
        if !accepted || last.code / 100 != 2 {
            return false;
        }
        self.judge_content(step, x, m)
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
    fn judge_abort(&mut self, step: &Step, finals: &[&Reply]) -> bool {
        let codes: Vec<u16> = finals.iter().map(|r| r.code).collect();
        let actual = || {
            let lines: Vec<String> = finals.iter().map(|r| first_line(r)).collect();
            lines.join(" / ")
        };
        if let [_, 500 | 502] = codes.as_slice() {
            let expected = "225 or 226 to ABOR".to_string();
            let v = Violation::of(
                Rule::AbortReplies,
                Verdict::Unimplemented,
                expected,
                actual(),
            );
            self.push(v, &step.loc);
            return false;
        }
        let ok = match codes.as_slice() {
            [_] => true,
            [first, _] => [426, 451, 226, 250].contains(first),
            _ => false,
        };
        if !ok {
            let expected = "426 then 226, or 226 alone, after ABOR".to_string();
            self.violate_rule(Rule::AbortReplies, &step.loc, expected, actual());
        }
        true
    }

    fn judge_content(&mut self, step: &Step, x: &Transfer, m: &Moved) -> bool {
        if x.direction == Direction::Upload {
            return true;
        }
        let got = m.received.len() as u64;
        let expected = match &x.content {
            Content::Bytes(b) if m.received != *b => Some(format!("{} bytes as given", b.len())),
            Content::Size(n) if got != *n => Some(format!("exactly {n} bytes")),
            Content::AtLeast(n) if got < *n => Some(format!("at least {n} bytes")),
            _ => None,
        };
        let mut ok = true;
        if let Some(expected) = expected {
            let actual = format!("{got} bytes: {}", preview(&m.received));
            self.content_violation(step, expected, actual);
            ok = false;
        }
        let text = String::from_utf8_lossy(&m.received).to_string();
        for re in x.data_text.iter().filter(|re| !re.is_match(&text)) {
            let expected = format!("data matching /{}/", re.as_str());
            self.content_violation(step, expected, preview(&m.received));
            ok = false;
        }
        ok
    }

    /// A `transfer-content` violation, citing the section the case tests.
    fn content_violation(&mut self, step: &Step, expected: String, actual: String) {
        let rule = Rule::TransferContent;
        let grade = rule.grade(self.level());
        let rfc = self.case.rfc.first().map_or(rule.rfc(), String::as_str);
        let v = Violation::of(rule, grade, expected, actual).citing(rfc);
        self.push(v, &step.loc);
    }
}

fn preview(bytes: &[u8]) -> String {
    format!("\"{}\"", escape_preview(bytes, 60))
}

/// The bytes an upload sends: the given content, or `n` bytes of a
/// printable pattern (no line ends, so ASCII mode leaves them alone).
fn upload_bytes(x: &Transfer) -> Vec<u8> {
    if x.direction == Direction::Download {
        return Vec::new();
    }
    match &x.content {
        Content::Bytes(b) => b.clone(),
        Content::Size(n) | Content::AtLeast(n) => (0..*n).map(|i| b'!' + (i % 94) as u8).collect(),
        Content::Any => Vec::new(),
    }
}
