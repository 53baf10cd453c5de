//! `cargo test` runs the suites: one libtest-mimic trial per (target, suite,
//! case), named `target::suite::case`. Each trial runs its case against a
//! real server and compares the verdict with the target's verdict snapshot
//! (`tests/snapshots/conformance__verdicts-<target>.snap`), so a change in
//! the harness, the suites or a server shows up as a changed verdict.
//!
//! A full (unfiltered) run also asserts each target's whole verdict table
//! with insta, which is how a changed verdict is reviewed and accepted
//! (`INSTA_UPDATE=always cargo test --test conformance` then
//! `cargo insta review`; see docs/snapshots.md).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ftpconform::check::CaseResult;
use ftpconform::runner::{self, RunConfig};
use ftpconform::script::{Case, Role, Suite};
use ftpconform::target::profiles::{start_profile, ProfileOptions};
use ftpconform::target::running::RunningServer;
use ftpconform::target::{embedded, ServerEndpoint};
use libtest_mimic::{Arguments, Failed, Trial};

/// The targets every server suite runs against (over IPv4).
const TARGETS: &[&str] = &[
    "embedded",
    "vsftpd",
    "proftpd",
    "pure-ftpd",
    "pyftpdlib",
    "twisted",
];
/// The profiles also started on ::1, for the cases that require `ipv6`
/// (libunftp is left out: the embedded server listens on IPv4 only).
const IPV6_SUFFIX: &str = "-ipv6";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Targets started on first use and stopped (by PID) when the run ends.
struct Targets {
    rt: tokio::runtime::Runtime,
    running: Mutex<HashMap<String, Result<Arc<RunningServer>, String>>>,
}

impl Targets {
    fn endpoint(&self, name: &str) -> Result<ServerEndpoint, String> {
        let mut map = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map
            .entry(name.to_string())
            .or_insert_with(|| self.start(name));
        entry.as_ref().map(|s| s.endpoint()).map_err(Clone::clone)
    }

    fn start(&self, name: &str) -> Result<Arc<RunningServer>, String> {
        let started = match name.strip_suffix(IPV6_SUFFIX) {
            _ if name == "embedded" => self.rt.block_on(embedded::start_embedded()),
            Some(profile) => start_profile(
                profile,
                &ProfileOptions {
                    ipv6: true,
                    ..Default::default()
                },
            ),
            None => start_profile(name, &ProfileOptions::default()),
        };
        started.map(Arc::new).map_err(|e| e.to_string())
    }

    fn stop_all(&self) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// One result line of a verdict table: `suite::case verdict [rules]`.
fn verdict_line(r: &CaseResult) -> String {
    let mut rules: Vec<&str> = r.violations.iter().map(|v| v.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let rules = if rules.is_empty() {
        String::new()
    } else {
        format!(" [{}]", rules.join(", "))
    };
    format!("{}::{} {}{}", r.suite, r.id, r.verdict.as_str(), rules)
}

fn snapshot_path(target: &str) -> PathBuf {
    root().join(format!(
        "tests/snapshots/conformance__verdicts-{target}.snap"
    ))
}

/// The expected line for `suite::case` in the stored snapshot, if any.
fn expected_line(target: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(snapshot_path(target)).ok()?;
    let body = text.splitn(3, "---\n").nth(2)?;
    let prefix = format!("{key} ");
    body.lines()
        .find(|l| l.starts_with(&prefix))
        .map(str::to_string)
}

fn run_trial(
    targets: &Targets,
    results: &Mutex<BTreeMap<String, BTreeMap<String, String>>>,
    target: &str,
    suite: &Suite,
    case: &Case,
    capture_dir: &Path,
) -> Result<(), Failed> {
    let mut endpoint = targets
        .endpoint(target)
        .map_err(|e| format!("cannot start {target}: {e}"))?;
    // Trial names and captures use the target's name as listed here.
    endpoint.name = target.to_string();
    let config = RunConfig {
        capture_dir: capture_dir.to_path_buf(),
        filters: vec![],
    };
    let path = config.capture_path(target, &suite.name, &case.id);
    let result = targets
        .rt
        .block_on(runner::run_server_case(suite, case, &endpoint, Some(&path)));
    let line = verdict_line(&result);
    let key = format!("{}::{}", suite.name, case.id);
    results
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(target.to_string())
        .or_default()
        .insert(key.clone(), line.clone());
    if result.verdict == ftpconform::check::Verdict::Error {
        return Err(format!("harness error: {}", result.reason.unwrap_or_default()).into());
    }
    match expected_line(target, &key) {
        Some(expected) if expected == line => Ok(()),
        Some(expected) => Err(format!(
            "verdict changed\n  expected: {expected}\n  actual:   {line}\n{}",
            ftpconform::report::table::render(&[result])
        )
        .into()),
        None => Err(format!(
            "no verdict stored for {key} in {}: got `{line}`; accept with \
             INSTA_UPDATE=always cargo test --test conformance && cargo insta review",
            snapshot_path(target).display()
        )
        .into()),
    }
}

fn main() {
    let args = Arguments::from_args();
    let suites =
        ftpconform::suite::load_paths(&[root().join("suites/server")]).unwrap_or_else(|errs| {
            for e in errs {
                eprintln!("{e}");
            }
            panic!("the server suites do not load");
        });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let targets = Arc::new(Targets {
        rt,
        running: Mutex::new(HashMap::new()),
    });
    let results = Arc::new(Mutex::new(BTreeMap::new()));
    let capture_dir = root().join("target/ftpconform/test-captures");
    let mut trials = Vec::new();
    let ipv6 = TARGETS
        .iter()
        .filter(|t| **t != "embedded")
        .map(|t| format!("{t}{IPV6_SUFFIX}"));
    let all: Vec<String> = TARGETS.iter().map(|t| t.to_string()).chain(ipv6).collect();
    for target in all {
        let v6 = target.ends_with(IPV6_SUFFIX);
        for suite in suites.iter().filter(|s| s.role == Role::Server) {
            for case in suite
                .cases
                .iter()
                .filter(|c| c.requires.iter().any(|r| r == "ipv6") == v6)
            {
                let (t, r, s, c, d) = (
                    targets.clone(),
                    results.clone(),
                    suite.clone(),
                    case.clone(),
                    capture_dir.clone(),
                );
                let name = format!("{target}::{}::{}", suite.name, case.id);
                let target = target.clone();
                trials.push(Trial::test(name, move || {
                    run_trial(&t, &r, &target, &s, &c, &d)
                }));
            }
        }
    }
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    let total = trials.len();
    let full_run = args.filter.is_none() && args.skip.is_empty() && !args.list && !args.ignored;
    let conclusion = libtest_mimic::run(&args, trials);
    targets.stop_all();
    if full_run && conclusion.num_passed + conclusion.num_failed == total as u64 {
        assert_verdict_snapshots(&results.lock().unwrap_or_else(|e| e.into_inner()));
    }
    conclusion.exit();
}

/// Each target's whole verdict table as an insta snapshot.
fn assert_verdict_snapshots(results: &BTreeMap<String, BTreeMap<String, String>>) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (target, lines) in results {
            let table: Vec<&str> = lines.values().map(String::as_str).collect();
            insta::assert_snapshot!(format!("conformance__verdicts-{target}"), table.join("\n"));
        }
    });
}
