//! Passive-mode checks: the address a 227 announces, and the port range.

use super::facts::{endpoints, CheckCtx, Findings, Negotiation};
use crate::script::DataMode;
use crate::timeline::Event;
use crate::verdict::Rule;

/// Both passive checks for one negotiation.
pub fn check(events: &[Event], neg: &Negotiation, ctx: &CheckCtx) -> Findings {
    let mut out = Findings::default();
    if !neg.mode.is_passive() {
        return out;
    }
    address_matches_control(events, neg, ctx, &mut out);
    port_in_range(neg, ctx, &mut out);
    out
}

// RFC 959 4.1.2 (PASV): "The response to this command includes the host and
// port address this server is listening on."
// RFC 1123 4.1.2.6 gives the 227 format that carries that address.
//
// Graded as a should (non-strict on a must case): a multi-homed server may
// legitimately name another of its own addresses, but a 227 naming an
// address other than the control connection's is the NAT trap that breaks
// clients honouring it, and a foreign address is the opening of a bounce.
fn address_matches_control(
    events: &[Event],
    neg: &Negotiation,
    ctx: &CheckCtx,
    out: &mut Findings,
) {
    let (Some(announced), Some((_, server))) = (neg.announced, endpoints(events, ctx.control))
    else {
        return;
    };
    if neg.mode != DataMode::Pasv || announced.ip() == server.ip() {
        return;
    }
    if server.is_ipv6() {
        // A 227 carries IPv4 only: over IPv6 it cannot name the server's
        // control address (RFC 2428 3 gives EPSV for that).
        out.note(format!("227 over IPv6 names {announced}"));
        return;
    }
    out.violation(
        Rule::PasvAddressMatchesControl,
        ctx.grade(Rule::PasvAddressMatchesControl),
        format!(
            "227 naming the control connection's server address {}",
            server.ip()
        ),
        format!("227 names {announced} (control connection to {server})"),
        neg.loc.as_ref(),
    );
}

// The passive port should come from the range the server was configured
// with (a deployment check: a port outside it would not pass a firewall
// opened for that range). Graded as a should.
fn port_in_range(neg: &Negotiation, ctx: &CheckCtx, out: &mut Findings) {
    let (Some(announced), Some((lo, hi))) = (neg.announced, ctx.passive_range) else {
        return;
    };
    let port = announced.port();
    if (lo..=hi).contains(&port) {
        return;
    }
    out.violation(
        Rule::PasvPortInRange,
        ctx.grade(Rule::PasvPortInRange),
        format!("passive port within the configured range {lo}-{hi}"),
        format!("{} announced port {port}", neg.mode.verb()),
        neg.loc.as_ref(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{ConnId, ConnRole, EventKind, Side};
    use crate::verdict::{Level, RuleId, Verdict};
    use std::time::Duration;

    fn control_to(server: &str) -> Vec<Event> {
        let kind = EventKind::Opened {
            conn: ConnId(0),
            role: ConnRole::Control,
            initiator: "127.0.0.1:40000".parse().unwrap(),
            acceptor: server.parse().unwrap(),
            initiator_side: Side::Client,
            acceptor_side: Side::Server,
        };
        vec![Event {
            seq: 0,
            at: Duration::ZERO,
            kind,
        }]
    }

    fn pasv(announced: &str) -> Negotiation {
        Negotiation {
            mode: DataMode::Pasv,
            loc: None,
            sent_seq: 0,
            reply_code: Some(227),
            announced: Some(announced.parse().unwrap()),
            named: None,
            listener: None,
            trap: false,
            explicit_expect: false,
            thief: None,
            thief_conn: None,
            transfer: None,
        }
    }

    fn ctx(range: Option<(u16, u16)>) -> CheckCtx {
        CheckCtx {
            case_id: "c".into(),
            level: Level::Must,
            control: ConnId(0),
            passive_range: range,
        }
    }

    #[test]
    fn address_must_match_the_control_connection() {
        let events = control_to("127.0.0.1:21");
        assert!(check(&events, &pasv("127.0.0.1:50000"), &ctx(None))
            .violations
            .is_empty());
        let f = check(&events, &pasv("127.0.0.2:50000"), &ctx(None));
        assert_eq!(f.violations.len(), 1);
        let v = &f.violations[0];
        assert_eq!(
            (&v.rule, v.grade),
            (
                &RuleId::Catalogue(Rule::PasvAddressMatchesControl),
                Verdict::NonStrict
            )
        );
        assert_eq!(
            v.actual,
            "227 names 127.0.0.2:50000 (control connection to 127.0.0.1:21)"
        );
    }

    #[test]
    fn port_must_be_in_the_configured_range() {
        let events = control_to("127.0.0.1:21");
        let n = pasv("127.0.0.1:50000");
        assert!(check(&events, &n, &ctx(Some((50000, 50000))))
            .violations
            .is_empty());
        let f = check(&events, &n, &ctx(Some((40000, 49999))));
        assert_eq!(f.violations[0].rule, Rule::PasvPortInRange);
    }
}
