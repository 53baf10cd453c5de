//! `ftpconform run` from the outside: exit statuses, one-line errors for
//! unusable targets, and the JSON report's fields.

pub mod support;

use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::mock_server::MockServer;
use support::mock_server::Step::Hold;

fn ftpconform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn assert_one_line_error(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn refused_target_is_a_one_line_error_with_status_2() {
    let url = format!("ftp://127.0.0.1:{}", closed_port());
    let out = ftpconform(&["run", "--server", &url]);
    assert_one_line_error(&out, "refused");
}

#[test]
fn silent_target_is_a_one_line_error_within_the_probe_limit() {
    // A server that accepts connections and never greets.
    let server = MockServer::every(vec![Hold]);
    let url = format!("ftp://127.0.0.1:{}", server.addr.port());
    let started = Instant::now();
    let out = ftpconform(&["run", "--server", &url]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_one_line_error(&out, "no greeting");
}

#[test]
fn unknown_server_client_and_report_are_usage_errors() {
    assert_one_line_error(
        &ftpconform(&["run", "--server", "nosuchftpd"]),
        "unknown server",
    );
    assert_one_line_error(
        &ftpconform(&["run", "--client", "nosuchftp"]),
        "unknown client",
    );
    assert_one_line_error(&ftpconform(&["run", "--report", "xml=x"]), "bad --report");
}

#[test]
fn json_report_of_an_embedded_run_has_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let caps = dir.path().join("caps");
    let report = format!("json={}", json.display());
    let out = ftpconform(&[
        "run",
        "--server",
        "embedded",
        "--case",
        "server-smoke::",
        "--report",
        &report,
        "--capture-dir",
        caps.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cases:"), "summary line: {stdout}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for c in cases {
        for key in ftpconform::report::json::CASE_FIELDS {
            assert!(!c[*key].is_null(), "{key} missing in {c}");
        }
        assert_eq!(c["role"], "server");
        let pcap = c["capture"].as_str().expect("capture path");
        assert!(std::path::Path::new(pcap).starts_with(&caps), "{pcap}");
        assert!(
            std::fs::metadata(pcap).unwrap().len() > 24,
            "{pcap} holds packets"
        );
    }
}

#[test]
fn a_failing_must_gives_status_1() {
    // libunftp answers RETR of a missing file with 150 then 550: the
    // `session-usable-after-failed-retr` case (a must) fails on it.
    let dir = tempfile::tempdir().unwrap();
    let out = ftpconform(&[
        "run",
        "--server",
        "embedded",
        "--case",
        "session-usable-after-failed-retr",
        "--capture-dir",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL embedded::"), "{stdout}");
}

#[test]
fn no_capture_writes_no_pcap_and_keeps_the_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let caps = dir.path().join("caps");
    let verdicts = |extra: &[&str], name: &str| {
        let json = dir.path().join(name);
        let report = format!("json={}", json.display());
        let args = ["run", "--server", "embedded", "--case", "server-smoke::"];
        let out = ftpconform(&[&args[..], extra, &["--report", &report]].concat());
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        let cases = v["cases"].as_array().unwrap().clone();
        let pcaps = cases.iter().filter(|c| !c["capture"].is_null()).count();
        let seen: Vec<String> = cases.iter().map(|c| c["verdict"].to_string()).collect();
        (seen, pcaps)
    };
    let (with, pcaps) = verdicts(&["--capture-dir", caps.to_str().unwrap()], "on.json");
    assert_eq!(pcaps, with.len());
    let (without, pcaps) = verdicts(&["--no-capture"], "off.json");
    assert_eq!((without, pcaps), (with, 0));
}
