//! Tests for reply decoding and encoding, with shapes real servers send.

use super::reply::{parse_complete, Reply, ReplyDecoder, ReplyErrorKind};

/// Feeds `input` in one piece and collects every result.
fn decode_all(cap: usize, input: &[u8]) -> Vec<Result<Reply, ReplyErrorKind>> {
    let mut decoder = ReplyDecoder::new(cap);
    decoder.feed(input);
    std::iter::from_fn(|| decoder.next())
        .take(1000)
        .map(|r| r.map_err(|e| e.kind))
        .collect()
}

/// Decodes exactly one reply, whole.
fn one(input: &[u8]) -> Reply {
    let mut got = decode_all(8192, input);
    assert_eq!(got.len(), 1, "{got:?}");
    got.remove(0).unwrap()
}

#[test]
fn vsftpd_pasv_reply() {
    let reply = one(b"227 Entering Passive Mode (127,0,0,1,117,53).\r\n");
    assert_eq!(reply.code, 227);
    assert_eq!(reply.lines, ["Entering Passive Mode (127,0,0,1,117,53)."]);
    assert!(!reply.bare_lf);
    assert_eq!(reply.class(), 2);
}

#[test]
fn bare_code_is_empty_text() {
    let reply = one(b"220\r\n");
    assert_eq!(reply.code, 220);
    assert_eq!(reply.lines, [""]);
}

#[test]
fn pure_ftpd_banner() {
    let raw = b"220---------- Welcome to Pure-FTPd [privsep] ----------\r\n\
        220-You are user number 1 of 50 allowed.\r\n\
        220-Local time is now 10:02. Server port: 21.\r\n\
        220-IPv6 connections are also welcome on this server.\r\n\
        220 You will be disconnected after 15 minutes of inactivity.\r\n";
    let reply = one(raw);
    assert_eq!(reply.code, 220);
    assert_eq!(reply.lines.len(), 5);
    assert_eq!(
        reply.lines[0],
        "--------- Welcome to Pure-FTPd [privsep] ----------"
    );
    assert_eq!(reply.lines[1], "220-You are user number 1 of 50 allowed.");
    assert_eq!(
        reply.lines[4],
        "You will be disconnected after 15 minutes of inactivity."
    );
    assert_eq!(reply.raw, raw);
}

#[test]
fn interior_lines_uncoded_indented_or_other_codes() {
    let raw = b"230-Welcome\r\nplain line\r\n  indented\r\n123 other code\r\n230-same code hyphen\r\n230 done\r\n";
    let reply = one(raw);
    assert_eq!(
        reply.lines,
        [
            "Welcome",
            "plain line",
            "  indented",
            "123 other code",
            "230-same code hyphen",
            "done"
        ]
    );
}

#[test]
fn proftpd_feat_mixing_lf_and_crlf() {
    let reply = one(b"211-Features:\n MDTM\n REST STREAM\r\n SIZE\n211 End\r\n");
    assert_eq!(reply.code, 211);
    assert!(reply.bare_lf);
    assert_eq!(
        reply.lines,
        ["Features:", " MDTM", " REST STREAM", " SIZE", "End"]
    );
}

#[test]
fn pure_ftpd_multiline_preliminary() {
    let reply = one(b"150-Accepted data connection\r\n150 5.6 kbytes to download\r\n");
    assert!(reply.is_preliminary());
    assert_eq!(
        reply.lines,
        ["Accepted data connection", "5.6 kbytes to download"]
    );
}

#[test]
fn size_over_32_bits() {
    let reply = one(b"213 5416666670\r\n");
    assert_eq!(reply.text(), "5416666670");
}

#[test]
fn byte_by_byte_feed() {
    let input = b"220-hello\r\n 220 not the end\r\n220 end\r\n331 Password\r\n";
    let mut decoder = ReplyDecoder::new(8192);
    let mut replies = Vec::new();
    for byte in input {
        decoder.feed(&[*byte]);
        while let Some(result) = decoder.next() {
            replies.push(result.unwrap());
        }
    }
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0].lines, ["hello", " 220 not the end", "end"]);
    assert_eq!(replies[1].code, 331);
    assert_eq!(decoder.finish(), None);
}

