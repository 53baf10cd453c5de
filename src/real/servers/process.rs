//! Server child processes: spawn in their own process group, wait for the
//! `220` greeting, stop by PID (SIGTERM, then SIGKILL) in `Drop`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::error::StartError;

/// How long a server gets to answer `220` after it was started.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a server gets to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(25);
/// Bytes of greeting read at most while waiting for `220 `.
const GREETING_MAX: usize = 4096;

/// A running server process; stopped (with its process group) on drop.
#[derive(Debug)]
pub struct ServerProcess {
    name: String,
    child: Child,
    log: PathBuf,
    exited: bool,
}

impl ServerProcess {
    /// Spawns `cmd` as the leader of a new process group, with stdin,
    /// stdout and stderr all appended to `log` (vsftpd writes its fatal
    /// `500 OOPS` messages to fd 0).
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> Result<Self, StartError> {
        let open = || open_log(log);
        cmd.stdin(open()?).stdout(open()?).stderr(open()?);
        cmd.process_group(0);
        let child = cmd
            .spawn()
            .map_err(StartError::io(format!("spawn {name} ({cmd:?})")))?;
        Ok(ServerProcess {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
            exited: false,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the server answers `220` on `addr` (inside TLS when
    /// `implicit_tls`), or fails with the tail of its log when it exits or
    /// the time is up.
    pub fn wait_ready(
        &mut self,
        addr: SocketAddr,
        implicit_tls: bool,
        timeout: Duration,
    ) -> Result<(), StartError> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.try_wait() {
                return Err(StartError::Exited {
                    server: self.name.clone(),
                    status,
                    log: self.log.clone(),
                    tail: log_tail(&self.log),
                });
            }
            let greeted = match implicit_tls {
                true => greets_tls(addr),
                false => greets(addr),
            };
            if greeted {
                return Ok(());
            }
            std::thread::sleep(POLL);
        }
        Err(StartError::StartTimeout {
            server: self.name.clone(),
            waited: timeout,
            log: self.log.clone(),
            tail: log_tail(&self.log),
        })
    }

    fn try_wait(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => {
                self.exited = true;
                Some(status.to_string())
            }
            Ok(None) => None,
            Err(e) => Some(format!("wait failed: {e}")),
        }
    }

    /// SIGTERM to the group and the leader, then SIGKILL after a bounded
    /// wait; reaps the leader so that its PID is gone afterwards.
    pub fn stop(&mut self) {
        if self.exited {
            return;
        }
        let pid = self.pid() as libc::pid_t;
        // Session processes may leave the group (vsftpd's call setsid):
        // find them while they are still the server's descendants.
        let sessions = descendants(pid);
        signal_all(pid, &sessions, libc::SIGTERM);
        if !self.wait_exit(STOP_GRACE) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        signal_all(pid, &sessions, libc::SIGKILL);
        self.exited = true;
    }

    fn wait_exit(&mut self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.try_wait().is_some() {
                return true;
            }
            std::thread::sleep(POLL);
        }
        false
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Signals the group and leader `pgid` and each of `others`.
fn signal_all(pgid: libc::pid_t, others: &[libc::pid_t], sig: libc::c_int) {
    signal_group(pgid, sig);
    for &pid in others {
        // SAFETY: as in signal_group.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// All descendants of `root`, from the parent links in /proc.
fn descendants(root: libc::pid_t) -> Vec<libc::pid_t> {
    let links = parent_links();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            links
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// (pid, parent pid) of every process.
fn parent_links() -> Vec<(libc::pid_t, libc::pid_t)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect()
}

fn parent_of(pid: libc::pid_t) -> Option<libc::pid_t> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "PID (comm) STATE PPID ...": comm may hold spaces and parentheses.
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Sends `sig` to process group `pgid` and to process `pgid` itself.
fn signal_group(pgid: libc::pid_t, sig: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety preconditions; a stale PID
    // only yields ESRCH, which is ignored.
    unsafe {
        libc::kill(-pgid, sig);
        libc::kill(pgid, sig);
    }
}

/// True when `pid` names a live process (zombies count as gone).
pub fn pid_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the parenthesised command name: "PID (comm) S ...".
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z') | Some('X') | None)
}

fn open_log(log: &Path) -> Result<File, StartError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(log)
        .map_err(StartError::io(format!("open log {}", log.display())))
}

/// Connects once and reads until a line starting `220 ` (multi-line
/// greetings such as pure-ftpd's `220-` lines are read through).
pub fn greets(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let ok = read_greeting(&mut stream);
    if ok {
        let _ = stream.write_all(b"QUIT\r\n");
    }
    ok
}

/// The same over TLS from the first byte (implicit FTPS), taking any
/// certificate: it asks only whether the server is up.
pub fn greets_tls(addr: SocketAddr) -> bool {
    let Ok(tcp) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(2)));
    let name = rustls::pki_types::ServerName::from(addr.ip());
    let Ok(conn) = rustls::ClientConnection::new(crate::net::tls::probe_config(), name) else {
        return false;
    };
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let ok = read_greeting(&mut stream);
    if ok {
        let _ = stream.write_all(b"QUIT\r\n");
        stream.conn.send_close_notify();
        let _ = stream.flush();
    }
    ok
}

