//! Never a weapon (docs/robustness.md): the fake server connects to no
//! address but its client's, and to no privileged port; the fake client
//! sends no PORT or EPRT naming a host outside loopback, whatever a
//! variable holds; `run --server` asks for `--allow-remote` before it
//! sends anything to a host outside loopback.
//!
//! Where tcpdump can watch (root, tcpdump installed), each test also
//! proves on the wire that no SYN left: a capture on `any` (loopback
//! included) filtered on the refused addresses sees none, and then sees
//! the one SYN the test sends itself, which shows the watch works.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ftpconform::real::clients::{ClientRun, Task};
use ftpconform::real::servers::url::FtpUrl;
use ftpconform::runner::{run_case_events, run_client_with, Launch, Target};
use ftpconform::suite;
use ftpconform::timeline::{ConnRole, Event, EventKind, Timeline};
use ftpconform::verdict::Verdict;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A documentation address (RFC 5737 TEST-NET-1), never routed: the
/// stand-in for a host outside loopback.
const OUTSIDE: &str = "192.0.2.1";
/// A privileged port nothing here listens on.
const PRIVILEGED: u16 = 1001;
const WAIT: Duration = Duration::from_secs(5);

// ------------------------------------------------------------ SYN watch

/// tcpdump on `any`, printing one line per SYN matching a filter.
struct SynWatch {
    child: Child,
}

impl SynWatch {
    /// Starts watching, or says why it cannot (then the tests rely on the
    /// timeline and on listeners alone).
    fn start(filter: &str) -> Option<SynWatch> {
        let is_root = unsafe { libc::geteuid() } == 0;
        if !is_root {
            eprintln!("no SYN watch: tcpdump needs root");
            return None;
        }
        let syn =
            format!("tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0 and ({filter})");
        let mut child = Command::new("tcpdump")
            .args(["-i", "any", "-n", "-l", "-U", &syn])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| eprintln!("no SYN watch: tcpdump: {e}"))
            .ok()?;
        // tcpdump says "listening on any" once its filter is in place.
        let stderr = child.stderr.take()?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains("listening on") {
                    let _ = tx.send(());
                }
            }
        });
        let mut watch = SynWatch { child };
        match rx.recv_timeout(WAIT) {
            Ok(()) => Some(watch),
            Err(_) => {
                watch.stop();
                panic!("tcpdump did not start listening within {WAIT:?}");
            }
        }
    }

    /// Stops tcpdump (SIGINT, by its PID) and returns the SYN lines seen.
    fn stop(&mut self) -> Vec<String> {
        // Let the kernel hand over the last packets first.
        std::thread::sleep(Duration::from_millis(300));
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let mut out = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            use std::io::Read;
            let _ = stdout.read_to_string(&mut out);
        }
        let _ = self.child.wait();
        out.lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// Connects to `addr` once, so that the watch has a SYN to see.
async fn knock(addr: SocketAddr) {
    let _ = tokio::time::timeout(WAIT, TcpStream::connect(addr)).await;
}

/// What the watch saw: nothing before the knock, the knock after it.
async fn assert_no_syn_then_knock(watch: Option<SynWatch>, knock_at: SocketAddr) {
    let Some(mut watch) = watch else { return };
    knock(knock_at).await;
    let seen = watch.stop();
    assert_eq!(seen.len(), 1, "only the test's own SYN: {seen:#?}");
    assert!(seen[0].contains(&knock_at.port().to_string()), "{seen:#?}");
}

// ------------------------------------------------- the fake server side

/// A client-role case for the fake server: the client downloads a.txt
/// in active mode.
fn active_case() -> ftpconform::script::Case {
    let text = "role: client\ncases:\n  - id: active-get\n    title: T\n    timeout: 5\n    client: {op: get, path: a.txt, mode: active}\n    files: {a.txt: \"hi\\n\"}\n";
    let mut suite = suite::load_str(Path::new("weapon.yaml"), text).expect("the case loads");
    suite.cases.remove(0)
}

/// Sends `line` and reads the reply's last line.
async fn command(
    r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: &mut tokio::net::tcp::OwnedWriteHalf,
    line: &str,
) -> std::io::Result<String> {
    if !line.is_empty() {
        w.write_all(format!("{line}\r\n").as_bytes()).await?;
    }
    loop {
        let mut reply = String::new();
        if r.read_line(&mut reply).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if reply.as_bytes().get(3) == Some(&b' ') {
            return Ok(reply.trim_end().to_string());
        }
    }
}

