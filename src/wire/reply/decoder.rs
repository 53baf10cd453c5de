//! Incremental reply decoding (sans-IO) and whole-reply parsing.

use super::{
    end_line_text, leading_code, parse_head, text_of, Reply, ReplyError, ReplyErrorKind, Sep,
};
use crate::wire::line::{discard_through_lf, next_line, split_raw_lines, LineEnd};
use crate::wire::telnet::TelnetFilter;
use crate::wire::DEFAULT_LINE_CAP;

/// How many lines' worth of bytes one multiline reply may hold, as a
/// multiple of the line cap; beyond that it is reported as TooLong.
const MAX_REPLY_LINES: usize = 128;

/// Incremental reply decoder (sans-IO).
#[derive(Debug)]
pub struct ReplyDecoder {
    buf: Vec<u8>,
    cap: usize,
    /// The multiline reply being read, if any, with the lines so far.
    partial: Option<Reply>,
    /// True after a TooLong, until the rest of that line has been dropped.
    discarding: bool,
    /// The code of a multiline reply reported TooLong for its total size:
    /// its further lines are dropped through its last line (one error for
    /// the whole reply, however long it goes on).
    skipping: Option<u16>,
    /// Telnet commands (RFC 959 5.2) are taken out as bytes arrive.
    telnet: TelnetFilter,
}

impl Default for ReplyDecoder {
    fn default() -> Self {
        ReplyDecoder::new(DEFAULT_LINE_CAP)
    }
}

impl ReplyDecoder {
    /// A decoder with a line cap in bytes, CRLF included (0 means
    /// [`DEFAULT_LINE_CAP`]).
    pub fn new(cap: usize) -> Self {
        let cap = if cap == 0 { DEFAULT_LINE_CAP } else { cap };
        ReplyDecoder {
            buf: Vec::new(),
            cap,
            partial: None,
            discarding: false,
            skipping: None,
            // A Telnet run longer than a line is a flood: the line cap
            // takes it.
            telnet: TelnetFilter::new(cap),
        }
    }

    /// Takes in received bytes; Telnet commands among them (`IAC WONT x`,
    /// `IAC NOP`, ...) are taken out, `IAC IAC` becomes one 0xFF.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.telnet.filter(bytes, &mut self.buf);
        self.drop_overlong_rest();
    }

    /// The Telnet commands taken out so far: option negotiations, others.
    pub fn telnet_seen(&self) -> (u32, u32) {
        (self.telnet.negotiations(), self.telnet.commands())
    }

    /// The next reply, `None` when incomplete.
    ///
    /// After an error the bad line is skipped and decoding goes on with
    /// the next line. A line over the cap is reported as soon as the cap
    /// is reached; the rest of it, through the next LF, is dropped.
    // The name is the shared API; `Iterator` would hide the "incomplete" case.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Result<Reply, ReplyError>> {
        // Each round consumes one line, so the loop ends with the buffer.
        loop {
            if !self.drop_overlong_rest() {
                return None;
            }
            let (consumed, end) = match next_line(&self.buf, self.cap) {
                Ok(None) => return None,
                Ok(Some(line)) => (line.consumed, line.end),
                Err(too_long) => return Some(Err(self.take_overlong(too_long.cap))),
            };
            let raw: Vec<u8> = self.buf.drain(..consumed).collect();
            if let Some(result) = self.take_line(raw, end) {
                return Some(result);
            }
        }
    }

    /// Bytes received but not yet part of a complete line (lines of an
    /// unfinished multiline reply are not included).
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// True while the rest of a multiline reply reported TooLong for its
    /// total size is being dropped (a peer flooding the connection).
    pub fn dropping_overlong_reply(&self) -> bool {
        self.skipping.is_some()
    }

    /// True while inside a multiline reply whose last line has not come.
    pub fn in_multiline(&self) -> bool {
        self.partial.is_some()
    }

    /// Call at end of stream: an error if a partial reply is pending.
    pub fn finish(&mut self) -> Option<ReplyError> {
        let rest = std::mem::take(&mut self.buf);
        let was_discarding =
            std::mem::replace(&mut self.discarding, false) | self.skipping.take().is_some();
        match self.partial.take() {
            Some(mut partial) => {
                partial.raw.extend_from_slice(&rest);
                Some(ReplyError {
                    kind: ReplyErrorKind::Unterminated { code: partial.code },
                    raw: partial.raw,
                })
            }
            None if rest.is_empty() || was_discarding => None,
            None => Some(ReplyError {
                kind: ReplyErrorKind::Unterminated {
                    code: leading_code(&rest).unwrap_or(0),
                },
                raw: rest,
            }),
        }
    }

    /// Handles one complete raw line; `Some` when it ends a reply or is bad.
    fn take_line(&mut self, raw: Vec<u8>, end: LineEnd) -> Option<Result<Reply, ReplyError>> {
        let content_len = raw.len() - if end == LineEnd::CrLf { 2 } else { 1 };
        let bare_lf = end == LineEnd::BareLf;
        if let Some(code) = self.skipping {
            if end_line_text(&raw[..content_len], code).is_some() {
                self.skipping = None;
            }
            return None;
        }
        match self.partial.as_mut() {
            None => self.take_first_line(raw, content_len, bare_lf),
            Some(partial) => {
                let done = continue_partial(partial, &raw[..content_len], bare_lf);
                partial.raw.extend_from_slice(&raw);
                if done {
                    return self.partial.take().map(Ok);
                }
                self.check_total_size()
            }
        }
    }

    /// Handles the first line of a reply.
    fn take_first_line(
        &mut self,
        raw: Vec<u8>,
        content_len: usize,
        bare_lf: bool,
    ) -> Option<Result<Reply, ReplyError>> {
        let (code, sep, text) = match parse_head(&raw[..content_len]) {
            Ok(head) => head,
            Err(kind) => return Some(Err(ReplyError { kind, raw })),
        };
        let reply = Reply {
            code,
            lines: vec![text_of(text)],
            bare_lf,
            raw,
        };
        match sep {
            Sep::Space => Some(Ok(reply)),
            Sep::Hyphen => {
                self.partial = Some(reply);
                None
            }
        }
    }

    /// Ends an over-long multiline reply with a TooLong error.
    fn check_total_size(&mut self) -> Option<Result<Reply, ReplyError>> {
        let max = self.cap.saturating_mul(MAX_REPLY_LINES);
        let partial = self.partial.as_ref()?;
        if partial.raw.len() <= max {
            return None;
        }
        let partial = self.partial.take()?;
        self.skipping = Some(partial.code);
        let raw = partial.raw;
        Some(Err(ReplyError {
            kind: ReplyErrorKind::TooLong { cap: max },
            raw,
        }))
    }

    /// Takes the first `cap` bytes of an over-long line (after any partial
    /// reply's lines) as an error.
    fn take_overlong(&mut self, cap: usize) -> ReplyError {
        let mut raw = self.partial.take().map(|p| p.raw).unwrap_or_default();
        raw.extend(self.buf.drain(..cap));
        self.discarding = true;
        self.drop_overlong_rest();
        ReplyError {
            kind: ReplyErrorKind::TooLong { cap },
            raw,
        }
    }

    /// While discarding, drops bytes through the next LF. Returns true when
    /// not (or no longer) discarding.
    fn drop_overlong_rest(&mut self) -> bool {
        if self.discarding && discard_through_lf(&mut self.buf) {
            self.discarding = false;
        }
        !self.discarding
    }
}

