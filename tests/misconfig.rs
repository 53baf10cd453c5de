//! Real NAT misconfigurations are caught: vsftpd started with
//! `pasv_address=127.0.0.2` and pyftpdlib started with `-n 127.0.0.2`
//! announce an address other than their own in 227, and the passive
//! address check flags it (as it does not for the same servers configured
//! correctly).

pub mod support;

use std::net::Ipv4Addr;

use ftpconform::real::servers::profiles::{start_profile, ProfileOptions};
use ftpconform::runner;
use ftpconform::verdict::{CaseResult, Rule, Verdict};
use support::cases::{assert_fires, assert_pass};
use support::suites::find_case;

/// Runs `suite::case` against `server` started with `pasv_address`.
fn run(server: &str, pasv_address: Option<Ipv4Addr>, suite: &str, case: &str) -> CaseResult {
    let (s, c) = find_case(suite, case);
    let opts = ProfileOptions {
        pasv_address,
        ipv6: false,
        ..Default::default()
    };
    let running = start_profile(server, &opts)
        .unwrap_or_else(|e| panic!("{server} does not start (run scripts/install-peers.sh): {e}"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(runner::run_server_case(&s, &c, &running.endpoint(), None))
}

fn address_violations(r: &CaseResult) -> Vec<String> {
    r.violations
        .iter()
        .filter(|v| v.rule == Rule::PasvAddressMatchesControl)
        .map(|v| format!("expected {} / actual {}", v.expected, v.actual))
        .collect()
}

fn assert_flagged(server: &str) {
    let r = run(
        server,
        Some(Ipv4Addr::new(127, 0, 0, 2)),
        "rfc1123-passive",
        "pasv-retr",
    );
    // The only deviation: a should rule, so the case is non-strict.
    let nat = ("pasv-address-matches-control", Verdict::NonStrict);
    assert_fires(&r, &[nat]);
    let found = address_violations(&r);
    assert!(found[0].contains("127.0.0.2"), "{found:?}");
    assert!(
        found[0].contains("127.0.0.1"),
        "both addresses reported: {found:?}"
    );
}

fn assert_clean(server: &str) {
    let r = run(server, None, "rfc1123-passive", "pasv-retr");
    assert_pass(&r);
}

#[test]
fn vsftpd_pasv_address_127_0_0_2_is_flagged() {
    assert_flagged("vsftpd");
}

#[test]
fn pyftpdlib_nat_address_127_0_0_2_is_flagged() {
    assert_flagged("pyftpdlib");
}

#[test]
fn vsftpd_and_pyftpdlib_without_nat_are_not_flagged() {
    assert_clean("vsftpd");
    assert_clean("pyftpdlib");
}