/// A hostile client: logs in, then sends each of `lines`, keeping the
/// replies.
fn hostile_client(lines: Vec<String>, replies: Arc<Mutex<Vec<String>>>) -> Launch {
    Box::new(move |task: Task| {
        Box::pin(async move {
            let talk = async {
                let (r, mut w) = TcpStream::connect(task.server).await?.into_split();
                let mut r = BufReader::new(r);
                command(&mut r, &mut w, "").await?;
                for line in ["USER anonymous", "PASS x"]
                    .iter()
                    .map(|l| l.to_string())
                    .chain(lines)
                {
                    let reply = command(&mut r, &mut w, &line).await?;
                    replies.lock().unwrap().push(format!("{line} -> {reply}"));
                }
                std::io::Result::Ok(())
            };
            let outcome = tokio::time::timeout(task.deadline, talk).await;
            ClientRun {
                success: matches!(outcome, Ok(Ok(()))),
                stderr: format!("{outcome:?}"),
                ..ClientRun::default()
            }
        })
    })
}

/// Connections the fake server opened or tried to open, other than control.
fn data_attempts(events: &[Event]) -> Vec<&EventKind> {
    let attempt = |e: &&Event| match &e.kind {
        EventKind::Opened { role, .. } => *role != ConnRole::Control,
        EventKind::ConnectFailed { .. } => true,
        _ => false,
    };
    events.iter().filter(attempt).map(|e| &e.kind).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn fake_server_refuses_port_and_eprt_to_third_parties_and_privileged_ports_without_a_syn() {
    // The third party: a listener on 127.0.0.2 that must see no connection.
    let third = TcpListener::bind("127.0.0.2:0").await.unwrap();
    let at = third.local_addr().unwrap();
    let watch = SynWatch::start(&format!(
        "(dst host 127.0.0.2 and dst port {}) or dst host {OUTSIDE} or (dst host 127.0.0.1 and dst port {PRIVILEGED})",
        at.port()
    ));
    let (p1, p2) = (at.port() >> 8, at.port() & 255);
    let (q1, q2) = (PRIVILEGED >> 8, PRIVILEGED & 255);
    let refused = [
        (format!("PORT 127,0,0,2,{p1},{p2}"), "501"),
        (format!("EPRT |1|127.0.0.2|{}|", at.port()), "501"),
        (
            format!("PORT {},{p1},{p2}", OUTSIDE.replace('.', ",")),
            "501",
        ),
        (format!("EPRT |1|{OUTSIDE}|{}|", at.port()), "501"),
        (format!("EPRT |2|::1|{}|", at.port()), "501"),
        (format!("PORT 127,0,0,1,{q1},{q2}"), "504"),
        (format!("EPRT |1|127.0.0.1|{PRIVILEGED}|"), "504"),
    ];
    let mut lines: Vec<String> = refused.iter().map(|(l, _)| l.clone()).collect();
    lines.extend(["RETR a.txt".to_string(), "QUIT".to_string()]);
    let replies = Arc::new(Mutex::new(Vec::new()));
    let timeline = Timeline::new();
    let launch = hostile_client(lines, replies.clone());
    run_client_with(&active_case(), "weapon", "hostile", launch, &timeline).await;

    let replies = replies.lock().unwrap().clone();
    assert_eq!(replies.len(), 2 + refused.len() + 2, "{replies:#?}");
    for ((line, code), got) in refused.iter().zip(&replies[2..]) {
        assert!(got.starts_with(&format!("{line} -> {code} ")), "{got}");
    }
    // Nothing was negotiated, so the transfer has no data connection.
    assert!(
        replies[2 + refused.len()].contains("-> 425 "),
        "{replies:#?}"
    );
    let events = timeline.events();
    assert_eq!(data_attempts(&events), Vec::<&EventKind>::new());
    let accepted = tokio::time::timeout(Duration::from_millis(300), third.accept()).await;
    assert!(
        accepted.is_err(),
        "the third party was reached: {accepted:?}"
    );
    assert_no_syn_then_knock(watch, at).await;
}

// ------------------------------------------------- the fake client side

/// A server that greets, logs anyone in, answers 200 to the rest, and
/// keeps every line it reads.
async fn recording_server() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let seen = lines.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                let _ = w.write_all(b"220 ready\r\n").await;
                let mut line = String::new();
                while matches!(r.read_line(&mut line).await, Ok(n) if n > 0) {
                    let reply: &[u8] = match line.get(..4).map(str::to_ascii_uppercase).as_deref() {
                        Some("USER") => b"331 password\r\n",
                        Some("PASS") => b"230 in\r\n",
                        Some("QUIT") => b"221 bye\r\n",
                        _ => b"200 ok\r\n",
                    };
                    seen.lock().unwrap().push(line.trim_end().to_string());
                    let _ = w.write_all(reply).await;
                    line.clear();
                }
            });
        }
    });
    (addr, lines)
}

