//! Runs a client process: in its own folder with its own HOME (and a
//! `.netrc` there when the spec has one), stdin script fed, stdout and
//! stderr kept, killed (its process group, by PID) after the deadline.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::time::timeout;

use super::{ClientRun, Task};

/// A command line to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub program: String,
    pub args: Vec<String>,
    /// Script written to the client's stdin (then closed).
    pub stdin: Option<String>,
    /// Written to `HOME/.netrc` (mode 0600) before the client starts.
    pub netrc: Option<String>,
    /// Whether exit status 0 reliably means success.
    pub status_meaningful: bool,
}

/// Whether `program` is found on PATH.
pub fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| dir.join(program).is_file())
}

/// Runs `spec` for `task`; never panics.
pub async fn run(spec: &Spec, task: &Task) -> ClientRun {
    let started = write_netrc(spec, &task.workdir).and_then(|()| spawn(spec, &task.workdir));
    let mut child = match started {
        Ok(c) => c,
        Err(e) => {
            return ClientRun {
                error: Some(format!("cannot start {}: {e}", spec.program)),
                ..ClientRun::default()
            }
        }
    };
    let out = collect(child.stdout.take());
    let err = collect(child.stderr.take());
    if let (Some(script), Some(mut stdin)) = (&spec.stdin, child.stdin.take()) {
        let _ = timeout(Duration::from_secs(2), stdin.write_all(script.as_bytes())).await;
    }
    let (code, timed_out) = wait_or_kill(&mut child, task.deadline).await;
    ClientRun {
        success: code == Some(0),
        status_meaningful: spec.status_meaningful,
        exit_code: code,
        timed_out,
        stdout: joined(out).await,
        stderr: joined(err).await,
        ..ClientRun::default()
    }
}

/// The BSD-style clients read their login and `macdef init` from here,
/// and refuse a `.netrc` with a password that others can read.
fn write_netrc(spec: &Spec, home: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Some(text) = &spec.netrc else {
        return Ok(());
    };
    let path = home.join(".netrc");
    std::fs::write(&path, text)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
}

fn spawn(spec: &Spec, dir: &Path) -> std::io::Result<Child> {
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args)
        .current_dir(dir)
        .env("HOME", dir)
        // C messages, UTF-8 names: a name outside ASCII reaches the server
        // as its UTF-8 bytes (in plain C, lftp writes `?` for each).
        .env("LC_ALL", "C.UTF-8")
        .stdin(if spec.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    cmd.spawn()
}

/// Waits for exit; after `deadline`, kills the process group by its id.
async fn wait_or_kill(child: &mut Child, deadline: Duration) -> (Option<i32>, bool) {
    match timeout(deadline, child.wait()).await {
        Ok(Ok(status)) => (status.code(), false),
        Ok(Err(_)) => (None, false),
        Err(_) => {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .status();
            }
            let _ = child.start_kill();
            let _ = timeout(Duration::from_secs(2), child.wait()).await;
            (None, true)
        }
    }
}

type Collector = tokio::task::JoinHandle<Vec<u8>>;

fn collect<R: tokio::io::AsyncRead + Unpin + Send + 'static>(pipe: Option<R>) -> Option<Collector> {
    let mut pipe = pipe?;
    Some(tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf).await;
        buf
    }))
}

async fn joined(task: Option<Collector>) -> String {
    let Some(task) = task else {
        return String::new();
    };
    match timeout(Duration::from_secs(2), task).await {
        Ok(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{ClientOp, Family};
    use std::time::Instant;

    fn task(dir: &Path, deadline: Duration) -> Task {
        Task {
            op: ClientOp::Get,
            path: "x".into(),
            passive: true,
            extended: Some(false),
            family: Family::V4,
            server: "127.0.0.1:21".parse().unwrap(),
            user: "u".into(),
            pass: "p".into(),
            workdir: dir.to_path_buf(),
            local: dir.join("x"),
            timeout: deadline,
            deadline,
            tls: false,
        }
    }

    fn sh(script: &str) -> Spec {
        Spec {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            stdin: None,
            netrc: None,
            status_meaningful: true,
        }
    }

    #[tokio::test]
    async fn a_hanging_client_and_its_children_are_killed_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let spec = sh("sleep 30 & echo started; wait");
        let run = run(&spec, &task(dir.path(), Duration::from_millis(300))).await;
        assert!(run.timed_out && !run.success, "{run:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(run.stdout.trim(), "started");
    }

    #[tokio::test]
    async fn exit_status_output_and_home_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let spec = sh("echo \"$HOME\"; echo oops >&2; exit 3");
        let run = run(&spec, &task(dir.path(), Duration::from_secs(5))).await;
        assert_eq!(run.exit_code, Some(3));
        assert_eq!(run.stdout.trim(), dir.path().display().to_string());
        assert_eq!(run.stderr.trim(), "oops");
    }

    #[tokio::test]
    async fn the_netrc_is_written_private_before_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = sh("stat -c %a \"$HOME/.netrc\"; cat \"$HOME/.netrc\"");
        spec.netrc = Some("default login u password p\n".into());
        let run = run(&spec, &task(dir.path(), Duration::from_secs(5))).await;
        assert_eq!(run.stdout, "600\ndefault login u password p\n");
    }
}
