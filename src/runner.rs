//! Runs validated suites against a target: one timeline and one capture per
//! case, results in suite order. For each case it runs the fake peer (and,
//! for a client-role case, the client under test next to the fake server),
//! catches a panicking peer, then runs the checks once over the finished
//! timeline.

mod client;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use client::{client_session_limit, usable, Launch};

use crate::check::facts::Ended;
use crate::check::server_case::check_server_case;
use crate::fake;
use crate::real::clients::ClientProfile;
use crate::real::servers::ServerEndpoint;
use crate::script::{Capability, Case, CaseBody, Suite};
use crate::timeline::{Event, Timeline};
use crate::verdict::{CaseResult, Role, Verdict};

/// Where captures of a run go, and which cases run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Root of the capture tree: `<dir>/<target>/<suite>/<case>.pcap`.
    pub capture_dir: PathBuf,
    /// Case filters: a case runs when any filter is a substring of
    /// `suite::case` (or when there are none).
    pub filters: Vec<String>,
    /// Write each case's pcap (`run --no-capture` turns it off: the
    /// timeline, checks and transcript are the same without it).
    pub capture: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            capture_dir: PathBuf::from("target/ftpconform/captures"),
            filters: Vec::new(),
            capture: true,
        }
    }
}

impl RunConfig {
    pub fn selects(&self, suite: &Suite, case: &Case) -> bool {
        let name = format!("{}::{}", suite.name, case.id);
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }

    /// The capture path of one case.
    pub fn capture_path(&self, target: &str, suite: &str, case: &str) -> PathBuf {
        self.capture_dir
            .join(sanitize(target))
            .join(sanitize(suite))
            .join(format!("{}.pcap", sanitize(case)))
    }
}

/// Keeps a name usable as one path component.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A passing result with nothing recorded yet: `case` of `suite` against
/// `target`.
fn blank(case: &Case, suite: &str, target: &str) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        suite: suite.to_string(),
        role: case.role(),
        target: target.to_string(),
        rfc: case.rfc.clone(),
        level: case.level,
        verdict: Verdict::Pass,
        violations: Vec::new(),
        notes: Vec::new(),
        reason: None,
        duration: Duration::ZERO,
        capture: None,
    }
}

/// A result for a case that did not run.
pub fn not_run(
    suite: &Suite,
    case: &Case,
    target: &str,
    verdict: Verdict,
    reason: String,
) -> CaseResult {
    CaseResult {
        verdict,
        reason: Some(reason),
        ..blank(case, &suite.name, target)
    }
}

/// The capabilities a case requires that the target lacks.
fn missing_capabilities(case: &Case, have: &[Capability]) -> Vec<Capability> {
    case.requires
        .iter()
        .filter(|r| !have.contains(r))
        .copied()
        .collect()
}

/// What a run has done so far: finished results and the cases running now,
/// so that an interrupted run (Ctrl-C) can still close the running cases'
/// captures and report the cases that finished.
#[derive(Clone, Default)]
pub struct RunState {
    inner: Arc<Mutex<StateInner>>,
}

#[derive(Default)]
struct StateInner {
    /// Finished results by case number (the run's case order).
    results: BTreeMap<usize, CaseResult>,
    /// The cases in flight, by case number.
    running: BTreeMap<usize, Running>,
    /// The next case number to hand out.
    next: usize,
}

/// The case in flight: its timeline, capture, and result so far.
struct Running {
    timeline: Timeline,
    capture: Option<PathBuf>,
    result: CaseResult,
    started: Instant,
}

impl RunState {
    fn lock(&self) -> std::sync::MutexGuard<'_, StateInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Numbers for `n` more cases: the first one.
    fn reserve(&self, n: usize) -> usize {
        let mut inner = self.lock();
        let first = inner.next;
        inner.next += n;
        first
    }

    /// Results of the cases that finished (and of those interrupted), in
    /// case order whatever order they finished in.
    pub fn results(&self) -> Vec<CaseResult> {
        self.lock().results.values().cloned().collect()
    }

    /// Ends the running cases' timelines (their captures are flushed and
    /// closed) and records each as interrupted by `signal` (an `error`
    /// whose reason says so); returns their results, in case order.
    pub fn interrupt(&self, signal: &str) -> Vec<CaseResult> {
        let mut inner = self.lock();
        let running = std::mem::take(&mut inner.running);
        let mut out = Vec::new();
        for (n, run) in running {
            let result = interrupted(run, signal);
            inner.results.insert(n, result.clone());
            out.push(result);
        }
        out
    }
}

