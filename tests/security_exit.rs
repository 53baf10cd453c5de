//! Security severity from the outside (docs/verdicts.md): a real peer that
//! does the dangerous thing makes `ftpconform run` exit 1 whatever the
//! case's level; one that refuses exits 0; `--strict` turns a should-level
//! finding into a failure. Real peers: run under the peers lock.

use std::process::Output;

fn run(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![
        "run",
        "--quiet",
        "--capture-dir",
        dir.path().to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    std::process::Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .args(&all)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// Asserts the exit status and that stdout holds every needle.
fn assert_run(out: &Output, status: i32, needles: &[&str]) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "{stdout}\n{stderr}");
    for n in needles {
        assert!(stdout.contains(n), "missing {n:?} in {stdout}");
    }
}

const BOUNCE: &str = "rfc2577-security::port-bounce-foreign-refused";
const FOREIGN_227: &str = "client-passive::pasv-foreign-address-ignored";

#[test]
fn a_server_that_carries_out_a_bounce_exits_1() {
    // Twisted answers `200 PORT OK` to a PORT naming the case's foreign
    // host (a loopback address of the case's own, net::Lease), then
    // connects there and sends the file. The case is a `should`.
    let out = run(&["--server", "twisted", "--case", BOUNCE]);
    assert_run(
        &out,
        1,
        &[
            "fail bounce-refused [RFC 2577 3]",
            "security: FTP bounce (CVE-1999-0017)",
            "the server connected to 127.",
            "(0 must failures, 1 security failures)",
        ],
    );
}

#[test]
fn a_server_that_never_connects_to_the_third_party_exits_0() {
    // pyftpdlib never connects to the foreign host; its `150` to the RETR is the
    // suite's `info` alternative.
    let out = run(&["--server", "pyftpdlib", "--case", BOUNCE]);
    assert_run(&out, 0, &["1 cases: 1 info (0 must failures)"]);
}

#[test]
fn a_client_that_follows_a_foreign_227_exits_1() {
    // wget connects to the 127.0.0.2 address the fake server's 227 names.
    let out = run(&["--client", "wget", "--case", FOREIGN_227]);
    assert_run(
        &out,
        1,
        &[
            "fail client-trusts-pasv-address",
            "security: trusting the PASV address (CVE-2020-8284 curl, CVE-2021-4189 Python ftplib)",
            "the client connected to 127.0.0.2:",
        ],
    );
}

#[test]
fn a_client_that_ignores_a_foreign_227_exits_0() {
    // curl connects to the control connection's server address instead.
    let out = run(&["--client", "curl", "--case", FOREIGN_227]);
    assert_run(&out, 0, &["1 cases: 1 pass (0 must failures)"]);
}

#[test]
fn strict_fails_a_non_preferred_refusal() {
    // pyftpdlib refuses PORT to port 80 with 501, where RFC 2577 3
    // suggests 504: `non-strict`, a failure only with --strict.
    let case = [
        "--server",
        "pyftpdlib",
        "--case",
        "port-privileged-port-refused",
    ];
    assert_run(&run(&case), 0, &["1 cases: 1 non-strict"]);
    let strict: Vec<&str> = case.iter().copied().chain(["--strict"]).collect();
    assert_run(&run(&strict), 1, &["1 cases: 1 fail"]);
}
