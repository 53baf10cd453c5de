//! Benchmark: the data path of both fake peers against real peers, in one
//! run, so that the figures are ratios.
//!
//! - `vsftpd-curl`: vsftpd serves the file, curl downloads it (the
//!   yardstick of both roles).
//! - `fake-server-off` / `-on`: the fake server serves the same size from
//!   its generator to curl, through the runner (checks included), with the
//!   capture off and on.
//! - `fake-client-off` / `-on`: the fake client downloads the file from
//!   vsftpd (a RETR case through the runner), capture off and on.
//!
//! curl always writes to a pipe that this process reads and hashes (the
//! same sink in every variant; nothing is written to disk but vsftpd's
//! file and the pcap). Each variant runs in its own process (this binary,
//! re-run with `FTPCONFORM_BENCH_VARIANT` set) so that its peak memory is
//! its own: the harness's VmHWM, curl's and vsftpd's session processes'
//! sampled from /proc every 20 ms.
//!
//! `cargo bench --bench data_path` runs every variant at 1 GiB, then the
//! capture-off variants at 8 GiB (for memory flat in size; an 8 GiB pcap
//! is left out). vsftpd's 1 GiB file is written (pattern bytes); its 8 GiB
//! file is sparse. Under `cargo test --benches` it moves 1 MiB, so the code
//! stays exercised cheaply. docs/benchmarks.md keeps the figures.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ftpconform::capture::PcapObserver;
use ftpconform::real::clients::{ClientRun, LocalFile, Task};
use ftpconform::real::servers::profiles::{start_profile, ProfileOptions};
use ftpconform::real::servers::running::RunningServer;
use ftpconform::runner::{run_case, run_client_with, Launch, Target};
use ftpconform::script::{Body, CaseBody, Suite};
use ftpconform::timeline::Timeline;
use ftpconform::verdict::Verdict;

const VARIANT: &str = "FTPCONFORM_BENCH_VARIANT";
const SIZE: &str = "FTPCONFORM_BENCH_SIZE";
const GIB: u64 = 1 << 30;

const CLIENT_SUITE: &str = "\
suite: bench
role: client
cases:
  - id: big-get
    title: curl downloads one big file
    timeout: 30s
    client: {op: get, path: big.bin, mode: passive}
    files:
      big.bin: \"placeholder\"
    expect:
      success: true
";

