//! Replies: single-line `xyz text` and multiline `xyz-` ... `xyz text`
//! (RFC 959 section 4.2).

use std::fmt;

use super::escape::escape_preview;

mod decoder;
mod emit;

pub use decoder::{parse_complete, ReplyDecoder};
pub use emit::{emit, emit_line, MultilineStyle};

use super::line::LineEnd;

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
    /// peer decoding `raw` would see.
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
        let raw = emit(code, &split, MultilineStyle::Uncoded, LineEnd::CrLf);
        Reply {
            code,
            lines: split,
            bare_lf: false,
            raw,
        }
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
