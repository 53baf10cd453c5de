//! A client-role case: the fake server answers, the client under test runs
//! next to it with a task in a temporary folder, and the checks judge the
//! timeline with what the client's run left (exit status, files).

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use tokio::time::timeout;

use crate::check::client_case::check_client_case;
use crate::check::client_mode::not_applicable;
use crate::check::client_view::ClientView;
use crate::fake;
use crate::real::clients::{basename, ClientProfile, ClientRun, LocalFile, Task};
use crate::script::{Body, Case, CaseBody, ClientOp, ClientScript, Family};
use crate::timeline::{EventKind, Timeline};
use crate::verdict::{CaseResult, Verdict};

/// Bytes uploaded by a `put` when the case names no such file.
const DEFAULT_UPLOAD: &[u8] = b"ftpconform upload\nline two\n";

/// Runs a client: given the task, returns what the run left behind.
pub type Launch = Box<dyn FnOnce(Task) -> Pin<Box<dyn Future<Output = ClientRun> + Send>> + Send>;

/// Why a client-role case did not reach its checks: the verdict and reason.
type NotRun = (Verdict, String);

/// The slowest transfer rate a client run is given time for.
const SLOWEST_RATE: u64 = 32 << 20;

/// How long a client may run: three case timeouts, at least 10 s, and one
/// second more per 32 MiB of the case's largest file.
fn client_deadline(case: &Case) -> Duration {
    let largest = match &case.body {
        CaseBody::Client(fs) => fs.files.iter().map(|f| f.content.len()).max(),
        CaseBody::Server(_) => None,
    };
    let transfer = Duration::from_secs(largest.unwrap_or(0) / SLOWEST_RATE);
    (case.timeout * 3).max(Duration::from_secs(10)) + transfer
}

/// The launch of a client profile.
pub(super) fn launch(client: &ClientProfile) -> Launch {
    let profile = client.clone();
    Box::new(move |task: Task| Box::pin(async move { profile.run(&task).await }))
}

/// Whether `client` can run `case` here: its driver has a command line for
/// the case's operation, and the client is installed. (Whether the client
/// does what the case asks shows once it has run: see [`judge`].)
pub fn usable(case: &Case, client: &ClientProfile) -> Result<(), NotRun> {
    if let CaseBody::Client(fs) = &case.body {
        client
            .drives(fs.op)
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

/// Runs the fake server and the client side by side; returns what the
/// client's run left.
pub(super) async fn serve_and_run(
    case: Case,
    launch: Launch,
    timeline: Timeline,
) -> Result<ClientRun, NotRun> {
    let CaseBody::Client(fs) = &case.body else {
        let why = "a server-role case cannot run against a client".to_string();
        return Err((Verdict::Error, why));
    };
    let deadline = client_deadline(&case);
    let serving = fake::server::start(fs, &timeline, case.timeout, deadline)
        .await
        .map_err(|why| (Verdict::Skipped, why))?;
    let dir = tempfile::tempdir().map_err(|e| (Verdict::Error, format!("temp folder: {e}")));
    let task = dir.and_then(|d| Ok((make_task(&case, fs, serving.addr(), d.path())?, d)));
    let (task, dir) = match task {
        Ok(t) => t,
        Err(e) => {
            serving.stop().await;
            return Err(e);
        }
    };
    let (op, local) = (task.op, task.local.clone());
    let source = LocalFile::read(&local).ok();
    let run = timeout(deadline + Duration::from_secs(5), launch(task)).await;
    serving.stop().await;
    let run = run.map_err(|_| (Verdict::Error, "the client run did not end".to_string()))?;
    let run = with_files(run, op, &local, source);
    drop(dir);
    Ok(run)
}

/// Judges a client-role case once the client has run: `result` gets the
/// violations, the notes (the fake server's remarks, the client's exit)
/// and the verdict; `unimplemented` when the timeline shows the client
/// chose another mode than the case's, one its command line could not ask
/// for (see [`not_applicable`]).
pub(super) fn judge(
    case: &Case,
    run: &ClientRun,
    events: &[crate::timeline::Event],
    result: &mut CaseResult,
) {
    result.notes = crate::check::remarks(events);
    if let Some(e) = &run.error {
        result.verdict = Verdict::Error;
        result.reason = Some(e.clone());
        return;
    }
    record_run(run, &mut result.notes);
    let opened = events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Opened { .. }));
    let fs = match &case.body {
        CaseBody::Client(fs) if opened => Some(fs),
        _ => None,
    };
    let Some(fs) = fs else {
        never_connected(case, run, result);
        return;
    };
    let sent = ClientView::from_events(events).commands;
    if let Some(why) = not_applicable(&result.target, fs, &sent, &run.unasked) {
        result.verdict = Verdict::Unimplemented;
        result.reason = Some(why);
        return;
    }
    result.violations = check_client_case(case, fs, events, run);
    result.verdict = CaseResult::grade(&result.violations);
}

