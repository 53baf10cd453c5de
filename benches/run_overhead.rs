//! Benchmark: wall time of the whole server-suite run against the embedded
//! libunftp server, and the harness's per-case overhead measured against a
//! real client (curl) doing the same PASV download against the same server
//! in the same run.
//!
//! `cargo bench --bench run_overhead` prints the figures (docs/benchmarks.md
//! keeps them). Under `cargo test` (no `--bench` argument) it runs one quick
//! iteration of each measurement, so the code stays exercised.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use ftpconform::real::servers::embedded::start_embedded;
use ftpconform::real::servers::ServerEndpoint;
use ftpconform::runner::{self, RunConfig, RunState, Target};
use ftpconform::script::Suite;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn suites() -> Vec<Suite> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites/server");
    ftpconform::suite::load_paths(&[dir]).expect("server suites load")
}

/// Runs every server case once; returns the wall time and the case count.
async fn whole_run(
    suites: &[Suite],
    ep: &ServerEndpoint,
    captures: &std::path::Path,
    filter: &str,
) -> (Duration, usize) {
    let config = RunConfig {
        capture_dir: captures.to_path_buf(),
        filters: vec![filter.to_string()],
        ..RunConfig::default()
    };
    let started = Instant::now();
    let results = runner::run_suites(
        suites,
        Target::Server(ep),
        &config,
        1,
        &RunState::default(),
        &mut |_, _| {},
    )
    .await;
    (started.elapsed(), results.len())
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
    // Under `cargo test`: one quick pass over the smoke suite and two reps.
    let (runs, reps, filter) = if bench {
        (3, 50, "")
    } else {
        (1, 2, "server-smoke::")
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let suites = suites();
    let tmp = tempfile::tempdir().unwrap();
    let (wall, cases) = {
        // One server for the whole runs, a fresh one for the per-case
        // figures: cases that leave passive ports half-used must not skew
        // (or break) the comparison with curl.
        let server = rt
            .block_on(start_embedded())
            .expect("embedded server starts");
        let ep = server.endpoint();
        let runs: Vec<_> = (0..runs)
            .map(|_| rt.block_on(whole_run(&suites, &ep, tmp.path(), filter)))
            .collect();
        let cases = runs[0].1;
        (median(runs.into_iter().map(|r| r.0).collect()), cases)
    };
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
    let curl: Vec<_> = (0..reps).map(|_| curl_case(&ep)).collect();
    let (w, wo, c) = (median(with_cap), median(without), median(curl));
    println!(
        "whole run: {cases} cases against embedded libunftp in {wall:.2?} ({:.1?} per case)",
        wall / cases as u32
    );
    println!("PASV RETR hello.txt, median of {reps}:");
    println!("  ftpconform, capture on : {w:.2?}");
    println!("  ftpconform, capture off: {wo:.2?}");
    println!("  curl (process spawn incl.): {c:.2?}");
    println!(
        "  ratio harness/curl: {:.2} (capture on), {:.2} (off)",
        w.as_secs_f64() / c.as_secs_f64(),
        wo.as_secs_f64() / c.as_secs_f64()
    );
}
