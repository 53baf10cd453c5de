//! `cargo test` runs the suites: one libtest-mimic trial per (target, suite,
//! case), named `target::suite::case` and sorted. Server targets (the
//! embedded libunftp and five real servers, the latter also on ::1) run
//! the server-role suites; client targets (the embedded
//! suppaftp client and eight real clients) run the client-role suites.
//!
//! Each trial runs its case and compares the verdict, with the ids of the
//! rules it broke, against the target's verdict snapshot
//! (`tests/snapshots/conformance__verdicts-<target>.snap`), so a change in
//! the harness, the suites or a peer shows up as a changed verdict. A case
//! runs once: a verdict that differs from the snapshot fails the trial,
//! however it came about. How stable the verdicts are is measured, not
//! hidden: `scripts/flakiness.sh` runs the trials N times and prints every
//! trial that ever differed (docs/flakiness.md records the figure).
//!
//! A full (unfiltered) run also asserts each target's whole verdict table
//! with insta, which is how changed verdicts are reviewed and accepted
//! (docs/snapshots.md).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ftpconform::real::clients::ClientProfile;
use ftpconform::real::servers::profiles::ProfileOptions;
use ftpconform::real::servers::running::RunningServer;
use ftpconform::real::servers::{self, ServerEndpoint};
use ftpconform::runner::{self, RunConfig, Target};
use ftpconform::script::{Capability, Case, Suite};
use ftpconform::verdict::{CaseResult, Role, Verdict};
use libtest_mimic::{Arguments, Failed, Trial};
use tokio::sync::Semaphore;

/// Every server (`servers::server_names`) runs every server case but
/// those that require `ipv6` over IPv4; those that can
/// (`servers::runs_on_ipv6`: not the embedded libunftp) are also started
/// on ::1, as `NAME-ipv6`, and run every server case there: a case bound
/// to IPv4 (PASV, PORT) ends as not applicable (`skipped`, the server's
/// answer to its probe noted).
const IPV6_SUFFIX: &str = "-ipv6";

// The variants of a server (`servers::VARIANTS`: vsftpd with
// `require_ssl_reuse=NO`, vsftpd serving implicit FTPS) run the suites
// their options change, and only those. A case that requires implicit
// FTPS runs on a variant that serves it only (as an IPv6 case runs on the
// `-ipv6` servers only).

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Servers started on first use and stopped (by PID) when the run ends.
///
/// Cases run side by side, server cases too: each server case against an
/// IPv4 server has loopback addresses of its own (`ftpconform::net::Lease`),
/// so its traps, fixed ports included (PORT to its own address, port 80),
/// are its own, and a server that connects late (libunftp, Twisted) reaches
/// no other case. Cases on ::1 share its one address and take turns on
/// fixed ports. A target runs at most its session limit of cases at a time
/// (`servers::session_limit`, `runner::client_session_limit`: each says
/// why).
struct Servers {
    rt: tokio::runtime::Runtime,
    running: Mutex<HashMap<String, Result<Arc<RunningServer>, String>>>,
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Servers {
    fn endpoint(&self, name: &str) -> Result<ServerEndpoint, String> {
        let mut map = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map
            .entry(name.to_string())
            .or_insert_with(|| self.start(name));
        let mut ep = entry.as_ref().map(|s| s.endpoint()).map_err(Clone::clone)?;
        ep.name = name.to_string();
        Ok(ep)
    }

    fn start(&self, name: &str) -> Result<Arc<RunningServer>, String> {
        let (server, opts) = match (name.strip_suffix(IPV6_SUFFIX), servers::variant(name)) {
            (Some(server), _) => (
                server,
                ProfileOptions {
                    ipv6: true,
                    ..Default::default()
                },
            ),
            (_, Some(v)) => (v.server, (v.options)()),
            _ => (name, ProfileOptions::default()),
        };
        let started = self.rt.block_on(servers::start(server, &opts));
        started.map(Arc::new).map_err(|e| e.to_string())
    }

    /// The permits of target `name`: `limit` cases at a time.
    fn limit(&self, name: &str, limit: usize) -> Arc<Semaphore> {
        let mut map = self.limits.lock().unwrap_or_else(|e| e.into_inner());
        let permits = limit.min(Semaphore::MAX_PERMITS);
        map.entry(name.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(permits)))
            .clone()
    }