/// The result of a case stopped by `signal`.
fn interrupted(run: Running, signal: &str) -> CaseResult {
    run.timeline.note(format!("run interrupted by {signal}"));
    run.timeline.finish();
    let secs = run.started.elapsed().as_secs_f64();
    CaseResult {
        verdict: Verdict::Error,
        reason: Some(format!(
            "interrupted by {signal} after {secs:.1} s; the capture holds the case until then"
        )),
        duration: run.started.elapsed(),
        capture: run.capture,
        notes: crate::check::remarks(&run.timeline.events()),
        ..run.result
    }
}

/// What a run tests: a server (server-role cases) or a client
/// (client-role cases).
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Server(&'a ServerEndpoint),
    Client(&'a ClientProfile),
}

impl Target<'_> {
    /// The name used in reports, capture paths and trial names.
    pub fn name(&self) -> String {
        match self {
            Target::Server(ep) => ep.name.clone(),
            Target::Client(p) => p.name().to_string(),
        }
    }

    /// The role of the cases this target runs.
    pub fn role(&self) -> Role {
        match self {
            Target::Server(_) => Role::Server,
            Target::Client(_) => Role::Client,
        }
    }
}

/// Runs one server-role case against `endpoint`, capturing to `capture`.
pub async fn run_server_case(
    suite: &Suite,
    case: &Case,
    endpoint: &ServerEndpoint,
    capture: Option<&Path>,
) -> CaseResult {
    let state = RunState::default();
    run_tracked(suite, case, Target::Server(endpoint), capture, &state).await
}

/// Runs one case of the target's role, capturing to `capture`.
pub async fn run_case(
    suite: &Suite,
    case: &Case,
    target: Target<'_>,
    capture: Option<&Path>,
) -> CaseResult {
    run_tracked(suite, case, target, capture, &RunState::default()).await
}

/// Runs one case like [`run_case`] and also returns its timeline's events
/// (none for a case that did not run), for transcripts and snapshots.
pub async fn run_case_events(
    suite: &Suite,
    case: &Case,
    target: Target<'_>,
    capture: Option<&Path>,
) -> (CaseResult, Vec<Event>) {
    let timeline = Timeline::new();
    let state = RunState::default();
    let result = run_on(suite, case, target, capture, &state, &timeline, 0).await;
    (result, timeline.events())
}

async fn run_tracked(
    suite: &Suite,
    case: &Case,
    target: Target<'_>,
    capture: Option<&Path>,
    state: &RunState,
) -> CaseResult {
    run_on(suite, case, target, capture, state, &Timeline::new(), 0).await
}

async fn run_on(
    suite: &Suite,
    case: &Case,
    target: Target<'_>,
    capture: Option<&Path>,
    state: &RunState,
    timeline: &Timeline,
    index: usize,
) -> CaseResult {
    if let Target::Server(endpoint) = target {
        let missing = missing_capabilities(case, &endpoint.capabilities);
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|c| c.name()).collect();
            let why = format!("target lacks {}", names.join(", "));
            return not_run(suite, case, &endpoint.name, Verdict::Skipped, why);
        }
    }
    let capture = capture.map(|p| attach_capture(timeline, p));
    let path = capture
        .as_ref()
        .and_then(|c| c.as_ref().ok())
        .map(|c| c.0.clone());
    let running = Running {
        timeline: timeline.clone(),
        capture: path,
        result: blank(case, &suite.name, &target.name()),
        started: Instant::now(),
    };
    state.lock().running.insert(index, running);
    let started = Instant::now();
    let peer = match Peer::of(case, target) {
        Ok(peer) => peer,
        Err((verdict, why)) => {
            state.lock().running.remove(&index);
            timeline.finish();
            return not_run(suite, case, &target.name(), verdict, why);
        }
    };
    let mut result = play(case, &suite.name, peer, timeline).await;
    state.lock().running.remove(&index);
    timeline.finish();
    result.duration = started.elapsed();
    record_capture(&mut result, capture);
    result
}

