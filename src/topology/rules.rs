//! The router's nftables ruleset for a plan, as the text `nft -f -` reads.
//! Pure: the tests compare the text.

use std::fmt::Write as _;

use super::plan::{Nat, Plan, CONTROL_PORT, PASSIVE_RANGE, ROUTER_CLIENT_IF, ROUTER_SERVER_IF};

/// The name of the router's table.
pub const TABLE: &str = "ftpconform";

/// The ruleset, or `None` when the router only routes.
pub fn ruleset(plan: &Plan) -> Option<String> {
    if plan.nat == Nat::None && !plan.helper && !plan.firewall {
        return None;
    }
    let family = if plan.is_ipv6() { "ip6" } else { "ip" };
    let addr = if plan.is_ipv6() { "ip6" } else { "ip" };
    let (lo, hi) = PASSIVE_RANGE;
    let (c, s) = (ROUTER_CLIENT_IF, ROUTER_SERVER_IF);
    let mut t = String::new();
    let _ = writeln!(t, "table {family} {TABLE} {{");
    if plan.helper {
        let _ = writeln!(
            t,
            "  ct helper ftp-{CONTROL_PORT} {{ type \"ftp\" protocol tcp; }}"
        );
        let _ = writeln!(t, "  chain prerouting_helper {{");
        let _ = writeln!(t, "    type filter hook prerouting priority 0;");
        let _ = writeln!(
            t,
            "    iifname \"{c}\" tcp dport {CONTROL_PORT} ct helper set \"ftp-{CONTROL_PORT}\""
        );
        let _ = writeln!(t, "  }}");
    }
    if let Nat::Server { forward_passive } = plan.nat {
        let (public, server) = (plan.router_client_side.ip, plan.server.ip);
        let _ = writeln!(t, "  chain prerouting_nat {{");
        let _ = writeln!(t, "    type nat hook prerouting priority -100;");
        let _ = writeln!(
            t,
            "    iifname \"{c}\" {addr} daddr {public} tcp dport {CONTROL_PORT} dnat to {server}"
        );
        if forward_passive {
            let _ = writeln!(
                t,
                "    iifname \"{c}\" {addr} daddr {public} tcp dport {lo}-{hi} dnat to {server}"
            );
        }
        let _ = writeln!(t, "  }}");
    }
    t.push_str(&forward_chain(plan, addr));
    let masquerade_out = match plan.nat {
        Nat::Client => Some(s),
        Nat::Server { .. } => Some(c),
        Nat::None => None,
    };
    if let Some(out) = masquerade_out {
        let _ = writeln!(t, "  chain postrouting_nat {{");
        let _ = writeln!(t, "    type nat hook postrouting priority 100;");
        let _ = writeln!(t, "    oifname \"{out}\" masquerade");
        let _ = writeln!(t, "  }}");
    }
    t.push_str("}\n");
    Some(t)
}

/// The stateful filter: replies and helper-related connections pass; new
/// connections only as the topology allows.
fn forward_chain(plan: &Plan, addr: &str) -> String {
    let (c, s) = (ROUTER_CLIENT_IF, ROUTER_SERVER_IF);
    let (lo, hi) = PASSIVE_RANGE;
    let mut t = String::new();
    let _ = writeln!(t, "  chain forward_filter {{");
    let _ = writeln!(t, "    type filter hook forward priority 0; policy drop;");
    let _ = writeln!(t, "    ct state established,related accept");
    match plan.nat {
        // A home router: whatever the client opens goes out; nothing new
        // comes in.
        Nat::Client => {
            let _ = writeln!(t, "    iifname \"{c}\" oifname \"{s}\" accept");
        }
        // Only what a forward rule translated comes in; the server's own
        // connections go out.
        Nat::Server { .. } => {
            let _ = writeln!(
                t,
                "    iifname \"{c}\" oifname \"{s}\" ct status dnat accept"
            );
            let _ = writeln!(t, "    iifname \"{s}\" oifname \"{c}\" accept");
        }
        Nat::None if plan.firewall => {
            let server = plan.server.ip;
            let _ = writeln!(
                t,
                "    iifname \"{c}\" oifname \"{s}\" {addr} daddr {server} tcp dport {{ {CONTROL_PORT}, {lo}-{hi} }} accept"
            );
            let _ = writeln!(t, "    iifname \"{s}\" oifname \"{c}\" accept");
            if plan.is_ipv6() {
                // Neighbour discovery and errors (packet too big) must pass.
                let _ = writeln!(t, "    meta l4proto ipv6-icmp accept");
            }
        }
        Nat::None => {
            let _ = writeln!(t, "    accept");
        }
    }
    let _ = writeln!(t, "  }}");
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::plan::Kind;

    #[test]
    fn direct_has_no_rules() {
        assert_eq!(ruleset(&Kind::Direct.plan()), None);
    }

    #[test]
    fn client_nat_alg_sets_the_helper_and_masquerades() {
        let r = ruleset(&Kind::ClientNatAlg.plan()).unwrap();
        assert!(
            r.contains("ct helper ftp-21 { type \"ftp\" protocol tcp; }"),
            "{r}"
        );
        assert!(r.contains("iifname \"r-c\" tcp dport 21 ct helper set \"ftp-21\""));
        assert!(r.contains("oifname \"r-s\" masquerade"));
        assert!(!ruleset(&Kind::ClientNat.plan()).unwrap().contains("helper"));
    }

    #[test]
    fn server_nat_forwards_21_only_and_masquerade_forwards_the_range() {
        let r = ruleset(&Kind::ServerNat.plan()).unwrap();
        assert!(
            r.contains("ip daddr 198.51.100.1 tcp dport 21 dnat to 10.0.2.2"),
            "{r}"
        );
        assert!(!r.contains("30000-30019"), "{r}");
        let m = ruleset(&Kind::ServerNatMasquerade.plan()).unwrap();
        assert!(m.contains("tcp dport 30000-30019 dnat to 10.0.2.2"), "{m}");
    }

    #[test]
    fn firewall_opens_21_and_the_range() {
        let r = ruleset(&Kind::FirewallPassiveRange.plan()).unwrap();
        assert!(
            r.contains("ip daddr 203.0.113.2 tcp dport { 21, 30000-30019 } accept"),
            "{r}"
        );
        let v6 = ruleset(&Kind::FirewallIpv6.plan()).unwrap();
        assert!(v6.starts_with("table ip6 ftpconform {"), "{v6}");
        assert!(v6.contains("ip6 daddr 2001:db8:2::2 tcp dport"), "{v6}");
    }
}
