//! Bytes as printable text, the one way the harness shows raw bytes
//! (transcripts, error messages, violations): valid UTF-8 stays as it is,
//! `\r`, `\n` and `\t` are escaped, other control characters and bytes
//! that are not UTF-8 become `\xNN`.

/// `bytes` as printable text (see the module documentation).
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// The first `max` bytes escaped, with `...` when there were more.
pub fn escape_preview(bytes: &[u8], max: usize) -> String {
    let mut out = escape(&bytes[..bytes.len().min(max)]);
    if bytes.len() > max {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_invalid_bytes_are_escaped() {
        assert_eq!(escape(b"NOOP\x01\r\n"), "NOOP\\x01\\r\\n");
        assert_eq!(escape("é\t".as_bytes()), "é\\t");
        assert_eq!(escape(b"a\xff\"\\"), "a\\xFF\"\\");
    }

    #[test]
    fn preview_cuts() {
        assert_eq!(escape_preview(b"a\r\n\xff", 10), "a\\r\\n\\xFF");
        assert_eq!(escape_preview(b"abcdef", 3), "abc...");
    }
}
