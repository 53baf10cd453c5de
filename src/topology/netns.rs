//! Network namespaces the harness creates: unique names per run, a registry
//! of the live ones (removed on drop, on SIGINT/SIGTERM, and by the sweep
//! of stale names a crashed run left), and threads that run inside one.
//!
//! A socket keeps the namespace it was created in, and a process starts in
//! the namespace of the thread that forks it: code run by [`Netns::run`]
//! (a dedicated thread that `setns()`s first) opens its sockets and starts
//! its child processes inside the namespace.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use super::exec;
use super::TopologyError;

/// Every namespace the harness creates starts with this.
pub const PREFIX: &str = "ftpconform-";
/// Where `ip netns` keeps its named namespaces.
const NETNS_DIR: &str = "/run/netns";

/// One named namespace; the handle keeps it open. Deleting is the
/// topology's job ([`delete`]); dropping the handle only closes it.
#[derive(Debug, Clone)]
pub struct Netns {
    name: String,
    file: Arc<File>,
}

/// A live namespace of this process: its name and its identity (device and
/// inode of the nsfs file), which `/proc/thread-self/ns/net` matches from
/// inside.
#[derive(Debug, Clone)]
struct Live {
    name: String,
    id: (u64, u64),
    /// Set once the preflight passed: only then may the peers inside it
    /// name non-loopback addresses.
    verified: bool,
    /// How a server inside is to be configured.
    site: Site,
}

/// What a peer running inside a topology namespace is told about it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Site {
    /// The control port servers listen on.
    pub control_port: u16,
    /// The passive port range servers use.
    pub passive: (u16, u16),
    /// The public address a server announces in 227, where the topology
    /// tells servers their public address.
    pub announce: Option<std::net::Ipv4Addr>,
}

static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<Live>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fresh, unused name stem for one topology: `ftpconform-PID-N`.
pub fn fresh_stem() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{PREFIX}{}-{n}", std::process::id())
}

impl Netns {
    /// Creates the namespace `name` (`ip netns add`), brings its loopback
    /// up and registers it for cleanup.
    pub fn create(name: &str) -> Result<Netns, TopologyError> {
        install_signal_cleanup();
        exec::run("ip", &["netns", "add", name], None)?;
        let ns = match Netns::open(name) {
            Ok(ns) => ns,
            Err(e) => {
                let _ = exec::run("ip", &["netns", "del", name], None);
                return Err(e);
            }
        };
        live().push(Live {
            name: name.to_string(),
            id: ns.id()?,
            verified: false,
            site: Site::default(),
        });
        exec::run("ip", &["-n", name, "link", "set", "lo", "up"], None)?;
        Ok(ns)
    }

