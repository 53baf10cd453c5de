//! Line framing: finds the next complete line in a buffer, with a length cap.

use std::fmt;

/// How a line was terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    /// `\r\n`, as RFC 959 asks.
    CrLf,
    /// A bare `\n` (accepted, but recorded).
    BareLf,
}

/// One complete line found in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// The line without its terminator.
    pub content: &'a [u8],
    pub end: LineEnd,
    /// Bytes consumed from the buffer, terminator included.
    pub consumed: usize,
}

/// A line longer than the cap, before any terminator was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTooLong {
    pub cap: usize,
}

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line longer than {} bytes without a line end", self.cap)
    }
}

impl std::error::Error for LineTooLong {}

/// Finds the next line in `buf`. `Ok(None)` means incomplete: wait for more.
pub fn next_line(buf: &[u8], cap: usize) -> Result<Option<Line<'_>>, LineTooLong> {
    let _ = (buf, cap);
    todo!("wire helper")
}
