//! Nothing lost (docs/robustness.md): a case that panics inside a peer, a
//! real server's session process killed mid-case, a full disk for the
//! captures, and SIGINT or SIGTERM of `ftpconform run` each leave a
//! readable capture and a report that says what happened, and the run's
//! other cases go on.
//!
//! Everything is on 127.0.0.1; every wait is bounded; every process and
//! mount these tests make is undone on every exit path (by PID, and by a
//! guard that unmounts).

pub mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use ftpconform::capture::{read_pcap, PcapObserver};
use ftpconform::real::clients::{ClientRun, Task};
use ftpconform::real::servers::url::FtpUrl;
use ftpconform::runner::{run_client_with, run_in, Launch, Target};
use ftpconform::script::Case;
use ftpconform::timeline::{Event, EventKind, Observer, Side, Timeline};
use ftpconform::transcript::transcript;
use ftpconform::verdict::Verdict;
use support::mock_server::MockServer;
use support::mock_server::Step::*;
use support::suites::root;
use tokio::io::AsyncWriteExt;

/// Longest any wait in these tests may take.
const BOUND: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(20);

// ------------------------------------------------------------------ helpers

/// A case of a repository suite.
fn case(file: &str, id: &str) -> Case {
    let suite = ftpconform::suite::load_file(&root().join(file)).unwrap();
    suite.cases.into_iter().find(|c| c.id == id).unwrap()
}

/// The transcript of a capture (the capture must read back).
fn read_back(pcap: &Path, port: Option<u16>) -> String {
    let events = read_pcap(pcap, port).unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
    transcript(&events)
}

/// A timeline observer that panics once, when the fake peer sends a line
/// starting with `at`: a bug inside the peer, mid-case.
struct PanicAt {
    from: Side,
    at: &'static [u8],
    fired: bool,
}

impl Observer for PanicAt {
    fn observe(&mut self, _: SystemTime, event: &Event) {
        if let EventKind::Bytes { from, bytes, .. } = &event.kind {
            if !self.fired && *from == self.from && bytes.starts_with(self.at) {
                self.fired = true;
                panic!("injected: a bug in the peer while it sent {:?}", self.at);
            }
        }
    }
}

/// A timeline writing its capture to `pcap`, with a bug that panics the
/// peer playing `from` when it sends `at`.
fn bugged_timeline(pcap: &Path, from: Side, at: &'static [u8]) -> Timeline {
    let timeline = Timeline::new();
    timeline.add_observer(Box::new(PcapObserver::create(pcap).unwrap()));
    let bug = PanicAt {
        from,
        at,
        fired: false,
    };
    timeline.add_observer(Box::new(bug));
    timeline
}

/// A polite server for the smoke cases on every connection.
fn polite_server() -> MockServer {
    MockServer::every(vec![
        Reply("220 ready"),
        Expect("USER"),
        Reply("331 password"),
        Expect("PASS"),
        Reply("230 in"),
        Expect("NOOP"),
        Reply("200 ok"),
        Hold,
    ])
}

// ---------------------------------------------------------------- the panic

#[tokio::test(flavor = "multi_thread")]
async fn a_peer_that_panics_mid_case_leaves_a_capture_and_an_error_and_the_next_case_runs() {
    let server = polite_server();
    let url = format!("ftp://u:p@127.0.0.1:{}", server.addr.port());
    let endpoint = FtpUrl::parse(&url).unwrap().endpoint().unwrap();
    let login = case("suites/server/smoke.yaml", "user-pass-login");
    let dir = tempfile::tempdir().unwrap();

    // The fake client panics as it sends PASS.
    let pcap = dir.path().join("panicked.pcap");
    let timeline = bugged_timeline(&pcap, Side::Client, b"PASS");
    let target = Target::Server(&endpoint);
    let result = tokio::time::timeout(BOUND, run_in(&login, "server-smoke", target, &timeline))
        .await
        .expect("a verdict in time");
    timeline.finish();
    assert_eq!(result.verdict, Verdict::Error, "{result:#?}");
    let reason = result.reason.clone().unwrap_or_default();
    assert!(reason.contains("the case panicked: injected"), "{reason}");
    let report = ftpconform::report::table::render(std::slice::from_ref(&result));
    assert!(report.contains("panicked"), "{report}");
    let text = read_back(&pcap, Some(server.addr.port()));
    assert!(text.contains("C> USER"), "{text}");

    // The next case on the same runtime runs as if nothing happened.
    let next = run_in(&login, "server-smoke", target, &Timeline::new()).await;
    assert_eq!(next.verdict, Verdict::Pass, "{next:#?}");
}

