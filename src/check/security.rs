//! Security checks from RFC 2577: bounce PORTs, privileged ports and
//! passive port theft.
//!
//! A server that did the dangerous thing (connected where a trap listens,
//! served a thief, took a thief's upload) fails whatever the case's level,
//! with the rule's security class ([`Violation::dangerous`]). One that only
//! accepted the command, or refused in a non-preferred way, is graded at
//! the case's level.

use std::net::SocketAddr;

use super::facts::{endpoints, CheckCtx, Findings, Negotiation};
use super::replies::{answer_to, replies};
use crate::script::Direction;
use crate::timeline::{CloseKind, ConnId, Event, EventKind, Side};
use crate::verdict::{Level, Rule, Violation};

pub fn check(events: &[Event], neg: &Negotiation, ctx: &CheckCtx) -> Findings {
    let mut out = Findings::default();
    if neg.trap {
        trap(events, neg, ctx, &mut out);
    }
    if neg.thief.is_some() {
        theft(events, neg, ctx, &mut out);
    }
    out
}

// RFC 2577 3: "To avoid such bounce attacks, it is suggested that servers
// not open data connections to TCP ports less than 1024. If a server
// receives a PORT command containing a TCP port number less than 1024, the
// suggested response is 504". (privileged-port-refused)
//
// RFC 2577 3 also describes the bounce itself: "using proxy FTP, clients
// have the ability to tell the server to attack a well known service on any
// machine"; a PORT naming a host other than the client's must be refused and
// nothing may connect there. (bounce-refused)
//
// Accepting the command is graded at the case level (the transfer may still
// be refused); a connection to the trap is the attack itself and fails.
fn trap(events: &[Event], neg: &Negotiation, ctx: &CheckCtx, out: &mut Findings) {
    let Some(named) = neg.named else {
        return;
    };
    let rule = trap_rule(named);
    let verb = neg.mode.verb();
    let accepted = neg.reply_code.is_some_and(|c| c / 100 == 2);
    if accepted && !neg.explicit_expect {
        out.violation(
            rule,
            ctx.grade(rule),
            format!("{verb} naming {named} refused (4xx/5xx, 504 suggested)"),
            format!("{verb} answered {}", code_text(neg.reply_code)),
            neg.loc.as_ref(),
        );
    }
    let Some(listener) = neg.listener else {
        return;
    };
    for (from, bytes) in arrivals(events, listener) {
        let v = Violation::dangerous(
            rule,
            format!("no connection to {named} named in {verb}"),
            format!("the server connected to {listener} from {from} and sent {bytes} bytes"),
        );
        out.push(v.at(neg.loc.as_ref()));
    }
}

fn trap_rule(named: SocketAddr) -> Rule {
    if named.port() < 1024 {
        Rule::PrivilegedPortRefused
    } else {
        Rule::BounceRefused
    }
}

// RFC 2577 8: "By making a legitimate transfer, an attacker can observe the
// current port number allocated by the server and "guess" the next one that
// will be used. The attacker can make a connection to this port, thus
// denying another legitimate client the ability to make a transfer.
// Alternatively, the attacker can steal a file meant for a legitimate user.
// In addition, an attacker can insert a forged file into a data stream
// thought to come from an authenticated client."
//
// Serving data to the thief, or taking an upload from it (the server
// confirms the upload but never closed the client's own connection), is
// the theft itself and fails. A server that protects the data but then
// fails the legitimate transfer (the denial the RFC names) is flagged too,
// graded as a should.
fn theft(events: &[Event], neg: &Negotiation, ctx: &CheckCtx, out: &mut Findings) {
    let thief = neg.thief.map(|t| t.to_string()).unwrap_or_default();
    let conn = neg.thief_conn;
    if let Some((conn, (from, _))) = conn.and_then(|c| endpoints(events, c).map(|e| (c, e))) {
        let served = server_bytes(events, conn);
        if served > 0 {
            let v = Violation::dangerous(
                Rule::PassiveTheftRefused,
                format!("no data served on a connection from {thief} (not the client's address)"),
                format!("{served} bytes sent to {from}"),
            );
            out.push(v.at(neg.loc.as_ref()));
        } else {
            out.note(format!("theft attempt from {from} got no data"));
        }
    }
    let Some(t) = neg.transfer.as_ref() else {
        return;
    };
    if let Some(legit) = t
        .data
        .filter(|_| t.direction == Direction::Upload && t.succeeded)
    {
        if !closed_by_server(events, legit) || confirmed_early(events, ctx, t.sent_seq, legit) {
            let v = Violation::dangerous(
                Rule::PassiveTheftRefused,
                format!("the {} data read from the client's connection, not from {thief}", t.verb),
                format!("{} confirmed without reading the client's data connection to its end (it took the thief's)", t.verb),
            );
            out.push(v.at(neg.loc.as_ref()));
        }
        return;
    }
    if !t.succeeded && !t.aborted {
        out.violation(
            Rule::PassiveTheftRefused,
            ctx.at_level(Level::Should),
            format!(
                "the legitimate {} succeeds despite the theft attempt",
                t.verb
            ),
            "the legitimate transfer failed after the theft attempt",
            neg.loc.as_ref(),
        );
    }
}

