//! Command lines: `VERB [SP argument] CRLF`, verbs case-insensitive.

use std::fmt;

use super::line::LineEnd;

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

impl Command {
    /// A command to send: verb and optional argument.
    pub fn new(verb: &str, arg: Option<&str>) -> Self {
        let _ = (verb, arg);
        todo!("wire helper")
    }

    /// The bytes to put on the wire: `VERB arg\r\n`.
    pub fn encode(&self) -> Vec<u8> {
        todo!("wire helper")
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

/// A command line that could not be parsed; keeps its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    pub kind: CommandErrorKind,
    pub raw: Vec<u8>,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)
    }
}

impl std::error::Error for CommandError {}

/// Incremental command decoder (sans-IO): feed bytes, pull commands.
#[derive(Debug, Default)]
pub struct CommandDecoder {
    buf: Vec<u8>,
    cap: usize,
}

impl CommandDecoder {
    pub fn new(cap: usize) -> Self {
        CommandDecoder {
            buf: Vec::new(),
            cap,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next command, `None` when incomplete.
    pub fn next(&mut self) -> Option<Result<Command, CommandError>> {
        todo!("wire helper")
    }

    /// Bytes received but not yet part of a complete line.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }
}
