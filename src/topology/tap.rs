//! A capture from the router's vantage point: tcpdump on one of the
//! router's interfaces, started inside the router namespace, bounded, and
//! stopped by its PID.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::netns::Netns;
use super::TopologyError;

/// How long tcpdump may take to start listening.
const START_LIMIT: Duration = Duration::from_secs(5);
/// How long tcpdump gets to flush and exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// How long a tap's file must stay the same size before it is stopped.
const SETTLE_QUIET: Duration = Duration::from_millis(150);
/// The longest a tap waits for its file to settle.
const SETTLE_LIMIT: Duration = Duration::from_secs(2);
/// The longest a tap runs, whatever happens to the run that started it.
const RUN_LIMIT: &str = "600";

/// A running tcpdump; stopped on drop.
#[derive(Debug)]
pub struct Tap {
    child: Child,
    path: PathBuf,
    stopped: bool,
}

impl Tap {
    /// Starts tcpdump on `iface` inside `ns`, writing TCP packets to
    /// `path`, and waits until it listens.
    pub fn start(ns: &Netns, iface: &str, path: &Path) -> Result<Tap, TopologyError> {
        let log = path.with_extension("tcpdump.log");
        let err = File::create(&log).map_err(|e| tool_error("create tcpdump log", e))?;
        let mut cmd = ns.command("timeout");
        // -U and --immediate-mode: packets reach the file at once (a short
        // capture is not left in a buffer); -Z root: write where we can.
        cmd.args([RUN_LIMIT, "tcpdump", "-i", iface, "-n", "-s", "0", "-U"])
            .args(["--immediate-mode", "-Z", "root", "-w"])
            .arg(path)
            .arg("tcp")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .process_group(0);
        let child = cmd.spawn().map_err(|e| tool_error("start tcpdump", e))?;
        let mut tap = Tap {
            child,
            path: path.to_path_buf(),
            stopped: false,
        };
        tap.wait_listening(&log)?;
        Ok(tap)
    }

    fn wait_listening(&mut self, log: &Path) -> Result<(), TopologyError> {
        let deadline = Instant::now() + START_LIMIT;
        while Instant::now() < deadline {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if text.contains("listening on") {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                self.stopped = true;
                return Err(TopologyError::Tool {
                    what: "tcpdump".into(),
                    detail: format!("{status}: {}", text.trim()),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.stop();
        Err(TopologyError::Tool {
            what: "tcpdump".into(),
            detail: format!("not listening after {START_LIMIT:?}"),
        })
    }

    /// Waits until the capture file's size has not changed for
    /// [`SETTLE_QUIET`], or [`SETTLE_LIMIT`] has passed.
    fn settle(&self) {
        let size = || std::fs::metadata(&self.path).map_or(0, |m| m.len());
        let deadline = Instant::now() + SETTLE_LIMIT;
        let (mut last, mut since) = (size(), Instant::now());
        while Instant::now() < deadline && since.elapsed() < SETTLE_QUIET {
            std::thread::sleep(Duration::from_millis(10));
            let now = size();
            if now != last {
                (last, since) = (now, Instant::now());
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SIGTERM to its process group (tcpdump flushes the file), SIGKILL
    /// after a bounded wait; returns the capture's path.
    ///
    /// First waits (at most [`SETTLE_LIMIT`]) until the file has stopped
    /// growing for [`SETTLE_QUIET`]: on SIGTERM tcpdump leaves the loop at
    /// once, without writing the packets still queued for it, so a loaded
    /// machine that had not yet scheduled it lost the end of a case (once
    /// in about 14 runs of `tests/nat.rs` under the full test run: the
    /// client side's tap without the rewritten PORT).
    pub fn stop(&mut self) -> &Path {
        if !self.stopped {
            self.settle();
            self.stopped = true;
            let pid = self.child.id() as libc::pid_t;
            // SAFETY: kill(2) on the group we started; no memory effects.
            unsafe {
                libc::kill(-pid, libc::SIGTERM);
            }
            let deadline = Instant::now() + STOP_GRACE;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return &self.path;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            // SAFETY: as above.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
            let _ = self.child.wait();
        }
        &self.path
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.stop();
    }
}

fn tool_error(what: &str, e: std::io::Error) -> TopologyError {
    TopologyError::Tool {
        what: what.into(),
        detail: e.to_string(),
    }
}