fn read_greeting(stream: &mut impl Read) -> bool {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    while buf.len() < GREETING_MAX {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if has_final_220(&buf) {
            return true;
        }
    }
    false
}

fn has_final_220(buf: &[u8]) -> bool {
    buf.split_inclusive(|&b| b == b'\n')
        .any(|line| line.starts_with(b"220 ") && line.ends_with(b"\n"))
}

/// The last lines of a log file, for error messages.
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_220_after_continuation_lines() {
        assert!(!has_final_220(b"220-Welcome\r\n"));
        assert!(has_final_220(b"220-Welcome\r\n220 Ready\r\n"));
        assert!(!has_final_220(b"421 Busy\r\n"));
    }

    #[test]
    fn stop_kills_and_reaps_a_child() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let mut proc = ServerProcess::spawn("sleep", cmd, &dir.path().join("log")).expect("spawn");
        let pid = proc.pid();
        assert!(pid_alive(pid));
        proc.stop();
        assert!(!pid_alive(pid));
    }

    #[test]
    fn stop_also_ends_descendants_that_left_the_group() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cmd = Command::new("sh");
        // The grandchild starts its own session, as vsftpd's sessions do.
        cmd.args(["-c", "setsid sleep 30 & echo $! > \"$0\"; wait", "pidfile"]);
        cmd.current_dir(dir.path());
        let mut proc = ServerProcess::spawn("sh", cmd, &dir.path().join("log")).expect("spawn");
        let pidfile = dir.path().join("pidfile");
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut grandchild = None;
        while grandchild.is_none() && Instant::now() < deadline {
            std::thread::sleep(POLL);
            let text = std::fs::read_to_string(&pidfile).unwrap_or_default();
            grandchild = text.trim().parse::<u32>().ok();
        }
        let grandchild = grandchild.expect("grandchild pid written");
        assert!(pid_alive(grandchild));
        proc.stop();
        let deadline = Instant::now() + Duration::from_secs(5);
        while pid_alive(grandchild) && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
        assert!(
            !pid_alive(grandchild),
            "grandchild {grandchild} survived stop"
        );
    }

    #[test]
    fn exit_before_greeting_is_reported_with_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo boom-marker; exit 3"]);
        let log = dir.path().join("log");
        let mut proc = ServerProcess::spawn("sh", cmd, &log).expect("spawn");
        let addr: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        let err = proc
            .wait_ready(addr, false, Duration::from_secs(5))
            .expect_err("exits");
        assert!(err.to_string().contains("boom-marker"), "{err}");
    }
}
