//! Replies: single-line `xyz text` and multiline `xyz-` ... `xyz text`
//! (RFC 959 section 4.2).

use std::fmt;

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
    pub fn new(code: u16, lines: &[&str]) -> Self {
        let _ = (code, lines);
        todo!("wire helper")
    }

    /// Bytes to put on the wire (CRLF line ends, multiline form as needed).
    pub fn encode(&self) -> Vec<u8> {
        todo!("wire helper")
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

/// A reply that could not be parsed; keeps its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyError {
    pub kind: ReplyErrorKind,
    pub raw: Vec<u8>,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)
    }
}

impl std::error::Error for ReplyError {}

/// Incremental reply decoder (sans-IO).
#[derive(Debug, Default)]
pub struct ReplyDecoder {
    buf: Vec<u8>,
    cap: usize,
}

impl ReplyDecoder {
    pub fn new(cap: usize) -> Self {
        ReplyDecoder {
            buf: Vec::new(),
            cap,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next reply, `None` when incomplete.
    pub fn next(&mut self) -> Option<Result<Reply, ReplyError>> {
        todo!("wire helper")
    }

    /// Call at end of stream: an error if a partial reply is pending.
    pub fn finish(&mut self) -> Option<ReplyError> {
        todo!("wire helper")
    }
}
