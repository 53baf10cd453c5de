//! The fake FTP server that tests real FTP clients (client-role cases).
//!
//! [`run_client_case`] listens on loopback, starts the client under test
//! against it, answers the client's commands by the case's reply rules
//! (defaults for everything a case does not mention), serves the virtual
//! file tree, records every connection on the timeline, then runs the
//! client checks.
//!
//! # Fault injection (the `Action`s of a reply rule)
//!
//! - `reply`: send a reply; several lines make a multiline reply in one of
//!   three styles (`all-coded`: every line `xyz-`; `uncoded`: interior lines
//!   bare; `indented`: interior lines start with a space); `bare-lf: true`
//!   ends lines with LF only. On a transfer verb, a 1xx reply replaces the
//!   150 and any other reply replaces the 226 (a multiline 150 or 226, or a
//!   426 after a short transfer).
//! - `raw`: send bytes as they are.
//! - `default`: the normal answer for the verb.
//! - `pasv {address, shape}`: a 227 naming `address` (default: the control
//!   address) in a shape seen on real servers (`standard`,
//!   `trailing-period`, `no-parens`, `lower-case`, `extra-text`). The fake
//!   server listens on the control address; when the 227 names another
//!   loopback address (127.0.0.2) it also listens there on the same port,
//!   and a client that connects there is recorded as a stray connection and
//!   fails `client-trusts-pasv-address`.
//! - `use-125`: 125 instead of 150.
//! - `late-preliminary`: the 150 is sent only after the data connection has
//!   been closed.
//! - `no-data-connection`: the data connection is never accepted (passive)
//!   or opened (active); after the 150 and a wait of the case timeout the
//!   server sends 425 (or the rule's last reply).
//! - `close-data-after: N`: the data connection is closed after N bytes (a
//!   truncated download, or an upload cut short by the server).
//! - `delay: D`: wait before the next action.
//! - `disconnect`: close the control connection (after a `reply: 421` it
//!   models a server shutting down).
//!
//! Modifiers (`use-125`, `late-preliminary`, `no-data-connection`,
//! `close-data-after`) given on any verb apply to the next transfer; a rule
//! whose actions reply nothing gets the default reply after them. A rule
//! `on: GREETING` replaces the 220 greeting.
//!
//! Active mode: the fake server connects only to the client's control
//! address (always loopback); any other PORT/EPRT address is refused with
//! 501 and never connected to.

mod rules;
mod session;
mod transfer;
mod verbs;
pub mod vfs;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::check::client_case::check_client_case;
use crate::net::{Conn, ControlConn, Listener};
use crate::real::clients::{basename, ClientProfile, ClientRun, Task};
use crate::script::{Case, CaseBody, ClientOp, ClientScript, Family};
use crate::timeline::{EventKind, OpenRole, Timeline};
use crate::verdict::{CaseResult, Verdict};

use session::ServerSession;
use transfer::AS_SERVER;

/// Bytes uploaded by a `put` when the case names no such file.
pub const DEFAULT_UPLOAD: &[u8] = b"ftpconform upload\nline two\n";

/// How long a client may run: three case timeouts, at least 10 s.
pub fn client_deadline(case: &Case) -> Duration {
    (case.timeout * 3).max(Duration::from_secs(10))
}

/// Runs one client-role case with `client` against the fake server.
/// Never panics; every wait is bounded.
pub async fn run_client_case(
    case: &Case,
    suite: &str,
    client: &ClientProfile,
    timeline: &Timeline,
) -> CaseResult {
    let usable = usable(case, client);
    let profile = client.clone();
    let launch: Launch =
        Box::new(move |task: Task| Box::pin(async move { profile.run(&task).await }));
    run_with(case, suite, client.name(), usable, launch, timeline).await
}

/// Runs a client: given the task, returns what the run left behind.
pub type Launch = Box<dyn FnOnce(Task) -> Pin<Box<dyn Future<Output = ClientRun> + Send>> + Send>;

