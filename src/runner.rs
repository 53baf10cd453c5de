//! Runs validated suites against a target: one timeline and one capture per
//! case, results in suite order. Orchestration only; the peers do the work.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::fake;
use crate::real::clients::ClientProfile;
use crate::real::servers::ServerEndpoint;
use crate::script::{Capability, Case, Suite};
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
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            capture_dir: PathBuf::from("target/ftpconform/captures"),
            filters: Vec::new(),
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
        ..crate::check::blank(case, &suite.name, target)
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

/// What a run has done so far: finished results and the case running now,
/// so that an interrupted run (Ctrl-C) can still close the running case's
/// capture and report the cases that finished.
#[derive(Clone, Default)]
pub struct RunState {
    inner: Arc<Mutex<StateInner>>,
}

#[derive(Default)]
struct StateInner {
    results: Vec<CaseResult>,
    running: Option<(Timeline, Option<PathBuf>)>,
}

impl RunState {
    fn lock(&self) -> std::sync::MutexGuard<'_, StateInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Results of the cases that finished.
    pub fn results(&self) -> Vec<CaseResult> {
        self.lock().results.clone()
    }

    /// Ends the running case's timeline (its capture is flushed and closed)
    /// and returns the capture path, if a case was running.
    pub fn interrupt(&self) -> Option<PathBuf> {
        let (timeline, path) = self.lock().running.take()?;
        timeline.note("run interrupted");
        timeline.finish();
        path
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
    let result = run_on(suite, case, target, capture, &state, &timeline).await;
    (result, timeline.events())
}

async fn run_tracked(
    suite: &Suite,
    case: &Case,
    target: Target<'_>,
    capture: Option<&Path>,
    state: &RunState,
) -> CaseResult {
    run_on(suite, case, target, capture, state, &Timeline::new()).await
}

async fn run_on(
    suite: &Suite,
    case: &Case,
    target: Target<'_>,
    capture: Option<&Path>,
    state: &RunState,
    timeline: &Timeline,
) -> CaseResult {
    if let Target::Server(endpoint) = target {
        let missing = missing_capabilities(case, &endpoint.capabilities);
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|c| c.name()).collect();
            let why = format!("target lacks {}", names.join(", "));
            return not_run(suite, case, &endpoint.name, Verdict::Skipped, why);
        }
    }
    let capture = capture.and_then(|p| attach_capture(timeline, p));
    state.lock().running = Some((timeline.clone(), capture.clone()));
    let started = Instant::now();
    let mut result = match target {
        Target::Server(ep) => fake::run_server_case(case, &suite.name, ep, timeline).await,
        Target::Client(p) => fake::run_client_case(case, &suite.name, p, timeline).await,
    };
    state.lock().running = None;
    timeline.finish();
    result.duration = started.elapsed();
    result.capture = capture;
    result
}

/// Starts writing the case's pcap; a capture that cannot be created is
/// noted on stderr and the case runs without it.
fn attach_capture(timeline: &Timeline, path: &Path) -> Option<PathBuf> {
    if let Some(dir) = path.parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("warning: cannot create {}: {e}", dir.display());
            return None;
        }
    }
    match crate::capture::PcapObserver::create(path) {
        Ok(obs) => {
            timeline.add_observer(Box::new(obs));
            Some(path.to_path_buf())
        }
        Err(e) => {
            eprintln!("warning: cannot write {}: {e}", path.display());
            None
        }
    }
}

/// Runs every selected case of `suites` whose role matches the target, in
/// order, recording progress in `state` and calling `progress` after each.
pub async fn run_suites(
    suites: &[Suite],
    target: Target<'_>,
    config: &RunConfig,
    state: &RunState,
    progress: &mut dyn FnMut(&CaseResult),
) -> Vec<CaseResult> {
    let name = target.name();
    for suite in suites.iter().filter(|s| s.role == target.role()) {
        for case in suite.cases.iter().filter(|c| config.selects(suite, c)) {
            let path = config.capture_path(&name, &suite.name, &case.id);
            let result = run_tracked(suite, case, target, Some(&path), state).await;
            progress(&result);
            state.lock().results.push(result);
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
