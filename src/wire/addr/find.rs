//! The one finder of address arguments in control lines: the
//! `h1,h2,h3,h4,p1,p2` of PORT and 227 (RFC 959, RFC 1123 4.1.2.6),
//! `<d>proto<d>addr<d>port<d>` of EPRT and `(<d><d><d>port<d>)` of 229
//! (RFC 2428), and the long form of LPRT (RFC 1639). Spans are byte ranges
//! into the line, so that a redactor can replace them. Finding is lenient
//! where parsing is strict: an EPRT with an unknown protocol number still
//! names an address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::{comma_runs, eprt_fields, scan_epsv, scan_six};

/// Which negotiation an address argument belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A 227 reply: the server names its listener.
    Pasv,
    /// A 229 reply: the server names its port.
    Epsv,
    /// A PORT command: the client names its listener.
    Port,
    /// An EPRT command: the client names its listener.
    Eprt,
    /// An LPRT command (RFC 1639): the client names its listener.
    Lprt,
}

impl ArgKind {
    /// True when the address belongs to the server.
    pub fn names_server(self) -> bool {
        matches!(self, ArgKind::Pasv | ArgKind::Epsv)
    }
}

/// An address argument found in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrArg {
    pub kind: ArgKind,
    /// The host and where it is written (absent in a 229).
    pub ip: Option<(IpAddr, Range<usize>)>,
    pub port: u16,
    pub port_span: Range<usize>,
}

/// The address argument of a reply line (`227 ...`, `229 ...`), if any.
pub fn find_in_reply(line: &str) -> Option<AddrArg> {
    let (code, text) = (line.get(..3)?, line.get(3..)?);
    match code {
        "227" => {
            let six = scan_six(text).ok()?;
            Some(AddrArg {
                kind: ArgKind::Pasv,
                ip: Some((IpAddr::V4(*six.addr.ip()), shift(six.host, 3))),
                port: six.addr.port(),
                port_span: shift(six.port, 3),
            })
        }
        "229" => {
            let (port, span) = scan_epsv(text).ok()?;
            Some(AddrArg {
                kind: ArgKind::Epsv,
                ip: None,
                port,
                port_span: shift(span, 3),
            })
        }
        _ => None,
    }
}

/// The address argument of a command line (`PORT`, `EPRT`, `LPRT`, any
/// case), if any. The argument starts after the first space.
pub fn find_in_command(line: &str) -> Option<AddrArg> {
    let (verb, arg) = line.split_once(' ')?;
    let start = verb.len() + 1;
    let found = match verb.to_ascii_uppercase().as_str() {
        "PORT" => port(arg)?,
        "EPRT" => eprt(arg)?,
        "LPRT" => lprt(arg)?,
        _ => return None,
    };
    Some(AddrArg {
        ip: found.ip.map(|(ip, span)| (ip, shift(span, start))),
        port_span: shift(found.port_span, start),
        ..found
    })
}

fn shift(span: Range<usize>, by: usize) -> Range<usize> {
    span.start + by..span.end + by
}

fn port(arg: &str) -> Option<AddrArg> {
    let six = scan_six(arg).ok()?;
    Some(AddrArg {
        kind: ArgKind::Port,
        ip: Some((IpAddr::V4(*six.addr.ip()), six.host)),
        port: six.addr.port(),
        port_span: six.port,
    })
}

fn eprt(arg: &str) -> Option<AddrArg> {
    let [_, (ip_at, ip), (port_at, port)] = eprt_fields(arg).ok()?;
    Some(AddrArg {
        kind: ArgKind::Eprt,
        ip: Some((ip.parse().ok()?, ip_at..ip_at + ip.len())),
        port: port.parse().ok()?,
        port_span: port_at..port_at + port.len(),
    })
}