/// Whether `client` can run `case` here: `Err` is the verdict and reason.
fn usable(case: &Case, client: &ClientProfile) -> Result<(), (Verdict, String)> {
    if let CaseBody::Client(fs) = &case.body {
        client
            .supports(fs.op, fs.passive, fs.extended, fs.family)
            .map_err(|why| (Verdict::Unimplemented, why))?;
    }
    if !client.installed() {
        let why = format!(
            "{} is not installed: run scripts/install-peers.sh",
            client.name()
        );
        return Err((Verdict::Error, why));
    }
    Ok(())
}

/// Runs one client-role case with any client (`launch`), e.g. a broken
/// client written in a test. `usable` short-cuts the run with a verdict.
pub async fn run_with(
    case: &Case,
    suite: &str,
    target: &str,
    usable: Result<(), (Verdict, String)>,
    launch: Launch,
    timeline: &Timeline,
) -> CaseResult {
    let started = Instant::now();
    let (c, t, tl) = (case.clone(), target.to_string(), timeline.clone());
    let task = tokio::spawn(async move {
        let mut notes = Vec::new();
        let outcome = match usable {
            Ok(()) => run_checked(&c, &t, launch, &tl, &mut notes).await,
            Err(e) => Err(e),
        };
        (outcome, notes)
    });
    let mut result = crate::check::blank(case, suite, target);
    match task.await {
        Ok((Ok(violations), notes)) => {
            result.verdict = CaseResult::grade(&violations);
            result.violations = violations;
            result.notes = notes;
        }
        Ok((Err((verdict, reason)), notes)) => {
            result.verdict = verdict;
            result.reason = Some(reason);
            result.notes = notes;
        }
        Err(join) => {
            result.verdict = Verdict::Error;
            result.reason = Some(format!("harness failure: {join}"));
        }
    }
    result.duration = started.elapsed();
    result
}

type Outcome = Result<Vec<crate::verdict::Violation>, (Verdict, String)>;

async fn run_checked(
    case: &Case,
    target: &str,
    launch: Launch,
    timeline: &Timeline,
    notes: &mut Vec<String>,
) -> Outcome {
    let CaseBody::Client(fs) = &case.body else {
        let why = "a server-role case cannot run against a client".to_string();
        return Err((Verdict::Error, why));
    };
    let run = serve_and_run(case, fs, launch, timeline, notes).await?;
    if let Some(e) = &run.error {
        return Err((Verdict::Error, e.clone()));
    }
    record_run(&run, notes);
    let events = timeline.events();
    if !events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Opened { .. }))
    {
        let why = format!("{target} never connected; stderr: {}", tail(&run.stderr));
        return Err((Verdict::Error, why));
    }
    Ok(check_client_case(case, fs, &events, &run))
}

/// Listens, runs the session and the client side by side, returns the run.
async fn serve_and_run(
    case: &Case,
    fs: &ClientScript,
    launch: Launch,
    timeline: &Timeline,
    notes: &mut Vec<String>,
) -> Result<ClientRun, (Verdict, String)> {
    let ip: IpAddr = match fs.family {
        Family::V4 => Ipv4Addr::LOCALHOST.into(),
        Family::V6 => Ipv6Addr::LOCALHOST.into(),
    };
    let listener = Listener::bind(SocketAddr::new(ip, 0), AS_SERVER, "control", timeline)
        .await
        .map_err(|e| (Verdict::Skipped, format!("cannot listen on {ip}: {e}")))?;
    let addr = listener.local_addr();
    let dir = tempfile::tempdir().map_err(|e| (Verdict::Error, format!("temp folder: {e}")))?;
    let task = make_task(case, fs, addr, dir.path())?;
    let deadline = task.deadline;
    let (op, local) = (task.op, task.local.clone());
    let source = std::fs::read(&local).ok();
    let (done, done_rx) = watch::channel(false);
    let session = tokio::spawn(serve(
        listener,
        fs.clone(),
        timeline.clone(),
        case.timeout,
        deadline,
        done_rx,
    ));
    let client_task = tokio::spawn(launch(task));
    let run = match timeout(deadline + Duration::from_secs(5), client_task).await {
        Ok(Ok(run)) => run,
        Ok(Err(e)) => return Err((Verdict::Error, format!("the client run panicked: {e}"))),
        Err(_) => return Err((Verdict::Error, "the client run did not end".into())),
    };
    let _ = done.send(true);
    finish_session(session, notes).await;
    Ok(with_files(run, op, &local, source))
}

