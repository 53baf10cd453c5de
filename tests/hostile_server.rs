//! Hostile servers against the fake client (docs/robustness.md): each
//! scripted server below misbehaves in one way, and `ftpconform run`
//! against it must end in failing verdicts inside its timeout: never a
//! harness error (exit 2), a panic or a hang, with its memory bounded
//! (the peak RSS of the run is measured and printed).
//!
//! A server is a greeting (a list of acts) and a reply function from each
//! command line read to more acts. Everything listens on 127.0.0.1 and
//! stops with the test; every read and wait is bounded.

#[path = "support/noise.rs"]
mod noise;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One thing a hostile server does on a connection.
#[derive(Clone)]
enum Act {
    Send(Vec<u8>),
    /// The bytes, one write per byte, each after this pause.
    Drip(Vec<u8>, Duration),
    /// The same bytes written this many times.
    Repeat(Vec<u8>, usize),
    /// Abortive close: SO_LINGER 0, so the kernel sends a RST.
    Reset,
    /// Orderly close (FIN).
    Close,
    /// Keeps the connection open, silent, this long.
    Hold(Duration),
    /// Half-close: FIN on the way out, the connection still read.
    HalfClose,
    /// Connects to the address of the last PORT this many times, writes
    /// the bytes on each connection and closes them (FIN).
    DialPort(usize, Vec<u8>),
}

use Act::*;

fn send(s: &str) -> Act {
    Send(s.as_bytes().to_vec())
}

/// What the server answers a command line with (the line has no CRLF).
type Answer = fn(&str) -> Vec<Act>;

/// A server that logs anyone in and answers 200 to the rest.
fn polite(line: &str) -> Vec<Act> {
    let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
    vec![match verb.as_str() {
        "USER" => send("331 password\r\n"),
        "PASS" => send("230 in\r\n"),
        "QUIT" => return vec![send("221 bye\r\n"), Close],
        _ => send("200 ok\r\n"),
    }]
}

/// Polite, but PASV gets `reply`.
fn pasv_with(line: &str, reply: &str) -> Vec<Act> {
    if line.eq_ignore_ascii_case("PASV") {
        vec![send(reply)]
    } else {
        polite(line)
    }
}

/// Reads and never answers (a server whose writing side is gone).
fn silent(_: &str) -> Vec<Act> {
    Vec::new()
}

/// Polite, but EPSV gets `reply`.
fn epsv_with(line: &str, reply: &str) -> Vec<Act> {
    if line.eq_ignore_ascii_case("EPSV") {
        vec![send(reply)]
    } else {
        polite(line)
    }
}

/// Polite, but LIST and RETR get `acts`.
fn transfer_with(line: &str, acts: Vec<Act>) -> Vec<Act> {
    match line.get(..4).map(str::to_ascii_uppercase).as_deref() {
        Some("LIST" | "RETR") => acts,
        _ => polite(line),
    }
}

/// A running hostile server; stops when dropped.
struct Hostile {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Hostile {
    /// Serves control connections; with `data`, also a data listener
    /// that PASV names and whose connections get the `data` acts.
    fn start(greeting: Vec<Act>, answer: Answer, data: Option<Vec<Act>>) -> Hostile {
        let stop = Arc::new(AtomicBool::new(false));
        let data_at = data.map(|acts| {
            let (at, thread) = serve(stop.clone(), move |mut stream, flag| {
                let _ = stream.set_nonblocking(false);
                let _ = play(&mut stream, &acts, None, flag);
            });
            (at, thread)
        });
        let pasv = data_at.as_ref().map(|(at, _)| *at);
        let (addr, control) = serve(stop.clone(), move |stream, flag| {
            let _ = session(stream, &greeting, answer, pasv, flag);
        });
        let mut threads = vec![control];
        threads.extend(data_at.map(|(_, t)| t));
        Hostile {
            addr,
            stop,
            threads,
        }
    }
}

/// Accepts connections on 127.0.0.1 until `stop`, each handled by `handle`
/// in its own thread.
fn serve(
    stop: Arc<AtomicBool>,
    handle: impl Fn(TcpStream, &AtomicBool) + Clone + std::marker::Send + 'static,
) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        let mut sessions = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let (handle, stop) = (handle.clone(), stop.clone());
                    sessions.push(std::thread::spawn(move || handle(stream, &stop)));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        for s in sessions {
            let _ = s.join();
        }
    });
    (addr, thread)
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Plays the acts (`port`: the address of the last PORT read, if any);
/// `Ok(false)` when the connection is gone.
fn play(
    stream: &mut TcpStream,
    acts: &[Act],
    port: Option<SocketAddr>,
    stop: &AtomicBool,
) -> std::io::Result<bool> {
    for act in acts {
        if stop.load(Ordering::Relaxed) {
            return Ok(false);
        }
        match act {
            Send(b) => stream.write_all(b)?,
            Drip(b, pause) => {
                for byte in b {
                    if stop.load(Ordering::Relaxed) {
                        return Ok(false);
                    }
                    stream.write_all(&[*byte])?;
                    std::thread::sleep(*pause);
                }
            }
            Repeat(b, n) => {
                for _ in 0..*n {
                    stream.write_all(b)?;
                }
            }
            Reset => {
                reset(stream);
                return Ok(false);
            }
            Close => {
                stream.shutdown(std::net::Shutdown::Both)?;
                return Ok(false);
            }
            Hold(d) => {
                let until = Instant::now() + *d;
                while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            HalfClose => stream.shutdown(std::net::Shutdown::Write)?,
            DialPort(n, bytes) => dial(port, *n, bytes),
        }
    }
    Ok(true)
}

/// Connects `n` times to `port` (bounded), writes `bytes` on each and
/// closes them in turn.
fn dial(port: Option<SocketAddr>, n: usize, bytes: &[u8]) {
    let Some(at) = port else { return };
    let conns: Vec<TcpStream> = (0..n)
        .filter_map(|_| TcpStream::connect_timeout(&at, Duration::from_secs(1)).ok())
        .collect();
    for mut c in conns {
        let _ = c.write_all(bytes);
    }
}

/// SO_LINGER with a zero timeout: dropping the socket sends a RST.
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "SO_LINGER");
}

