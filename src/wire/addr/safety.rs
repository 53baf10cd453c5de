//! Network safety: the hosts a control line could make a trusting peer
//! connect to, read as leniently as any peer might, so that the harness
//! never sends a PORT, EPRT or LPRT (or a 227) naming a host outside
//! loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{comma_hosts, find_in_command, Number};

/// The verbs whose argument names a host for the peer to connect to.
const ACTIVE_VERBS: [&[u8; 4]; 3] = [b"PORT", b"EPRT", b"LPRT"];

/// A non-loopback host named by a PORT, EPRT or LPRT command anywhere in
/// `text`, read whole and line by line (lines end at CR or LF). A verb
/// counts wherever it starts (after Telnet commands, NULs or other bytes
/// a server may skip), in any case. Arguments are read leniently: PORT by the first four
/// numbers of any comma run, EPRT by every field that reads as an address
/// (in `inet_aton`'s forms too), LPRT by its host bytes whatever follows.
pub fn foreign_in_command(text: &str) -> Option<IpAddr> {
    std::iter::once(text)
        .chain(text.split(['\r', '\n']))
        .flat_map(active_commands)
        .find_map(|cmd| named_hosts(cmd).into_iter().find(|ip| !ip.is_loopback()))
}

/// A non-loopback host in the text of a 227 reply: the host of any
/// `h1,h2,h3,h4` run, read as leniently as any client might.
pub fn foreign_in_pasv_text(text: &str) -> Option<IpAddr> {
    let mut named = comma_hosts(text).into_iter().map(IpAddr::V4);
    named.find(|ip| !ip.is_loopback())
}

/// The rest of `line` from each place an active verb starts.
fn active_commands(line: &str) -> impl Iterator<Item = &str> {
    let bytes = line.as_bytes();
    (0..bytes.len()).filter_map(move |at| {
        let verb = bytes.get(at..at + 4)?;
        let after_word = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        let active = ACTIVE_VERBS.iter().any(|v| verb.eq_ignore_ascii_case(*v));
        // The verb is ASCII, so `at` is a character boundary.
        (after_word && active).then(|| &line[at..])
    })
}

/// Every host a peer could read in `cmd` (`VERB...`, verb of 4 letters).
fn named_hosts(cmd: &str) -> Vec<IpAddr> {
    let strict = find_in_command(cmd).and_then(|a| a.ip).map(|(ip, _)| ip);
    let arg = &cmd[4..];
    let lenient = match cmd[..4].to_ascii_uppercase().as_str() {
        "PORT" => comma_hosts(arg).into_iter().map(IpAddr::V4).collect(),
        "EPRT" => eprt_hosts(arg),
        _ => lprt_hosts(arg).into_iter().collect(),
    };
    strict.into_iter().chain(lenient).collect()
}

/// The hosts some peer could read in an EPRT argument, whatever the field
/// count or protocol number: the address field in any form, and any other
/// field written like an address (with a `.` or `:`).
fn eprt_hosts(arg: &str) -> Vec<IpAddr> {
    let arg = arg.trim_start();
    let Some(d) = arg.chars().next() else {
        return Vec::new();
    };
    // `<d>proto<d>addr<d>port<d>`: field 0 is empty, 2 is the address.
    let looks_like_address = |(i, f): &(usize, &str)| *i == 2 || f.contains(['.', ':']);
    let fields = arg.split(d).enumerate().filter(looks_like_address);
    fields.filter_map(|(_, f)| lenient_ip(f)).collect()
}

/// An address in any form a C library might accept: IPv6 (a `%zone`
/// dropped) or IPv4 as `inet_aton` reads it (`10.1`, `167772161`,
/// `0x0a.0.0.1`).
fn lenient_ip(field: &str) -> Option<IpAddr> {
    let field = field.trim();
    let unzoned = field.split('%').next().unwrap_or(field);
    if let Ok(v6) = unzoned.parse::<Ipv6Addr>() {
        return Some(IpAddr::V6(v6));
    }
    inet_aton(field).map(IpAddr::V4)
}

/// IPv4 in the forms of BSD `inet_aton`: one to four parts, each decimal,
/// octal (leading 0) or hex (leading 0x); the last part fills the
/// remaining bytes.
fn inet_aton(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u64> = text.split('.').map(c_number).collect::<Option<_>>()?;
    let (last, head) = parts.split_last()?;
    if head.len() > 3 || head.iter().any(|&p| p > 255) {
        return None;
    }
    let last_bits = 8 * (4 - head.len() as u32);
    if *last >= 1u64 << last_bits {
        return None;
    }
    let high = head
        .iter()
        .enumerate()
        .fold(0u64, |acc, (i, &p)| acc | p << (24 - 8 * i));
    Some(Ipv4Addr::from((high | last) as u32))
}

