//! Finds the address arguments in control lines: the `h1,...,p2` of PORT
//! and 227 (RFC 959, RFC 1123 4.1.2.6), `<d>proto<d>addr<d>port<d>` of EPRT
//! and `(<d><d><d>port<d>)` of 229 (RFC 2428). Spans are byte ranges into
//! the line so that a redactor can replace them.

use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

/// Which negotiation a line carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgKind {
    /// A 227 reply: the server names its listener.
    Pasv,
    /// A 229 reply: the server names its port.
    Epsv,
    /// A PORT command: the client names its listener.
    Port,
    /// An EPRT command: the client names its listener.
    Eprt,
}

impl ArgKind {
    /// True when the address belongs to the server.
    pub(crate) fn names_server(self) -> bool {
        matches!(self, ArgKind::Pasv | ArgKind::Epsv)
    }
}

/// An address argument found in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AddrArg {
    pub kind: ArgKind,
    /// The address and where it is written (absent in 229).
    pub ip: Option<(IpAddr, Range<usize>)>,
    pub port: u16,
    pub port_span: Range<usize>,
}

/// Looks for an address argument in a control line sent by the server
/// (`from_server`) or by the client.
pub(crate) fn find(line: &str, from_server: bool) -> Option<AddrArg> {
    if from_server {
        if line.starts_with("227") {
            return six_numbers(line, 3, ArgKind::Pasv);
        }
        if line.starts_with("229") {
            return epsv(line);
        }
        return None;
    }
    let verb_len = line.find(' ')?;
    match line[..verb_len].to_ascii_uppercase().as_str() {
        "PORT" => six_numbers(line, verb_len, ArgKind::Port),
        "EPRT" => eprt(line, verb_len + 1),
        _ => None,
    }
}

fn six_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})")
            .expect("static regex")
    })
}

fn six_numbers(line: &str, from: usize, kind: ArgKind) -> Option<AddrArg> {
    let caps = six_regex().captures_at(line, from)?;
    let mut n = [0u8; 6];
    for (i, slot) in n.iter_mut().enumerate() {
        *slot = caps.get(i + 1)?.as_str().parse().ok()?;
    }
    let ip = IpAddr::V4(Ipv4Addr::new(n[0], n[1], n[2], n[3]));
    let ip_span = caps.get(1)?.start()..caps.get(4)?.end();
    let port_span = caps.get(5)?.start()..caps.get(6)?.end();
    let port = u16::from(n[4]) << 8 | u16::from(n[5]);
    Some(AddrArg {
        kind,
        ip: Some((ip, ip_span)),
        port,
        port_span,
    })
}

/// `(<d><d><d>port<d>)` anywhere in a 229 line.
fn epsv(line: &str) -> Option<AddrArg> {
    let bytes = line.as_bytes();
    let open = line.find('(')?;
    let d = *bytes.get(open + 1)?;
    if bytes.get(open + 2) != Some(&d) || bytes.get(open + 3) != Some(&d) {
        return None;
    }
    let start = open + 4;
    let len = bytes[start..].iter().position(|b| *b == d)?;
    let port_span = start..start + len;
    let port = line.get(port_span.clone())?.parse().ok()?;
    Some(AddrArg {
        kind: ArgKind::Epsv,
        ip: None,
        port,
        port_span,
    })
}

/// `<d>proto<d>addr<d>port<d>` starting at `start`.
fn eprt(line: &str, start: usize) -> Option<AddrArg> {
    let rest = line.get(start..)?;
    let d = rest.chars().next()?;
    if !d.is_ascii() {
        return None;
    }
    let fields: Vec<(usize, &str)> = field_spans(rest, d);
    let [(_, _proto), (ip_at, ip), (port_at, port)] = fields.get(..3)?.try_into().ok()?;
    let ip_addr: IpAddr = ip.parse().ok()?;
    Some(AddrArg {
        kind: ArgKind::Eprt,
        ip: Some((ip_addr, start + ip_at..start + ip_at + ip.len())),
        port: port.parse().ok()?,
        port_span: start + port_at..start + port_at + port.len(),
    })
}

/// The fields between delimiters, with their offsets (the leading
/// delimiter is skipped; the text after the last delimiter is dropped).
fn field_spans(s: &str, d: char) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = d.len_utf8();
    while let Some(len) = s.get(at..).and_then(|r| r.find(d)) {
        out.push((at, &s[at..at + len]));
        at += len + d.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasv_reply_in_its_usual_forms() {
        let a = find("227 Entering Passive Mode (127,0,0,1,195,80).", true).unwrap();
        assert_eq!(a.kind, ArgKind::Pasv);
        assert_eq!(a.port, 50000);
        let (ip, span) = a.ip.unwrap();
        assert_eq!(ip.to_string(), "127.0.0.1");
        assert_eq!(span, 27..36);
        let b = find("227 entering passive mode 10,0,0,2,4,1", true).unwrap();
        assert_eq!(b.port, 1025);
        assert_eq!(find("227 nothing here", true), None);
    }

    #[test]
    fn port_and_eprt_commands() {
        let p = find("PORT 127,0,0,1,4,1", false).unwrap();
        assert_eq!((p.kind, p.port, p.port_span), (ArgKind::Port, 1025, 15..18));
        let e = find("EPRT |2|::1|5282|", false).unwrap();
        assert_eq!(e.port, 5282);
        assert_eq!(e.ip.unwrap(), ("::1".parse().unwrap(), 8..11));
        assert_eq!(&"EPRT |2|::1|5282|"[e.port_span], "5282");
        assert_eq!(find("EPRT |2|::1|", false), None);
        assert_eq!(find("PORT 300,0,0,1,4,1", false), None);
    }

    #[test]
    fn epsv_reply() {
        let line = "229 Entering Extended Passive Mode (|||6446|)";
        let e = find(line, true).unwrap();
        assert_eq!(e.port, 6446);
        assert_eq!(&line[e.port_span], "6446");
        assert_eq!(find("229 (||6446|)", true), None);
    }
}
