//! Targets: the FTP server (or client) a run tests, and how it is started.

use std::net::SocketAddr;

use crate::script::Capability;

/// How to reach a server under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEndpoint {
    /// Target name used in reports and trial names (`vsftpd`, `embedded`,
    /// `127.0.0.1:2121`).
    pub name: String,
    pub addr: SocketAddr,
    pub user: String,
    pub pass: String,
    /// The passive port range the server was configured with, if known.
    pub passive_range: Option<(u16, u16)>,
    /// What the server can do; the runner skips a case whose `requires`
    /// are not all here.
    pub capabilities: Vec<Capability>,
}

pub mod embedded;
pub mod error;
pub mod ports;
pub mod process;
pub mod profiles;
pub mod running;
pub mod seed;
pub mod url;
