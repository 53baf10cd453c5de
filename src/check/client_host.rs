//! Client checks on HOST (RFC 7151), over every client-role case: a
//! client that sends HOST sends it before USER on each connection (and
//! again after a REIN), names a host without a port, and names the host
//! it was told to reach. A client that never sends HOST breaks none.

use std::net::IpAddr;

use super::client_view::client_control_bytes;
use crate::timeline::Event;
use crate::verdict::{Rule, Verdict, Violation};
use crate::wire::command::CommandDecoder;
use crate::wire::DEFAULT_LINE_CAP;

/// Rules `client-host-before-user` (RFC 7151 3.2.2, 3.2.1),
/// `client-host-argument` (RFC 7151 3.1) and `client-host-names-server`
/// (RFC 7151 3.1, should): at most one violation of each per case.
pub fn host(events: &[Event], grade: Verdict) -> Vec<Violation> {
    let mut order = None;
    let mut argument = None;
    let mut names = None;
    for (server, bytes) in client_control_bytes(events) {
        let mut dec = CommandDecoder::new(DEFAULT_LINE_CAP);
        dec.feed(&bytes);
        // Since the connection opened or the last REIN: USER sent, HOST
        // sent; and whether HOST was ever sent on it.
        let (mut user, mut host, mut ever) = (false, false, false);
        while let Some(cmd) = dec.next() {
            let Ok(cmd) = cmd else { continue };
            match cmd.verb.as_str() {
                "REIN" => (user, host) = (false, false),
                "USER" if ever && !host => {
                    order.get_or_insert_with(|| {
                        let actual = "USER after REIN without a new HOST".to_string();
                        (actual, "HOST again after REIN, before USER")
                    });
                    user = true;
                }
                "USER" => user = true,
                "HOST" => {
                    let arg = cmd.arg.clone().unwrap_or_default();
                    if user {
                        order.get_or_insert_with(|| {
                            (format!("`HOST {arg}` after USER"), "HOST before USER")
                        });
                    }
                    (host, ever) = (true, true);
                    match parse(&arg) {
                        Err(why) => {
                            argument.get_or_insert(format!("`HOST {arg}`: {why}"));
                        }
                        Ok(Name::Address(ip)) if ip != server.ip() => {
                            names.get_or_insert(format!(
                                "`HOST {arg}` where the client was told {}",
                                server.ip()
                            ));
                        }
                        Ok(_) => {}
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    if let Some((actual, expected)) = order {
        out.push(Violation::of(
            Rule::ClientHostBeforeUser,
            grade,
            expected,
            actual,
        ));
    }
    if let Some(actual) = argument {
        let expected = "a host name or address literal, without a port";
        out.push(Violation::of(
            Rule::ClientHostArgument,
            grade,
            expected,
            actual,
        ));
    }
    if let Some(actual) = names {
        let grade = grade.min(Verdict::NonStrict);
        let expected = "the host the client was told to reach";
        out.push(Violation::of(
            Rule::ClientHostNamesServer,
            grade,
            expected,
            actual,
        ));
    }
    out
}

/// What a HOST argument names.
enum Name {
    Address(IpAddr),
    Hostname,
}

/// RFC 7151 3.1: a host name, an IPv4 literal, or an IPv6 literal in
/// brackets; never a port.
fn parse(arg: &str) -> Result<Name, &'static str> {
    let arg = arg.trim();
    if arg.is_empty() {
        return Err("no host");
    }
    if let Some(inner) = arg.strip_prefix('[') {
        return match inner.split_once(']') {
            Some((ip, "")) => ip
                .parse()
                .map(Name::Address)
                .map_err(|_| "not an address in brackets"),
            Some((_, rest)) if rest.starts_with(':') => Err("it names a port"),
            _ => Err("unbalanced brackets"),
        };
    }
    if let Ok(ip) = arg.parse::<IpAddr>() {
        return Ok(Name::Address(ip));
    }
    if arg.contains(':') {
        return Err("it names a port");
    }
    let label = |l: &str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    match arg.trim_end_matches('.').split('.').all(label) {
        true => Ok(Name::Hostname),
        false => Err("not a host name"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::client_view::client_sent as session;

    fn rules(sent: &[u8]) -> Vec<(String, Verdict)> {
        let v = host(&session(sent), Verdict::Fail);
        v.iter().map(|v| (v.rule.to_string(), v.grade)).collect()
    }

    #[test]
    fn no_host_or_a_good_one_passes() {
        assert!(rules(b"USER a\r\nPASS b\r\n").is_empty());
        assert!(
            rules(b"HOST 127.0.0.1\r\nUSER a\r\nREIN\r\nHOST [127.0.0.1]\r\nUSER a\r\n").is_empty()
        );
        assert!(rules(b"HOST ftp.example.com\r\nUSER a\r\n").is_empty());
    }

    #[test]
    fn host_after_user_or_missing_after_rein_breaks_the_order() {
        let fail = |r: &str| vec![(r.to_string(), Verdict::Fail)];
        assert_eq!(
            rules(b"USER a\r\nHOST 127.0.0.1\r\n"),
            fail("client-host-before-user")
        );
        let again = b"HOST 127.0.0.1\r\nUSER a\r\nREIN\r\nUSER a\r\n";
        assert_eq!(rules(again), fail("client-host-before-user"));
        assert_eq!(
            rules(b"HOST 127.0.0.1:2121\r\nUSER a\r\n"),
            fail("client-host-argument")
        );
        assert_eq!(
            rules(b"HOST [::1]:21\r\nUSER a\r\n"),
            fail("client-host-argument")
        );
        let other = rules(b"HOST 127.0.0.9\r\nUSER a\r\n");
        assert_eq!(
            other,
            vec![("client-host-names-server".to_string(), Verdict::NonStrict)]
        );
    }
}
