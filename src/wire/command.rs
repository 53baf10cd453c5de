//! Command lines: `VERB [SP argument] CRLF`, verbs case-insensitive.

use std::fmt;

use super::escape::escape_preview;
use super::line::{discard_through_lf, next_line, LineEnd};
use super::telnet::IAC;
use super::DEFAULT_LINE_CAP;

/// A well-formed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Upper-cased verb (`RETR`, `PASV`, ...).
    pub verb: String,
    /// The argument after the first space, if any (may be empty).
    pub arg: Option<String>,
    /// How the line was terminated.
    pub end: LineEnd,
    /// The exact bytes received, terminator included.
    pub raw: Vec<u8>,
}

impl fmt::Display for Command {
    /// `VERB arg`, without the line end.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.arg {
            Some(arg) => write!(f, "{} {}", self.verb, arg),
            None => f.write_str(&self.verb),
        }
    }
}

/// What is wrong with a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandErrorKind {
    /// Longer than the cap with no line end.
    TooLong { cap: usize },
    /// An empty line.
    Empty,
    /// The verb is not 1-4 (or more) ASCII letters.
    BadVerb,
    /// Bytes outside Telnet NVT ASCII / UTF-8 where text was expected.
    NotText,
}

impl fmt::Display for CommandErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandErrorKind::TooLong { cap } => {
                write!(f, "command line longer than {cap} bytes")
            }
            CommandErrorKind::Empty => f.write_str("empty command line"),
            CommandErrorKind::BadVerb => f.write_str("command verb is not ASCII letters"),
            CommandErrorKind::NotText => f.write_str("command argument is not UTF-8 text"),
        }
    }
}

/// A command line that could not be parsed; keeps its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    pub kind: CommandErrorKind,
    pub raw: Vec<u8>,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: \"{}\"", self.kind, escape_preview(&self.raw, 80))
    }
}

impl std::error::Error for CommandError {}

/// Parses one complete line, terminator included (`USER a\r\n`). A line
/// with no LF at the end is taken as CRLF-terminated.
pub fn parse_line(line: &[u8]) -> Result<Command, CommandError> {
    let (content, end) = strip_line_end(line);
    parse_content(content, end, line)
}

/// Splits the terminator off a raw line.
fn strip_line_end(line: &[u8]) -> (&[u8], LineEnd) {
    if let Some(rest) = line.strip_suffix(b"\r\n") {
        (rest, LineEnd::CrLf)
    } else if let Some(rest) = line.strip_suffix(b"\n") {
        (rest, LineEnd::BareLf)
    } else {
        (line, LineEnd::CrLf)
    }
}

/// Parses a line's content (no terminator); `raw` is kept in the result.
fn parse_content(content: &[u8], end: LineEnd, raw: &[u8]) -> Result<Command, CommandError> {
    let error = |kind| CommandError {
        kind,
        raw: raw.to_vec(),
    };
    let content = skip_telnet_commands(content);
    if content.is_empty() {
        return Err(error(CommandErrorKind::Empty));
    }
    // RFC 959 section 5.3: "Upper and lower case alphabetic characters
    // are to be treated identically." Section 5.3.1: "The command codes themselves are alphabetic
    // characters terminated by the character <SP> (Space) if parameters
    // follow and Telnet-EOL otherwise."
    let (verb, arg) = match content.iter().position(|&b| b == b' ') {
        Some(sp) => (&content[..sp], Some(&content[sp + 1..])),
        None => (content, None),
    };
    if verb.is_empty() || !verb.iter().all(u8::is_ascii_alphabetic) {
        return Err(error(CommandErrorKind::BadVerb));
    }
    let arg = match arg.map(std::str::from_utf8).transpose() {
        Ok(arg) => arg.map(str::to_owned),
        Err(_) => return Err(error(CommandErrorKind::NotText)),
    };
    Ok(Command {
        verb: String::from_utf8_lossy(verb).to_ascii_uppercase(),
        arg,
        end,
        raw: raw.to_vec(),
    })
}

/// Skips Telnet commands at the start of a line, such as the IAC IP IAC DM
/// a client sends before ABOR. RFC 959 section 4.1.3 (ABOR): the user
/// sends "the Telnet 'Interrupt Process' (IP) signal and the Telnet
/// 'Synch' signal" first. The raw bytes keep them.
fn skip_telnet_commands(mut content: &[u8]) -> &[u8] {
    while let Some((&IAC, rest)) = content.split_first() {
        content = match rest.first().copied() {
            // WILL, WONT, DO, DONT carry an option byte.
            Some(251..=254) => rest.get(2..).unwrap_or(&[]),
            Some(240..=254) => &rest[1..],
            // IAC IAC is a data byte 255; leave it to the verb check.
            Some(IAC) => return content,
            // A lone IAC (its command byte taken as urgent data).
            _ => rest,
        };
    }
    content
}

/// Incremental command decoder (sans-IO): feed bytes, pull commands.
#[derive(Debug)]
pub struct CommandDecoder {
    buf: Vec<u8>,
    cap: usize,
    /// True after a TooLong, until the rest of that line has been dropped.
    discarding: bool,
}

impl Default for CommandDecoder {
    fn default() -> Self {
        CommandDecoder::new(DEFAULT_LINE_CAP)
    }
}

impl CommandDecoder {
    /// A decoder with a line cap in bytes, CRLF included (0 means
    /// [`DEFAULT_LINE_CAP`]).
    pub fn new(cap: usize) -> Self {
        let cap = if cap == 0 { DEFAULT_LINE_CAP } else { cap };
        CommandDecoder {
            buf: Vec::new(),
            cap,
            discarding: false,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.drop_overlong_rest();
    }

    /// The next command, `None` when incomplete.
    ///
    /// A line over the cap is reported once, as soon as the cap is reached,
    /// with its first `cap` bytes as raw; the rest of it, through the next
    /// LF, is dropped unseen.
    // The name is the shared API; `Iterator` would hide the "incomplete" case.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Result<Command, CommandError>> {
        if !self.drop_overlong_rest() {
            return None;
        }
        match next_line(&self.buf, self.cap) {
            Ok(None) => None,
            Ok(Some(line)) => {
                let consumed = line.consumed;
                let result = parse_content(line.content, line.end, &self.buf[..consumed]);
                self.buf.drain(..consumed);
                Some(result)
            }
            Err(too_long) => Some(Err(self.take_overlong(too_long.cap))),
        }
    }

    /// Bytes received but not yet part of a complete line.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Takes the first `cap` bytes of an over-long line as an error.
    fn take_overlong(&mut self, cap: usize) -> CommandError {
        let raw: Vec<u8> = self.buf.drain(..cap).collect();
        self.discarding = true;
        self.drop_overlong_rest();
        CommandError {
            kind: CommandErrorKind::TooLong { cap },
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
