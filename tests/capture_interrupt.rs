//! Captures of cases that did not end normally are complete files: a case
//! that timed out (a server that accepts and never greets), and a run
//! stopped by SIGINT while a case was waiting on a stalled server. tshark
//! must read each capture without "cut short" errors, and so must
//! `read_pcap`. tshark is a development dependency (scripts/install-peers.sh).

pub mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ftpconform::capture::read_pcap;
use ftpconform::real::servers::url::FtpUrl;
use ftpconform::runner::{run_case, Target};
use ftpconform::timeline::{ConnRole, EventKind};
use ftpconform::transcript::transcript;
use ftpconform::verdict::Verdict;
use support::cases::assert_fires;
use support::mock_server::MockServer;
use support::mock_server::Step::*;
use support::suites::root;
use support::tshark::tshark;

/// Longest any wait in these tests may take.
const BOUND: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(20);

/// tshark's reading of `pcap` (a damaged file fails the test).
fn tshark_reads(pcap: &Path) -> String {
    tshark(&["-r", pcap.to_str().unwrap()])
}

const SILENT_SUITE: &str = "\
suite: stalled
role: server
cases:
  - id: greeting-never-comes
    title: the server accepts and never greets
    timeout: 300ms
    steps:
      - login
";

#[test]
fn a_timed_out_case_leaves_a_complete_capture() {
    let server = MockServer::every(vec![Hold]);
    let suite = ftpconform::suite::load_str(Path::new("stalled.yaml"), SILENT_SUITE)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let url = format!("ftp://127.0.0.1:{}", server.addr.port());
    let endpoint = FtpUrl::parse(&url).unwrap().endpoint().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("case.pcap");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let result = rt.block_on(run_case(
        &suite,
        &suite.cases[0],
        Target::Server(&endpoint),
        Some(&pcap),
    ));
    assert!(started.elapsed() < BOUND, "the case did not time out");
    assert_fires(&result, &[("greeting-220", Verdict::Fail)]);
    let actual = &result.violations[0].actual;
    assert_eq!(actual, "no reply within 300ms", "{result:#?}");
    let text = tshark_reads(&pcap);
    assert!(
        text.contains("[SYN]"),
        "no handshake in the capture:\n{text}"
    );
    let events = read_pcap(&pcap, Some(server.addr.port())).unwrap();
    let control = events.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Opened {
                role: ConnRole::Control,
                ..
            }
        )
    });
    assert!(control, "read_pcap found no control connection: {events:?}");
}

/// Kills the child (by PID) if the test ends before it exits.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn pcaps_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "pcap") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn sigint_mid_case_exits_130_with_readable_captures() {
    let server = MockServer::every(vec![
        Reply("220 stall server ready"),
        Expect("USER"),
        Mark,
        Hold,
    ]);
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .current_dir(root())
        .args(["run", "--server"])
        .arg(format!("ftp://127.0.0.1:{}", server.addr.port()))
        .arg("--suite")
        .arg(root().join("suites/server"))
        .arg("--capture-dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = ChildGuard(child);
    // The probe connects and reads the greeting; the first case then logs
    // in and stalls on USER.
    server.wait_for_marks(1, BOUND);
    std::thread::sleep(Duration::from_millis(100));
    let pid = child.0.id() as libc::pid_t;
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let deadline = Instant::now() + BOUND;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit after SIGINT");
        std::thread::sleep(POLL);
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.0.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let pcaps = pcaps_under(dir.path());
    assert!(!pcaps.is_empty(), "no capture written: {stderr}");
    let mut saw_user = false;
    for pcap in &pcaps {
        tshark_reads(pcap);
        let events = read_pcap(pcap, Some(server.addr.port()))
            .unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
        saw_user |= transcript(&events).contains("C> USER");
    }
    assert!(saw_user, "the interrupted case's USER is in no capture");
}