/// Connections that arrived at `listener`: (initiator, bytes sent).
fn arrivals(events: &[Event], listener: SocketAddr) -> Vec<(SocketAddr, u64)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Opened {
                conn,
                initiator,
                acceptor,
                ..
            } if *acceptor == listener => Some((*initiator, server_bytes(events, *conn))),
            _ => None,
        })
        .collect()
}

fn server_bytes(events: &[Event], conn: ConnId) -> u64 {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Bytes {
                conn: c,
                from: Side::Server,
                len,
                ..
            } if *c == conn => Some(*len),
            _ => None,
        })
        .sum()
}

/// The final reply to the command sent after `sent_seq` came before the
/// client closed `conn`: the server did not wait for the client's data.
fn confirmed_early(events: &[Event], ctx: &CheckCtx, sent_seq: u64, conn: ConnId) -> bool {
    let answer = answer_to(&replies(events, ctx.control), sent_seq);
    let Some(last) = answer.last().filter(|r| r.code / 100 == 2) else {
        return false;
    };
    events.iter().any(|e| {
        matches!(&e.kind, EventKind::Closed { conn: c, by: Side::Client, .. } if *c == conn)
            && e.seq > last.seq
    })
}

/// The server half-closed `conn` in order (it read the upload to its end).
fn closed_by_server(events: &[Event], conn: ConnId) -> bool {
    events.iter().any(|e| {
        matches!(&e.kind, EventKind::Closed { conn: c, by: Side::Server, kind: CloseKind::Fin } if *c == conn)
    })
}

fn code_text(code: Option<u16>) -> String {
    code.map_or_else(|| "nothing".to_string(), |c| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::DataMode;
    use crate::timeline::{OpenRole, Timeline};
    use crate::verdict::Verdict;

    fn ctx(level: Level) -> CheckCtx {
        CheckCtx::test(level)
    }

    /// A PORT to `named` answered `code`, with a trap listening there.
    fn trap_neg(named: &str, code: u16) -> Negotiation {
        let named: SocketAddr = named.parse().unwrap();
        Negotiation {
            mode: DataMode::Port,
            loc: None,
            sent_seq: 0,
            reply_code: Some(code),
            announced: None,
            named: Some(named),
            listener: Some(named),
            trap: true,
            explicit_expect: false,
            thief: None,
            thief_conn: None,
            transfer: None,
        }
    }

    /// The server connected to `at` and sent 12 bytes there.
    fn bounced(at: &str) -> Vec<Event> {
        let t = Timeline::new();
        let server = ("127.0.0.1:2000".parse().unwrap(), Side::Server);
        let c = t.open(OpenRole::Stray, server, (at.parse().unwrap(), Side::Third));
        t.bytes(c, Side::Server, b"Hello, FTP!\n");
        t.events()
    }

    fn grades(f: &Findings) -> Vec<(Rule, Verdict, Option<&'static str>)> {
        let rule = |v: &Violation| match v.rule {
            crate::verdict::RuleId::Catalogue(r) => r,
            _ => panic!("a suite rule"),
        };
        f.violations
            .iter()
            .map(|v| (rule(v), v.grade, v.security))
            .collect()
    }

    #[test]
    fn a_bounce_the_server_carried_out_fails_a_should_case() {
        let neg = trap_neg("127.0.0.2:4000", 200);
        let f = check(&bounced("127.0.0.2:4000"), &neg, &ctx(Level::Should));
        let class = Rule::BounceRefused.security();
        assert_eq!(
            grades(&f),
            vec![
                (Rule::BounceRefused, Verdict::NonStrict, None),
                (Rule::BounceRefused, Verdict::Fail, class),
            ],
            "accepting PORT is graded at the case level, the connection fails"
        );
        assert!(f.violations[1].actual.contains("sent 12 bytes"));
    }

    #[test]
    fn a_connection_to_a_privileged_port_fails_and_a_refusal_is_the_cases_level() {
        let neg = trap_neg("127.0.0.1:80", 200);
        let f = check(&bounced("127.0.0.1:80"), &neg, &ctx(Level::Info));
        let class = Rule::PrivilegedPortRefused.security();
        assert_eq!(
            grades(&f)[1..],
            [(Rule::PrivilegedPortRefused, Verdict::Fail, class)]
        );
        let refused = trap_neg("127.0.0.1:80", 500);
        let f = check(&[], &refused, &ctx(Level::Should));
        assert_eq!(grades(&f), vec![], "a refusal and no connection");
    }

    #[test]
    fn data_served_to_a_thief_fails() {
        let t = Timeline::new();
        let thief = ("127.0.0.2:5000".parse().unwrap(), Side::Third);
        let server = ("127.0.0.1:3000".parse().unwrap(), Side::Server);
        let c = t.open(OpenRole::Stray, thief, server);
        t.bytes(c, Side::Server, b"secret listing\r\n");
        let mut neg = trap_neg("127.0.0.1:3000", 227);
        neg.mode = DataMode::Pasv;
        (neg.trap, neg.named, neg.listener) = (false, None, None);
        (neg.thief, neg.thief_conn) = (Some("127.0.0.2".parse().unwrap()), Some(c));
        let f = check(&t.events(), &neg, &ctx(Level::Should));
        let class = Rule::PassiveTheftRefused.security();
        assert_eq!(
            grades(&f),
            vec![(Rule::PassiveTheftRefused, Verdict::Fail, class)]
        );
    }
}
