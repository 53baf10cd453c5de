//! The address codecs and finders: PORT / 227 / EPRT / 229 parsing and
//! the finders over arbitrary text (no panic, spans that slice the line
//! and say what was found, the safety check agreeing with the finder),
//! and emit-then-parse round trips over arbitrary addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

use super::take_byte;
use crate::wire::addr::{self, AddrArg, ArgKind, PasvShape};

const SHAPES: [PasvShape; 5] = [
    PasvShape::Standard,
    PasvShape::TrailingPeriod,
    PasvShape::NoParens,
    PasvShape::LowerCase,
    PasvShape::ExtraText,
];

/// One input: panics on any broken property.
pub fn check(data: &[u8]) {
    let (mode, rest) = take_byte(data);
    if mode % 2 == 0 {
        text(&String::from_utf8_lossy(rest));
    } else {
        round_trips(rest);
    }
}

/// Arbitrary text through every parser and finder.
fn text(s: &str) {
    if let Ok(a) = addr::parse_port(s) {
        assert_eq!(addr::parse_port(&addr::encode_port(a)), Ok(a));
    }
    if let Ok(a) = addr::parse_eprt(s) {
        assert_eq!(addr::parse_eprt(&addr::encode_eprt(a)), Ok(a));
    }
    let _ = addr::parse_pasv_reply(s);
    if let Ok(p) = addr::parse_epsv_reply(s) {
        assert_eq!(addr::parse_epsv_reply(&addr::encode_epsv_reply(p)), Ok(p));
    }
    for line in [
        s.to_string(),
        format!("PORT {s}"),
        format!("EPRT {s}"),
        format!("LPRT {s}"),
    ] {
        if let Some(found) = addr::find_in_command(&line) {
            spans_say_what_was_found(&line, &found);
            if let Some((ip, _)) = found.ip {
                let foreign = addr::foreign_in_command(&line);
                assert!(
                    ip.is_loopback() || foreign.is_some(),
                    "{line:?}: {ip} not flagged"
                );
            }
        }
    }
    for line in [s.to_string(), format!("227 {s}"), format!("229 {s}")] {
        if let Some(found) = addr::find_in_reply(&line) {
            spans_say_what_was_found(&line, &found);
        }
    }
    let _ = addr::foreign_in_pasv_text(s);
}

/// The spans slice `line` and hold the host and port found.
fn spans_say_what_was_found(line: &str, found: &AddrArg) {
    let port_text = line
        .get(found.port_span.clone())
        .expect("port span slices the line");
    let numbers =
        |t: &str| -> Vec<u32> { t.split(',').map(|n| n.trim().parse().unwrap()).collect() };
    match found.kind {
        ArgKind::Eprt | ArgKind::Epsv => {
            assert_eq!(port_text.parse::<u16>().ok(), Some(found.port))
        }
        ArgKind::Port | ArgKind::Pasv | ArgKind::Lprt => {
            let n = numbers(port_text);
            assert_eq!(n.len(), 2, "{port_text:?}");
            assert_eq!(n[0] * 256 + n[1], u32::from(found.port));
        }
    }
    let Some((ip, span)) = &found.ip else {
        assert_eq!(found.kind, ArgKind::Epsv);
        return;
    };
    let host_text = line.get(span.clone()).expect("host span slices the line");
    match found.kind {
        ArgKind::Eprt => assert_eq!(host_text.parse::<IpAddr>().ok(), Some(*ip)),
        _ => {
            let octets: Vec<u8> = numbers(host_text).into_iter().map(|n| n as u8).collect();
            let expected = match ip {
                IpAddr::V4(v4) => v4.octets().to_vec(),
                IpAddr::V6(v6) => v6.octets().to_vec(),
            };
            assert_eq!(octets, expected, "{host_text:?}");
        }
    }
}

/// Addresses built from the bytes, emitted then parsed and found again.
fn round_trips(bytes: &[u8]) {
    let mut b = [0u8; 20];
    for (slot, byte) in b.iter_mut().zip(bytes) {
        *slot = *byte;
    }
    let port = u16::from_be_bytes([b[16], b[17]]);
    let v4 = SocketAddrV4::new(Ipv4Addr::new(b[0], b[1], b[2], b[3]), port);
    let v6 = SocketAddr::new(
        IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&b[..16]).unwrap())),
        port,
    );

    let port_arg = addr::encode_port(v4);
    assert_eq!(addr::parse_port(&port_arg), Ok(v4));
    let found = addr::find_in_command(&format!("PORT {port_arg}")).expect("PORT is found");
    assert_eq!(
        (found.ip.map(|(ip, _)| ip), found.port),
        (Some(IpAddr::V4(*v4.ip())), port)
    );
    let shape = SHAPES[usize::from(b[18]) % SHAPES.len()];
    let text = addr::encode_pasv_reply(v4, shape);
    assert_eq!(addr::parse_pasv_reply(&text), Ok(v4), "{text}");
    let found = addr::find_in_reply(&format!("227 {text}")).expect("227 is found");
    assert_eq!(
        (found.ip.map(|(ip, _)| ip), found.port),
        (Some(IpAddr::V4(*v4.ip())), port)
    );
    for a in [SocketAddr::V4(v4), v6] {
        let arg = addr::encode_eprt(a);
        assert_eq!(addr::parse_eprt(&arg), Ok(a), "{arg}");
        let found = addr::find_in_command(&format!("EPRT {arg}")).expect("EPRT is found");
        assert_eq!(
            (found.ip.map(|(ip, _)| ip), found.port),
            (Some(a.ip()), port)
        );
        let flagged = addr::foreign_in_command(&format!("EPRT {arg}"));
        assert_eq!(flagged.is_some(), !a.ip().is_loopback(), "{arg}");
    }
    let flagged = addr::foreign_in_command(&format!("PORT {port_arg}"));
    assert_eq!(flagged.is_some(), !v4.ip().is_loopback(), "{port_arg}");
    let text = addr::encode_epsv_reply(port);
    assert_eq!(addr::parse_epsv_reply(&text), Ok(port));
    assert_eq!(
        addr::find_in_reply(&format!("229 {text}")).map(|f| f.port),
        Some(port)
    );
}
