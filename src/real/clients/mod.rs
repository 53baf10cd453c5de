//! Client profiles: the real FTP clients the fake server tests (and the
//! embedded suppaftp client). A profile turns a [`Task`] (operation, path,
//! mode) into a run of the client. It decides no verdict: what the client
//! can do shows in what it does (the timeline); the profile only says which
//! operations its driver has no command line for
//! ([`ClientProfile::drives`]) and what of the task's mode the command line
//! could not ask for ([`Unasked`]).
//!
//! - [`cmdline`]: command lines of the external clients.
//! - [`process`]: running a client process with a timeout, in its own folder.
//! - [`embedded`]: the in-process suppaftp client.
//! - [`local`]: what the checks know of a local file (length, hash, head).

pub mod cmdline;
pub mod embedded;
mod local;
pub mod process;

pub use local::LocalFile;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::script::{ClientOp, Family};

/// The clients ftpconform knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKind {
    /// suppaftp, in process (the default).
    Embedded,
    Curl,
    Wget,
    Lftp,
    /// ncftpget / ncftpput / ncftpls.
    Ncftp,
    Tnftp,
    InetutilsFtp,
    /// Python's ftplib through `scripts/ftplib_client.py`.
    Ftplib,
    /// busybox ftpget / ftpput.
    Busybox,
}

/// A client under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientProfile {
    pub kind: ClientKind,
}

/// What the client is asked to do, against which fake server.
#[derive(Debug, Clone)]
pub struct Task {
    pub op: ClientOp,
    /// Remote path (a file, or a folder for `list`; may be empty).
    pub path: String,
    pub passive: bool,
    /// EPSV/EPRT (`Some(true)`) or PASV/PORT (`Some(false)`) asked by the
    /// case; `None`: not asked (see [`Task::asks_extended`]).
    pub extended: Option<bool>,
    pub family: Family,
    pub server: SocketAddr,
    pub user: String,
    pub pass: String,
    /// The client's working folder and HOME.
    pub workdir: PathBuf,
    /// Download destination or upload source (`workdir/<basename>`).
    pub local: PathBuf,
    /// Timeout handed to the client itself (its own flags).
    pub timeout: Duration,
    /// The client is killed after this long.
    pub deadline: Duration,
    /// Explicit FTPS (RFC 4217): the client is told to require it and to
    /// trust the test CA ([`Task::ca_file`]).
    pub tls: bool,
}

impl Task {
    /// The test CA's certificate, written into the client's folder before
    /// an FTPS run.
    pub fn ca_file(&self) -> PathBuf {
        self.workdir.join("ca.pem")
    }

    /// `Unasked::Tls(why)` for a client with no FTPS mode, when the task
    /// asks for FTPS.
    fn no_ftps(&self, why: &str) -> Option<Unasked> {
        self.tls.then(|| Unasked::Tls(why.to_string()))
    }

    /// Whether a command line that can choose asks for EPSV/EPRT (see
    /// [`crate::script::asks_extended`]).
    pub fn asks_extended(&self) -> bool {
        crate::script::asks_extended(self.extended, self.family)
    }

    /// `Unasked::Extended(why)` when the case asks for extended or
    /// traditional commands over IPv4 and the command line has no option
    /// for that (over IPv6 the protocol itself asks for EPSV/EPRT).
    fn no_option_for_extended(&self, why: &str) -> Option<Unasked> {
        match (self.extended, self.family) {
            (Some(_), Family::V4) => Some(Unasked::Extended(why.to_string())),
            _ => None,
        }
    }
}

/// A part of the data-connection mode a case asks for that the client's
/// command line has no option for, with the reason. When the timeline
/// shows the client used another mode, the case's mode is not applicable
/// to the client (`unimplemented`), not a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unasked {
    /// Passive or active.
    Direction(String),
    /// EPSV/EPRT or PASV/PORT.
    Extended(String),
    /// Explicit FTPS: the client has no FTPS mode its driver can ask for.
    Tls(String),
}

impl Unasked {
    pub fn reason(&self) -> &str {
        match self {
            Unasked::Direction(why) | Unasked::Extended(why) | Unasked::Tls(why) => why,
        }
    }
}