/// Adds a line to a multiline reply; true when it was the last line.
fn continue_partial(partial: &mut Reply, content: &[u8], bare_lf: bool) -> bool {
    partial.bare_lf |= bare_lf;
    match end_line_text(content, partial.code) {
        Some(text) => {
            partial.lines.push(text_of(text));
            true
        }
        // RFC 959 section 4.2: interior lines may begin with anything,
        // other codes included; they are kept verbatim.
        None => {
            partial.lines.push(text_of(content));
            false
        }
    }
}

/// Parses one whole reply given as a complete unit (a missing final line
/// end is tolerated). Reports `MismatchedEnd` when the last line carries a
/// different code from the first, or when lines follow the reply's end;
/// `Unterminated` when a multiline reply has no last line.
pub fn parse_complete(bytes: &[u8]) -> Result<Reply, ReplyError> {
    let mut decoder = ReplyDecoder::new(bytes.len() + 2);
    decoder.feed(bytes);
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        decoder.feed(b"\r\n");
    }
    let error = |kind| ReplyError {
        kind,
        raw: bytes.to_vec(),
    };
    match decoder.next() {
        Some(Ok(reply)) if decoder.buf.is_empty() => Ok(Reply {
            raw: bytes.to_vec(),
            ..reply
        }),
        Some(Ok(reply)) => Err(error(mismatched_end(reply.code, bytes))),
        Some(Err(e)) => Err(error(e.kind)),
        None => match decoder.partial.as_ref() {
            Some(partial) => Err(error(unterminated_or_mismatched(partial.code, bytes))),
            None => Err(error(ReplyErrorKind::BadCode)),
        },
    }
}

fn mismatched_end(first: u16, bytes: &[u8]) -> ReplyErrorKind {
    let last = last_line(bytes).and_then(leading_code).unwrap_or(0);
    ReplyErrorKind::MismatchedEnd { first, last }
}

/// A multiline reply without its end: is the last line an end line with
/// the wrong code?
fn unterminated_or_mismatched(first: u16, bytes: &[u8]) -> ReplyErrorKind {
    let last = last_line(bytes).unwrap_or(&[]);
    match parse_head(last) {
        Ok((code, Sep::Space, _)) if code != first => {
            ReplyErrorKind::MismatchedEnd { first, last: code }
        }
        _ => ReplyErrorKind::Unterminated { code: first },
    }
}

/// The last line's content, without its line end.
fn last_line(bytes: &[u8]) -> Option<&[u8]> {
    let line = *split_raw_lines(bytes).last()?;
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}
