//! Errors from starting and stopping servers under test.

use std::path::PathBuf;
use std::time::Duration;

/// The script that installs every real peer (named in `NotInstalled`).
pub const INSTALL_HINT: &str = "run scripts/install-peers.sh (as root) to install it";

/// Why a target server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The server's binary (or Python module) is not on this machine.
    #[error("{server}: {what} not found (looked in {looked}); {INSTALL_HINT}")]
    NotInstalled {
        server: String,
        what: String,
        looked: String,
    },
    /// `start_profile` was given a name it does not know.
    #[error("unknown server profile {0:?} (known: {1})")]
    UnknownProfile(String, String),
    /// The profile cannot honour an option (for instance IPv6).
    #[error("{server}: option not supported: {option}")]
    Unsupported { server: String, option: String },
    /// A file-system or process operation failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// No free port (or passive port range) could be found on loopback.
    #[error("no free loopback port found after {0} attempts")]
    NoFreePort(u32),
    /// The server process exited before it greeted.
    #[error("{server} exited before answering 220 ({status}); log {log}:\n{tail}")]
    Exited {
        server: String,
        status: String,
        log: PathBuf,
        tail: String,
    },
    /// The server did not answer `220` on its port in time.
    #[error("{server} did not answer 220 within {waited:?}; log {log}:\n{tail}")]
    StartTimeout {
        server: String,
        waited: Duration,
        log: PathBuf,
        tail: String,
    },
    /// The embedded libunftp server failed to build or to listen.
    #[error("embedded libunftp server: {0}")]
    Embedded(String),
}

impl StartError {
    /// Wraps an I/O error with what was being done.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StartError {
        let what = what.into();
        move |source| StartError::Io { what, source }
    }
}
