//! Benchmark: wall time of the default `ftpconform run` (both embedded
//! peers, every suite) on all cores and on one, and the harness's per-case
//! overhead: one PASV download through the harness against the same
//! exchange written by hand (no checks, no timeline: what the server
//! itself costs) and against a real client (curl), in the same run.
//!
//! `cargo bench --bench run_overhead` prints the figures (docs/benchmarks.md
//! keeps them). Under `cargo test` (no `--bench` argument) it runs one quick
//! iteration of each measurement, so the code stays exercised.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ftpconform::net::tune;
use ftpconform::real::servers::embedded::start_embedded;
use ftpconform::real::servers::ServerEndpoint;
use ftpconform::runner;
use ftpconform::script::Suite;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn suites() -> Vec<Suite> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites/server");
    ftpconform::suite::load_paths(&[dir]).expect("server suites load")
}

/// One `ftpconform run -q` as a user types it (embedded peers), pinned to
/// core 0 when `one_core`; returns its wall time and its summary line.
fn cli_run(one_core: bool, extra: &[&str], captures: &Path) -> (Duration, String) {
    let bin = env!("CARGO_BIN_EXE_ftpconform");
    let mut cmd = match one_core {
        true => {
            let mut c = Command::new("taskset");
            c.args(["-c", "0", bin]);
            c
        }
        false => Command::new(bin),
    };
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "-q", "--capture-dir"])
        .arg(captures)
        .args(extra);
    let started = Instant::now();
    let out = cmd.output().expect("ftpconform runs");
    let wall = started.elapsed();
    // 0: all passed, 1: the embedded peers' known failures; 2 would be a
    // harness error.
    let code = out.status.code();
    assert!(matches!(code, Some(0 | 1)), "ftpconform run: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" cases: "))
        .unwrap_or("no summary")
        .to_string();
    (wall, summary)
}

/// One PASV RETR of hello.txt through the harness (capture on or off).
async fn harness_case(
    suites: &[Suite],
    ep: &ServerEndpoint,
    capture: Option<&std::path::Path>,
) -> Duration {
    let s = suites
        .iter()
        .find(|s| s.name == "rfc1123-passive")
        .expect("suite");
    let c = s.cases.iter().find(|c| c.id == "pasv-retr").expect("case");
    let started = Instant::now();
    let r = runner::run_server_case(s, c, ep, capture).await;
    assert!(r.violations.is_empty(), "benchmark case must pass: {r:?}");
    started.elapsed()
}

/// The last line of the next reply (multiline replies read through).
/// With `tuned`, the ACK of what was read goes out at once, as the
/// harness's own reads do (`net::tune`).
async fn reply(r: &mut BufReader<OwnedReadHalf>, tuned: bool) -> String {
    let mut line = String::new();
    for _ in 0..1000 {
        line.clear();
        assert!(r.read_line(&mut line).await.expect("reply") > 0, "closed");
        if tuned {
            tune::quick_ack(r.get_ref().as_ref());
        }
        if line.len() > 3 && line.as_bytes()[3] == b' ' {
            return line;
        }
    }
    panic!("a reply of over 1000 lines");
}

/// The same exchange as `pasv-retr`, written by hand: login, TYPE I,
/// PASV, RETR, QUIT, reading each reply, with none of the harness (no
/// timeline, no checks, no capture). What remains is the server's own time.
/// `tuned`: the socket options the harness sets (no Nagle delay, quick
/// ACKs after control reads); without them, what a plain client gets.
async fn raw_case(ep: &ServerEndpoint, tuned: bool) -> Duration {
    let started = Instant::now();
    let ctl = TcpStream::connect(ep.addr).await.expect("connect");
    if tuned {
        tune::no_delay(&ctl);
    }
    let (r, mut w) = ctl.into_split();
    let mut r = BufReader::new(r);
    reply(&mut r, tuned).await;
    for cmd in [
        format!("USER {}", ep.user),
        format!("PASS {}", ep.pass),
        "TYPE I".into(),
    ] {
        w.write_all(format!("{cmd}\r\n").as_bytes()).await.unwrap();
        reply(&mut r, tuned).await;
    }
    w.write_all(b"PASV\r\n").await.unwrap();
    let pasv = reply(&mut r, tuned).await;
    let inner = &pasv[pasv.find('(').expect("227 (h,h,h,h,p,p)") + 1..pasv.rfind(')').unwrap()];
    let n: Vec<u16> = inner
        .split(',')
        .map(|x| x.trim().parse().unwrap())
        .collect();
    let data = TcpStream::connect((ep.addr.ip(), n[4] * 256 + n[5]))
        .await
        .expect("data");
    w.write_all(b"RETR hello.txt\r\n").await.unwrap();
    reply(&mut r, tuned).await;
    let mut body = Vec::new();
    let mut data = data;
    data.read_to_end(&mut body).await.unwrap();
    assert_eq!(body, b"Hello, FTP!\n");
    let done = reply(&mut r, tuned).await;
    assert!(done.starts_with("226"), "{done}");
    w.write_all(b"QUIT\r\n").await.unwrap();
    reply(&mut r, tuned).await;
    started.elapsed()
}

