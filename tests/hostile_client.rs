//! Hostile clients against the fake server (docs/robustness.md): each
//! scripted client below misbehaves in one way during the client-smoke
//! `passive-get` case, and the case must end in a failing verdict inside
//! its timeout: no panic, no hang, no harness error, the fake server's
//! memory bounded (the peak RSS of this process is reset before each
//! behaviour through /proc/self/clear_refs and read from VmHWM).
//!
//! Everything is on 127.0.0.1; every read and wait is bounded by the
//! task's deadline.

#[path = "support/noise.rs"]
mod noise;

use std::path::Path;
use std::time::{Duration, Instant};

use ftpconform::real::clients::{ClientRun, Task};
use ftpconform::runner::{run_client_with, Launch};
use ftpconform::script::Case;
use ftpconform::suite;
use ftpconform::timeline::Timeline;
use ftpconform::verdict::Verdict;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One thing a hostile client does on its control connection.
#[derive(Clone)]
enum Act {
    Send(Vec<u8>),
    /// The same bytes written this many times.
    Repeat(Vec<u8>, usize),
    /// The bytes one at a time, each after this pause.
    Drip(Vec<u8>, Duration),
    /// Reads what the server sent for this long (replies are not awaited).
    Read(Duration),
    /// Half-closes (FIN) and keeps reading for this long.
    HalfClose(Duration),
    /// Sends PASV, then opens `n` connections to the port of the 227 and
    /// holds them open, silent, for this long after sending `RETR path`.
    PasvConnects(usize, Duration),
    /// Abortive close (RST).
    Reset,
    /// Sends PASV, connects to the port of the 227, sends `RETR path` and
    /// then breaks the transfer as `Break` says.
    PasvRetr(Break),
}

/// How a hostile client breaks a download it started.
#[derive(Clone, Copy)]
enum Break {
    /// Resets the control connection once the 150 has come.
    ControlAfter150,
    /// Resets the data connection once its first byte has come.
    DataMidTransfer,
    /// Half-closes the data connection (FIN) at once and reads the
    /// control connection on.
    DataHalfClosed,
}

use Act::*;

fn line(s: &str) -> Act {
    Send(format!("{s}\r\n").into_bytes())
}

fn login() -> Vec<Act> {
    vec![
        Read(Duration::from_millis(100)),
        line("USER anonymous"),
        line("PASS x"),
    ]
}

/// A client that plays `acts`, then leaves; it never reports success.
fn hostile(acts: Vec<Act>) -> Launch {
    Box::new(move |task: Task| {
        Box::pin(async move {
            let outcome = tokio::time::timeout(task.deadline, play(&task, acts)).await;
            ClientRun {
                success: false,
                stderr: format!("{outcome:?}"),
                ..ClientRun::default()
            }
        })
    })
}