fn server_suite(size: u64) -> String {
    format!(
        "suite: bench
role: server
cases:
  - id: big-retr
    title: the fake client downloads one big file
    timeout: 30s
    steps:
      - login
      - send: \"TYPE I\"
        expect: 200
      - data: {{mode: epsv}}
      - transfer: {{command: \"RETR big.bin\", size: {size}}}
"
    )
}

fn main() {
    if let Ok(variant) = std::env::var(VARIANT) {
        let size = std::env::var(SIZE).ok().and_then(|s| s.parse().ok());
        child(&variant, size.unwrap_or(1 << 20));
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let all = [
        "vsftpd-curl",
        "fake-server-off",
        "fake-server-on",
        "fake-client-off",
        "fake-client-on",
    ];
    let off = ["vsftpd-curl", "fake-server-off", "fake-client-off"];
    let runs: Vec<(u64, &[&str])> = match full {
        true => vec![(GIB, &all), (8 * GIB, &off)],
        false => vec![(1 << 20, &all)],
    };
    // `cargo bench --bench data_path -- fake-server-on`: only the variants
    // named (substrings), at 1 GiB, with the yardstick kept for the ratios.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let picked: Vec<&str> = all
        .iter()
        .copied()
        .filter(|v| *v == "vsftpd-curl" || only.iter().any(|o| v.contains(o.as_str())))
        .collect();
    let runs = match only.is_empty() {
        true => runs,
        false => vec![(if full { GIB } else { 1 << 20 }, &picked[..])],
    };
    println!("data_path: one RETR per variant, figures per variant and size");
    println!("variant           size-MiB  seconds  MiB/s  ratio  harness-MiB  curl-MiB  vsftpd-MiB  pcap-MiB");
    for (size, variants) in runs {
        let mut yardstick = None;
        for variant in variants {
            let f = parent(variant, size);
            let base = *yardstick.get_or_insert(f.secs);
            println!("{}", f.row(variant, size, base));
        }
    }
}

/// What one variant measured.
struct Figures {
    secs: f64,
    harness_kb: u64,
    curl_kb: u64,
    server_kb: u64,
    pcap: u64,
}

impl Figures {
    fn row(&self, variant: &str, size: u64, base: f64) -> String {
        let mib = |kb: u64| match kb {
            0 => "-".to_string(),
            kb => format!("{:.1}", kb as f64 / 1024.0),
        };
        let pcap = match self.pcap {
            0 => "-".to_string(),
            p => format!("{:.0}", p as f64 / 1048576.0),
        };
        format!(
            "{variant:<17} {:>8} {:>8.2} {:>6.0} {:>6.2} {:>12} {:>9} {:>11} {pcap:>9}",
            size >> 20,
            self.secs,
            size as f64 / 1048576.0 / self.secs,
            base / self.secs,
            mib(self.harness_kb),
            mib(self.curl_kb),
            mib(self.server_kb),
        )
    }
}

/// Runs one variant in a child process and reads its figures.
fn parent(variant: &str, size: u64) -> Figures {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe)
        .env(VARIANT, variant)
        .env(SIZE, size.to_string())
        .stderr(Stdio::inherit())
        .output()
        .expect("bench child runs");
    assert!(out.status.success(), "{variant} failed");
    let line = String::from_utf8_lossy(&out.stdout);
    let f: Vec<f64> = line
        .split_whitespace()
        .map(|w| w.parse().expect("figure"))
        .collect();
    Figures {
        secs: f[0],
        harness_kb: f[1] as u64,
        curl_kb: f[2] as u64,
        server_kb: f[3] as u64,
        pcap: f[4] as u64,
    }
}

/// Prints `seconds harness_hwm_kb curl_hwm_kb server_hwm_kb pcap_bytes`.
fn child(variant: &str, size: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let curl = Sampler::start(std::process::id(), Some("curl"));
    let capture = variant
        .ends_with("-on")
        .then(|| dir.path().join("big.pcap"));
    let (secs, server_kb) = match variant {
        "vsftpd-curl" => vsftpd(size, |ep| {
            rt.block_on(curl_fetch(&ep.addr, &ep.user, &ep.pass, size))
                .0
        }),
        v if v.starts_with("fake-server") => {
            (rt.block_on(fake_server(size, capture.as_deref())), 0)
        }
        _ => vsftpd(size, |ep| {
            rt.block_on(fake_client(ep, size, capture.as_deref()))
        }),
    };
    let pcap = capture.and_then(|p| std::fs::metadata(p).ok());
    // The harness figure is this process's; the vsftpd-curl variant runs
    // no harness (only the pipe reader).
    let harness_kb = match variant {
        "vsftpd-curl" => 0,
        _ => own_hwm_kb(),
    };
    let pcap = pcap.map_or(0, |m| m.len());
    println!("{secs:.3} {harness_kb} {} {server_kb} {pcap}", curl.stop());
}

/// Starts vsftpd with a `size`-byte `big.bin`, runs `f`, returns its
/// seconds and the session processes' peak memory.
fn vsftpd(
    size: u64,
    f: impl FnOnce(&ftpconform::real::servers::ServerEndpoint) -> f64,
) -> (f64, u64) {
    let server: RunningServer =
        start_profile("vsftpd", &ProfileOptions::default()).expect("vsftpd starts");
    seed(&server.root().join("big.bin"), size);
    let pid = server.pid().expect("vsftpd pid");
    let sessions = Sampler::start(pid, None);
    let secs = f(&server.endpoint());
    (secs, sessions.stop())
}

/// curl fetching `ftp://addr/big.bin` to a pipe read here: the seconds
/// from its start to its exit, and what it wrote.
async fn curl_fetch(
    addr: &std::net::SocketAddr,
    user: &str,
    pass: &str,
    size: u64,
) -> (f64, LocalFile, i32) {
    let started = Instant::now();
    let mut child = tokio::process::Command::new("curl")
        .args(["-s", "--max-time", "600", "-u"])
        .arg(format!("{user}:{pass}"))
        .arg(format!("ftp://{addr}/big.bin"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl runs");
    let mut out = child.stdout.take().expect("curl stdout");
    let mut got = LocalFile::default();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        use tokio::io::AsyncReadExt;
        match out.read(&mut buf).await.expect("curl's pipe") {
            0 => break,
            n => got.add(&buf[..n]),
        }
    }
    let status = child.wait().await.expect("curl ends");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(
        got.digest.len, size,
        "curl got {} of {size} bytes",
        got.digest.len
    );
    (secs, got, status.code().unwrap_or(-1))
}

/// The fake server serving `size` generated bytes to curl through the
/// runner; the seconds of curl's run (its start to its exit).
async fn fake_server(size: u64, capture: Option<&Path>) -> f64 {
    let mut suite: Suite =
        ftpconform::suite::load_str(Path::new("bench.yaml"), CLIENT_SUITE).expect("bench suite");
    if let CaseBody::Client(script) = &mut suite.cases[0].body {
        script.files[0].content = Body::repeat(ftpconform::script::PATTERN, size);
    }
    let timeline = Timeline::new();
    if let Some(path) = capture {
        timeline.add_observer(Box::new(PcapObserver::create(path).expect("pcap")));
    }
    let secs = Arc::new(std::sync::Mutex::new(0.0));
    let launch = curl_launch(secs.clone(), size);
    let case = &suite.cases[0];
    let result = run_client_with(case, &suite.name, "curl", launch, &timeline).await;
    timeline.finish();
    assert_eq!(result.verdict, Verdict::Pass, "{result:?}");
    let secs = *secs.lock().unwrap();
    secs
}

/// A launch of curl that downloads the task's file to the bench's pipe.
fn curl_launch(secs: Arc<std::sync::Mutex<f64>>, size: u64) -> Launch {
    Box::new(move |task: Task| {
        Box::pin(async move {
            let (s, got, code) = curl_fetch(&task.server, &task.user, &task.pass, size).await;
            *secs.lock().unwrap() = s;
            ClientRun {
                success: code == 0,
                status_meaningful: true,
                exit_code: Some(code),
                local_file: Some(got),
                ..ClientRun::default()
            }
        })
    })
}

/// The fake client downloading `size` bytes from vsftpd: the case's
/// seconds (connect, login, EPSV, RETR, the checks).
async fn fake_client(
    ep: &ftpconform::real::servers::ServerEndpoint,
    size: u64,
    capture: Option<&Path>,
) -> f64 {
    let text = server_suite(size);
    let suite = ftpconform::suite::load_str(Path::new("bench.yaml"), &text).expect("bench suite");
    let started = Instant::now();
    let result = run_case(&suite, &suite.cases[0], Target::Server(ep), capture).await;
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(result.verdict, Verdict::Pass, "{result:?}");
    secs
}

/// vsftpd's file: pattern bytes up to 1 GiB, a sparse file of zeros above
/// (nothing of it is written to disk).
fn seed(path: &Path, size: u64) {
    let f = std::fs::File::create(path).expect("seed file");
    if size > GIB {
        f.set_len(size).expect("sparse file");
        return;
    }
    let mut f = std::io::BufWriter::new(f);
    Body::repeat(ftpconform::script::PATTERN, size)
        .write_to(&mut f)
        .expect("seed write");
    f.flush().expect("seed flush");
    let mut check = [0u8; 1];
    std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut check))
        .expect("seeded");
}

/// Samples, every 20 ms on its own thread, the peak VmHWM of the children
/// of `parent` (named `name`, if given), and of `parent` itself when no
/// name is given.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start(parent: u32, name: Option<&'static str>) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || sample(parent, name, &s, &p));
        Sampler { stop, peak, thread }
    }

    /// Stops sampling; the peak in kB.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
        self.peak.load(Ordering::SeqCst)
    }
}

fn sample(parent: u32, name: Option<&str>, stop: &AtomicBool, peak: &AtomicU64) {
    let deadline = Instant::now() + Duration::from_secs(900);
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        for (ppid, comm, hwm) in processes() {
            if ppid == parent && name.is_none_or(|n| n == comm) {
                peak.fetch_max(hwm, Ordering::SeqCst);
            }
        }
        if name.is_none() {
            let own = status_kb(&format!("/proc/{parent}/status"), "VmHWM:");
            peak.fetch_max(own.unwrap_or(0), Ordering::SeqCst);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// (parent pid, command name, VmHWM in kB) of every process.
fn processes() -> Vec<(u32, String, u64)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| {
            let path = e.path().join("status");
            let path = path.to_string_lossy();
            let ppid = status_kb(&path, "PPid:")? as u32;
            let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
            Some((ppid, comm.trim().to_string(), status_kb(&path, "VmHWM:")?))
        })
        .collect()
}

/// The number after `key` in a /proc status file.
fn status_kb(path: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

fn own_hwm_kb() -> u64 {
    status_kb("/proc/self/status", "VmHWM:").unwrap_or(0)
}