/// Runs the server-role case `steps` against a recording server and
/// returns the verdict, its reason and the lines the server read.
async fn run_steps(steps: &str) -> (Verdict, String, Vec<String>) {
    let (server, lines) = recording_server().await;
    let text = format!(
        "role: server\ncases:\n  - id: c\n    title: T\n    timeout: 5\n    steps:\n      - login\n{steps}"
    );
    let suite = suite::load_str(Path::new("weapon.yaml"), &text).expect("the case loads");
    let endpoint = FtpUrl::parse(&format!("ftp://u:p@{server}"))
        .unwrap()
        .endpoint()
        .unwrap();
    let target = Target::Server(&endpoint);
    let (result, _) = run_case_events(&suite, &suite.cases[0], target, None).await;
    let lines = lines.lock().unwrap().clone();
    (result.verdict, result.reason.unwrap_or_default(), lines)
}

#[tokio::test(flavor = "multi_thread")]
async fn fake_client_refuses_a_port_or_eprt_whose_variable_names_a_host_outside_loopback() {
    // The loader cannot see through `${host}`; the send path must.
    let port = format!(
        "      - set: {{var: host, value: \"{}\"}}\n      - {{send: \"PORT ${{host}},4,1\", expect: 200}}\n",
        OUTSIDE.replace('.', ",")
    );
    let eprt = format!(
        "      - set: {{var: host, value: \"{OUTSIDE}\"}}\n      - {{send: \"EPRT |1|${{host}}|1025|\", expect: 200}}\n"
    );
    for steps in [port, eprt] {
        let (verdict, reason, lines) = run_steps(&steps).await;
        assert_eq!(verdict, Verdict::Error, "{reason}");
        assert!(
            reason.contains("network safety") && reason.contains(OUTSIDE),
            "{reason}"
        );
        assert!(!reason.contains('\n'), "{reason}");
        assert_eq!(
            lines,
            ["USER u", "PASS p"],
            "only the login reached the server"
        );
    }
    // A loopback host in the same variable is sent as usual.
    let steps = "      - set: {var: host, value: \"127,0,0,1\"}\n      - {send: \"PORT ${host},4,1\", expect: 200}\n";
    let (verdict, reason, lines) = run_steps(steps).await;
    assert_eq!(verdict, Verdict::Pass, "{reason}");
    assert!(
        lines.contains(&"PORT 127,0,0,1,4,1".to_string()),
        "{lines:?}"
    );
}

#[test]
fn loader_refuses_a_raw_port_hidden_behind_telnet_commands() {
    let text = "role: server\ncases:\n  - id: raw-port\n    title: T\n    steps:\n      - raw: \"\\xff\\xf4\\xff\\xf2PORT 192,0,2,1,0,21\\r\\n\"\n";
    let errors = suite::load_str(Path::new("weapon.yaml"), text).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        shown
            .iter()
            .any(|e| e.contains("192.0.2.1 is not loopback")),
        "{shown:#?}"
    );
}

// ------------------------------------------------------------ the CLI gate

fn ftpconform(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// Runs the binary in a network namespace of its own (`unshare --net`: only
/// a loopback that is down, joined to nothing, gone when the process ends),
/// so that even a broken gate could not send a packet to a host outside.
fn ftpconform_isolated(args: &[&str]) -> std::process::Output {
    Command::new("unshare")
        .arg("--net")
        .arg(env!("CARGO_BIN_EXE_ftpconform"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("unshare runs (the tests run as root)")
}

#[tokio::test(flavor = "multi_thread")]
async fn run_against_a_host_outside_loopback_asks_for_allow_remote_before_sending_anything() {
    // Isolated: a gate that let the run through would end in "network is
    // unreachable" (and exit 2 with another message) instead of a packet
    // leaving the machine; the message asked for is the gate's own.
    let started = Instant::now();
    let url = format!("ftp://{OUTSIDE}:2121");
    let out = tokio::task::spawn_blocking(move || ftpconform_isolated(&["run", "--server", &url]))
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("--allow-remote") && err.contains(OUTSIDE),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "no case ran: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        started.elapsed() < WAIT,
        "no connect was tried: {:?}",
        started.elapsed()
    );
}

#[test]
fn allow_remote_leaves_loopback_targets_as_they_were() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("ftp://127.0.0.1:{port}");
    let out = ftpconform(&["run", "--server", &url, "--allow-remote"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("refused") && !err.contains("--allow-remote"),
        "{err}"
    );
}
