//! Benchmark: the cost of capturing a large transfer. A RETR of one big
//! file from the fake server to curl, with the capture on and off, and the
//! same download from vsftpd to curl as the yardstick, in the same run.
//! Each measurement runs in its own process (this binary, re-run with
//! `FTPCONFORM_BENCH_VARIANT` set) so that peak memory is its own. curl's
//! peak is sampled from /proc (VmHWM of the `curl` child after its exec):
//! `getrusage(RUSAGE_CHILDREN)` would count the harness image a fork
//! shares before exec.
//!
//! `cargo bench --bench capture_retr` transfers 1 GiB (docs/captures.md
//! keeps the figures). Under `cargo test --benches` (no `--bench` argument)
//! it transfers 1 MiB, so the code stays exercised cheaply. Files and the
//! capture (larger than the file) live in a temporary folder, deleted after.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ftpconform::real::clients::ClientProfile;
use ftpconform::real::servers::profiles::{start_profile, ProfileOptions};
use ftpconform::runner::{run_case, Target};
use ftpconform::script::{Body, CaseBody, Suite};
use ftpconform::verdict::Verdict;

const VARIANT: &str = "FTPCONFORM_BENCH_VARIANT";
const SIZE: &str = "FTPCONFORM_BENCH_SIZE";
const VARIANTS: &[&str] = &["fake-capture-off", "fake-capture-on", "vsftpd"];

const SUITE: &str = "\
suite: bench
role: client
cases:
  - id: big-get
    title: curl downloads one big file
    timeout: 200s
    client: {op: get, path: big.bin, mode: passive}
    files:
      big.bin: \"placeholder\"
    expect:
      success: true
";

fn main() {
    if let Ok(variant) = std::env::var(VARIANT) {
        let size = std::env::var(SIZE).ok().and_then(|s| s.parse().ok());
        child(&variant, size.unwrap_or(1 << 20));
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let size: u64 = if full { 1 << 30 } else { 1 << 20 };
    println!("capture_retr: RETR of {} MiB to curl", size >> 20);
    println!("variant            seconds  MiB/s  harness-peak-MiB  curl-peak-MiB  server-peak-MiB  pcap-MiB");
    for variant in VARIANTS {
        println!("{}", parent(variant, size));
    }
}

/// Runs one variant in a child process and formats its figures.
fn parent(variant: &str, size: u64) -> String {
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
    let mib = |kb: f64| format!("{:.1}", kb / 1024.0);
    // The vsftpd variant runs no harness: its own figure is the seeding.
    let harness = if variant == "vsftpd" {
        "-".into()
    } else {
        mib(f[1])
    };
    let server = if variant == "vsftpd" {
        mib(f[3])
    } else {
        "(harness)".into()
    };
    format!(
        "{variant:<17} {:>8.2} {:>6.0} {harness:>17} {:>14} {server:>16} {:>9.0}",
        f[0],
        size as f64 / 1048576.0 / f[0],
        mib(f[2]),
        f[4] / 1048576.0
    )
}

/// Prints `seconds harness_hwm_kb curl_maxrss_kb server_hwm_kb pcap_bytes`.
fn child(variant: &str, size: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let curl = Sampler::start(std::process::id(), Some("curl"));
    let (secs, server_kb, pcap, curl_kb) = match variant {
        "vsftpd" => vsftpd_to_curl(dir.path(), size),
        v => {
            let capture = (v == "fake-capture-on").then(|| dir.path().join("big.pcap"));
            let secs = rt.block_on(fake_to_curl(size, capture.as_deref()));
            let pcap = capture.and_then(|p| std::fs::metadata(p).ok());
            (secs, 0, pcap.map_or(0, |m| m.len()), 0)
        }
    };
    let curl_kb = curl_kb.max(curl.stop());
    println!("{secs:.3} {} {curl_kb} {server_kb} {pcap}", own_hwm_kb());
}

/// The fake server serving `size` bytes to curl through the runner.
async fn fake_to_curl(size: u64, capture: Option<&Path>) -> f64 {
    let mut suite: Suite =
        ftpconform::suite::load_str(Path::new("bench.yaml"), SUITE).expect("bench suite");
    if let CaseBody::Client(script) = &mut suite.cases[0].body {
        script.files[0].content = Body::repeat(&pattern(251), size);
    }
    let curl = ClientProfile::by_name("curl").expect("curl profile");
    let started = Instant::now();
    let result = run_case(&suite, &suite.cases[0], Target::Client(&curl), capture).await;
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(result.verdict, Verdict::Pass, "{result:?}");
    secs
}

/// vsftpd serving a seeded file of `size` bytes to curl; returns seconds,
/// the session processes' peak memory (sampled), 0 (no capture) and curl's
/// peak memory (from `wait4`: std spawns it without a fork of this image).
fn vsftpd_to_curl(dir: &Path, size: u64) -> (f64, u64, u64, u64) {
    let server = start_profile("vsftpd", &ProfileOptions::default()).expect("vsftpd starts");
    seed(&server.root().join("big.bin"), size);
    let ep = server.endpoint();
    let pid = server.pid().expect("vsftpd pid");
    let sessions = Sampler::start(pid, None);
    let out = dir.join("out.bin");
    let started = Instant::now();
    // Reaped by `wait4` below, which also gives curl's own peak memory.
    #[allow(clippy::zombie_processes)]
    let child = Command::new("curl")
        .args(["-s", "--max-time", "600", "-u"])
        .arg(format!("{}:{}", ep.user, ep.pass))
        .arg("-o")
        .arg(&out)
        .arg(format!("ftp://{}/big.bin", ep.addr))
        .spawn()
        .expect("curl runs");
    let (status, curl_kb) = wait4(child.id());
    let secs = started.elapsed().as_secs_f64();
    let server_kb = sessions.stop();
    assert_eq!(status, 0, "curl failed");
    let got = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    assert_eq!(got, size, "curl got {got} of {size} bytes");
    (secs, server_kb, 0, curl_kb)
}

/// Waits for the child `pid` (curl ends by its own `--max-time`): its raw
/// wait status and peak RSS in kB.
fn wait4(pid: u32) -> (i32, u64) {
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid as libc::pid_t, "wait4 failed");
    (status, usage.ru_maxrss as u64)
}

/// `size` bytes of a repeating pattern.
fn pattern(size: u64) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

fn seed(path: &Path, size: u64) {
    let chunk = pattern(1 << 20);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("seed file"));
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        f.write_all(&chunk[..n]).expect("seed write");
        left -= n as u64;
    }
    f.flush().expect("seed flush");
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
