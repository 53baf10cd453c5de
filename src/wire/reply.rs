//! Replies: single-line `xyz text` and multiline `xyz-` ... `xyz text`
//! (RFC 959 section 4.2).

use std::fmt;

use super::line::{discard_through_lf, escape_preview, next_line, split_raw_lines, LineEnd};
use super::DEFAULT_LINE_CAP;

/// A complete, well-formed reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// Every line's text: for the first and last lines the part after the
    /// `xyz-` / `xyz ` prefix; interior lines verbatim.
    pub lines: Vec<String>,
    /// True when any line ended with a bare LF.
    pub bare_lf: bool,
    /// The exact bytes received.
    pub raw: Vec<u8>,
}

impl Reply {
    /// A reply to send; more than one line makes a multiline reply.
    ///
    /// Text containing `\n` is split into more lines. Interior lines that
    /// start with a digit get a leading space, so that `lines` holds what a
    /// peer decoding [`Reply::encode`] would see.
    pub fn new(code: u16, lines: &[&str]) -> Self {
        let mut split: Vec<String> = lines
            .iter()
            .flat_map(|l| l.split('\n'))
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
            .collect();
        if split.is_empty() {
            split.push(String::new());
        }
        let last = split.len() - 1;
        for line in split.iter_mut().take(last).skip(1) {
            *line = guard_interior(line);
        }
        let mut reply = Reply {
            code,
            lines: split,
            bare_lf: false,
            raw: Vec::new(),
        };
        reply.raw = reply.encode();
        reply
    }

    /// Bytes to put on the wire (CRLF line ends, multiline form as needed).
    pub fn encode(&self) -> Vec<u8> {
        let code = self.code;
        let mut out = String::new();
        match self.lines.as_slice() {
            [] => out.push_str(&format!("{code:03} \r\n")),
            [only] => out.push_str(&format!("{code:03} {only}\r\n")),
            [first, interior @ .., last] => {
                out.push_str(&format!("{code:03}-{first}\r\n"));
                for line in interior {
                    out.push_str(&guard_interior(line));
                    out.push_str("\r\n");
                }
                out.push_str(&format!("{code:03} {last}\r\n"));
            }
        }
        out.into_bytes()
    }

    /// All lines' text joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// First digit: 1 preliminary, 2 completion, 3 intermediate, 4 and 5 failures.
    pub fn class(&self) -> u8 {
        (self.code / 100) as u8
    }

    pub fn is_preliminary(&self) -> bool {
        self.class() == 1
    }
}

/// RFC 959 section 4.2: "If an intermediary line begins with a 3-digit
/// number, the Server must pad the front to avoid confusion."
fn guard_interior(line: &str) -> String {
    if line.starts_with(|c: char| c.is_ascii_digit()) {
        format!(" {line}")
    } else {
        line.to_owned()
    }
}

/// The size in a 213 reply to SIZE (RFC 3659 section 4): the text is the
/// decimal size, which may exceed 32 bits.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// What is wrong with a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyErrorKind {
    /// The line does not start with three digits.
    BadCode,
    /// Three digits outside 100-599.
    CodeOutOfRange(u16),
    /// Code not followed by space or hyphen.
    MissingSpace,
    /// A multiline reply whose last line carries a different code (only
    /// detectable when the reply is complete, e.g. at end of stream).
    MismatchedEnd { first: u16, last: u16 },
    /// Stream ended inside a multiline reply.
    Unterminated { code: u16 },
    /// A line longer than the cap.
    TooLong { cap: usize },
}

impl fmt::Display for ReplyErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyErrorKind::BadCode => f.write_str("reply does not start with a 3-digit code"),
            ReplyErrorKind::CodeOutOfRange(code) => {
                write!(f, "reply code {code} is outside 100-599")
            }
            ReplyErrorKind::MissingSpace => {
                f.write_str("reply code is not followed by a space or a hyphen")
            }
            ReplyErrorKind::MismatchedEnd { first, last } => write!(
                f,
                "multiline reply starts with code {first} but its last line has code {last}"
            ),
            ReplyErrorKind::Unterminated { code } => {
                write!(f, "stream ended inside reply {code:03}")
            }
            ReplyErrorKind::TooLong { cap } => write!(f, "reply longer than {cap} bytes"),
        }
    }
}