#[test]
fn malformed_single_lines_are_named_and_skipped() {
    let cases: [(&[u8], ReplyErrorKind); 7] = [
        (b"220Hello\r\n", ReplyErrorKind::MissingSpace),
        (b"2x0 Hello\r\n", ReplyErrorKind::BadCode),
        (b"Hello\r\n", ReplyErrorKind::BadCode),
        (b"22\r\n", ReplyErrorKind::BadCode),
        (b"\r\n", ReplyErrorKind::BadCode),
        (b"600 Too high\r\n", ReplyErrorKind::CodeOutOfRange(600)),
        (b"099 Too low\r\n", ReplyErrorKind::CodeOutOfRange(99)),
    ];
    for (raw, kind) in cases {
        let mut decoder = ReplyDecoder::new(8192);
        decoder.feed(raw);
        decoder.feed(b"200 OK\r\n");
        let err = decoder.next().unwrap().unwrap_err();
        assert_eq!(err.kind, kind, "for {raw:?}");
        assert_eq!(err.raw, raw);
        let next = decoder.next().unwrap().unwrap();
        assert_eq!(next.code, 200, "no resync after {raw:?}");
    }
}

#[test]
fn unterminated_multiline_at_end_of_stream() {
    let mut decoder = ReplyDecoder::new(8192);
    decoder.feed(b"220-Welcome\r\n220-still\r\n220 no line end");
    assert!(decoder.next().is_none());
    let err = decoder.finish().unwrap();
    assert_eq!(err.kind, ReplyErrorKind::Unterminated { code: 220 });
    assert_eq!(err.raw, b"220-Welcome\r\n220-still\r\n220 no line end");
    assert_eq!(decoder.finish(), None);
}

#[test]
fn unterminated_single_line_at_end_of_stream() {
    let mut decoder = ReplyDecoder::new(8192);
    decoder.feed(b"221 Bye");
    assert!(decoder.next().is_none());
    let err = decoder.finish().unwrap();
    assert_eq!(err.kind, ReplyErrorKind::Unterminated { code: 221 });
    assert_eq!(err.raw, b"221 Bye");
}

#[test]
fn too_long_line_then_resync() {
    let mut input = b"220 ".to_vec();
    input.extend([b'x'; 40]);
    input.extend_from_slice(b"\r\n230 OK\r\n");
    let got = decode_all(16, &input);
    assert_eq!(got[0], Err(ReplyErrorKind::TooLong { cap: 16 }));
    assert_eq!(got[1].as_ref().unwrap().code, 230);
    assert_eq!(got.len(), 2);
}

#[test]
fn too_long_inside_multiline_keeps_earlier_lines() {
    let mut input = b"211-Features:\r\n ".to_vec();
    input.extend([b'y'; 40]);
    input.extend_from_slice(b"\r\n211 End\r\n200 OK\r\n");
    let mut decoder = ReplyDecoder::new(20);
    decoder.feed(&input);
    let err = decoder.next().unwrap().unwrap_err();
    assert_eq!(err.kind, ReplyErrorKind::TooLong { cap: 20 });
    assert!(err.raw.starts_with(b"211-Features:\r\n "));
    // The rest of the broken reply surfaces as what it looks like.
    assert_eq!(decoder.next().unwrap().unwrap().code, 211);
    assert_eq!(decoder.next().unwrap().unwrap().code, 200);
}

#[test]
fn endless_multiline_is_bounded() {
    let mut decoder = ReplyDecoder::new(16);
    decoder.feed(b"220-start\r\n");
    let mut error = None;
    for _ in 0..10_000 {
        decoder.feed(b"220-more\r\n");
        if let Some(result) = decoder.next() {
            error = Some(result.unwrap_err().kind);
            break;
        }
    }
    assert!(
        matches!(error, Some(ReplyErrorKind::TooLong { .. })),
        "{error:?}"
    );
    // The rest of that reply is dropped, however long, through its last
    // line: one error for the reply, not one per line after it.
    for _ in 0..10_000 {
        decoder.feed(b" more\r\n");
        assert_eq!(decoder.next(), None);
    }
    decoder.feed(b"220 end\r\n230 OK\r\n");
    assert_eq!(decoder.next().unwrap().unwrap().code, 230);
    assert_eq!(decoder.finish(), None);
}

#[test]
fn endless_multiline_cut_off_by_the_close_is_one_error() {
    let mut decoder = ReplyDecoder::new(16);
    decoder.feed(b"220-start\r\n");
    let mut errors = 0;
    for _ in 0..10_000 {
        decoder.feed(b" more\r\n");
        while let Some(result) = decoder.next() {
            assert!(result.is_err());
            errors += 1;
        }
    }
    assert_eq!(errors, 1);
    assert_eq!(decoder.finish(), None);
}

#[test]
fn parse_complete_reports_mismatched_end() {
    let err = parse_complete(b"220-a\r\n221 b\r\n").unwrap_err();
    assert_eq!(
        err.kind,
        ReplyErrorKind::MismatchedEnd {
            first: 220,
            last: 221
        }
    );
    assert_eq!(err.raw, b"220-a\r\n221 b\r\n");
}

