//! Tests for the PORT / PASV / EPRT / EPSV address codecs.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use proptest::prelude::*;

use super::addr::*;

fn v4(a: [u8; 4], port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::from(a), port)
}

#[test]
fn port_argument() {
    assert_eq!(parse_port("127,0,0,1,4,1"), Ok(v4([127, 0, 0, 1], 1025)));
    assert_eq!(encode_port(v4([127, 0, 0, 2], 30021)), "127,0,0,2,117,69");
}

#[test]
fn pasv_replies_from_real_servers() {
    let cases = [
        // vsftpd
        ("Entering Passive Mode (127,0,0,1,117,53).", 30005),
        // pyftpdlib
        ("Entering passive mode (127,0,0,1,117,78).", 30030),
        // no parentheses, extra text (RFC 1123 4.1.2.6 scanning)
        ("=127,0,0,1,4,1 ok", 1025),
        ("Entering Passive Mode 127,0,0,1,4,1", 1025),
        ("PASV ok (port 1) 127, 0, 0, 1, 4, 1", 1025),
    ];
    for (text, port) in cases {
        assert_eq!(
            parse_pasv_reply(text),
            Ok(v4([127, 0, 0, 1], port)),
            "{text}"
        );
    }
}

#[test]
fn epsv_replies_from_real_servers() {
    // pure-ftpd
    assert_eq!(
        parse_epsv_reply("Extended Passive mode OK (|||30021|)"),
        Ok(30021)
    );
    assert_eq!(
        parse_epsv_reply("Entering Extended Passive Mode (|||6446|)"),
        Ok(6446)
    );
    assert_eq!(parse_epsv_reply("Mode (RFC 2428) (!!!6446!)"), Ok(6446));
    assert_eq!(
        encode_epsv_reply(6446),
        "Entering Extended Passive Mode (|||6446|)"
    );
}

#[test]
fn eprt_arguments() {
    let v6: SocketAddr = "[::1]:5282".parse().unwrap();
    assert_eq!(parse_eprt("|2|::1|5282|"), Ok(v6));
    assert_eq!(
        parse_eprt("!1!127.0.0.1!6275!"),
        Ok("127.0.0.1:6275".parse().unwrap())
    );
    assert_eq!(encode_eprt(v6), "|2|::1|5282|");
    assert_eq!(
        encode_eprt("127.0.0.1:6275".parse().unwrap()),
        "|1|127.0.0.1|6275|"
    );
}

#[test]
fn malformed_port_and_pasv() {
    use AddrError::*;
    let port_cases = [
        ("256,0,0,1,4,1", OctetOutOfRange(256)),
        ("127,0,0,1,256,1", PortOutOfRange(256)),
        (
            "127,0,0,1,4",
            FieldCount {
                expected: 6,
                found: 5,
            },
        ),
        (
            "127,0,0,1,4,1,2",
            FieldCount {
                expected: 6,
                found: 7,
            },
        ),
        ("127,0,x,1,4,1", BadNumber("x".into())),
        ("127,0,,1,4,1", BadNumber("".into())),
        ("99999999999,0,0,1,4,1", OctetOutOfRange(u32::MAX)),
    ];
    for (arg, error) in port_cases {
        assert_eq!(parse_port(arg), Err(error), "{arg}");
    }
    let pasv_cases = [
        ("Entering Passive Mode", NoAddress),
        ("Entering Passive Mode (1 2 3)", NoAddress),
        (
            "Entering Passive Mode (127,0,0,1,4).",
            FieldCount {
                expected: 6,
                found: 5,
            },
        ),
        (
            "Entering Passive Mode (127,0,0,300,4,1).",
            OctetOutOfRange(300),
        ),
        (
            "Entering Passive Mode (127,0,0,1,4,999).",
            PortOutOfRange(999),
        ),
    ];
    for (text, error) in pasv_cases {
        assert_eq!(parse_pasv_reply(text), Err(error), "{text}");
    }
}

#[test]
fn malformed_eprt_and_epsv() {
    use AddrError::*;
    let mismatch = |family: u8, addr: &str| FamilyMismatch {
        family,
        addr: addr.into(),
    };
    let eprt_cases = [
        ("|1|::1|5282|", mismatch(1, "::1")),
        ("|2|127.0.0.1|5282|", mismatch(2, "127.0.0.1")),
        ("|3|127.0.0.1|5282|", UnknownFamily("3".into())),
        ("|1|127.0.0.1|70000|", PortOutOfRange(70000)),
        ("|1|127.0.0.1|12ab|", BadNumber("12ab".into())),
        (
            "|1|127.0.0.1|5282",
            FieldCount {
                expected: 4,
                found: 3,
            },
        ),
        (
            "|1|127.0.0.1|5282||",
            FieldCount {
                expected: 4,
                found: 5,
            },
        ),
        ("\u{7f}1\u{7f}127.0.0.1\u{7f}5282\u{7f}", BadDelimiter),
        (" |1|127.0.0.1|5282|", BadDelimiter),
        ("|1|127.0.0.1|5282!|", BadNumber("5282!".into())),
        ("|1|127.0.0.1|5282|x", BadDelimiter),
        ("|1|localhost|5282|", BadAddress("localhost".into())),
        (
            "",
            FieldCount {
                expected: 4,
                found: 0,
            },
        ),
    ];
    for (arg, error) in eprt_cases {
        assert_eq!(parse_eprt(arg), Err(error), "{arg:?}");
    }
    let epsv_cases = [
        ("Entering Extended Passive Mode", NoAddress),
        ("Entering Extended Passive Mode (||6446|)", BadDelimiter),
        (
            "Entering Extended Passive Mode (|1|::1|6446|)",
            BadDelimiter,
        ),
        ("Entering Extended Passive Mode (   6446 )", BadDelimiter),
        (
            "Entering Extended Passive Mode (|||99999|)",
            PortOutOfRange(99999),
        ),
        (
            "Entering Extended Passive Mode (|||64x|)",
            BadNumber("64x".into()),
        ),
        (
            "Entering Extended Passive Mode (||||)",
            BadNumber("".into()),
        ),
    ];
    for (text, error) in epsv_cases {
        assert_eq!(parse_epsv_reply(text), Err(error), "{text}");
    }
}

