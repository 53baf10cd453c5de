//! Through NAT with real peers (docs/nat.md): the fake client behind
//! client-nat cannot get an active-mode connection, and can with the
//! kernel's FTP helper; a server behind server-nat announces its private
//! address and is flagged; told its public address, it passes; a real
//! client's PORT is rewritten by the helper. Needs root, `ip`, `nft`,
//! `tcpdump` and the real peers (scripts/install-peers.sh): missing, the
//! tests fail. Run under the peers lock:
//! `flock /work/notes/peers.lock cargo test --test nat`.

use std::path::PathBuf;

use ftpconform::nat::rewrites::Rewrite;
use ftpconform::nat::{self, NatCase};
use ftpconform::real::clients::ClientProfile;
use ftpconform::runner::RunConfig;
use ftpconform::script::Suite;
use ftpconform::timeline::Side;
use ftpconform::topology::{netns, Kind, Topology};
use ftpconform::verdict::{Rule, RuleId, Verdict};

const SERVER: &str = "vsftpd";

fn suites() -> Vec<Suite> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites-nat");
    ftpconform::suite::load_paths(&[dir]).unwrap_or_else(|e| panic!("suites-nat: {e:?}"))
}

fn config(case: &str) -> RunConfig {
    RunConfig {
        capture_dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nat-captures"),
        filters: vec![case.to_string()],
        ..RunConfig::default()
    }
}

/// One case of the fake client against the real server through `kind`.
fn server_case(kind: Kind, case: &str) -> NatCase {
    let topology = Topology::build(kind).unwrap_or_else(|e| panic!("{kind}: {e}"));
    let (_server, endpoint) = nat::start_server(&topology, SERVER).expect("server starts");
    let mut cases = nat::run_server_cases(
        &topology,
        &endpoint,
        SERVER,
        &suites(),
        &config(case),
        &mut |_| {},
    )
    .expect("runs");
    assert_eq!(cases.len(), 1, "{case}");
    cases.remove(0)
}

fn rewrote(c: &NatCase, from: Side, verb: &str) -> bool {
    c.rewrites.iter().any(|r| match r {
        Rewrite::Line {
            from: f, before, ..
        } => *f == from && before.starts_with(verb),
        _ => false,
    })
}

/// Under FTPS the helper cannot read the PORT inside the TLS: the active
/// transfer that the helper rescues in plain FTP fails again, while the
/// passive one (nothing to rewrite behind client NAT) still works.
#[test]
fn the_helper_cannot_rescue_active_mode_under_ftps() {
    let port = server_case(Kind::ClientNatAlg, "nat-server::ftps-port-list");
    assert_eq!(port.result.verdict, Verdict::Fail, "{:?}", port.result);
    assert!(!rewrote(&port, Side::Client, "PORT"), "{:?}", port.rewrites);
    assert_eq!(port.variant, nat::FTPS);
    let pasv = server_case(Kind::ClientNatAlg, "nat-server::ftps-pasv-list");
    assert_eq!(pasv.result.verdict, Verdict::Pass, "{:?}", pasv.result);
}

#[test]
fn active_mode_fails_through_client_nat_and_works_with_the_helper() {
    let plain = server_case(Kind::ClientNat, "nat-server::port-list");
    assert_eq!(plain.result.verdict, Verdict::Fail, "{:?}", plain.result);
    assert!(
        !rewrote(&plain, Side::Client, "PORT"),
        "{:?}",
        plain.rewrites
    );
    let helped = server_case(Kind::ClientNatAlg, "nat-server::port-list");
    assert_eq!(helped.result.verdict, Verdict::Pass, "{:?}", helped.result);
    assert!(
        rewrote(&helped, Side::Client, "PORT"),
        "{:?}",
        helped.rewrites
    );
    assert_eq!(helped.router_captures.len(), 2);
    assert!(helped.router_captures.iter().all(|p| p.is_file()));
}

#[test]
fn a_server_behind_server_nat_announces_its_private_address_and_is_flagged() {
    let c = server_case(Kind::ServerNat, "nat-server::pasv-list");
    let flagged = c
        .result
        .violations
        .iter()
        .any(|v| v.rule == RuleId::Catalogue(Rule::PasvAddressMatchesControl));
    assert!(flagged, "{:?}", c.result.violations);
    assert!(
        c.result
            .notes
            .iter()
            .any(|n| n.starts_with("227 named 10.0.2.2, the server's own (private) address")),
        "{:?}",
        c.result.notes
    );
    assert_eq!(c.result.verdict, Verdict::Fail);
}

#[test]
fn a_server_told_its_public_address_passes_server_nat_masquerade() {
    let c = server_case(Kind::ServerNatMasquerade, "nat-server::pasv-list");
    assert_eq!(c.result.verdict, Verdict::Pass, "{:?}", c.result);
    assert!(
        c.result
            .notes
            .iter()
            .any(|n| n
                == "227 named 198.51.100.1, the server's public address in server-nat-masquerade"),
        "{:?}",
        c.result.notes
    );
}

#[test]
fn the_helper_rewrites_a_real_clients_port_behind_client_nat() {
    let topology = Topology::build(Kind::ClientNatAlg).expect("builds");
    let curl = ClientProfile::by_name("curl").expect("curl");
    let cases = nat::run_client_cases(
        &topology,
        &curl,
        &suites(),
        &config("nat-client::port-get"),
        &mut |_| {},
    )
    .expect("runs");
    assert_eq!(cases.len(), 1);
    assert_eq!(
        cases[0].result.verdict,
        Verdict::Pass,
        "{:?}",
        cases[0].result
    );
    assert!(
        rewrote(&cases[0], Side::Client, "PORT"),
        "{:?}",
        cases[0].rewrites
    );
    let names: Vec<String> = topology.names().iter().map(|n| n.to_string()).collect();
    drop(topology);
    assert!(names.iter().all(|n| !netns::exists(n)), "{names:?}");
}

/// The test CA's good certificate names every address a server is reached
/// at in the topologies, so that FTPS runs through them (no namespace
/// needed for this one).
#[test]
fn the_test_certificate_names_every_server_address_of_the_topologies() {
    for kind in Kind::ALL {
        let p = kind.plan();
        for ip in [p.public_server().ip(), p.server_listen().ip()] {
            let name = ip.to_string();
            assert!(
                ftpconform::net::tls::pki::NAMES.contains(&name.as_str()),
                "{kind}: {ip}"
            );
        }
    }
}
