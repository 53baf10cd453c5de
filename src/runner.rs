//! Runs validated suites against a target: one timeline and one capture per
//! case, results in suite order. Orchestration only; the peers do the work.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::check::{CaseResult, Verdict};
use crate::clients::ClientProfile;
use crate::peer;
use crate::script::{Case, Role, Suite};
use crate::target::ServerEndpoint;
use crate::timeline::{Event, Timeline};

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

/// A parsed `ftp://user:pass@host:port` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpUrl {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub pass: String,
}

/// Why a target could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    BadUrl(String),
    Unreachable { target: String, reason: String },
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetError::BadUrl(why) => write!(f, "bad target URL: {why}"),
            TargetError::Unreachable { target, reason } => {
                write!(f, "cannot use target {target}: {reason}")
            }
        }
    }
}

impl std::error::Error for TargetError {}

impl FtpUrl {
    /// Parses `ftp://[user[:pass]@]host[:port]`; IPv6 hosts in brackets.
    /// Without credentials the user is `anonymous`.
    pub fn parse(url: &str) -> Result<FtpUrl, TargetError> {
        let bad = |why: &str| TargetError::BadUrl(format!("{url}: {why}"));
        let rest = url
            .strip_prefix("ftp://")
            .ok_or_else(|| bad("must start with ftp://"))?;
        let rest = rest.trim_end_matches('/');
        let (cred, hostport) = match rest.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, rest),
        };
        let (user, pass) = match cred {
            Some(c) => match c.split_once(':') {
                Some((u, p)) => (u.to_string(), p.to_string()),
                None => (c.to_string(), String::new()),
            },
            None => ("anonymous".to_string(), "ftpconform@".to_string()),
        };
        let (host, port) = split_host_port(hostport).ok_or_else(|| bad("bad host or port"))?;
        if host.is_empty() || user.is_empty() {
            return Err(bad("empty host or user"));
        }
        Ok(FtpUrl {
            host,
            port,
            user,
            pass,
        })
    }

    /// Resolves the host to the first socket address.
    pub fn resolve(&self) -> Result<SocketAddr, TargetError> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| TargetError::BadUrl(format!("cannot resolve {}", self.host)))
    }

    /// An endpoint for this URL; capabilities are assumed (every case runs).
    pub fn endpoint(&self) -> Result<ServerEndpoint, TargetError> {
        let addr = self.resolve()?;
        Ok(ServerEndpoint {
            name: format!("{}:{}", self.host, self.port),
            addr,
            user: self.user.clone(),
            pass: self.pass.clone(),
            passive_range: None,
            capabilities: ["active", "upload", "ipv6", "epsv"]
                .map(String::from)
                .to_vec(),
        })
    }
}

fn split_host_port(s: &str) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 21,
            None => return None,
        };
        return Some((h.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((s.to_string(), 21)),
    }
}

/// Checks that the server accepts a connection and greets within `limit`;
/// a target that is down, refuses, or stays silent is a one-line error.
pub async fn probe(endpoint: &ServerEndpoint, limit: Duration) -> Result<(), TargetError> {
    use tokio::io::AsyncReadExt;
    let fail = |reason: String| TargetError::Unreachable {
        target: format!("{} ({})", endpoint.name, endpoint.addr),
        reason,
    };
    let mut stream = tokio::time::timeout(limit, tokio::net::TcpStream::connect(endpoint.addr))
        .await
        .map_err(|_| fail(format!("no answer to connect within {limit:?}")))?
        .map_err(|e| fail(e.to_string()))?;
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(limit, stream.read(&mut buf))
        .await
        .map_err(|_| fail(format!("no greeting within {limit:?}")))?
        .map_err(|e| fail(e.to_string()))?;
    if n == 0 {
        return Err(fail("closed the connection without a greeting".into()));
    }
    if !buf[..n].starts_with(b"2") && !buf[..n].starts_with(b"1") {
        let line = String::from_utf8_lossy(&buf[..n]);
        return Err(fail(format!(
            "greeting is not 220: {}",
            line.lines().next().unwrap_or("")
        )));
    }
    Ok(())
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
        ..CaseResult::blank(case, &suite.name, target)
    }
}

/// The capabilities a case requires that the target lacks.
pub fn missing_capabilities(case: &Case, have: &[String]) -> Vec<String> {
    case.requires
        .iter()
        .filter(|r| !have.contains(r))
        .cloned()
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
            let why = format!("target lacks {}", missing.join(", "));
            return not_run(suite, case, &endpoint.name, Verdict::Skipped, why);
        }
    }
    let capture = capture.and_then(|p| attach_capture(timeline, p));
    state.lock().running = Some((timeline.clone(), capture.clone()));
    let started = Instant::now();
    let mut result = match target {
        Target::Server(ep) => peer::run_server_case(case, &suite.name, ep, timeline).await,
        Target::Client(p) => peer::run_client_case(case, &suite.name, p, timeline).await,
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
    fn parses_ftp_urls() {
        let u = FtpUrl::parse("ftp://bob:secret@127.0.0.1:2121").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.user.as_str(), u.pass.as_str()),
            ("127.0.0.1", 2121, "bob", "secret")
        );
        let u = FtpUrl::parse("ftp://[::1]:2121/").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.user.as_str()),
            ("::1", 2121, "anonymous")
        );
        assert_eq!(FtpUrl::parse("ftp://localhost").unwrap().port, 21);
        assert!(FtpUrl::parse("http://x").is_err());
        assert!(FtpUrl::parse("ftp://host:99999").is_err());
        assert!(FtpUrl::parse("ftp://[::1").is_err());
    }

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

    #[tokio::test]
    async fn probe_reports_refused_connection_in_one_line() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let ep = FtpUrl::parse(&format!("ftp://127.0.0.1:{}", addr.port()))
            .unwrap()
            .endpoint()
            .unwrap();
        let err = probe(&ep, Duration::from_secs(2))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("refused") && !err.contains('\n'), "{err}");
    }

    #[tokio::test]
    async fn probe_times_out_on_a_silent_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hold = tokio::spawn(async move { listener.accept().await.map(|(s, _)| s) });
        let ep = FtpUrl::parse(&format!("ftp://127.0.0.1:{}", addr.port()))
            .unwrap()
            .endpoint()
            .unwrap();
        let err = probe(&ep, Duration::from_millis(300))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("no greeting"), "{err}");
        hold.abort();
    }
}
