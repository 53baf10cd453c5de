//! Applicability on the control connection's address family. A step bound
//! to IPv4 (PASV, PORT, an IPv4 address or data family, a thief on
//! 127.0.0.2) does not apply on an IPv6 control connection, and the case
//! stops there as not applicable. A passive command or a literal command
//! line is still sent once, as a probe, so that the timeline records what
//! the server answers to it.
//!
//! RFC 2428 1: "The File Transfer Protocol [PR85] only provides the
//! ability to communicate information about IPv4 data connections."
//! EPRT (RFC 2428 2) and EPSV (3) carry an address of any family.

use std::net::IpAddr;

use crate::script::{DataMode, DataSetup, Family};

/// Why a step does not apply on IPv6, and the command still sent as a
/// probe (none when there is nothing sensible to send: an active command
/// would have to name an address of ours that it cannot carry).
pub struct Ipv4Bound {
    pub why: String,
    pub probe: Option<String>,
}

const PASV_WHY: &str =
    "PASV announces an IPv4 address only (RFC 2428 1; EPSV, RFC 2428 3, works over IPv6)";
const PORT_WHY: &str =
    "PORT names an IPv4 address only (RFC 2428 1; EPRT, RFC 2428 2, works over IPv6)";

/// Whether the data step `setup`, sending `command`, is bound to IPv4.
pub fn data_step(setup: &DataSetup, command: &str) -> Option<Ipv4Bound> {
    let bound = |why: String, probe: bool| {
        let probe = (probe && setup.mode.is_passive()).then(|| command.to_string());
        Some(Ipv4Bound { why, probe })
    };
    if let Some(ip @ IpAddr::V4(_)) = setup.steal_from {
        let why = format!(
            "the theft attempt comes from {ip}, which cannot reach an IPv6 data port \
             (IPv6 loopback has a single address: there is no second host)"
        );
        return bound(why, false);
    }
    if let Some(ip @ IpAddr::V4(_)) = setup.address {
        return bound(format!("the step names the IPv4 address {ip}"), false);
    }
    match (setup.mode, setup.family) {
        (DataMode::Pasv, _) => bound(PASV_WHY.into(), true),
        (DataMode::Port, _) => bound(PORT_WHY.into(), false),
        (_, Some(Family::V4)) => {
            let why = "the step asks for an IPv4 data connection (network protocol 1)";
            bound(why.into(), true)
        }
        _ => None,
    }
}

/// Whether the command line `line` is bound to IPv4: PASV or PORT. The
/// line itself is the probe.
pub fn command_line(line: &str) -> Option<Ipv4Bound> {
    let verb = line.split_whitespace().next()?.to_ascii_uppercase();
    let why = match verb.as_str() {
        "PASV" => PASV_WHY,
        "PORT" => PORT_WHY,
        _ => return None,
    };
    Some(Ipv4Bound {
        why: why.into(),
        probe: Some(line.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(mode: DataMode) -> DataSetup {
        DataSetup {
            mode,
            family: None,
            address: None,
            port: None,
            steal_from: None,
            expect: None,
            connect_late: false,
            fresh_tls_session: false,
        }
    }

    fn probe(b: Option<Ipv4Bound>) -> Option<Option<String>> {
        b.map(|b| b.probe)
    }

    #[test]
    fn pasv_and_port_are_ipv4_bound_and_only_passive_commands_are_probes() {
        let pasv = data_step(&setup(DataMode::Pasv), "PASV");
        assert_eq!(probe(pasv), Some(Some("PASV".into())));
        assert_eq!(probe(data_step(&setup(DataMode::Port), "")), Some(None));
        assert!(data_step(&setup(DataMode::Epsv), "EPSV").is_none());
        assert!(data_step(&setup(DataMode::Eprt), "").is_none());
    }

    #[test]
    fn an_ipv4_family_address_or_thief_binds_an_extended_step() {
        let epsv1 = DataSetup {
            family: Some(Family::V4),
            ..setup(DataMode::Epsv)
        };
        assert_eq!(
            probe(data_step(&epsv1, "EPSV 1")),
            Some(Some("EPSV 1".into()))
        );
        let bounce = DataSetup {
            address: Some("127.0.0.2".parse().unwrap()),
            ..setup(DataMode::Eprt)
        };
        assert_eq!(probe(data_step(&bounce, "")), Some(None));
        let theft = DataSetup {
            steal_from: Some("127.0.0.2".parse().unwrap()),
            ..setup(DataMode::Epsv)
        };
        assert_eq!(probe(data_step(&theft, "EPSV")), Some(None));
        let v6 = DataSetup {
            family: Some(Family::V6),
            ..setup(DataMode::Eprt)
        };
        assert!(data_step(&v6, "").is_none());
    }

    #[test]
    fn command_lines_are_bound_by_their_verb() {
        assert_eq!(probe(command_line("pasv")), Some(Some("pasv".into())));
        let port = "PORT 127,0,0,1,300,1";
        assert_eq!(probe(command_line(port)), Some(Some(port.into())));
        assert!(command_line("EPRT |1|127.0.0.1|").is_none());
        assert!(command_line("PASSWORD").is_none());
        assert!(command_line("").is_none());
    }
}
