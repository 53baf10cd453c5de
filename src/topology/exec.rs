//! Bounded runs of the system tools a topology is built with (`ip`, `nft`):
//! each gets a deadline and is killed by its PID past it.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::TopologyError;

/// The longest one `ip` or `nft` call may take.
const TOOL_LIMIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(2);

/// Runs `program args`, feeding `stdin`, and returns its stdout; fails with
/// its stderr when it exits non-zero or outlives [`TOOL_LIMIT`].
pub fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<String, TopologyError> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    run_command(cmd, &format!("{program} {}", args.join(" ")), stdin)
}

/// [`run`] for a prepared command (`what` names it in errors).
pub fn run_command(
    mut cmd: Command,
    what: &str,
    stdin: Option<&str>,
) -> Result<String, TopologyError> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| TopologyError::Tool {
        what: what.to_string(),
        detail: e.to_string(),
    })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(text.as_bytes());
    }
    let (mut out, mut err) = (child.stdout.take(), child.stderr.take());
    // The tools print little; reading after exit cannot block on a full pipe
    // for these outputs, but read on threads anyway so a chatty tool can
    // not stall its own exit.
    let out_t = std::thread::spawn(move || read_all(out.as_mut()));
    let err_t = std::thread::spawn(move || read_all(err.as_mut()));
    let deadline = Instant::now() + TOOL_LIMIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    match status {
        Some(s) if s.success() => Ok(stdout),
        Some(s) => Err(TopologyError::Tool {
            what: what.to_string(),
            detail: format!("{s}: {}", stderr.trim()),
        }),
        None => Err(TopologyError::Tool {
            what: what.to_string(),
            detail: format!("killed after {TOOL_LIMIT:?}"),
        }),
    }
}

fn read_all(pipe: Option<&mut impl Read>) -> String {
    let mut s = String::new();
    if let Some(p) = pipe {
        let _ = p.read_to_string(&mut s);
    }
    s
}

/// Whether `program` is on PATH (or an absolute path that exists).
pub fn have(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|d| d.join(program).is_file())
}