    fn open(name: &str) -> Result<Netns, TopologyError> {
        let path = format!("{NETNS_DIR}/{name}");
        let file = File::open(&path).map_err(|e| TopologyError::Tool {
            what: format!("open {path}"),
            detail: e.to_string(),
        })?;
        Ok(Netns {
            name: name.to_string(),
            file: Arc::new(file),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn id(&self) -> Result<(u64, u64), TopologyError> {
        let meta = self.file.metadata().map_err(|e| TopologyError::Tool {
            what: format!("stat namespace {}", self.name),
            detail: e.to_string(),
        })?;
        Ok((meta.dev(), meta.ino()))
    }

    /// Marks the namespace as checked by the preflight, and what peers
    /// inside it are told ([`site`]).
    pub fn set_verified(&self, site: Site) {
        if let Some(l) = live().iter_mut().find(|l| l.name == self.name) {
            l.verified = true;
            l.site = site;
        }
    }

    /// Moves the calling thread into the namespace.
    fn enter(&self) -> Result<(), TopologyError> {
        // SAFETY: setns(2) on an open nsfs descriptor; it changes only the
        // calling thread's network namespace.
        let rc = unsafe { libc::setns(self.file.as_raw_fd(), libc::CLONE_NEWNET) };
        if rc != 0 {
            return Err(TopologyError::Tool {
                what: format!("setns into {}", self.name),
                detail: std::io::Error::last_os_error().to_string(),
            });
        }
        Ok(())
    }

    /// Runs `f` on a new thread inside the namespace and returns its value
    /// (a panic in `f` is resumed here).
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, TopologyError> {
        std::thread::scope(|scope| {
            let thread = std::thread::Builder::new()
                .name(format!("netns {}", self.name))
                .spawn_scoped(scope, || {
                    self.enter()?;
                    Ok(f())
                })
                .map_err(|e| TopologyError::Tool {
                    what: "spawn a namespace thread".into(),
                    detail: e.to_string(),
                })?;
            match thread.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// Runs the future `make()` returns on a tokio runtime whose threads
    /// all live inside the namespace.
    pub fn block_on<F, Fut>(&self, make: F) -> Result<Fut::Output, TopologyError>
    where
        F: FnOnce() -> Fut + Send,
        Fut: std::future::Future,
        Fut::Output: Send,
    {
        self.run(|| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| TopologyError::Tool {
                    what: "start a runtime in the namespace".into(),
                    detail: e.to_string(),
                })?;
            Ok(rt.block_on(make()))
        })?
    }

    /// `ip netns exec NAME program`: a command that runs inside.
    pub fn command(&self, program: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }
}

/// The site of the calling thread's namespace, when it is one this process
/// created and whose preflight passed: the peers may then name the
/// addresses of the topology (which reach nothing outside it) in PORT,
/// EPRT and 227.
pub fn site() -> Option<Site> {
    let meta = std::fs::metadata("/proc/thread-self/ns/net").ok()?;
    let here = (meta.dev(), meta.ino());
    live()
        .iter()
        .find(|l| l.verified && l.id == here)
        .map(|l| l.site)
}

/// Whether the calling thread is inside a verified topology namespace.
pub fn inside_verified() -> bool {
    site().is_some()
}

/// Stops what still runs inside `name` (by PID), then deletes it. Removes
/// it from the registry.
pub fn delete(name: &str) -> Result<(), TopologyError> {
    kill_inside(name);
    let result = match exec::run("ip", &["netns", "del", name], None) {
        Ok(_) => Ok(()),
        // Already gone (a signal cleanup ran first) is fine.
        Err(_) if !exists(name) => Ok(()),
        Err(e) => Err(e),
    };
    live().retain(|l| l.name != name);
    result
}

/// Whether a namespace of that name exists.
pub fn exists(name: &str) -> bool {
    std::path::Path::new(NETNS_DIR).join(name).exists()
}

/// The processes inside `name` get SIGTERM, then SIGKILL after a bounded
/// wait. Only processes this harness started can be there.
fn kill_inside(name: &str) {
    let pids = || -> Vec<i32> {
        exec::run("ip", &["netns", "pids", name], None)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    let first = pids();
    if first.is_empty() {
        return;
    }
    signal(&first, libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && !pids().is_empty() {
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&pids(), libc::SIGKILL);
}

fn signal(pids: &[i32], sig: libc::c_int) {
    for &pid in pids {
        // SAFETY: kill(2) has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// Names of every harness namespace on the machine.
pub fn ours_on_machine() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(NETNS_DIR) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(PREFIX))
        .collect();
    names.sort();
    names
}

/// Deletes namespaces left by runs that no longer exist (their PID, part
/// of the name, is gone). Returns the names removed.
pub fn sweep_stale() -> Vec<String> {
    let mut removed = Vec::new();
    for name in ours_on_machine() {
        let Some(pid) = owner_pid(&name) else {
            continue;
        };
        if pid_alive(pid) {
            continue;
        }
        if delete(&name).is_ok() {
            removed.push(name);
        }
    }
    removed
}

/// The PID in `ftpconform-PID-N-role`.
fn owner_pid(name: &str) -> Option<u32> {
    name.strip_prefix(PREFIX)?.split('-').next()?.parse().ok()
}

fn pid_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Deletes every namespace this process still has (the signal path).
pub fn delete_all_live() {
    let names: Vec<String> = live().iter().map(|l| l.name.clone()).collect();
    for name in names {
        let _ = delete(&name);
    }
}

/// The write end of the pipe the signal handler writes to.
static SIGNAL_PIPE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// On SIGINT and SIGTERM, delete the live namespaces, then die of the
/// signal as before. Installed once, and only where nobody handles these
/// signals yet (a program with its own handler, such as the CLI, ends its
/// run in order and drops the topology instead).
fn install_signal_cleanup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe(2) into a two-element array.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return;
        }
        SIGNAL_PIPE.store(fds[1], Ordering::SeqCst);
        let read_fd = fds[0];
        let spawned = std::thread::Builder::new()
            .name("netns signal cleanup".into())
            .spawn(move || cleanup_on_signal(read_fd));
        if spawned.is_err() {
            return;
        }
        for sig in [libc::SIGINT, libc::SIGTERM] {
            install_if_default(sig);
        }
    });
}

fn install_if_default(sig: libc::c_int) {
    // SAFETY: sigaction(2) with zeroed structs; the handler only calls
    // write(2), which is async-signal-safe.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(sig, std::ptr::null(), &mut old) != 0 {
            return;
        }
        if old.sa_sigaction != libc::SIG_DFL {
            return;
        }
        let mut new: libc::sigaction = std::mem::zeroed();
        new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut new.sa_mask);
        libc::sigaction(sig, &new, std::ptr::null_mut());
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = SIGNAL_PIPE.load(Ordering::SeqCst);
    let byte = sig as u8;
    // SAFETY: write(2) of one byte from the stack; async-signal-safe.
    unsafe {
        libc::write(fd, &byte as *const u8 as *const libc::c_void, 1);
    }
}

fn cleanup_on_signal(fd: libc::c_int) {
    let mut byte = 0u8;
    // SAFETY: read(2) of one byte into the stack.
    let n = unsafe { libc::read(fd, &mut byte as *mut u8 as *mut libc::c_void, 1) };
    if n != 1 {
        return;
    }
    delete_all_live();
    let sig = libc::c_int::from(byte);
    // SAFETY: restore the default action and re-raise: the process ends
    // as the signal would have ended it.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_unique_and_carry_the_pid() {
        let (a, b) = (fresh_stem(), fresh_stem());
        assert_ne!(a, b);
        assert_eq!(owner_pid(&format!("{a}-router")), Some(std::process::id()));
        assert_eq!(owner_pid("ftpconform-x-1"), None);
    }

    #[test]
    fn the_host_namespace_is_not_ours() {
        assert!(!inside_verified());
    }
}