    /// Runs `case` once a permit of target `name` is free.
    fn within_limit(
        &self,
        name: &str,
        limit: usize,
        case: impl Future<Output = CaseResult>,
    ) -> CaseResult {
        let permits = self.limit(name, limit);
        self.rt.block_on(async {
            let _permit = permits.acquire().await;
            case.await
        })
    }

    fn stop_all(&self) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// What one trial tests.
#[derive(Clone)]
enum Peer {
    Server(String),
    Client(ClientProfile),
}

impl Peer {
    fn name(&self) -> String {
        match self {
            Peer::Server(n) => n.clone(),
            Peer::Client(p) => p.name().to_string(),
        }
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

type Results = Mutex<BTreeMap<String, BTreeMap<String, String>>>;

struct Trialist {
    servers: Servers,
    results: Results,
    capture_dir: PathBuf,
}

impl Trialist {
    /// Runs the case once against its peer.
    fn run(&self, peer: &Peer, suite: &Suite, case: &Case) -> Result<CaseResult, String> {
        let config = RunConfig {
            capture_dir: self.capture_dir.clone(),
            filters: vec![],
            capture: true,
        };
        let path = config.capture_path(&peer.name(), &suite.name, &case.id);
        match peer {
            Peer::Server(name) => {
                let ep = self
                    .servers
                    .endpoint(name)
                    .map_err(|e| format!("cannot start {name}: {e}"))?;
                let run = runner::run_case(suite, case, Target::Server(&ep), Some(&path));
                let limit = servers::session_limit(name);
                Ok(self.servers.within_limit(name, limit, run))
            }
            Peer::Client(profile) => {
                if !profile.installed() {
                    return Err(format!(
                        "{} is not installed: run scripts/install-peers.sh",
                        profile.name()
                    ));
                }
                let run = runner::run_case(suite, case, Target::Client(profile), Some(&path));
                let limit = runner::client_session_limit(profile);
                Ok(self.servers.within_limit(profile.name(), limit, run))
            }
        }
    }

    fn trial(&self, peer: &Peer, suite: &Suite, case: &Case) -> Result<(), Failed> {
        let target = peer.name();
        let key = format!("{}::{}", suite.name, case.id);
        let expected = expected_line(&target, &key);
        let result = self.run(peer, suite, case)?;
        let line = verdict_line(&result);
        self.record(&target, &key, &line);
        check(&target, &key, expected, &line, &result)
    }

    fn record(&self, target: &str, key: &str, line: &str) {
        let mut results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        results
            .entry(target.to_string())
            .or_default()
            .insert(key.to_string(), line.to_string());
    }
}

/// The trial's outcome: the verdict must be the stored one, and the harness
/// must have been able to run the case.
fn check(
    target: &str,
    key: &str,
    expected: Option<String>,
    line: &str,
    r: &CaseResult,
) -> Result<(), Failed> {
    if r.verdict == Verdict::Error {
        return Err(format!("harness error: {}", r.reason.clone().unwrap_or_default()).into());
    }
    let report = || ftpconform::report::table::render(std::slice::from_ref(r));
    match expected {
        Some(e) if e == line => Ok(()),
        Some(e) => Err(format!(
            "verdict changed\n  expected: {e}\n  actual:   {line}\n{}",
            report()
        )
        .into()),
        None => Err(format!(
            "no verdict stored for {key} in {}: got `{line}`; see docs/snapshots.md to accept it",
            snapshot_path(target).display()
        )
        .into()),
    }
}

fn load_suites() -> Vec<Suite> {
    ftpconform::suite::load_paths(&[root().join("suites")]).unwrap_or_else(|errs| {
        for e in errs {
            eprintln!("{e}");
        }
        panic!("the suites do not load");
    })
}

/// Every (peer, case) pair, with IPv6 cases only on the `-ipv6` servers.
fn pairs(suites: &[Suite]) -> Vec<(Peer, Suite, Case)> {
    let names = servers::server_names();
    let ipv6 = names
        .iter()
        .filter(|t| servers::runs_on_ipv6(t))
        .map(|t| format!("{t}{IPV6_SUFFIX}"));
    let variants = servers::VARIANTS.iter().map(|v| v.name.to_string());
    let servers = names
        .iter()
        .map(|t| t.to_string())
        .chain(ipv6)
        .chain(variants)
        .map(Peer::Server);
    let clients = ClientProfile::all().into_iter().map(Peer::Client);
    let mut out = Vec::new();
    for peer in servers.chain(clients) {
        let role = if matches!(peer, Peer::Server(_)) {
            Role::Server
        } else {
            Role::Client
        };
        let v6 = peer.name().ends_with(IPV6_SUFFIX);
        let variant = servers::variant(&peer.name());
        let implicit = variant.is_some_and(|v| (v.options)().implicit_tls);
        let runs = |s: &&Suite| {
            s.role == role && variant.is_none_or(|v| v.suites.contains(&s.name.as_str()))
        };
        for suite in suites.iter().filter(runs) {
            let wanted = |c: &&Case| {
                role == Role::Client
                    || ((v6 || !c.requires.contains(&Capability::Ipv6))
                        && (implicit || !c.requires.contains(&Capability::ImplicitTls)))
            };
            for case in suite.cases.iter().filter(wanted) {
                out.push((peer.clone(), suite.clone(), case.clone()));
            }
        }
    }
    out
}

/// Trials at a time unless `--test-threads` says otherwise: 8 per core,
/// as cases mostly wait on their peers.
fn default_threads() -> usize {
    8 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The sorted trials dealt out target by target (one case of each target
/// in turn), so that the trials running at a time spread over the targets
/// and their session limits; the names stay as they are.
fn interleave(trials: Vec<Trial>) -> Vec<Trial> {
    let mut by_target: BTreeMap<String, std::collections::VecDeque<Trial>> = BTreeMap::new();
    for t in trials {
        let target = t.name().split("::").next().unwrap_or_default().to_string();
        by_target.entry(target).or_default().push_back(t);
    }
    let mut out = Vec::new();
    while !by_target.is_empty() {
        by_target.retain(|_, q| {
            out.extend(q.pop_front());
            !q.is_empty()
        });
    }
    out
}

fn main() {
    let mut args = Arguments::from_args();
    args.test_threads = args.test_threads.or(Some(default_threads()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let servers = Servers {
        rt,
        running: Mutex::default(),
        limits: Mutex::default(),
    };
    let capture_dir = root().join("target/ftpconform/test-captures");
    let run = Arc::new(Trialist {
        servers,
        results: Mutex::default(),
        capture_dir,
    });
    let mut trials: Vec<Trial> = pairs(&load_suites())
        .into_iter()
        .map(|(peer, suite, case)| {
            let name = format!("{}::{}::{}", peer.name(), suite.name, case.id);
            let run = run.clone();
            Trial::test(name, move || run.trial(&peer, &suite, &case))
        })
        .collect();
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    if !args.list {
        trials = interleave(trials);
    }
    let total = trials.len() as u64;
    let full_run = args.filter.is_none() && args.skip.is_empty() && !args.list && !args.ignored;
    let conclusion = libtest_mimic::run(&args, trials);
    run.servers.stop_all();
    if full_run && conclusion.num_passed + conclusion.num_failed == total {
        assert_verdict_snapshots(&run.results.lock().unwrap_or_else(|e| e.into_inner()));
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
