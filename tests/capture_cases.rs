//! Captures of real cases: the golden captures in `captures/` still match a
//! fresh run (compared by `ftpconform compare`), the `compare` subcommand's
//! exit statuses, and Wireshark's view of real captures (IPv4 and IPv6,
//! server and client role): tshark reads them, sees the transcript's
//! commands and reply codes, and links passive and EPRT data connections
//! to their control connection. tshark is a development dependency: these
//! tests fail (never skip) without it; scripts/install-peers.sh installs it.
//!
//! `FTPCONFORM_BLESS=1 cargo test --test capture_cases golden` rewrites
//! the golden captures that a fresh run no longer matches.

pub mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ftpconform::real::clients::ClientProfile;
use ftpconform::real::servers::embedded::start_embedded;
use ftpconform::real::servers::profiles::{start_profile, ProfileOptions};
use ftpconform::real::servers::running::RunningServer;
use ftpconform::runner::{run_case_events, Target};
use ftpconform::timeline::{ConnRole, Event, EventKind};
use ftpconform::transcript::transcript_lines;
use ftpconform::verdict::Role;
use support::suites::{find_case, root};
use support::tshark::tshark;

/// The golden captures: (suite, case), stored as `captures/<suite>__<case>.pcap`.
const GOLDEN: &[(&str, &str)] = &[
    ("rfc1123-passive", "pasv-retr"),
    ("rfc2428-extended", "epsv-list"),
    ("rfc1123-passive", "pasv-after-port"),
    ("client-transfer", "active-get-port"),
];

/// Where a server-role case runs.
enum Server {
    Embedded,
    Profile(&'static str, bool),
}

/// Runs `suite::case` with a capture at `pcap`: server-role cases against
/// `server`, client-role cases with the embedded client. Returns the events.
fn run(suite: &str, case: &str, server: Server, pcap: &Path) -> Vec<Event> {
    let (suite, case) = find_case(suite, case);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = ClientProfile::by_name("embedded").unwrap();
    let running: Option<RunningServer> = match (suite.role, server) {
        (Role::Client, _) => None,
        (Role::Server, Server::Embedded) => Some(rt.block_on(start_embedded()).unwrap()),
        (Role::Server, Server::Profile(name, ipv6)) => Some(
            start_profile(
                name,
                &ProfileOptions {
                    ipv6,
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("cannot start {name} (scripts/install-peers.sh): {e}")),
        ),
    };
    let endpoint = running.as_ref().map(|s| s.endpoint());
    let target = match &endpoint {
        Some(ep) => Target::Server(ep),
        None => Target::Client(&client),
    };
    let (result, events) = rt.block_on(run_case_events(&suite, &case, target, Some(pcap)));
    assert_eq!(result.capture.as_deref(), Some(pcap), "no capture written");
    events
}

fn compare(a: &Path, b: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .arg("compare")
        .args([a, b])
        .output()
        .unwrap()
}

fn golden_path(suite: &str, case: &str) -> PathBuf {
    root().join(format!("captures/{suite}__{case}.pcap"))
}

#[test]
fn golden_captures_match_a_fresh_run() {
    let dir = tempfile::tempdir().unwrap();
    let bless = std::env::var_os("FTPCONFORM_BLESS").is_some();
    let mut failures = Vec::new();
    for (suite, case) in GOLDEN {
        let fresh = dir.path().join(format!("{suite}__{case}.pcap"));
        run(suite, case, Server::Embedded, &fresh);
        let golden = golden_path(suite, case);
        // The stored capture, before any blessing.
        let out = compare(&golden, &fresh);
        if out.status.code() == Some(0) {
            continue;
        }
        let difference = format!(
            "{suite}::{case} (exit {:?}):\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if bless {
            std::fs::copy(&fresh, &golden).unwrap();
            eprintln!("blessed {}: {difference}", golden.display());
        } else {
            failures.push(difference);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn compare_exits_1_with_a_diff_when_captures_differ() {
    let a = golden_path("rfc1123-passive", "pasv-retr");
    let b = golden_path("rfc2428-extended", "epsv-list");
    let out = compare(&a, &b);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(diff.contains("--- ") && diff.contains("+++ "), "{diff}");
    assert!(
        diff.contains("-C> PASV") && diff.contains("+C> EPSV"),
        "{diff}"
    );
    assert_eq!(compare(&a, &a).status.code(), Some(0));
}

#[test]
fn compare_exits_2_with_one_line_on_unreadable_input() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"not a pcap at all").unwrap();
    let good = golden_path("rfc1123-passive", "pasv-retr");
    for (a, b) in [(&junk, &good), (&good, &dir.path().join("missing.pcap"))] {
        let out = compare(a, b);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.starts_with("ftpconform: "), "{err}");
        assert!(out.stdout.is_empty());
    }
}

/// The server port of the (first) control connection.
fn control_port(events: &[Event]) -> u16 {
    events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Opened {
                role: ConnRole::Control,
                acceptor,
                ..
            } => Some(acceptor.port()),
            _ => None,
        })
        .expect("a control connection")
}