/// A client that logs in and then hits a bug (panics) before RETR.
fn panicking_client() -> Launch {
    Box::new(move |task: Task| {
        Box::pin(async move {
            let mut ctl = tokio::net::TcpStream::connect(task.server).await.unwrap();
            ctl.write_all(b"USER anonymous\r\n").await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            panic!("injected: a bug in the client under test");
        })
    })
}

/// A client that does nothing (the case then fails).
fn idle_client() -> Launch {
    Box::new(|_task: Task| Box::pin(async { ClientRun::default() }))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_role_peer_that_panics_leaves_a_capture_and_an_error() {
    let get = case("suites/client/smoke.yaml", "passive-get");
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("client.pcap");
    // The client panics in its own code; the fake server, as it answers
    // the USER, has a bug of its own too: whichever comes first.
    let timeline = bugged_timeline(&pcap, Side::Server, b"331");
    let run = run_client_with(
        &get,
        "client-smoke",
        "bugged",
        panicking_client(),
        &timeline,
    );
    let result = tokio::time::timeout(BOUND, run).await.expect("in time");
    timeline.finish();
    assert_eq!(result.verdict, Verdict::Error, "{result:#?}");
    let reason = result.reason.clone().unwrap_or_default();
    assert!(reason.contains("panicked: injected"), "{reason}");
    let text = read_back(&pcap, None);
    assert!(text.contains("USER anonymous"), "{text}");

    let fresh = Timeline::new();
    let next = run_client_with(&get, "client-smoke", "idle", idle_client(), &fresh);
    let next = tokio::time::timeout(BOUND, next).await.expect("in time");
    assert!(
        matches!(next.verdict, Verdict::Fail | Verdict::Error),
        "{next:#?}"
    );
    assert!(!next.reason.unwrap_or_default().contains("panicked"));
}

// ------------------------------------------------- runs of the binary itself

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

/// What a run of `ftpconform run` left.
struct Left {
    code: Option<i32>,
    stderr: String,
    report: serde_json::Value,
}

impl Left {
    /// The report's entry for case `id`.
    fn case(&self, id: &str) -> &serde_json::Value {
        let cases = self.report["cases"]
            .as_array()
            .expect("cases in the report");
        let found = cases.iter().find(|c| c["id"] == id);
        found.unwrap_or_else(|| panic!("no {id} in {:#}", self.report))
    }

    /// The capture of case `id`, which must exist.
    fn capture(&self, id: &str) -> PathBuf {
        let path = self.case(id)["capture"].as_str();
        PathBuf::from(path.unwrap_or_else(|| panic!("{id} has no capture: {}", self.stderr)))
    }
}

/// `ftpconform run` with these arguments and a JSON report in `dir`.
fn spawn_run(dir: &Path, args: &[&str]) -> ChildGuard {
    let child = Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .current_dir(root())
        .args(["run", "--quiet"])
        .args(args)
        .arg("--report")
        .arg(format!("json={}", dir.join("report.json").display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    ChildGuard(child)
}

/// Waits (bounded) for the run to end and reads what it left.
fn finish_run(mut child: ChildGuard, dir: &Path) -> Left {
    let deadline = Instant::now() + BOUND;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the run did not end");
        std::thread::sleep(POLL);
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.0.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let report = std::fs::read(dir.join("report.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| panic!("no JSON report: {stderr}"));
    Left {
        code: status.code(),
        stderr,
        report,
    }
}

/// `run` of the smoke suite's `greeting-then-quit` then `user-pass-login`
/// against `server`, captures under `caps`. One case after the other: the
/// mock server hands its scripts out in connection order.
fn spawn_smoke_pair(dir: &Path, server: &MockServer, caps: &Path) -> ChildGuard {
    let url = format!("ftp://u:p@127.0.0.1:{}", server.addr.port());
    let args = [
        "--server",
        &url,
        "--suite",
        "suites/server/smoke.yaml",
        "--case",
        "greeting-then-quit",
        "--case",
        "user-pass-login",
        "--jobs",
        "1",
        "--capture-dir",
        caps.to_str().unwrap(),
    ];
    spawn_run(dir, &args)
}

// ------------------------------------------------------- SIGINT and SIGTERM

#[test]
fn sigint_and_sigterm_keep_finished_cases_and_record_the_one_in_flight() {
    for (signal, name, code) in [
        (libc::SIGINT, "SIGINT", 130),
        (libc::SIGTERM, "SIGTERM", 143),
    ] {
        let server = MockServer::scripts(vec![
            vec![Reply("220 probe")],
            vec![Reply("220 ready"), Expect("QUIT"), Reply("221 bye"), Close],
            vec![Reply("220 ready"), Expect("USER"), Mark, Hold],
        ]);
        let dir = tempfile::tempdir().unwrap();
        let caps = dir.path().join("caps");
        let child = spawn_smoke_pair(dir.path(), &server, &caps);
        server.wait_for_marks(1, BOUND);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            unsafe { libc::kill(child.0.id() as libc::pid_t, signal) },
            0
        );
        let left = finish_run(child, dir.path());
        assert_eq!(left.code, Some(code), "{name}: {}", left.stderr);
        assert!(
            left.stderr.contains(&format!("interrupted by {name}")),
            "{}",
            left.stderr
        );

        // The case that finished keeps its verdict and capture.
        assert_eq!(left.case("greeting-then-quit")["verdict"], "pass");
        let done = read_back(
            &left.capture("greeting-then-quit"),
            Some(server.addr.port()),
        );
        assert!(done.contains("C> QUIT"), "{done}");
        // The one in flight is recorded as interrupted, with its capture.
        let cut = left.case("user-pass-login");
        assert_eq!(cut["verdict"], "error", "{cut:#}");
        let reason = cut["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains(&format!("interrupted by {name}")),
            "{reason}"
        );
        let text = read_back(&left.capture("user-pass-login"), Some(server.addr.port()));
        assert!(text.contains("C> USER"), "{name}: {text}");
    }
}

// ---------------------------------------------------------------- full disk

/// A tmpfs of `size` mounted on a fresh folder, unmounted when dropped
/// (also when the test fails).
struct TinyDisk {
    dir: tempfile::TempDir,
}

impl TinyDisk {
    fn mount(size: &str) -> Result<TinyDisk, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        match out.status.success() {
            true => Ok(TinyDisk { dir }),
            false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// A 100,000-line multiline reply: about 400 KB, far more than the disk.
fn huge_reply() -> &'static [u8] {
    let mut r = b"200-start\r\n".to_vec();
    for _ in 0..100_000 {
        r.extend_from_slice(b" x\r\n");
    }
    r.extend_from_slice(b"200 end\r\n");
    Box::leak(r.into_boxed_slice())
}

#[test]
fn a_full_disk_cuts_the_capture_to_whole_records_and_the_report_says_so() {
    // Root only (mount): CI and the development machine run as root.
    let disk = match TinyDisk::mount("64k") {
        Ok(d) => d,
        Err(why) => panic!("cannot mount a tmpfs (this test needs root): {why}"),
    };
    let server = MockServer::scripts(vec![
        vec![Reply("220 probe")],
        vec![Reply("220 ready"), Expect("QUIT"), Reply("221 bye"), Close],
        vec![
            Reply("220 ready"),
            Expect("USER"),
            Reply("331 password"),
            Expect("PASS"),
            Reply("230 in"),
            Expect("NOOP"),
            Send(huge_reply()),
            Hold,
        ],
    ]);
    let dir = tempfile::tempdir().unwrap();
    let child = spawn_smoke_pair(dir.path(), &server, disk.path());
    let left = finish_run(child, dir.path());
    assert_eq!(left.code, Some(0), "{}", left.stderr);
    let port = Some(server.addr.port());
    // The small capture, written first, is whole.
    let first = read_back(&left.capture("greeting-then-quit"), port);
    assert!(first.contains("C> QUIT"), "{first}");
    // The big one hit the full disk: it keeps whole records only, and the
    // report says the capture was cut and why.
    let big = left.case("user-pass-login");
    assert_eq!(big["verdict"], "pass", "{big:#}");
    let notes = big["notes"].to_string();
    eprintln!("{notes}");
    assert!(notes.contains("capture cut short"), "{notes}");
    assert!(notes.contains("No space left on device"), "{notes}");
    let cut = read_back(&left.capture("user-pass-login"), port);
    assert!(cut.contains("C> USER"), "{cut}");
    assert!(left.stderr.contains("cut short"), "{}", left.stderr);
    drop(disk);
}

// ------------------------------------------------- a killed server process

/// Every process's parent, from /proc.
fn parents() -> Vec<(i32, i32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
        let Some((head, tail)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map_or("", |(_, c)| c).to_string();
        let ppid = tail.split_whitespace().nth(1).and_then(|p| p.parse().ok());
        if let Some(ppid) = ppid {
            out.push((pid, ppid, comm));
        }
    }
    out
}

/// The processes below `root` (children, their children...).
fn descendants(root: i32) -> Vec<(i32, String)> {
    let all = parents();
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, ppid, comm) in &all {
            if *ppid == p {
                found.push((*pid, comm.clone()));
                frontier.push(*pid);
            }
        }
    }
    found
}

const KILLED_SUITE: &str = "\
suite: killed
role: server
defaults:
  level: must
  timeout: 5s
cases:
  - id: session-killed
    title: the server's session process is killed after the login
    steps:
      - login
      - sleep: 3s
      - send: NOOP
        expect: 200
  - id: next-session
    title: the next case gets a new session
    steps:
      - login
      - send: NOOP
        expect: 200
";

#[test]
fn a_killed_vsftpd_session_fails_its_case_and_the_next_case_runs() {
    if !Path::new("/usr/sbin/vsftpd").exists() {
        panic!("vsftpd is not installed: run scripts/install-peers.sh");
    }
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("killed.yaml");
    std::fs::write(&suite, KILLED_SUITE).unwrap();
    let caps = dir.path().join("caps");
    let child = spawn_run(
        dir.path(),
        &[
            "--server",
            "vsftpd",
            "--suite",
            suite.to_str().unwrap(),
            "--capture-dir",
            caps.to_str().unwrap(),
        ],
    );
    // The first case's capture shows the login (230) once the session is
    // in its sleep: then vsftpd's session processes (below its listener,
    // itself a child of the run) are killed.
    let pcap = caps.join("vsftpd/killed/session-killed.pcap");
    let deadline = Instant::now() + BOUND;
    while !std::fs::read(&pcap).is_ok_and(|b| b.windows(4).any(|w| w == b"230 ")) {
        assert!(Instant::now() < deadline, "the first case never logged in");
        std::thread::sleep(POLL);
    }
    let run = child.0.id() as i32;
    let below = descendants(run);
    // The listener: the vsftpd whose parent is not a vsftpd.
    let all = parents();
    let parent_comm = |pid: i32| {
        let ppid = all.iter().find(|p| p.0 == pid).map(|p| p.1);
        all.iter().find(|p| Some(p.0) == ppid).map(|p| p.2.clone())
    };
    let listener = below
        .iter()
        .find(|(pid, comm)| comm == "vsftpd" && parent_comm(*pid).as_deref() != Some("vsftpd"));
    let (listener, _) = listener.unwrap_or_else(|| panic!("no vsftpd under the run: {below:?}"));
    let sessions = descendants(*listener);
    assert!(!sessions.is_empty(), "no session process below vsftpd");
    for (pid, _) in &sessions {
        unsafe { libc::kill(*pid, libc::SIGKILL) };
    }
    let left = finish_run(child, dir.path());
    assert_eq!(left.code, Some(1), "{}", left.stderr);
    let killed = left.case("session-killed");
    eprintln!("{:#}", killed["violations"]);
    assert_eq!(killed["verdict"], "fail", "{killed:#}");
    let said = killed["violations"].to_string();
    assert!(
        said.contains("NOOP") || said.contains("closed") || said.contains("reset"),
        "{said}"
    );
    let text = read_back(&left.capture("session-killed"), None);
    assert!(text.contains("230"), "{text}");
    assert_eq!(
        left.case("next-session")["verdict"],
        "pass",
        "{:#}",
        left.report
    );
}