/// What a client run left behind, for the checks.
#[derive(Debug, Clone, Default)]
pub struct ClientRun {
    /// Whether the client reported success (exit status 0 / no error).
    pub success: bool,
    /// False when the client's exit status does not tell failures apart.
    pub status_meaningful: bool,
    pub exit_code: Option<i32>,
    /// Killed after the deadline.
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    /// The local file after the run (downloads, listings written to a file).
    pub local_file: Option<LocalFile>,
    /// The file the client was given to upload.
    pub upload_source: Option<LocalFile>,
    /// The harness could not run the client at all.
    pub error: Option<String>,
    /// What of the task's mode the command line could not ask for.
    pub unasked: Vec<Unasked>,
}

const ALL: &[(ClientKind, &str)] = &[
    (ClientKind::Embedded, "suppaftp"),
    (ClientKind::Curl, "curl"),
    (ClientKind::Wget, "wget"),
    (ClientKind::Lftp, "lftp"),
    (ClientKind::Ncftp, "ncftp"),
    (ClientKind::Tnftp, "tnftp"),
    (ClientKind::InetutilsFtp, "inetutils-ftp"),
    (ClientKind::Ftplib, "ftplib"),
    (ClientKind::Busybox, "busybox"),
];

impl Default for ClientProfile {
    fn default() -> Self {
        ClientProfile {
            kind: ClientKind::Embedded,
        }
    }
}

impl ClientProfile {
    /// Every known profile, the embedded one first.
    pub fn all() -> Vec<ClientProfile> {
        ALL.iter()
            .map(|(kind, _)| ClientProfile { kind: *kind })
            .collect()
    }

    /// A profile by name (`curl`, `python-ftplib`, `ncftpget`...).
    pub fn by_name(name: &str) -> Option<ClientProfile> {
        let name = match name {
            "embedded" => "suppaftp",
            "python-ftplib" | "python" => "ftplib",
            "ncftpget" | "ncftpput" | "ncftpls" => "ncftp",
            "ftp" | "inetutils" => "inetutils-ftp",
            other => other,
        };
        ALL.iter()
            .find(|(_, n)| *n == name)
            .map(|(kind, _)| ClientProfile { kind: *kind })
    }

    pub fn name(&self) -> &'static str {
        ALL.iter()
            .find(|(k, _)| *k == self.kind)
            .map_or("unknown", |(_, n)| n)
    }

    /// The program that must be installed (`None`: in process).
    pub fn binary(&self) -> Option<&'static str> {
        match self.kind {
            ClientKind::Embedded => None,
            ClientKind::Curl => Some("curl"),
            ClientKind::Wget => Some("wget"),
            ClientKind::Lftp => Some("lftp"),
            ClientKind::Ncftp => Some("ncftpget"),
            ClientKind::Tnftp => Some("tnftp"),
            ClientKind::InetutilsFtp => Some("inetutils-ftp"),
            ClientKind::Ftplib => Some("python3"),
            ClientKind::Busybox => Some("busybox"),
        }
    }

    /// Whether the client can be run here.
    pub fn installed(&self) -> bool {
        self.binary().is_none_or(process::on_path)
    }

    /// `Err` (why) when the driver has no way to ask the client for `op`
    /// (wget's command line cannot ask for an upload).
    pub fn drives(&self, op: ClientOp) -> Result<(), String> {
        match self.kind {
            ClientKind::Embedded => Ok(()),
            kind => cmdline::operation(kind, op),
        }
    }

    /// Runs the task; never panics, bounded by `task.deadline`.
    pub async fn run(&self, task: &Task) -> ClientRun {
        if task.tls {
            let ca = &crate::net::tls::Pki::get().ca_pem;
            if let Err(e) = std::fs::write(task.ca_file(), ca) {
                return ClientRun {
                    error: Some(format!("cannot write the test CA: {e}")),
                    ..ClientRun::default()
                };
            }
        }
        let upload_source = match task.op {
            ClientOp::Put => LocalFile::read(&task.local).ok(),
            _ => None,
        };
        let mut run = match self.kind {
            ClientKind::Embedded => embedded::run(task).await,
            kind => match cmdline::spec(kind, task) {
                Ok(cmd) => {
                    let run = process::run(&cmd.spec, task).await;
                    ClientRun {
                        unasked: cmd.unasked,
                        ..run
                    }
                }
                Err(why) => ClientRun {
                    error: Some(why),
                    ..ClientRun::default()
                },
            },
        };
        run.upload_source = upload_source;
        if task.op != ClientOp::Put {
            run.local_file = LocalFile::read(&task.local).ok();
        }
        run
    }
}

/// The file name part of a remote path.
pub fn basename(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// The folder part of a remote path (`""` for the root).
pub fn dirname(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit_once('/')
        .map_or("", |(d, _)| d)
}