async fn finish_session(session: tokio::task::JoinHandle<Vec<String>>, notes: &mut Vec<String>) {
    let abort = session.abort_handle();
    match timeout(Duration::from_secs(5), session).await {
        Ok(Ok(n)) => notes.extend(n),
        Ok(Err(e)) => notes.push(format!("fake server task failed: {e}")),
        Err(_) => {
            abort.abort();
            notes.push("fake server session still open after the client ended; closed".into());
        }
    }
}

/// Accepts control connections (a client may reconnect, as lftp does after
/// a refused EPSV) and runs a session on each, until the client has ended
/// (`done`) or `idle` has passed.
async fn serve(
    listener: Listener,
    fs: ClientScript,
    timeline: Timeline,
    wait: Duration,
    idle: Duration,
    mut done: watch::Receiver<bool>,
) -> Vec<String> {
    let mut sessions = JoinSet::new();
    let mut notes = Vec::new();
    let stop = tokio::time::sleep(idle);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept(OpenRole::Control) => match accepted {
                Ok(conn) => {
                    sessions.spawn(session(conn, &fs, &timeline, wait, idle));
                }
                Err(e) => {
                    notes.push(format!("accept failed: {e}"));
                    break;
                }
            },
            _ = done.changed() => break,
            _ = &mut stop => break,
        }
    }
    drop(listener);
    if sessions.is_empty() {
        notes.push("the client never opened the control connection".into());
    }
    while let Ok(Some(ended)) = timeout(Duration::from_secs(2), sessions.join_next()).await {
        match ended {
            Ok(n) => notes.extend(n),
            Err(e) => notes.push(format!("fake server session failed: {e}")),
        }
    }
    notes
}

/// One control session on an accepted connection.
fn session(
    conn: Conn,
    fs: &ClientScript,
    timeline: &Timeline,
    wait: Duration,
    idle: Duration,
) -> impl Future<Output = Vec<String>> + Send + 'static {
    let (fs, timeline) = (fs.clone(), timeline.clone());
    async move {
        let ctl = ControlConn::new(conn);
        ServerSession::new(ctl, timeline, &fs, wait, idle)
            .run()
            .await
    }
}

fn make_task(
    case: &Case,
    fs: &ClientScript,
    server: SocketAddr,
    dir: &std::path::Path,
) -> Result<Task, (Verdict, String)> {
    let name = match basename(&fs.path) {
        "" => "listing.txt",
        n => n,
    };
    let local = dir.join(name);
    if fs.op == ClientOp::Put {
        let content = fs
            .files
            .iter()
            .find(|f| f.path.trim_start_matches('/') == fs.path.trim_start_matches('/'))
            .map_or(DEFAULT_UPLOAD.to_vec(), |f| f.content.clone());
        std::fs::write(&local, content)
            .map_err(|e| (Verdict::Error, format!("upload source: {e}")))?;
    }
    Ok(Task {
        op: fs.op,
        path: fs.path.clone(),
        passive: fs.passive,
        extended: fs.extended,
        family: fs.family,
        server,
        user: session::USER.into(),
        pass: session::PASS.into(),
        workdir: dir.to_path_buf(),
        local,
        timeout: case.timeout * 2,
        deadline: client_deadline(case),
    })
}

/// Fills in the local file (downloads, listings) and the upload source
/// when the launch did not.
fn with_files(
    mut run: ClientRun,
    op: ClientOp,
    local: &std::path::Path,
    source: Option<Vec<u8>>,
) -> ClientRun {
    match op {
        ClientOp::Put => run.upload_source = run.upload_source.or(source),
        _ => run.local_file = run.local_file.or_else(|| std::fs::read(local).ok()),
    }
    run
}

fn record_run(run: &ClientRun, notes: &mut Vec<String>) {
    let status = match (run.timed_out, run.exit_code) {
        (true, _) => "killed after the deadline".to_string(),
        (false, Some(c)) => format!("exit status {c}"),
        (false, None) => "ended by a signal".to_string(),
    };
    notes.push(format!("client: {status}"));
    if !run.stderr.trim().is_empty() {
        notes.push(format!("client stderr: {}", tail(&run.stderr)));
    }
}

/// The last few lines of a text, on one line.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}