/// RFC 1639 section 2: `LPRT af,hal,h1,...,hn,pal,p1,p2` with address
/// family 4 (hal 4) or 6 (hal 16) and a two-byte port.
fn lprt(arg: &str) -> Option<AddrArg> {
    let run = comma_runs(arg).next()?;
    let bytes: Vec<u8> = run
        .iter()
        .map(|n| u8::try_from(n.value).ok())
        .collect::<Option<_>>()?;
    let hal = usize::from(*bytes.get(1)?);
    let ip = match (bytes[0], hal) {
        (4, 4) => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes.get(2..6)?).ok()?)),
        (6, 16) => IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(bytes.get(2..18)?).ok()?,
        )),
        _ => return None,
    };
    let pal = 2 + hal;
    if bytes.get(pal) != Some(&2) || bytes.len() != pal + 3 {
        return None;
    }
    Some(AddrArg {
        kind: ArgKind::Lprt,
        ip: Some((ip, run[2].span.start..run[1 + hal].span.end)),
        port: u16::from_be_bytes([bytes[pal + 1], bytes[pal + 2]]),
        port_span: run[pal + 1].span.start..run[pal + 2].span.end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasv_reply_in_its_usual_forms() {
        let a = find_in_reply("227 Entering Passive Mode (127,0,0,1,195,80).").unwrap();
        assert_eq!(a.kind, ArgKind::Pasv);
        assert_eq!(a.port, 50000);
        let (ip, span) = a.ip.unwrap();
        assert_eq!(ip.to_string(), "127.0.0.1");
        assert_eq!(span, 27..36);
        let b = find_in_reply("227 entering passive mode 10,0,0,2,4,1").unwrap();
        assert_eq!(b.port, 1025);
        let spaced = "227 ok 127, 0, 0, 1, 4, 1";
        let c = find_in_reply(spaced).unwrap();
        assert_eq!(&spaced[c.port_span], "4, 1");
        assert_eq!(find_in_reply("227 nothing here"), None);
        assert_eq!(find_in_reply("227 (127,0,0,1,4)"), None);
        assert_eq!(find_in_reply("200 (127,0,0,1,4,1)"), None);
    }

    #[test]
    fn port_and_eprt_commands() {
        let p = find_in_command("PORT 127,0,0,1,4,1").unwrap();
        assert_eq!((p.kind, p.port, p.port_span), (ArgKind::Port, 1025, 15..18));
        let e = find_in_command("EPRT |2|::1|5282|").unwrap();
        assert_eq!(e.port, 5282);
        assert_eq!(e.ip.unwrap(), ("::1".parse().unwrap(), 8..11));
        assert_eq!(&"EPRT |2|::1|5282|"[e.port_span], "5282");
        let unknown_family = find_in_command("eprt |9|127.0.0.1|21|").unwrap();
        assert_eq!(unknown_family.port, 21);
        assert_eq!(find_in_command("EPRT |2|::1|"), None);
        assert_eq!(find_in_command("PORT 300,0,0,1,4,1"), None);
        assert_eq!(find_in_command("PORT 127,0,0,1,300,1"), None);
        assert_eq!(find_in_command("USER 127,0,0,1,4,1"), None);
        assert_eq!(find_in_reply("PORT 127,0,0,1,4,1"), None);
    }

    #[test]
    fn lprt_commands() {
        let line = "LPRT 4,4,127,0,0,1,2,4,1";
        let v4 = find_in_command(line).unwrap();
        let (ip, span) = v4.ip.unwrap();
        assert_eq!(
            (ip.to_string(), &line[span]),
            ("127.0.0.1".into(), "127,0,0,1")
        );
        assert_eq!((v4.port, &line[v4.port_span]), (1025, "4,1"));
        let v6 = find_in_command("LPRT 6,16,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21").unwrap();
        assert_eq!(v6.ip.unwrap().0.to_string(), "::1");
        assert_eq!(find_in_command("LPRT 4,4,127,0,0,1,2,4"), None);
        assert_eq!(find_in_command("LPRT 4,16,127,0,0,1,2,4,1"), None);
    }

    #[test]
    fn epsv_reply() {
        let line = "229 Entering Extended Passive Mode (|||6446|)";
        let e = find_in_reply(line).unwrap();
        assert_eq!((e.kind, e.port), (ArgKind::Epsv, 6446));
        assert_eq!(&line[e.port_span], "6446");
        assert_eq!(find_in_reply("229 (||6446|)"), None);
    }
}
