//! Tests for command-line decoding and encoding.

use super::command::{parse_line, Command, CommandDecoder, CommandErrorKind};
use super::line::LineEnd;

/// Feeds `input` in one piece and collects every result.
fn decode_all(cap: usize, input: &[u8]) -> Vec<Result<Command, CommandErrorKind>> {
    let mut decoder = CommandDecoder::new(cap);
    decoder.feed(input);
    std::iter::from_fn(|| decoder.next())
        .take(1000)
        .map(|r| r.map_err(|e| e.kind))
        .collect()
}

#[test]
fn verb_is_upper_cased_and_arg_kept() {
    let cmd = parse_line(b"retr My File.txt\r\n").unwrap();
    assert_eq!(cmd.verb, "RETR");
    assert_eq!(cmd.arg.as_deref(), Some("My File.txt"));
    assert_eq!(cmd.end, LineEnd::CrLf);
    assert_eq!(cmd.raw, b"retr My File.txt\r\n");
}

#[test]
fn no_arg_and_empty_arg_differ() {
    assert_eq!(parse_line(b"PASV\r\n").unwrap().arg, None);
    assert_eq!(parse_line(b"PASV \r\n").unwrap().arg.as_deref(), Some(""));
}

#[test]
fn bare_lf_is_accepted_and_recorded() {
    let cmd = parse_line(b"NOOP\n").unwrap();
    assert_eq!(cmd.verb, "NOOP");
    assert_eq!(cmd.end, LineEnd::BareLf);
}

#[test]
fn telnet_ip_synch_before_abor_is_skipped_but_kept_raw() {
    let raw = b"\xff\xf4\xff\xf2ABOR\r\n";
    let cmd = parse_line(raw).unwrap();
    assert_eq!(cmd.verb, "ABOR");
    assert_eq!(cmd.raw, raw);
}

#[test]
fn malformed_lines_keep_raw() {
    let cases: [(&[u8], CommandErrorKind); 5] = [
        (b"\r\n", CommandErrorKind::Empty),
        (b" USER a\r\n", CommandErrorKind::BadVerb),
        (b"US3R a\r\n", CommandErrorKind::BadVerb),
        (b"\xc3\xa9T\r\n", CommandErrorKind::BadVerb),
        (b"RETR \xff\xfe\r\n", CommandErrorKind::NotText),
    ];
    for (raw, kind) in cases {
        let err = parse_line(raw).unwrap_err();
        assert_eq!(err.kind, kind, "for {raw:?}");
        assert_eq!(err.raw, raw);
    }
}

#[test]
fn decoder_splits_pipelined_lines() {
    let got = decode_all(100, b"USER a\r\nPASS b\nSYST\r\nPA");
    let verbs: Vec<_> = got
        .iter()
        .map(|r| r.as_ref().unwrap().verb.clone())
        .collect();
    assert_eq!(verbs, ["USER", "PASS", "SYST"]);
}

#[test]
fn decoder_byte_by_byte() {
    let mut decoder = CommandDecoder::new(100);
    let input = b"CWD /tmp\r\n";
    for (i, byte) in input.iter().enumerate() {
        assert!(decoder.next().is_none(), "complete too early at {i}");
        decoder.feed(&[*byte]);
    }
    let cmd = decoder.next().unwrap().unwrap();
    assert_eq!(cmd.arg.as_deref(), Some("/tmp"));
    assert!(decoder.pending().is_empty());
}

#[test]
fn too_long_is_reported_once_and_decoding_resumes() {
    let mut input = b"STOR ".to_vec();
    input.extend([b'x'; 50]);
    input.extend_from_slice(b"\r\nNOOP\r\n");
    let mut decoder = CommandDecoder::new(16);
    decoder.feed(&input);
    let err = decoder.next().unwrap().unwrap_err();
    assert_eq!(err.kind, CommandErrorKind::TooLong { cap: 16 });
    assert_eq!(err.raw, &input[..16]);
    assert_eq!(decoder.next().unwrap().unwrap().verb, "NOOP");
    assert!(decoder.next().is_none());
}

#[test]
fn endless_line_does_not_grow_the_buffer() {
    let mut decoder = CommandDecoder::new(32);
    let chunk = [b'a'; 100];
    let mut errors = 0;
    for _ in 0..100 {
        decoder.feed(&chunk);
        while let Some(result) = decoder.next() {
            assert!(result.is_err());
            errors += 1;
        }
        assert!(decoder.pending().len() <= 32, "{}", decoder.pending().len());
    }
    assert_eq!(errors, 1);
    decoder.feed(b"\nQUIT\r\n");
    assert_eq!(decoder.next().unwrap().unwrap().verb, "QUIT");
}

#[test]
fn error_display_is_readable() {
    let err = parse_line(b"1234\r\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "command verb is not ASCII letters: \"1234\\r\\n\""
    );
}

#[test]
fn telnet_option_negotiation_is_skipped() {
    // IAC WONT ECHO (3 bytes), then IAC NOP (2 bytes), then the command.
    let cmd = parse_line(b"\xff\xfc\x01\xff\xf1NOOP\r\n").unwrap();
    assert_eq!(cmd.verb, "NOOP");
    // Only Telnet commands: nothing left.
    let err = parse_line(b"\xff\xf4\xff\xf2\r\n").unwrap_err();
    assert_eq!(err.kind, CommandErrorKind::Empty);
}

#[test]
fn decoder_default_uses_the_default_cap() {
    let mut decoder = CommandDecoder::default();
    let mut line = b"STOR ".to_vec();
    line.extend([b'a'; 8000]);
    line.extend_from_slice(b"\r\n");
    decoder.feed(&line);
    assert_eq!(decoder.next().unwrap().unwrap().verb, "STOR");
}