/// One connection: the greeting, then an answer to each line read, until
/// the client leaves, an act ends the connection, or the test stops.
fn session(
    mut stream: TcpStream,
    greeting: &[Act],
    answer: Answer,
    pasv: Option<SocketAddr>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_millis(100)))?;
    if !play(&mut stream, greeting, None, stop)? {
        return Ok(());
    }
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    let mut port = None;
    while !stop.load(Ordering::Relaxed) {
        match reader.read_line(&mut line) {
            Ok(0) => return Ok(()),
            Ok(_) if line.ends_with('\n') => {
                if let Some(arg) = line.trim_end().strip_prefix("PORT ") {
                    port = ftpconform::wire::addr::parse_port(arg)
                        .ok()
                        .map(SocketAddr::V4);
                }
                let acts = match pasv {
                    Some(SocketAddr::V4(at)) if line.trim_end().eq_ignore_ascii_case("PASV") => {
                        let text = ftpconform::wire::addr::encode_pasv_reply(
                            at,
                            ftpconform::wire::addr::PasvShape::Standard,
                        );
                        vec![Send(format!("227 {text}\r\n").into_bytes())]
                    }
                    _ => answer(line.trim_end()),
                };
                line.clear();
                if !play(&mut stream, &acts, port, stop)? {
                    return Ok(());
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// What one run against a hostile server gave.
struct Outcome {
    status: Option<i32>,
    /// `verdict (first rule)` per case.
    verdicts: Vec<String>,
    elapsed: Duration,
    peak_rss_kb: i64,
    stderr: String,
    /// Bytes the server sent that the fake client read, by its captures.
    server_bytes: u64,
}

/// The suite file of a `suite::case` name.
fn suite_file(case: &str) -> String {
    match case.split("::").next() {
        Some("server-smoke") | None => "suites/server/smoke.yaml".into(),
        Some(suite) => format!("suites/server/{suite}.yaml"),
    }
}

/// `ftpconform run` of `case` (`suite::case`) against `server`, with its
/// peak RSS read from wait4.
fn run_against(server: &Hostile, case: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .args(["run", "--quiet", "--server"])
        .arg(format!("ftp://u:p@{}", server.addr))
        .arg("--suite")
        .arg(suite_file(case))
        .args(["--case", case])
        .arg("--report")
        .arg(format!("json={}", json.display()))
        .arg("--capture-dir")
        .arg(dir.path().join("caps"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (status, peak_rss_kb, stderr) = wait_with_rusage(child);
    let elapsed = started.elapsed();
    if std::env::var_os("HOSTILE_JSON").is_some() {
        eprintln!("{}", std::fs::read_to_string(&json).unwrap_or_default());
    }
    let server_bytes = server_bytes_read(&dir.path().join("caps"), server.addr.port());
    let verdicts = std::fs::read(&json)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .map(|v| case_verdicts(&v))
        .unwrap_or_default();
    Outcome {
        status,
        verdicts,
        elapsed,
        peak_rss_kb,
        stderr,
        server_bytes,
    }
}

/// The server's bytes in every capture under `dir` (read back from the
/// pcaps, the control port `port`).
fn server_bytes_read(dir: &std::path::Path, port: u16) -> u64 {
    let mut total = 0;
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "pcap") {
                let events = ftpconform::capture::read_pcap(&path, Some(port))
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                total += events
                    .iter()
                    .map(|e| match &e.kind {
                        ftpconform::timeline::EventKind::Bytes {
                            from: ftpconform::timeline::Side::Server,
                            len,
                            ..
                        } => *len,
                        _ => 0,
                    })
                    .sum::<u64>();
            }
        }
    }
    total
}

fn case_verdicts(report: &serde_json::Value) -> Vec<String> {
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    cases
        .iter()
        .map(|c| {
            let rule = c["violations"][0]["rule"].as_str().unwrap_or("-");
            format!("{} ({rule})", c["verdict"].as_str().unwrap_or("?"))
        })
        .collect()
}

/// Waits for the child (bounded: the harness's own timeouts end it; a
/// backstop kills it by PID after 60 s) and returns its exit status, its
/// peak RSS in KiB and its stderr.
fn wait_with_rusage(mut child: std::process::Child) -> (Option<i32>, i64, String) {
    let pid = child.id() as libc::pid_t;
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let backstop = std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until && !flag.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if !flag.load(Ordering::Relaxed) {
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    done.store(true, Ordering::Relaxed);
    let _ = backstop.join();
    assert_eq!(waited, pid, "wait4");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, usage.ru_maxrss, reader.join().unwrap())
}

/// A hostile behaviour, the smoke case it is tried with, and its server.
struct Hostility {
    name: &'static str,
    case: &'static str,
    greeting: Vec<Act>,
    answer: Answer,
    /// Acts on each data connection (PASV then names its listener).
    data: Option<Vec<Act>>,
    /// Odd but conforming: the client must accept it (the case passes).
    harmless: bool,
}

fn corpus() -> Vec<Hostility> {
    let greet = "server-smoke::greeting-then-quit";
    let login = "server-smoke::user-pass-login";
    let pasv = "server-smoke::pasv-list";
    let epsv = "rfc2428-extended::epsv-list";
    let active = "rfc959-transfers::retr-active-port";
    let ok = || send("220 ok\r\n");
    let random = noise::random_bytes(0x9e37_79b9, 4096);
    vec![
        Hostility {
            name: "random bytes for a greeting, then silence",
            case: greet,
            greeting: vec![Send(random.clone()), Hold(Duration::from_secs(30))],
            answer: polite,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "random bytes for a greeting, then a reset",
            case: greet,
            greeting: vec![Send(random), Reset],
            answer: polite,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "reset mid-greeting",
            case: greet,
            greeting: vec![send("220 hel"), Reset],
            answer: polite,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "reset before any byte",
            case: greet,
            greeting: vec![Reset],
            answer: polite,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "close before any byte",
            case: greet,
            greeting: vec![Close],
            answer: polite,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "NUL bytes for a greeting",
            case: greet,
            greeting: vec![
                Send(b"\0\0\0\0\r\n".to_vec()),
                Hold(Duration::from_secs(30)),
            ],
            answer: polite,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "a 1 MiB greeting line without CRLF",
            case: greet,
            greeting: vec![
                send("220 "),
                Repeat(vec![b'a'; 1024], 1024),
                Hold(Duration::from_secs(30)),
            ],
            answer: polite,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "a multiline greeting that never ends",
            case: greet,
            greeting: vec![
                send("220-hello\r\n"),
                Repeat(b" more\r\n".to_vec(), 2_000_000),
            ],
            answer: polite,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "Telnet IAC flood before the greeting",
            case: greet,
            greeting: vec![Repeat(b"\xff\xfb\x01".to_vec(), 100_000), ok()],
            answer: polite,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "reset after 150 replies to USER (a flood of unsolicited replies)",
            case: login,
            greeting: vec![ok(), Repeat(b"200 unasked\r\n".to_vec(), 10_000)],
            answer: |line| match polite(line).as_slice() {
                [Send(b)] if b.starts_with(b"331") => vec![Reset],
                other => other.to_vec(),
            },
            data: None,
            harmless: false,
        },
        Hostility {
            name: "reset mid-reply to PASS",
            case: login,
            greeting: vec![ok()],
            answer: |line| match line.get(..4) {
                Some("PASS") => vec![send("23"), Reset],
                _ => polite(line),
            },
            data: None,
            harmless: false,
        },
        Hostility {
            name: "227 with an octet above 255",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| pasv_with(l, "227 Entering Passive Mode (127,0,0,300,4,1)\r\n"),
            data: None,
            harmless: false,
        },
        Hostility {
            name: "227 naming port 0",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| pasv_with(l, "227 Entering Passive Mode (127,0,0,1,0,0)\r\n"),
            data: None,
            harmless: false,
        },
        Hostility {
            name: "227 naming a port above 65535",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| pasv_with(l, "227 Entering Passive Mode (127,0,0,1,256,1)\r\n"),
            data: None,
            harmless: false,
        },
        Hostility {
            name: "227 with negative numbers",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| pasv_with(l, "227 Entering Passive Mode (127,0,0,-1,4,-1)\r\n"),
            data: None,
            harmless: false,
        },
        Hostility {
            name: "every byte of every reply in its own segment",
            case: login,
            greeting: vec![Drip(b"220 ok\r\n".to_vec(), Duration::from_millis(2))],
            answer: |line| {
                let acts = polite(line);
                let bytes = match acts.first() {
                    Some(Send(b)) => b.clone(),
                    _ => return acts,
                };
                vec![Drip(bytes, Duration::from_millis(2))]
            },
            data: None,
            harmless: true,
        },
        Hostility {
            name: "slowloris greeting: a byte every 250 ms",
            case: greet,
            greeting: vec![Drip(
                b"220 hello there, slowly\r\n".to_vec(),
                Duration::from_millis(250),
            )],
            answer: polite,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "a 100,000-line multiline reply to NOOP",
            case: login,
            greeting: vec![ok()],
            answer: |line| match line {
                "NOOP" => vec![
                    send("200-start\r\n"),
                    Repeat(b" x\r\n".to_vec(), 100_000),
                    send("200 end\r\n"),
                ],
                _ => polite(line),
            },
            data: None,
            harmless: true,
        },
        Hostility {
            name: "a multiline reply to NOOP that never ends",
            case: login,
            greeting: vec![ok()],
            answer: |line| match line {
                "NOOP" => vec![
                    send("200-start\r\n"),
                    Repeat(b" more\r\n".to_vec(), 2_000_000),
                ],
                _ => polite(line),
            },
            data: None,
            harmless: false,
        },
        Hostility {
            name: "reset right after 150",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| transfer_with(l, vec![send("150 here it comes\r\n"), Reset]),
            data: Some(vec![Hold(Duration::from_secs(30))]),
            harmless: false,
        },
        Hostility {
            name: "reset mid-transfer on the data connection",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| {
                transfer_with(
                    l,
                    vec![send("150 here it comes\r\n"), Hold(Duration::from_secs(30))],
                )
            },
            data: Some(vec![send("-rw-r--r-- 1 ftp ftp 5 Jan 1 00:00 hal"), Reset]),
            harmless: false,
        },
        Hostility {
            name: "a data connection that never closes",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| {
                transfer_with(
                    l,
                    vec![send("150 here it comes\r\n"), Hold(Duration::from_secs(30))],
                )
            },
            data: Some(vec![
                send("-rw-r--r-- 1 ftp ftp 5 Jan 1 00:00 a\r\n"),
                Hold(Duration::from_secs(30)),
            ]),
            harmless: false,
        },
        Hostility {
            name: "half-open: FIN after the greeting, reading on",
            case: login,
            greeting: vec![ok(), HalfClose, Hold(Duration::from_secs(30))],
            answer: silent,
            data: None,
            harmless: false,
        },
        Hostility {
            name: "229 naming port 0",
            case: epsv,
            greeting: vec![ok()],
            answer: |l| epsv_with(l, "229 Entering Extended Passive Mode (|||0|)\r\n"),
            data: None,
            harmless: false,
        },
        Hostility {
            name: "229 naming a port above 65535",
            case: epsv,
            greeting: vec![ok()],
            answer: |l| epsv_with(l, "229 Entering Extended Passive Mode (|||65536|)\r\n"),
            data: None,
            harmless: false,
        },
        Hostility {
            name: "229 with a negative port",
            case: epsv,
            greeting: vec![ok()],
            answer: |l| epsv_with(l, "229 Entering Extended Passive Mode (|||-21|)\r\n"),
            data: None,
            harmless: false,
        },
        Hostility {
            name: "an active data connection opened twice",
            case: active,
            greeting: vec![ok()],
            answer: |l| {
                transfer_with(
                    l,
                    vec![
                        send("150 here it comes\r\n"),
                        DialPort(2, b"Hello, FTP!\n".to_vec()),
                        send("226 done\r\n"),
                    ],
                )
            },
            data: None,
            harmless: true,
        },
        Hostility {
            name: "every byte of a transfer (150, data, 226) in its own segment",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| {
                let drip = |s: &str| Drip(s.as_bytes().to_vec(), Duration::from_millis(2));
                transfer_with(
                    l,
                    vec![
                        drip("150 here it comes\r\n"),
                        Hold(Duration::from_millis(300)),
                        drip("226 done\r\n"),
                    ],
                )
            },
            data: Some(vec![
                Drip(
                    b"-rw-r--r-- 1 ftp ftp 5 Jan 1 00:00 a\r\n".to_vec(),
                    Duration::from_millis(2),
                ),
                Close,
            ]),
            harmless: true,
        },
        Hostility {
            name: "data connection reset before any byte, then 426",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| {
                transfer_with(
                    l,
                    vec![
                        send("150 here it comes\r\n"),
                        Hold(Duration::from_millis(300)),
                        send("426 connection closed; transfer aborted\r\n"),
                    ],
                )
            },
            data: Some(vec![Reset]),
            harmless: false,
        },
        Hostility {
            name: "slowloris data: a byte every 250 ms",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| {
                transfer_with(
                    l,
                    vec![send("150 here it comes\r\n"), Hold(Duration::from_secs(30))],
                )
            },
            data: Some(vec![Drip(vec![b'a'; 400], Duration::from_millis(250))]),
            harmless: false,
        },
        Hostility {
            name: "control connection reset mid-transfer",
            case: pasv,
            greeting: vec![ok()],
            answer: |l| {
                transfer_with(
                    l,
                    vec![
                        send("150 here it comes\r\n"),
                        Hold(Duration::from_millis(300)),
                        Reset,
                    ],
                )
            },
            data: Some(vec![
                send("-rw-r--r-- 1 ftp ftp 5 Jan 1 00:00 a\r\n"),
                Hold(Duration::from_secs(30)),
            ]),
            harmless: false,
        },
    ]
}

#[test]
fn every_hostile_server_gets_failing_verdicts_in_time_with_bounded_memory() {
    let mut table = Vec::new();
    let mut wrong = Vec::new();
    // HOSTILE=text runs only the behaviours whose name contains it.
    let only = std::env::var("HOSTILE").unwrap_or_default();
    for h in corpus().into_iter().filter(|h| h.name.contains(&only)) {
        let server = Hostile::start(h.greeting, h.answer, h.data);
        let out = run_against(&server, h.case);
        drop(server);
        table.push(format!(
            "| {} | {} | {} | {:.1} s | {} MiB |",
            h.name,
            out.status.map_or("killed".into(), |c| c.to_string()),
            out.verdicts.join(", "),
            out.elapsed.as_secs_f64(),
            out.peak_rss_kb / 1024
        ));
        let as_expected = match h.harmless {
            true => out.status == Some(0) && out.verdicts.iter().all(|v| v.starts_with("pass")),
            false => {
                out.status == Some(1)
                    && out
                        .verdicts
                        .iter()
                        .all(|v| v.starts_with("fail") || v.starts_with("non-strict"))
            }
        };
        if out.verdicts.is_empty() || !as_expected || out.elapsed > Duration::from_secs(40) {
            wrong.push(format!(
                "{}: {:?} {:?}: {}",
                h.name, out.status, out.verdicts, out.stderr
            ));
        }
        // Bounded memory. The endless multiline rows send 14 MB of 7-byte
        // lines; the fake client stops reading once the reply passes the
        // decoder's bound (128 lines of the line cap, 1 MiB) and shuts the
        // connection, so what it keeps no longer depends on how much came
        // within the timeout: 82 MiB peak (the timeline holds each small
        // read), where reading on until the timeout peaked at 88 to 457 MiB
        // with the machine's load.
        if out.peak_rss_kb > 160 * 1024 {
            wrong.push(format!("{}: peak RSS {} KiB", h.name, out.peak_rss_kb));
        }
        // A flood is read up to the reply's bound (1 MiB) and one read
        // past it, never on until the timeout (which took in 14 MB).
        if h.name.contains("never ends") && out.server_bytes > 2 << 20 {
            wrong.push(format!(
                "{}: {} bytes of the flood read",
                h.name, out.server_bytes
            ));
        }
    }
    eprintln!(
        "| behaviour | exit | verdict (rule) | time | peak RSS |\n| --- | --- | --- | --- | --- |\n{}",
        table.join("\n")
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}