/// A reply that could not be parsed; keeps its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyError {
    pub kind: ReplyErrorKind,
    pub raw: Vec<u8>,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: \"{}\"", self.kind, escape_preview(&self.raw, 80))
    }
}

impl std::error::Error for ReplyError {}

/// What follows the code on a reply's first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    /// `xyz text` or a bare `xyz`: a one-line reply.
    Space,
    /// `xyz-text`: the first line of a multiline reply.
    Hyphen,
}

/// Reads the code and separator of a reply's first line; returns the text.
fn parse_head(content: &[u8]) -> Result<(u16, Sep, &[u8]), ReplyErrorKind> {
    let code = leading_code(content).ok_or(ReplyErrorKind::BadCode)?;
    // RFC 959 section 4.2: "There are five values for the first digit of
    // the reply code", 1 to 5.
    if !(100..=599).contains(&code) {
        return Err(ReplyErrorKind::CodeOutOfRange(code));
    }
    // RFC 959 section 4.2: "A reply is defined to contain the 3-digit
    // code, followed by Space <SP>, followed by one line of text". A bare
    // code with nothing after is taken as an empty text.
    match content.get(3) {
        None => Ok((code, Sep::Space, &[])),
        Some(b' ') => Ok((code, Sep::Space, &content[4..])),
        Some(b'-') => Ok((code, Sep::Hyphen, &content[4..])),
        Some(_) => Err(ReplyErrorKind::MissingSpace),
    }
}

/// The three leading digits of a line, if it has them.
fn leading_code(content: &[u8]) -> Option<u16> {
    let digits = content.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + u16::from(d - b'0')))
}

/// RFC 959 section 4.2: "The last line will begin with the same code,
/// followed immediately by Space <SP>, optionally some text, and the
/// Telnet end-of-line code." A bare `xyz` line is accepted too.
fn end_line_text(content: &[u8], code: u16) -> Option<&[u8]> {
    if leading_code(content)? != code {
        return None;
    }
    match content.get(3) {
        None => Some(&[]),
        Some(b' ') => Some(&content[4..]),
        Some(_) => None,
    }
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A multiline reply whose first line has been read.
#[derive(Debug)]
struct Partial {
    code: u16,
    lines: Vec<String>,
    bare_lf: bool,
    raw: Vec<u8>,
}

impl Partial {
    fn into_reply(self) -> Reply {
        Reply {
            code: self.code,
            lines: self.lines,
            bare_lf: self.bare_lf,
            raw: self.raw,
        }
    }
}

/// How many lines' worth of bytes one multiline reply may hold, as a
/// multiple of the line cap; beyond that it is reported as TooLong.
const MAX_REPLY_LINES: usize = 128;

/// Incremental reply decoder (sans-IO).
#[derive(Debug)]
pub struct ReplyDecoder {
    buf: Vec<u8>,
    cap: usize,
    /// The multiline reply being read, if any.
    partial: Option<Partial>,
    /// True after a TooLong, until the rest of that line has been dropped.
    discarding: bool,
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
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.drop_overlong_rest();
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

    /// Call at end of stream: an error if a partial reply is pending.
    pub fn finish(&mut self) -> Option<ReplyError> {
        let rest = std::mem::take(&mut self.buf);
        let was_discarding = std::mem::replace(&mut self.discarding, false);
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
        match self.partial.as_mut() {
            None => self.take_first_line(raw, content_len, bare_lf),
            Some(partial) => {
                let done = continue_partial(partial, &raw[..content_len], bare_lf);
                partial.raw.extend_from_slice(&raw);
                if done {
                    return self.partial.take().map(|p| Ok(p.into_reply()));
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
        let text = text_of(text);
        match sep {
            Sep::Space => Some(Ok(Reply {
                code,
                lines: vec![text],
                bare_lf,
                raw,
            })),
            Sep::Hyphen => {
                self.partial = Some(Partial {
                    code,
                    lines: vec![text],
                    bare_lf,
                    raw,
                });
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
        let raw = self.partial.take()?.raw;
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
fn continue_partial(partial: &mut Partial, content: &[u8], bare_lf: bool) -> bool {
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
