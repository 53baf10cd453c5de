//! A started server under test: its endpoint, its log, and its lifetime.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use tempfile::TempDir;
use tokio::sync::oneshot;

use super::error::StartError;
use super::process::ServerProcess;
use super::seed::{make_dir, seed_root};
use super::ServerEndpoint;

/// A server running on a thread of this process (the embedded libunftp):
/// dropping it tells the thread to stop and joins it.
#[derive(Debug)]
pub struct ServerThread {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The thread ends within STOP_GRACE (runtime shutdown_timeout).
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl ServerThread {
    /// `stop` tells the server to shut down; `thread` ends soon after.
    pub(crate) fn new(stop: oneshot::Sender<()>, thread: JoinHandle<()>) -> Self {
        ServerThread {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

/// What keeps the server running; dropping it stops the server.
#[derive(Debug)]
pub(crate) enum Keeper {
    Process(ServerProcess),
    /// Held only for its `Drop`, which stops the server thread.
    #[allow(dead_code)]
    Embedded(ServerThread),
}

/// A server started for a run. Dropping it stops the server (by PID for a
/// child process) and then removes its temporary root and configuration.
#[derive(Debug)]
pub struct RunningServer {
    endpoint: ServerEndpoint,
    log_path: PathBuf,
    root: PathBuf,
    keeper: Option<Keeper>,
    _dir: TempDir,
}

impl RunningServer {
    pub(crate) fn new(endpoint: ServerEndpoint, dir: TempDir, keeper: Keeper) -> Self {
        RunningServer {
            endpoint,
            log_path: dir.path().join("server.log"),
            root: dir.path().join("root"),
            keeper: Some(keeper),
            _dir: dir,
        }
    }

    /// How to reach the server (address, user, password, passive range,
    /// capabilities).
    pub fn endpoint(&self) -> ServerEndpoint {
        self.endpoint.clone()
    }

    /// The server's log (its own log file, or its stdout/stderr).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The directory the server serves (seeded by [`super::seed`]).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The PID of the server process (`None` for the embedded server).
    pub fn pid(&self) -> Option<u32> {
        match &self.keeper {
            Some(Keeper::Process(p)) => Some(p.pid()),
            _ => None,
        }
    }

    /// Stops the server now (the same as dropping it, but keeps the files).
    pub fn stop(&mut self) {
        drop(self.keeper.take());
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // Stop the server before `_dir` (its root and config) is removed.
        self.stop();
    }
}

/// The temporary folder of one server: `root/` (seeded), `server.log`, and
/// whatever configuration the profile writes.
pub(crate) fn server_dir() -> Result<TempDir, StartError> {
    let dir = tempfile::Builder::new()
        .prefix("ftpconform-server-")
        .tempdir()
        .map_err(StartError::io("create server temp dir"))?;
    // Servers drop privileges (to `ftp`, `nobody`) before reading the root:
    // every level above it must be searchable.
    make_dir(dir.path(), 0o755)?;
    seed_root(&dir.path().join("root"))?;
    Ok(dir)
}