/// Commands and reply codes in transcript order (each line's first word).
fn transcript_ftp(events: &[Event]) -> Vec<String> {
    let word = |l: &str, p: &str| {
        l.strip_prefix(p)
            .map(|r| r.split(' ').next().unwrap_or("").to_string())
    };
    transcript_lines(events)
        .iter()
        .filter_map(|l| word(l, "C> ").or_else(|| word(l, "S> ")))
        .collect()
}

/// Commands and reply codes as tshark dissects them.
fn tshark_ftp(pcap: &str, port: u16) -> Vec<String> {
    let decode = format!("tcp.port=={port},ftp");
    let args = ["-r", pcap, "-d", &decode, "-Y", "ftp", "-T", "fields"];
    let fields = ["-e", "ftp.request.command", "-e", "ftp.response.code"];
    let out = tshark(&[&args[..], &fields[..]].concat());
    out.lines()
        .flat_map(|l| l.split(['\t', ',']).filter(|f| !f.is_empty()))
        .map(str::to_string)
        .collect()
}

/// The setup method tshark gives each ftp-data packet.
fn data_setup_methods(pcap: &str, port: u16) -> Vec<String> {
    let decode = format!("tcp.port=={port},ftp");
    let out = tshark(&[
        "-r",
        pcap,
        "-d",
        &decode,
        "-Y",
        "tcp.len > 0 && !ftp",
        "-T",
        "fields",
        "-e",
        "ftp-data.setup-method",
    ]);
    out.lines().map(str::to_string).collect()
}

/// Runs the case with a capture and checks tshark's view of it; `linked`
/// asks that every data packet be linked to its negotiation.
fn check_with_tshark(suite: &str, case: &str, server: Server, linked: bool) {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("case.pcap");
    let events = run(suite, case, server, &pcap);
    let p = pcap.to_str().unwrap();
    tshark(&["-r", p]);
    let port = control_port(&events);
    let expected = transcript_ftp(&events);
    assert!(expected.len() > 4, "{suite}::{case}: {expected:?}");
    let from_pcap = ftpconform::capture::read_pcap(&pcap, Some(port)).unwrap();
    assert_eq!(
        tshark_ftp(p, port),
        expected,
        "{suite}::{case}\n{}\n{}",
        ftpconform::transcript::transcript(&events),
        ftpconform::transcript::transcript(&from_pcap)
    );
    if linked {
        let methods = data_setup_methods(p, port);
        assert!(!methods.is_empty(), "{suite}::{case}: no data packets");
        assert!(
            methods.iter().all(|m| !m.is_empty()),
            "{suite}::{case}: data not linked to the control connection: {methods:?}"
        );
    }
}

#[test]
fn ipv4_pasv_retr_against_libunftp_reads_in_tshark() {
    check_with_tshark("rfc1123-passive", "pasv-retr", Server::Embedded, true);
}

#[test]
fn ipv4_port_then_pasv_against_libunftp_reads_in_tshark() {
    // tshark links PORT data connections only when they come from port 20.
    check_with_tshark(
        "rfc1123-passive",
        "pasv-after-port",
        Server::Embedded,
        false,
    );
}

#[test]
fn ipv4_eprt_against_vsftpd_reads_in_tshark() {
    // Not linked: Wireshark's FTP dissector expects an EPRT data connection
    // between the control connection's client address (with the EPRT port)
    // and the EPRT address (any port), so it links one only when client and
    // server share an address. Over IPv4 each case now has its own client
    // address (127.0.0.x, net::Lease); over IPv6 both are ::1 and
    // `ipv6_eprt_against_vsftpd_reads_in_tshark` checks the link.
    check_with_tshark(
        "rfc2428-extended",
        "eprt-ipv4",
        Server::Profile("vsftpd", false),
        false,
    );
}

#[test]
fn ipv6_epsv_against_vsftpd_reads_in_tshark() {
    let server = Server::Profile("vsftpd", true);
    check_with_tshark("rfc2428-extended", "epsv-2-ipv6", server, true);
}

#[test]
fn ipv6_eprt_against_vsftpd_reads_in_tshark() {
    let server = Server::Profile("vsftpd", true);
    check_with_tshark("rfc2428-extended", "eprt-ipv6", server, true);
}

#[test]
fn client_role_epsv_get_reads_in_tshark() {
    check_with_tshark(
        "client-transfer",
        "passive-get-epsv",
        Server::Embedded,
        true,
    );
}
