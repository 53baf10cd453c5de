//! Client checks on data connections: a passive client connects from its
//! control address and ignores a foreign 227 address; an active client names
//! its own control address in PORT / EPRT.

use std::net::{IpAddr, SocketAddr};

use super::client_view::{ClientView, SentCommand};
use crate::timeline::Side;
use crate::verdict::{Rule, Verdict, Violation};
use crate::wire::addr;

/// Rule `passive-data-from-control-address` (RFC 959 3.2, RFC 2577 5): the
/// client opens passive data connections from the host of its control
/// connection, to the fake server's address.
pub fn passive_sources(view: &ClientView, grade: Verdict) -> Vec<Violation> {
    let Some((client, server)) = view.control else {
        return Vec::new();
    };
    view.data
        .iter()
        .filter(|d| d.initiator_side == Side::Client)
        .filter(|d| d.initiator.ip() != client.ip() || d.acceptor.ip() != server.ip())
        .map(|d| {
            Violation::of(
                Rule::PassiveDataFromControlAddress,
                grade,
                format!("a connection from {} to {}", client.ip(), server.ip()),
                format!(
                    "data connection {} came from {} to {}",
                    d.role, d.initiator, d.acceptor
                ),
            )
        })
        .collect()
}

/// Rule `client-trusts-pasv-address` (RFC 2577 5, RFC 1123 4.1.2.6): a
/// client does not connect to a 227 address other than the server's. A
/// connection there is the attack (the class of curl's CVE-2020-8284): it
/// fails whatever the case's level.
pub fn trusted_foreign_pasv(view: &ClientView) -> Vec<Violation> {
    view.strays
        .iter()
        .map(|s| {
            Violation::dangerous(
                Rule::ClientTrustsPasvAddress,
                "the data connection goes to the control connection's server address",
                format!(
                    "the client connected to {} (the address of the 227), from {}",
                    s.acceptor, s.initiator
                ),
            )
        })
        .collect()
}

/// Rule `active-address-matches-control` (RFC 959 4.1.2, RFC 2428 2): PORT
/// and EPRT name the client's control address, never an unspecified,
/// private or third-party one.
pub fn active_addresses(view: &ClientView, grade: Verdict) -> Vec<Violation> {
    let Some(client) = view.client_addr() else {
        return Vec::new();
    };
    view.commands
        .iter()
        .filter(|c| c.verb == "PORT" || c.verb == "EPRT")
        .filter_map(|c| check_active(c, client.ip(), grade))
        .collect()
}

fn check_active(c: &SentCommand, client: IpAddr, grade: Verdict) -> Option<Violation> {
    let arg = c.arg.as_deref().unwrap_or("").trim();
    let (rfc, parsed) = match c.verb.as_str() {
        "PORT" => ("RFC 959 4.1.2", addr::parse_port(arg).map(SocketAddr::V4)),
        _ => ("RFC 2428 2", addr::parse_eprt(arg)),
    };
    let expected = format!("{} naming the control address {client}", c.verb);
    match parsed {
        Err(e) => {
            let actual = format!("`{c}`: {e}");
            Some(Violation::of(Rule::ActiveAddressParses, grade, expected, actual).citing(rfc))
        }
        Ok(a) if a.ip() == client => None,
        Ok(a) => {
            let actual = format!("`{c}` names {}{}", a.ip(), kind_of(a.ip()));
            let v = Violation::of(Rule::ActiveAddressMatchesControl, grade, expected, actual);
            Some(v.citing(rfc))
        }
    }
}

/// Why an address is wrong, for the report.
fn kind_of(ip: IpAddr) -> &'static str {
    match ip {
        ip if ip.is_unspecified() => " (unspecified)",
        IpAddr::V4(v4) if v4.is_private() => " (private)",
        ip if ip.is_loopback() => " (another loopback address)",
        _ => " (another host)",
    }
}