/// A C integer literal: decimal, octal (leading 0) or hex (leading 0x).
fn c_number(text: &str) -> Option<u64> {
    let hex = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"));
    let (digits, radix) = match hex {
        Some(digits) => (digits, 16),
        None if text.len() > 1 && text.starts_with('0') => (&text[1..], 8),
        None => (text, 10),
    };
    // `from_str_radix` would also take a sign.
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// The host bytes of `LPRT af,hal,h1,...` (RFC 1639) in the first comma
/// run, whatever follows them.
fn lprt_hosts(arg: &str) -> Option<IpAddr> {
    let run: Vec<Number> = super::comma_runs(arg).next()?;
    let bytes: Vec<u8> = run
        .iter()
        .map(|n| u8::try_from(n.value).ok())
        .collect::<Option<_>>()?;
    match (bytes.first()?, bytes.get(1)?) {
        (4, 4) => Some(IpAddr::V4(
            <[u8; 4]>::try_from(bytes.get(2..6)?).ok()?.into(),
        )),
        (6, 16) => Some(IpAddr::V6(
            <[u8; 16]>::try_from(bytes.get(2..18)?).ok()?.into(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn literal_foreign_addresses_in_commands_are_found() {
        assert_eq!(foreign_in_command("PORT 10,0,0,1,0,21"), ip("10.0.0.1"));
        assert_eq!(
            foreign_in_command("eprt |1|192.168.1.1|21|"),
            ip("192.168.1.1")
        );
        assert_eq!(foreign_in_command("PORT 127,0,0,2,0,80"), None);
        assert_eq!(foreign_in_command("EPRT |2|::1|21|"), None);
        assert_eq!(foreign_in_command("PORT ${foreign_ip}"), None);
        assert_eq!(foreign_in_command("USER 10,0,0,1,0,21"), None);
        let lenient = foreign_in_command("PORT 10,0,0,1,0,21,7");
        assert_eq!(lenient, ip("10.0.0.1"));
        let lprt = foreign_in_command("LPRT 4,4,10,0,0,1,2,0,21");
        assert_eq!(lprt, ip("10.0.0.1"));
        assert_eq!(foreign_in_command("LPRT 4,4,10,0,0,1"), ip("10.0.0.1"));
        assert_eq!(foreign_in_command("LPRT 4,4,127,0,0,1,2,0,21"), None);
    }

    #[test]
    fn a_verb_after_telnet_commands_or_on_a_later_line_is_found() {
        let after_iac = String::from_utf8_lossy(b"\xff\xf4\xff\xf2PORT 10,0,0,1,0,21\r\n");
        assert_eq!(foreign_in_command(&after_iac), ip("10.0.0.1"));
        let second_line = "NOOP\rport 10,0,0,1,0,21";
        assert_eq!(foreign_in_command(second_line), ip("10.0.0.1"));
        assert_eq!(
            foreign_in_command("NOOP\0EPRT |1|10.0.0.1|21|"),
            ip("10.0.0.1")
        );
        // A word that merely ends in "port" is no verb.
        assert_eq!(foreign_in_command("STOR report 10,0,0,1,0,21"), None);
    }

    #[test]
    fn eprt_is_read_in_every_form_a_library_accepts() {
        for arg in [
            "|1|10.0.0.1|21",
            "|9|10.0.0.1|21|",
            "|1|167772161|21|",
            "|1|10.1|21|",
            "|1|0x0a.0.0.1|21|",
            "|1|012.0.0.1|21|",
        ] {
            let found = foreign_in_command(&format!("EPRT {arg}"));
            assert_eq!(found, ip("10.0.0.1"), "{arg}");
        }
        assert_eq!(
            foreign_in_command("EPRT |2|fe80::1%eth0|21|"),
            ip("fe80::1")
        );
        assert_eq!(
            foreign_in_command("EPRT |2|::ffff:127.0.0.1|21|"),
            ip("::ffff:127.0.0.1")
        );
        assert_eq!(foreign_in_command("EPRT |1|2130706433|21|"), None);
        assert_eq!(foreign_in_command("EPRT |1|127.1|5000|"), None);
    }

    #[test]
    fn inet_aton_forms() {
        assert_eq!(inet_aton("1.2.3.4"), "1.2.3.4".parse().ok());
        assert_eq!(inet_aton("1.2.772"), "1.2.3.4".parse().ok());
        assert_eq!(inet_aton("0x7f.1"), "127.0.0.1".parse().ok());
        assert_eq!(inet_aton("1.2.3.256"), None);
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("08.1.1.1"), None);
        assert_eq!(inet_aton(""), None);
        assert_eq!(inet_aton("21"), "0.0.0.21".parse().ok());
    }

    #[test]
    fn foreign_hosts_in_pasv_text() {
        let pasv = "Entering Passive Mode (192,168,0,1,4,1)";
        assert_eq!(foreign_in_pasv_text(pasv), ip("192.168.0.1"));
        let late = "Entering Passive Mode 1 (192,168,0,1,4,1,9)";
        assert_eq!(foreign_in_pasv_text(late), ip("192.168.0.1"));
        assert_eq!(foreign_in_pasv_text("=127,0,0,2,4,1 ok"), None);
    }
}