/// The same download with curl, a real client, as the yardstick.
fn curl_case(ep: &ServerEndpoint) -> Duration {
    let url = format!("ftp://{}/hello.txt", ep.addr);
    let started = Instant::now();
    let out = Command::new("curl")
        .args(["-sS", "--disable-epsv", "--max-time", "10", "-u"])
        .arg(format!("{}:{}", ep.user, ep.pass))
        .arg(&url)
        .output()
        .expect("curl runs");
    assert!(out.status.success(), "curl failed: {out:?}");
    started.elapsed()
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    // Under `cargo test`: the smoke suites only, and two reps.
    let (runs, reps, filter): (usize, usize, &[&str]) = if bench {
        (3, 50, &[])
    } else {
        (1, 2, &["--case", "smoke::"])
    };
    let tmp = tempfile::tempdir().unwrap();
    let caps = tmp.path().join("captures");
    let whole = |one_core: bool, extra: &[&str]| {
        let args = [filter, extra].concat();
        let runs: Vec<_> = (0..runs).map(|_| cli_run(one_core, &args, &caps)).collect();
        let summary = runs[0].1.clone();
        let times: Vec<Duration> = runs.into_iter().map(|r| r.0).collect();
        (median(times.clone()), times, summary)
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (all, all_times, summary) = whole(false, &[]);
    let (one, one_times, _) = whole(true, &[]);
    let seq = bench.then(|| cli_run(false, &["--jobs", "1"], &caps).0);
    println!("ftpconform run (embedded peers): {summary}");
    println!("  {cores} cores: median {all:.2?} of {all_times:.2?}");
    println!("  1 core (taskset -c 0): median {one:.2?} of {one_times:.2?}");
    if let Some(seq) = seq {
        println!("  --jobs 1 (one case at a time): {seq:.2?}");
    }

    let rt = tokio::runtime::Runtime::new().unwrap();
    let suites = suites();
    let server = rt
        .block_on(start_embedded())
        .expect("embedded server starts");
    let ep = server.endpoint();
    let pcap = tmp.path().join("one.pcap");
    let with_cap: Vec<_> = (0..reps)
        .map(|_| rt.block_on(harness_case(&suites, &ep, Some(&pcap))))
        .collect();
    let without: Vec<_> = (0..reps)
        .map(|_| rt.block_on(harness_case(&suites, &ep, None)))
        .collect();
    let raw: Vec<_> = (0..reps)
        .map(|_| rt.block_on(raw_case(&ep, true)))
        .collect();
    let plain: Vec<_> = (0..reps)
        .map(|_| rt.block_on(raw_case(&ep, false)))
        .collect();
    let curl: Vec<_> = (0..reps).map(|_| curl_case(&ep)).collect();
    let (w, wo, r, c) = (median(with_cap), median(without), median(raw), median(curl));
    let plain = median(plain);
    println!("PASV RETR hello.txt against embedded libunftp, median of {reps}:");
    println!("  ftpconform, capture on : {w:.2?}");
    println!("  ftpconform, capture off: {wo:.2?}");
    println!("  by hand (no harness), the harness's socket options: {r:.2?}");
    println!("  by hand, default socket options: {plain:.2?}");
    println!("  curl (process spawn incl.): {c:.2?}");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  harness overhead per case: {:.2} ms (capture on), {:.2} ms (off)",
        ms(w) - ms(r),
        ms(wo) - ms(r)
    );
    println!(
        "  ratio harness/curl: {:.2} (capture on), {:.2} (off)",
        w.as_secs_f64() / c.as_secs_f64(),
        wo.as_secs_f64() / c.as_secs_f64()
    );
}