/// Runs one case of the target's role on `timeline` (no capture), as a
/// self-test does to look at the timeline afterwards.
pub async fn run_in(
    case: &Case,
    suite: &str,
    target: Target<'_>,
    timeline: &Timeline,
) -> CaseResult {
    let started = Instant::now();
    let peer = match Peer::of(case, target) {
        Ok(peer) => peer,
        Err((verdict, why)) => {
            let r = blank(case, suite, &target.name());
            return CaseResult {
                verdict,
                reason: Some(why),
                ..r
            };
        }
    };
    let mut result = play(case, suite, peer, timeline).await;
    result.duration = started.elapsed();
    result
}

/// Runs one client-role case with any client (`launch`, e.g. a broken
/// client written in a test) named `target`, on `timeline`.
pub async fn run_client_with(
    case: &Case,
    suite: &str,
    target: &str,
    launch: Launch,
    timeline: &Timeline,
) -> CaseResult {
    let started = Instant::now();
    let peer = Peer::Client(target.to_string(), launch);
    let mut result = play(case, suite, peer, timeline).await;
    result.duration = started.elapsed();
    result
}

/// The peer a case runs with.
enum Peer<'a> {
    /// The fake client, against this server.
    Server(&'a ServerEndpoint),
    /// The fake server, with this client (name and launch).
    Client(String, Launch),
}

impl<'a> Peer<'a> {
    /// The peer that runs `case` against `target`, or why none can.
    fn of(case: &Case, target: Target<'a>) -> Result<Peer<'a>, (Verdict, String)> {
        match target {
            Target::Server(ep) => Ok(Peer::Server(ep)),
            Target::Client(p) => {
                client::usable(case, p)?;
                Ok(Peer::Client(p.name().to_string(), client::launch(p)))
            }
        }
    }
}

/// Runs the case's peer, then judges the finished timeline.
async fn play(case: &Case, suite: &str, peer: Peer<'_>, timeline: &Timeline) -> CaseResult {
    match peer {
        Peer::Server(ep) => {
            let mut result = blank(case, suite, &ep.name);
            let CaseBody::Server(steps) = &case.body else {
                result.verdict = Verdict::Error;
                result.reason = Some("a client-role case cannot run against a server".into());
                return result;
            };
            let access = fake::client::ServerAccess {
                addr: ep.addr,
                user: ep.user.clone(),
                pass: ep.pass.clone(),
                implicit_tls: ep.capabilities.contains(&Capability::ImplicitTls),
                lease: crate::net::Lease::for_server(ep.addr),
            };
            let (c, s, tl) = (case.clone(), steps.clone(), timeline.clone());
            let ran = guarded(async move { fake::client::run(&c, &s, &access, &tl).await }).await;
            let found = check_server_case(case, steps, &timeline.events(), ep.passive_range);
            result.violations = found.violations;
            result.notes = found.notes;
            result.verdict = CaseResult::grade(&result.violations);
            match found.ended {
                // The case does not apply: whatever it saw before is kept
                // (violations, notes) but grades nothing.
                Some(Ended::NotApplicable(why)) => {
                    result.verdict = Verdict::Skipped;
                    result.reason = Some(why);
                }
                Some(Ended::Unimplemented(why)) => result.reason = Some(why),
                None => {}
            }
            if let Err(why) = ran.and_then(|r| r) {
                result.verdict = Verdict::Error;
                result.reason = Some(why);
            }
            result
        }
        Peer::Client(name, launch) => {
            let mut result = blank(case, suite, &name);
            let ran = guarded(client::serve_and_run(
                case.clone(),
                launch,
                timeline.clone(),
            ))
            .await;
            let events = timeline.events();
            match ran {
                Ok(Ok(run)) => client::judge(case, &run, &events, &mut result),
                Ok(Err((verdict, why))) => {
                    result.verdict = verdict;
                    result.reason = Some(why);
                    result.notes = crate::check::remarks(&events);
                }
                Err(why) => {
                    result.verdict = Verdict::Error;
                    result.reason = Some(why);
                }
            }
            result
        }
    }
}

/// Runs a peer in its own task: should the harness itself panic there,
/// `Err` names the panic (the case's verdict is `error`, never a crashed
/// run).
async fn guarded<T: Send + 'static>(
    peer: impl Future<Output = T> + Send + 'static,
) -> Result<T, String> {
    tokio::spawn(peer)
        .await
        .map_err(|join| format!("harness failure: {}", panic_text(join).replace('\n', " ")))
}

fn panic_text(join: tokio::task::JoinError) -> String {
    let Ok(payload) = join.try_into_panic() else {
        return "the case task was cancelled".to_string();
    };
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    format!("the case panicked: {text}")
}

