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
///
/// The cap counts the terminator: a line of `cap` bytes ending in LF fits;
/// `cap` bytes with no LF among them can only grow into a longer line, so
/// that is reported at once rather than waiting for the rest.
pub fn next_line(buf: &[u8], cap: usize) -> Result<Option<Line<'_>>, LineTooLong> {
    let window = &buf[..buf.len().min(cap)];
    // RFC 959 section 5.3: "The argument field consists of a variable
    // length character string ending with the character sequence <CRLF>";
    // section 4.2: a reply is "terminated by the Telnet end-of-line code".
    // A bare LF is tolerated and flagged as `LineEnd::BareLf`.
    match window.iter().position(|&b| b == b'\n') {
        Some(lf) => Ok(Some(split_at_lf(buf, lf))),
        None if buf.len() >= cap => Err(LineTooLong { cap }),
        None => Ok(None),
    }
}

/// The line ending at the LF at index `lf`.
fn split_at_lf(buf: &[u8], lf: usize) -> Line<'_> {
    let crlf = lf > 0 && buf[lf - 1] == b'\r';
    let (end, content_len) = if crlf {
        (LineEnd::CrLf, lf - 1)
    } else {
        (LineEnd::BareLf, lf)
    };
    Line {
        content: &buf[..content_len],
        end,
        consumed: lf + 1,
    }
}

/// Drops bytes from the front of `buf` through the first LF. Returns true
/// when an LF was found (the over-long line is over), false when all of
/// `buf` was dropped and the line goes on.
pub fn discard_through_lf(buf: &mut Vec<u8>) -> bool {
    match buf.iter().position(|&b| b == b'\n') {
        Some(lf) => {
            buf.drain(..=lf);
            true
        }
        None => {
            buf.clear();
            false
        }
    }
}

/// Splits `bytes` into raw lines, terminators included; a last piece with
/// no LF is returned as it is.
pub fn split_raw_lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|&b| b == b'\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_line() {
        let line = next_line(b"USER a\r\nPASS", 100).unwrap().unwrap();
        assert_eq!(line.content, b"USER a");
        assert_eq!(line.end, LineEnd::CrLf);
        assert_eq!(line.consumed, 8);
    }

    #[test]
    fn bare_lf_line() {
        let line = next_line(b"NOOP\nX", 100).unwrap().unwrap();
        assert_eq!(line.content, b"NOOP");
        assert_eq!(line.end, LineEnd::BareLf);
        assert_eq!(line.consumed, 5);
    }

    #[test]
    fn incomplete_is_none() {
        assert_eq!(next_line(b"NOOP\r", 100), Ok(None));
        assert_eq!(next_line(b"", 100), Ok(None));
    }

    #[test]
    fn cap_counts_the_terminator() {
        assert!(next_line(b"abc\r\n", 5).unwrap().is_some());
        assert_eq!(next_line(b"abcd\r\n", 5), Err(LineTooLong { cap: 5 }));
        assert_eq!(next_line(b"abcde", 5), Err(LineTooLong { cap: 5 }));
        assert_eq!(next_line(b"abcd", 5), Ok(None));
    }

    #[test]
    fn discard_stops_after_lf() {
        let mut buf = b"xxxx\nNOOP\r\n".to_vec();
        assert!(discard_through_lf(&mut buf));
        assert_eq!(buf, b"NOOP\r\n");
        let mut buf = b"xxxx".to_vec();
        assert!(!discard_through_lf(&mut buf));
        assert!(buf.is_empty());
    }
}
