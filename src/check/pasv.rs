//! Passive-mode checks: the address a 227 announces, and the port range.

use super::facts::{endpoints, CheckCtx, Findings, Negotiation};
use crate::script::{DataMode, Level};
use crate::timeline::Event;

pub const ADDRESS_RULE: &str = "pasv-address-matches-control";
pub const RANGE_RULE: &str = "pasv-port-in-range";

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
    out.violation(
        ADDRESS_RULE,
        "RFC 959 4.1.2",
        ctx.incidental(Level::Should),
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
        RANGE_RULE,
        "RFC 959 4.1.2",
        ctx.incidental(Level::Should),
        format!("passive port within the configured range {lo}-{hi}"),
        format!("{} announced port {port}", neg.mode.verb()),
        neg.loc.as_ref(),
    );
}
