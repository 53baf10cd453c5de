//! `ftpconform import` and `replay` against real peers (run under the
//! peers lock, as every real-peer test): a session the harness recorded
//! with vsftpd, imported, replays against vsftpd and passes, and against
//! pure-ftpd (which answers `EPSV ALL` with 220 and still serves PASV)
//! fails at the two steps where it departs from the recording; the
//! recorded server's side of a RETR replayed as the fake server against
//! curl passes. Each replay ends with its departure report (what the wire
//! shows differently from the recording), checked here too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ftpconform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("ftpconform runs")
}

/// Records `suite::case` against vsftpd; returns the capture.
fn record(dir: &Path, suite: &str, case: &str) -> PathBuf {
    let captures = dir.join("recorded");
    let suite_file = format!("suites/server/{suite}.yaml");
    let filter = format!("{suite}::{case}");
    let out = ftpconform(&[
        "run",
        "--server",
        "vsftpd",
        "--suite",
        &suite_file,
        "--case",
        &filter,
        "-q",
        "--capture-dir",
        captures.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    captures.join(format!("vsftpd/{suite}/{case}.pcap"))
}

fn replay(pcap: &Path, peer: &[&str], dir: &Path) -> (i32, String) {
    let replays = dir.join("replays");
    let mut args = vec![
        "replay",
        pcap.to_str().unwrap(),
        "--capture-dir",
        replays.to_str().unwrap(),
    ];
    args.extend(peer);
    let out = ftpconform(&args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

/// The lines of the replay's departure report (`  - ...`), after its
/// heading; panics when there is no heading.
fn departures(text: &str) -> Vec<&str> {
    let (_, report) = text
        .split_once("departures from session 1 of ")
        .unwrap_or_else(|| panic!("no departure report:\n{text}"));
    report
        .lines()
        .skip(1)
        .filter_map(|l| l.strip_prefix("  - "))
        .collect()
}

#[test]
fn a_vsftpd_session_replays_against_vsftpd_and_departs_on_pure_ftpd() {
    let dir = tempfile::tempdir().unwrap();
    let retr = record(dir.path(), "rfc1123-passive", "pasv-retr");
    let epsv_all = record(dir.path(), "rfc2428-extended", "epsv-all-then-pasv-refused");
    for pcap in [&retr, &epsv_all] {
        let (code, text) = replay(pcap, &["--server", "vsftpd"], dir.path());
        assert_eq!(code, 0, "{text}");
        assert!(departures(&text).is_empty(), "{text}");
    }
    let (code, text) = replay(&epsv_all, &["--server", "pure-ftpd"], dir.path());
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("expected: 200"), "{text}");
    assert!(text.contains("expected: 550"), "{text}");
    let departed = departures(&text);
    assert!(
        departed
            .iter()
            .any(|d| d.contains("(EPSV): the reply was 200 in the recording, 220 live")),
        "{text}"
    );
    let (code, text) = replay(&retr, &["--client", "curl"], dir.path());
    assert_eq!(code, 0, "{text}");
    // curl sends its own commands around the RETR (PWD, SIZE...): those
    // are departures; the transfer itself is the recorded one.
    let departed = departures(&text);
    assert!(departed.iter().any(|d| d.contains("sent SIZE")), "{text}");
    assert!(
        !departed.iter().any(|d| d.starts_with("transfer")),
        "{text}"
    );
}

/// A payload too large to inline (1 MiB RETR) is written beside the
/// imported case and named by `file:`; the case runs against vsftpd and
/// passes, and fails once one byte of that file is changed (the download
/// is compared with the file, not only its size).
#[test]
fn a_large_payload_goes_beside_the_imported_case() {
    let dir = tempfile::tempdir().unwrap();
    let big = record(dir.path(), "rfc959-transfers", "retr-pasv-big");
    let case = dir.path().join("big.yaml");
    let out = ftpconform(&[
        "import",
        big.to_str().unwrap(),
        "--role",
        "server",
        "-o",
        case.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = std::fs::read_to_string(&case).unwrap();
    assert!(
        yaml.contains("file: \"big.payloads/transfer-1.bin\""),
        "{yaml}"
    );
    let payload = dir.path().join("big.payloads/transfer-1.bin");
    let mut bytes = std::fs::read(&payload).unwrap();
    assert_eq!(bytes.len(), 1 << 20);
    let run = |expect: i32| {
        let out = ftpconform(&[
            "run",
            "--server",
            "vsftpd",
            "--suite",
            case.to_str().unwrap(),
            "-q",
            "--no-capture",
        ]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(expect), "{text}");
        text
    };
    run(0);
    bytes[4096] ^= 0xff;
    std::fs::write(&payload, &bytes).unwrap();
    let text = run(1);
    assert!(text.contains("the 1048576 bytes of"), "{text}");
}
