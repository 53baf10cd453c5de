//! Benchmark: `ftpconform check` against `tshark -Y ftp` on generated
//! captures, in the same run, each in its own process (peak memory from
//! `/usr/bin/time -f %M`):
//!
//! - `retr`: one FTP session whose RETR moves SIZE bytes over a passive
//!   data connection;
//! - `no-newline`: a control connection whose client sends SIZE bytes with
//!   no line end;
//! - `tiny`: COUNT tiny TCP connections (one in ten an FTP session).
//!
//! `cargo bench --bench check_capture` uses SIZE = 1 GiB and COUNT = one
//! million (docs/captures.md keeps the figures). Under `cargo test
//! --benches` (no `--bench` argument) SIZE is 8 MiB and COUNT 2000, and
//! tshark is not run. The
//! captures are written to a temporary folder under `target/` and deleted.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ftpconform::capture::sessions::Options;
use ftpconform::offline;
use ftpconform::timeline::{ConnRole, Side};

#[path = "../tests/support/event_pcap.rs"]
mod event_pcap;
use event_pcap::EventPcap as Writer;

const CHILD: &str = "FTPCONFORM_BENCH_CHECK";
/// Set: `check` only (tshark took over 10 minutes and 3 GiB on `tiny`).
const NO_TSHARK: &str = "FTPCONFORM_BENCH_NO_TSHARK";
const VARIANTS: [&str; 3] = ["retr", "no-newline", "tiny"];

fn main() {
    if let Ok(path) = std::env::var(CHILD) {
        child(Path::new(&path));
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let (size, count): (u64, u32) = if full {
        (1 << 30, 1_000_000)
    } else {
        (8 << 20, 2000)
    };
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let dir = tempfile::tempdir_in(base).expect("temp dir");
    println!("check_capture: SIZE {} MiB, COUNT {count}", size >> 20);
    println!("capture      MiB    events  reader  seconds  MiB/s  peak-MiB  verdicts");
    // `cargo bench --bench check_capture -- tiny` runs only that capture.
    let asked: Vec<String> = std::env::args()
        .filter(|a| VARIANTS.contains(&a.as_str()))
        .collect();
    for variant in VARIANTS
        .iter()
        .filter(|v| asked.is_empty() || asked.iter().any(|a| a == *v))
    {
        let path = dir.path().join(format!("{variant}.pcap"));
        let events = generate(variant, &path, size, count);
        let mib = std::fs::metadata(&path).expect("capture").len() as f64 / 1048576.0;
        let ours = measure(
            &[std::env::current_exe().unwrap().to_str().unwrap()],
            &path,
            true,
        );
        let mut runs = vec![("check", ours)];
        if full && std::env::var_os(NO_TSHARK).is_none() {
            // Under `cargo test` tshark's start-up alone would cost seconds.
            let argv = [
                "tshark",
                "-Y",
                "ftp",
                "-T",
                "fields",
                "-e",
                "ftp.response.code",
            ];
            runs.push(("tshark", measure(&argv, &path, false)));
        }
        for (name, (secs, kb, out)) in runs {
            println!(
                "{variant:<10} {mib:>6.0} {events:>9} {name:>7} {secs:>8.2} {:>6.0} {:>9.1}  {out}",
                mib / secs,
                kb as f64 / 1024.0
            );
        }
        std::fs::remove_file(&path).ok();
    }
}

/// Runs `argv` on `path` under `/usr/bin/time`: seconds, peak kB, and a
/// summary of what it printed.
fn measure(argv: &[&str], path: &Path, ours: bool) -> (f64, u64, String) {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f").arg("%M").args(argv);
    if ours {
        cmd.env(CHILD, path);
    } else {
        cmd.arg("-r").arg(path);
    }
    let started = Instant::now();
    let out = cmd.output().expect("/usr/bin/time runs");
    let secs = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{argv:?}: {stderr}");
    let kb = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = match ours {
        true => stdout.trim().to_string(),
        false => format!("{} ftp rows", stdout.lines().count()),
    };
    (secs, kb, summary)
}

/// The checker's child: checks `path`, prints the count of each verdict.
fn child(path: &Path) {
    let mut counts = std::collections::BTreeMap::new();
    offline::check_file(path, &Options::default(), |r| {
        *counts.entry(r.verdict.as_str()).or_insert(0u64) += 1;
    })
    .expect("the capture reads");
    let text: Vec<String> = counts.iter().map(|(v, n)| format!("{n} {v}")).collect();
    println!("{}", text.join(", "));
}

/// Writes one capture; returns how many events went into it.
fn generate(variant: &str, path: &Path, size: u64, count: u32) -> u64 {
    let mut w = Writer::create(path);
    match variant {
        "retr" => retr(&mut w, size),
        "no-newline" => no_newline(&mut w, size),
        _ => w.tiny_connections(count, SERVER),
    }
    let events = w.events();
    w.finish();
    events
}

const CLIENT: &str = "127.0.0.1:40001";
const SERVER: &str = "127.0.0.1:21";

fn retr(w: &mut Writer, size: u64) {
    w.open(0, ConnRole::Control, CLIENT, SERVER);
    let mut c = Control::default();
    c.reply(w, "220 ready");
    c.command(w, "USER anonymous");
    c.reply(w, "331 pw");
    c.command(w, "PASS x@");
    c.reply(w, "230 ok");
    c.command(w, "PASV");
    c.reply(w, "227 Entering Passive Mode (127,0,0,1,195,80).");
    w.open(1, ConnRole::Data(1), "127.0.0.1:40002", "127.0.0.1:50000");
    c.command(w, "RETR big.bin");
    c.reply(w, "150 here");
    let chunk: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let mut sent = 0;
    while sent < size {
        let n = chunk.len().min((size - sent) as usize);
        w.bytes(1, Side::Server, sent, &chunk[..n]);
        sent += n as u64;
    }
    w.close(1, Side::Server);
    w.close(1, Side::Client);
    c.reply(w, "226 done");
    c.command(w, "QUIT");
    c.reply(w, "221 bye");
    w.close(0, Side::Server);
    w.close(0, Side::Client);
}

fn no_newline(w: &mut Writer, size: u64) {
    w.open(0, ConnRole::Control, CLIENT, SERVER);
    let mut c = Control::default();
    c.reply(w, "220 ready");
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    w.bytes(0, Side::Client, 0, b"USER ");
    while sent < size {
        let n = chunk.len().min((size - sent) as usize);
        w.bytes(0, Side::Client, 5 + sent, &chunk[..n]);
        sent += n as u64;
    }
    w.close(0, Side::Client);
    w.close(0, Side::Server);
}

/// Offsets of the two directions of control connection 0.
#[derive(Default)]
struct Control {
    client: u64,
    server: u64,
}

impl Control {
    fn command(&mut self, w: &mut Writer, line: &str) {
        let bytes = format!("{line}\r\n");
        w.bytes(0, Side::Client, self.client, bytes.as_bytes());
        self.client += bytes.len() as u64;
    }

    fn reply(&mut self, w: &mut Writer, line: &str) {
        let bytes = format!("{line}\r\n");
        w.bytes(0, Side::Server, self.server, bytes.as_bytes());
        self.server += bytes.len() as u64;
    }
}