#[test]
fn display_is_human() {
    assert_eq!(
        AddrError::OctetOutOfRange(256).to_string(),
        "octet 256 is over 255"
    );
    assert_eq!(
        AddrError::FieldCount {
            expected: 6,
            found: 5
        }
        .to_string(),
        "expected 6 fields, found 5"
    );
    assert_eq!(
        AddrError::UnknownFamily("3".into()).to_string(),
        "unknown network protocol \"3\" (1 is IPv4, 2 is IPv6)"
    );
}

/// Re-encodes an EPRT argument with delimiter `d` in place of `|`.
fn with_delimiter(encoded: &str, d: char) -> String {
    encoded.replace('|', &d.to_string())
}

const PASV_SHAPES: [PasvShape; 5] = [
    PasvShape::Standard,
    PasvShape::TrailingPeriod,
    PasvShape::NoParens,
    PasvShape::LowerCase,
    PasvShape::ExtraText,
];

#[test]
fn pasv_shapes() {
    let a = v4([127, 0, 0, 2], 1027);
    let texts = PASV_SHAPES.map(|shape| encode_pasv_reply(a, shape));
    assert_eq!(
        texts,
        [
            "Entering Passive Mode (127,0,0,2,4,3)",
            "Entering Passive Mode (127,0,0,2,4,3).",
            "Entering Passive Mode 127,0,0,2,4,3",
            "entering passive mode (127,0,0,2,4,3)",
            "=127,0,0,2,4,3 extra words",
        ]
    );
}

proptest! {
    #[test]
    fn port_roundtrip(ip: [u8; 4], port: u16) {
        let addr = v4(ip, port);
        prop_assert_eq!(parse_port(&encode_port(addr)), Ok(addr));
    }

    #[test]
    fn pasv_roundtrip_in_every_shape(ip: [u8; 4], port: u16) {
        let addr = v4(ip, port);
        for shape in PASV_SHAPES {
            prop_assert_eq!(parse_pasv_reply(&encode_pasv_reply(addr, shape)), Ok(addr));
        }
    }

    #[test]
    fn eprt_v4_roundtrip(ip: [u8; 4], port: u16, d in 33u8..=126) {
        let addr = SocketAddr::V4(v4(ip, port));
        prop_assert_eq!(parse_eprt(&encode_eprt(addr)), Ok(addr));
        let fields = format!("1{}{}", addr.ip(), port);
        prop_assume!(!fields.contains(char::from(d)));
        let arg = with_delimiter(&encode_eprt(addr), char::from(d));
        prop_assert_eq!(parse_eprt(&arg), Ok(addr));
    }

    #[test]
    fn eprt_v6_roundtrip(ip: [u16; 8], port: u16, d in 33u8..=126) {
        let addr = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(ip), port, 0, 0));
        prop_assert_eq!(parse_eprt(&encode_eprt(addr)), Ok(addr));
        let fields = format!("2{}{}", addr.ip(), port);
        prop_assume!(!fields.contains(char::from(d)));
        let arg = with_delimiter(&encode_eprt(addr), char::from(d));
        prop_assert_eq!(parse_eprt(&arg), Ok(addr));
    }

    #[test]
    fn epsv_roundtrip(port: u16, d in 33u8..=126) {
        prop_assert_eq!(parse_epsv_reply(&encode_epsv_reply(port)), Ok(port));
        let d = char::from(d);
        let text = format!("Entering Extended Passive Mode ({d}{d}{d}{port}{d})");
        prop_assert_eq!(parse_epsv_reply(&text), Ok(port));
    }

    #[test]
    fn pasv_scan_ignores_surrounding_text(ip: [u8; 4], port: u16, prefix in "[a-zA-Z =(]{0,20}", suffix in "[a-zA-Z .)]{0,20}") {
        let addr = v4(ip, port);
        let text = format!("{prefix}{}{suffix}", encode_port(addr));
        prop_assert_eq!(parse_pasv_reply(&text), Ok(addr));
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,40}") {
        let _ = parse_port(&s);
        let _ = parse_pasv_reply(&s);
        let _ = parse_eprt(&s);
        let _ = parse_epsv_reply(&s);
    }
}