async fn play(task: &Task, acts: Vec<Act>) -> std::io::Result<()> {
    let mut ctl = TcpStream::connect(task.server).await?;
    let mut seen = Vec::new();
    for act in acts {
        match act {
            Send(b) => ctl.write_all(&b).await?,
            Repeat(b, n) => {
                for _ in 0..n {
                    ctl.write_all(&b).await?;
                }
            }
            Drip(b, pause) => {
                for byte in b {
                    ctl.write_all(&[byte]).await?;
                    tokio::time::sleep(pause).await;
                }
            }
            Read(d) => read_for(&mut ctl, d, &mut seen).await?,
            HalfClose(d) => {
                ctl.shutdown().await?;
                read_for(&mut ctl, d, &mut seen).await?;
            }
            PasvConnects(n, hold) => pasv_connects(&mut ctl, &task.path, n, hold).await?,
            PasvRetr(how) => pasv_retr(&mut ctl, &task.path, how).await?,
            Reset => {
                ctl.set_zero_linger()?;
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Reads whatever comes for `d` (or until the server closes).
async fn read_for(ctl: &mut TcpStream, d: Duration, seen: &mut Vec<u8>) -> std::io::Result<()> {
    let until = tokio::time::Instant::now() + d;
    let mut buf = [0u8; 4096];
    while let Ok(n) = tokio::time::timeout_at(until, ctl.read(&mut buf)).await {
        match n? {
            0 => break,
            n => seen.extend_from_slice(&buf[..n]),
        }
    }
    Ok(())
}

/// Sends PASV and returns the address its 227 names, if any.
async fn pasv(ctl: &mut TcpStream) -> std::io::Result<Option<std::net::SocketAddrV4>> {
    let mut seen = Vec::new();
    ctl.write_all(b"PASV\r\n").await?;
    read_for(ctl, Duration::from_millis(300), &mut seen).await?;
    let text = String::from_utf8_lossy(&seen);
    Ok(text
        .lines()
        .find(|l| l.starts_with("227"))
        .and_then(|l| ftpconform::wire::addr::parse_pasv_reply(l.get(4..)?).ok()))
}

async fn pasv_retr(ctl: &mut TcpStream, path: &str, how: Break) -> std::io::Result<()> {
    let Some(at) = pasv(ctl).await? else {
        return Ok(());
    };
    let bound = Duration::from_secs(1);
    let mut data = tokio::time::timeout(bound, TcpStream::connect(at)).await??;
    ctl.write_all(format!("RETR {path}\r\n").as_bytes()).await?;
    let mut seen = Vec::new();
    match how {
        Break::ControlAfter150 => {
            read_for(ctl, Duration::from_millis(300), &mut seen).await?;
            ctl.set_zero_linger()?;
        }
        Break::DataMidTransfer => {
            let mut byte = [0u8; 1];
            let _ = tokio::time::timeout(bound, data.read(&mut byte)).await;
            data.set_zero_linger()?;
            drop(data);
            read_for(ctl, Duration::from_secs(1), &mut seen).await?;
        }
        Break::DataHalfClosed => {
            data.shutdown().await?;
            read_for(ctl, Duration::from_secs(1), &mut seen).await?;
        }
    }
    Ok(())
}

async fn pasv_connects(
    ctl: &mut TcpStream,
    path: &str,
    n: usize,
    hold: Duration,
) -> std::io::Result<()> {
    let Some(at) = pasv(ctl).await? else {
        return Ok(());
    };
    let mut data = Vec::new();
    for _ in 0..n {
        if let Ok(Ok(s)) =
            tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(at)).await
        {
            data.push(s);
        }
    }
    ctl.write_all(format!("RETR {path}\r\n").as_bytes()).await?;
    tokio::time::sleep(hold).await;
    drop(data);
    Ok(())
}

/// The client-smoke case every behaviour is tried with.
fn passive_get() -> Case {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/client/smoke.yaml");
    let mut suite = suite::load_file(&path).expect("the smoke suite loads");
    let at = suite.cases.iter().position(|c| c.id == "passive-get");
    suite.cases.remove(at.expect("client-smoke::passive-get"))
}

fn corpus() -> Vec<(&'static str, Vec<Act>)> {
    let random = noise::random_bytes(0x2545_f491, 4096);
    let after_login = |acts: Vec<Act>| [login(), acts].concat();
    vec![
        ("random bytes, then close", vec![Send(random.clone())]),
        (
            "random bytes, then a reset",
            vec![Send(random), Read(Duration::from_millis(200)), Reset],
        ),
        (
            "NUL bytes for a command",
            vec![Send(b"\0\0\0\0\r\n".to_vec())],
        ),
        (
            "a 1 MiB command line without CRLF",
            vec![
                Send(b"USER ".to_vec()),
                Repeat(vec![b'a'; 1024], 1024),
                Read(Duration::from_millis(500)),
            ],
        ),
        (
            "Telnet IAC flood",
            vec![Repeat(b"\xff\xf4\xff\xf2".to_vec(), 100_000), line("QUIT")],
        ),
        (
            "10,000 NOOPs without reading a reply",
            after_login(vec![Repeat(b"NOOP\r\n".to_vec(), 10_000)]),
        ),
        (
            "reset mid-command",
            after_login(vec![Send(b"RET".to_vec()), Reset]),
        ),
        (
            "half-open: FIN after USER, reading on",
            vec![line("USER anonymous"), HalfClose(Duration::from_secs(2))],
        ),
        (
            "slowloris: a byte every 250 ms",
            vec![Drip(
                b"USER anonymous\r\n".to_vec(),
                Duration::from_millis(250),
            )],
        ),
        (
            "a data connection opened twice",
            after_login(vec![
                Read(Duration::from_millis(200)),
                PasvConnects(2, Duration::from_secs(1)),
            ]),
        ),
        ("reset before any byte", vec![Reset]),
        (
            "reset of the control connection right after 150",
            after_login(vec![
                Read(Duration::from_millis(200)),
                PasvRetr(Break::ControlAfter150),
            ]),
        ),
        (
            "reset of the data connection mid-transfer",
            after_login(vec![
                Read(Duration::from_millis(200)),
                PasvRetr(Break::DataMidTransfer),
            ]),
        ),
        (
            "half-open data connection: FIN before reading",
            after_login(vec![
                Read(Duration::from_millis(200)),
                PasvRetr(Break::DataHalfClosed),
            ]),
        ),
        (
            "100,000 pipelined NOOPs, replies never read",
            after_login(vec![Repeat(b"NOOP\r\n".to_vec(), 100_000)]),
        ),
        (
            "a data connection that never closes",
            after_login(vec![
                Read(Duration::from_millis(200)),
                PasvConnects(1, Duration::from_secs(8)),
            ]),
        ),
    ]
}

/// Peak RSS of this process since the last reset, in KiB (0 when the
/// kernel does not say).
fn peak_rss_kb(reset: bool) -> u64 {
    if reset {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_client_gets_a_failing_verdict_in_time_with_bounded_memory() {
    let mut table = Vec::new();
    let mut wrong = Vec::new();
    let only = std::env::var("HOSTILE").unwrap_or_default();
    for (name, acts) in corpus().into_iter().filter(|(n, _)| n.contains(&only)) {
        let case = passive_get();
        let bound = (case.timeout * 3).max(Duration::from_secs(10)) + Duration::from_secs(10);
        peak_rss_kb(true);
        let started = Instant::now();
        let timeline = Timeline::new();
        let run = run_client_with(&case, "client-smoke", "hostile", hostile(acts), &timeline);
        let result = tokio::time::timeout(bound, run).await;
        let (elapsed, peak) = (started.elapsed(), peak_rss_kb(false));
        let Ok(result) = result else {
            wrong.push(format!("{name}: no verdict within {bound:?}"));
            continue;
        };
        let rule = result
            .violations
            .first()
            .map_or("-".into(), |v| v.rule.to_string());
        table.push(format!(
            "| {name} | {} ({rule}) | {:.1} s | {} MiB |",
            result.verdict.as_str(),
            elapsed.as_secs_f64(),
            peak / 1024
        ));
        if !matches!(result.verdict, Verdict::Fail | Verdict::NonStrict) {
            wrong.push(format!("{name}: {:?} {:?}", result.verdict, result.reason));
        }
        if peak > 200 * 1024 {
            wrong.push(format!("{name}: peak RSS {peak} KiB"));
        }
    }
    eprintln!(
        "| behaviour | verdict (first rule) | time | peak RSS |\n| --- | --- | --- | --- |\n{}",
        table.join("\n")
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}