/// The capture of a running case: its path and what went wrong writing it.
type Capture = (PathBuf, crate::capture::CaptureHealth);

/// Starts writing the case's pcap; a capture that cannot be created is
/// noted on stderr and in the result (`Err`), and the case runs without it.
fn attach_capture(timeline: &Timeline, path: &Path) -> Result<Capture, String> {
    let created = match path.parent().map(std::fs::create_dir_all) {
        Some(Err(e)) => Err(format!(
            "cannot create {}: {e}",
            path.parent().unwrap_or(path).display()
        )),
        _ => crate::capture::PcapObserver::create(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
    };
    match created {
        Ok(obs) => {
            let health = obs.health();
            timeline.add_observer(Box::new(obs));
            Ok((path.to_path_buf(), health))
        }
        Err(why) => {
            eprintln!("warning: {why}");
            Err(format!("no capture: {why}"))
        }
    }
}

/// What the result says of its capture once the case is over: its path,
/// and a note when writing it failed (a full disk) or never started.
fn record_capture(result: &mut CaseResult, capture: Option<Result<Capture, String>>) {
    match capture {
        Some(Ok((path, health))) => {
            if let Some(problem) = health.problem() {
                eprintln!("warning: capture {} cut short: {problem}", path.display());
                result.notes.push(format!("capture cut short: {problem}"));
            }
            result.capture = Some(path);
        }
        Some(Err(why)) => result.notes.push(why),
        None => {}
    }
}

/// Runs every selected case of `suites` whose role matches the target, up
/// to `jobs` at a time (at least one), recording progress in `state` and
/// calling `progress` after each with the case's finished timeline (for
/// reports drawn from it). Progress and results come in case order,
/// whatever order the cases finish in: a case that finished early waits
/// for those before it.
pub async fn run_suites(
    suites: &[Suite],
    target: Target<'_>,
    config: &RunConfig,
    jobs: usize,
    state: &RunState,
    progress: &mut dyn FnMut(&CaseResult, &Timeline),
) -> Vec<CaseResult> {
    use futures_util::StreamExt;
    let name = target.name();
    let cases: Vec<(&Suite, &Case)> = suites
        .iter()
        .filter(|s| s.role == target.role())
        .flat_map(|s| s.cases.iter().map(move |c| (s, c)))
        .filter(|(s, c)| config.selects(s, c))
        .collect();
    let first = state.reserve(cases.len());
    let name = &name;
    let mut runs: Vec<_> = cases.into_iter().enumerate().collect();
    // Cases the target is known to take long on start first (a stable
    // sort: the others keep their order); reports keep case order.
    let slow = match target {
        Target::Server(ep) => crate::real::servers::slow_cases(&ep.name),
        Target::Client(_) => &[],
    };
    let is_slow = |suite: &Suite, case: &Case| {
        slow.iter()
            .any(|s| s.split_once("::") == Some((suite.name.as_str(), case.id.as_str())))
    };
    runs.sort_by_key(|(_, (suite, case))| !is_slow(suite, case));
    let runs = runs.into_iter().map(|(i, (suite, case))| async move {
        let path = config.capture_path(name, &suite.name, &case.id);
        let path = config.capture.then_some(path.as_path());
        let timeline = Timeline::new();
        let result = run_on(suite, case, target, path, state, &timeline, first + i).await;
        // Kept at once: an interrupted run still reports it.
        state.lock().results.insert(first + i, result.clone());
        (i, result, timeline)
    });
    // Up to `jobs` cases in flight whatever order they finish in (a slow
    // case holds one slot, not the queue behind it); finished ones wait
    // in `ready` until every case before them has been reported.
    let mut done = futures_util::stream::iter(runs).buffer_unordered(jobs.max(1));
    let mut ready = BTreeMap::new();
    let mut next = 0;
    while let Some((i, result, timeline)) = done.next().await {
        ready.insert(i, (result, timeline));
        while let Some((result, timeline)) = ready.remove(&next) {
            progress(&result, &timeline);
            next += 1;
        }
    }
    state.results()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_paths_are_sanitized() {
        let c = RunConfig::default();
        let p = c.capture_path("127.0.0.1:2121", "rfc959", "a/b");
        assert!(
            p.ends_with("127.0.0.1_2121/rfc959/a_b.pcap"),
            "{}",
            p.display()
        );
    }
}
