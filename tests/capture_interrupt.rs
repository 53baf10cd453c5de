//! Captures of cases that did not end normally are complete files: a case
//! that timed out (a server that accepts and never greets), and a run
//! stopped by SIGINT while a case was waiting on a stalled server. tshark
//! must read each capture without "cut short" errors, and so must
//! `read_pcap`. tshark is a development dependency (scripts/install-peers.sh).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ftpconform::capture::read_pcap;
use ftpconform::real::servers::url::FtpUrl;
use ftpconform::runner::{run_case, Target};
use ftpconform::timeline::{ConnRole, EventKind};
use ftpconform::transcript::transcript;
use ftpconform::verdict::Verdict;

/// Longest any wait in these tests may take.
const BOUND: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(20);

/// A loopback server that accepts connections, optionally greets, reads
/// one line, and then never answers (holds every socket until stopped).
struct StallServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    /// Connections on which a command line arrived.
    commands: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl StallServer {
    fn start(greet: bool) -> StallServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let commands = Arc::new(AtomicUsize::new(0));
        let (s, c) = (stop.clone(), commands.clone());
        let thread = std::thread::spawn(move || serve(listener, greet, &s, &c));
        StallServer {
            addr,
            stop,
            commands,
            thread: Some(thread),
        }
    }
}

impl Drop for StallServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Accepts until stopped (at most `BOUND`), keeping every connection open.
fn serve(listener: TcpListener, greet: bool, stop: &AtomicBool, commands: &AtomicUsize) {
    let mut held: Vec<TcpStream> = Vec::new();
    let deadline = Instant::now() + BOUND;
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        if let Ok((mut s, _)) = listener.accept() {
            let _ = s.set_nonblocking(false);
            let _ = s.set_read_timeout(Some(POLL));
            if greet {
                let _ = s.write_all(b"220 stall server ready\r\n");
            }
            held.push(s);
        }
        for s in held.iter_mut() {
            let mut buf = [0u8; 256];
            if let Ok(n) = s.read(&mut buf) {
                if n > 0 && buf[..n].contains(&b'\n') {
                    commands.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        std::thread::sleep(POLL);
    }
}

/// Runs tshark on `pcap`, failing loudly when it is missing or reports
/// a damaged file.
fn tshark_reads(pcap: &Path) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .output()
        .unwrap_or_else(|e| panic!("tshark is not installed ({e}): run scripts/install-peers.sh"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tshark on {}: {stderr}",
        pcap.display()
    );
    assert!(
        !stderr.contains("cut short"),
        "{}: {stderr}",
        pcap.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
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
    let server = StallServer::start(false);
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
    assert_ne!(result.verdict, Verdict::Pass, "{result:?}");
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

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Waits (bounded) until `ready` holds.
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + BOUND;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(POLL);
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
    let server = StallServer::start(true);
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
    wait_until("the first case's USER", || {
        server.commands.load(Ordering::SeqCst) >= 1
    });
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