/// A client that never connected: over IPv6 the run shows the client does
/// not reach an IPv6 server (`unimplemented`, its stderr the evidence);
/// over IPv4 the harness failed to run it (`error`).
fn never_connected(case: &Case, run: &ClientRun, result: &mut CaseResult) {
    let stderr = tail(&run.stderr);
    let v6 = matches!(&case.body, CaseBody::Client(fs) if fs.family == Family::V6);
    let (verdict, why) = match v6 {
        true => (
            Verdict::Unimplemented,
            format!(
                "not applicable to {}: it never connected to the fake server over IPv6; stderr: {stderr}",
                result.target
            ),
        ),
        false => (
            Verdict::Error,
            format!("{} never connected; stderr: {stderr}", result.target),
        ),
    };
    result.verdict = verdict;
    result.reason = Some(why);
}

fn make_task(
    case: &Case,
    fs: &ClientScript,
    server: SocketAddr,
    dir: &Path,
) -> Result<Task, NotRun> {
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
            .map_or(Body::bytes(DEFAULT_UPLOAD), |f| f.content.clone());
        write_body(&content, &local)
            .map_err(|e| (Verdict::Error, format!("upload source: {e}")))?;
    }
    if fs.op == ClientOp::Resume {
        let content = fs
            .files
            .iter()
            .find(|f| f.path.trim_start_matches('/') == fs.path.trim_start_matches('/'))
            .map_or(Body::bytes(b""), |f| f.content.clone());
        write_first_half(&content, &local)
            .map_err(|e| (Verdict::Error, format!("partial local file: {e}")))?;
    }
    Ok(Task {
        op: fs.op,
        path: fs.path.clone(),
        passive: fs.passive,
        extended: fs.extended,
        family: fs.family,
        server,
        user: fake::server::USER.into(),
        pass: fake::server::PASS.into(),
        workdir: dir.to_path_buf(),
        local,
        timeout: case.timeout * 2,
        deadline: client_deadline(case),
        tls: fs.tls.is_some(),
    })
}

/// The first half of `body` (rounded down) at `path`: what an interrupted
/// download left, for a `resume` case.
fn write_first_half(body: &Body, path: &Path) -> std::io::Result<()> {
    let len = body.digest()?.len;
    let mut reader = body.reader(0)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let (mut left, mut buf) = (len / 2, vec![0u8; 64 * 1024]);
    while left > 0 {
        let want = buf.len().min(left as usize);
        let n = reader.fill(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])?;
        left -= n as u64;
    }
    out.flush()
}

fn write_body(body: &Body, path: &Path) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    body.write_to(&mut out)?;
    out.flush()
}

/// Fills in the local file (downloads, listings) and the upload source
/// when the launch did not.
fn with_files(
    mut run: ClientRun,
    op: ClientOp,
    local: &Path,
    source: Option<LocalFile>,
) -> ClientRun {
    match op {
        ClientOp::Put => run.upload_source = run.upload_source.or(source),
        _ => run.local_file = run.local_file.or_else(|| LocalFile::read(local).ok()),
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

/// How many cases may run at a time with the client `p`. ftplib is a
/// Python interpreter started per case: more than 4 starting at once on 2
/// cores made cases miss their timeouts. The other clients start in
/// milliseconds and take their own fake server each: no limit.
pub fn client_session_limit(p: &ClientProfile) -> usize {
    match p.name() {
        "ftplib" => 4,
        _ => usize::MAX,
    }
}