#[test]
fn parse_complete_accepts_whole_replies() {
    let reply = parse_complete(b"220-a\r\n221 b\r\n220 c\r\n").unwrap();
    assert_eq!(reply.lines, ["a", "221 b", "c"]);
    let reply = parse_complete(b"200 no line end").unwrap();
    assert_eq!(reply.raw, b"200 no line end");
    assert_eq!(reply.text(), "no line end");
}

#[test]
fn parse_complete_other_errors() {
    let kind = |bytes: &[u8]| parse_complete(bytes).unwrap_err().kind;
    assert_eq!(
        kind(b"220-a\r\nb\r\n"),
        ReplyErrorKind::Unterminated { code: 220 }
    );
    assert_eq!(
        kind(b"200 a\r\n200 b\r\n"),
        ReplyErrorKind::MismatchedEnd {
            first: 200,
            last: 200
        }
    );
    assert_eq!(kind(b""), ReplyErrorKind::BadCode);
    assert_eq!(kind(b"abc"), ReplyErrorKind::BadCode);
}

#[test]
fn new_and_encode_multiline() {
    let reply = Reply::new(211, &["Features:", "MDTM", "123 looks like a code", "End"]);
    assert_eq!(
        reply.raw,
        b"211-Features:\r\nMDTM\r\n 123 looks like a code\r\n211 End\r\n"
    );
    assert_eq!(one(&reply.raw), reply);
}

#[test]
fn new_single_line_and_embedded_newlines() {
    assert_eq!(Reply::new(200, &["OK"]).raw, b"200 OK\r\n");
    assert_eq!(Reply::new(200, &[]).raw, b"200 \r\n");
    let reply = Reply::new(220, &["a\r\nb\nc"]);
    assert_eq!(reply.lines, ["a", "b", "c"]);
    assert_eq!(reply.raw, b"220-a\r\nb\r\n220 c\r\n");
}

#[test]
fn error_display_is_readable() {
    let err = parse_complete(b"220Hello\r\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "reply code is not followed by a space or a hyphen: \"220Hello\\r\\n\""
    );
}

#[test]
fn bare_code_ends_a_multiline_reply() {
    let reply = one(b"220-hello\r\n220\r\n");
    assert_eq!(reply.lines, ["hello", ""]);
}

#[test]
fn non_utf8_text_is_kept_raw() {
    let raw = b"550 caf\xe9 not found\r\n";
    let reply = one(raw);
    assert_eq!(reply.code, 550);
    assert_eq!(reply.raw, raw);
    assert!(reply.text().starts_with("caf"));
}

#[test]
fn same_code_with_hyphen_does_not_end_and_other_code_space_does_not_end() {
    let mut decoder = ReplyDecoder::new(8192);
    decoder.feed(b"220-a\r\n220-b\r\n221 c\r\n");
    assert!(decoder.next().is_none());
    assert!(decoder.in_multiline());
    decoder.feed(b"220 d\r\n");
    let reply = decoder.next().unwrap().unwrap();
    assert_eq!(reply.lines, ["a", "220-b", "221 c", "d"]);
    assert!(!decoder.in_multiline());
}

#[test]
fn pending_holds_only_the_incomplete_line() {
    let mut decoder = ReplyDecoder::new(8192);
    decoder.feed(b"200 OK\r\n331 Pass");
    assert_eq!(decoder.next().unwrap().unwrap().code, 200);
    assert!(decoder.next().is_none());
    assert_eq!(decoder.pending(), b"331 Pass");
}

#[test]
fn single_line_bare_lf_is_flagged() {
    let reply = one(b"230 Logged in\n");
    assert!(reply.bare_lf);
    assert_eq!(reply.lines, ["Logged in"]);
    assert!(!one(b"230 Logged in\r\n").bare_lf);
}

#[test]
fn netbsd_ftpd_login_banner_shape() {
    // NetBSD-ftpd: an empty first line, indented text, and a bare `230-`
    // interior line before the end.
    let reply = one(
        b"230-\r\n    The NetBSD Project FTP Server\r\n230-\r\n    EXPORT NOTICE\r\n    \r\n\
          230 Guest login ok, access restrictions apply.\r\n",
    );
    assert_eq!(reply.code, 230);
    assert_eq!(
        reply.lines,
        [
            "",
            "    The NetBSD Project FTP Server",
            "230-",
            "    EXPORT NOTICE",
            "    ",
            "Guest login ok, access restrictions apply."
        ]
    );
}

#[test]
fn a_session_of_replies_in_one_buffer() {
    let got = decode_all(
        8192,
        b"220 FTP Sandbox Ready.\r\n227 Entering passive mode (127,0,0,1,82,16).\r\n\
          125 Data connection already open. Transfer starting.\r\n226 Transfer complete.\r\n",
    );
    let codes: Vec<u16> = got.iter().map(|r| r.as_ref().unwrap().code).collect();
    assert_eq!(codes, [220, 227, 125, 226]);
}
