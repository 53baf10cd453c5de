//! Reply bytes to send: one line, or a multiline reply in one of the styles
//! real servers use (some of them faults a client must survive).

use crate::wire::line::LineEnd;

/// How the interior lines of a multiline reply are written: the first line
/// is always `xyz-text` and the last `xyz text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultilineStyle {
    /// Every interior line `xyz-text` too.
    AllCoded,
    /// Interior lines as given, with no code. RFC 959 section 4.2 asks a
    /// server to pad an interior line that starts with digits; this style
    /// does not, so it can send one that looks like the end of the reply.
    Uncoded,
    /// Interior lines start with a space.
    Indented,
}

/// The bytes of a reply: `xyz text` for one line (or none); for more,
/// `xyz-first`, the interior lines in `style`, then `xyz last`. Every line
/// ends with `end` (CRLF, or a bare LF to test a client's tolerance).
pub fn emit(code: u16, lines: &[String], style: MultilineStyle, end: LineEnd) -> Vec<u8> {
    let eol = match end {
        LineEnd::CrLf => "\r\n",
        LineEnd::BareLf => "\n",
    };
    let mut out = String::new();
    match lines {
        [] => out.push_str(&format!("{code:03} {eol}")),
        [only] => out.push_str(&format!("{code:03} {only}{eol}")),
        [first, interior @ .., last] => {
            out.push_str(&format!("{code:03}-{first}{eol}"));
            for line in interior {
                match style {
                    MultilineStyle::AllCoded => out.push_str(&format!("{code:03}-{line}")),
                    MultilineStyle::Uncoded => out.push_str(line),
                    MultilineStyle::Indented => out.push_str(&format!(" {line}")),
                }
                out.push_str(eol);
            }
            out.push_str(&format!("{code:03} {last}{eol}"));
        }
    }
    out.into_bytes()
}

/// A one-line reply, `xyz text` and CRLF.
pub fn emit_line(code: u16, text: &str) -> Vec<u8> {
    format!("{code:03} {text}\r\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[&str], style: MultilineStyle, end: LineEnd) -> String {
        let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        String::from_utf8(emit(211, &lines, style, end)).unwrap()
    }

    #[test]
    fn every_multiline_style() {
        let abc = ["a", "b", "c"];
        assert_eq!(
            text(&abc, MultilineStyle::AllCoded, LineEnd::CrLf),
            "211-a\r\n211-b\r\n211 c\r\n"
        );
        assert_eq!(
            text(&abc, MultilineStyle::Uncoded, LineEnd::CrLf),
            "211-a\r\nb\r\n211 c\r\n"
        );
        assert_eq!(
            text(&abc, MultilineStyle::Indented, LineEnd::BareLf),
            "211-a\n b\n211 c\n"
        );
    }

    #[test]
    fn one_line_or_none() {
        assert_eq!(
            text(&["ok"], MultilineStyle::Uncoded, LineEnd::BareLf),
            "211 ok\n"
        );
        assert_eq!(
            text(&[], MultilineStyle::AllCoded, LineEnd::CrLf),
            "211 \r\n"
        );
        assert_eq!(emit_line(220, "ready"), b"220 ready\r\n");
    }
}
