//! Targets: the FTP server (or client) a run tests, and how it is started.

use std::net::SocketAddr;

use crate::script::Capability;

use error::StartError;
pub use profiles::{session_limit, slow_cases};
use profiles::{start_profile, ProfileOptions, PROFILES};
use running::RunningServer;

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

/// The name of the in-process libunftp server ([`embedded`]).
pub const EMBEDDED: &str = "embedded";

/// Every server [`start`] knows, in report order: the embedded one, then
/// the real servers of [`profiles`].
pub fn server_names() -> Vec<&'static str> {
    std::iter::once(EMBEDDED)
        .chain(PROFILES.iter().map(|p| p.name))
        .collect()
}

/// A named variant of a real server: the same profile started with other
/// options, tested on the suites the options change only (its name is
/// `server-suffix`, as the `-ipv6` profiles are `server-ipv6`).
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    pub name: &'static str,
    pub server: &'static str,
    pub options: fn() -> ProfileOptions,
    /// The suites it runs (by name), and the only ones.
    pub suites: &'static [&'static str],
    /// Why it exists, for reports and `--help`.
    pub what: &'static str,
}

/// Every variant, in report order.
pub const VARIANTS: [Variant; 3] = [
    Variant {
        name: "vsftpd-tls-noreuse",
        server: "vsftpd",
        options: || ProfileOptions {
            tls_reuse_optional: true,
            ..Default::default()
        },
        suites: &["rfc4217-explicit"],
        what: "vsftpd with require_ssl_reuse=NO",
    },
    Variant {
        name: "vsftpd-implicit",
        server: "vsftpd",
        options: || ProfileOptions {
            implicit_tls: true,
            ..Default::default()
        },
        suites: &["rfc4217-implicit"],
        what: "vsftpd with implicit_ssl=YES (implicit FTPS)",
    },
    Variant {
        name: "proftpd-implicit",
        server: "proftpd",
        options: || ProfileOptions {
            implicit_tls: true,
            ..Default::default()
        },
        suites: &["rfc4217-implicit"],
        what: "proftpd with mod_tls TLSOptions UseImplicitSSL (implicit FTPS)",
    },
];

/// The variant called `name`, if there is one.
pub fn variant(name: &str) -> Option<&'static Variant> {
    VARIANTS.iter().find(|v| v.name == name)
}

/// Whether [`start`] can run the server on ::1 (`ProfileOptions::ipv6`):
/// the real servers can; the embedded one listens on IPv4 only.
pub fn runs_on_ipv6(name: &str) -> bool {
    name != EMBEDDED
}

/// Starts the server called `name` (one of [`server_names`]) on loopback
/// and waits until it greets. A real server starts on a blocking thread.
pub async fn start(name: &str, opts: &ProfileOptions) -> Result<RunningServer, StartError> {
    if name != EMBEDDED {
        let (owned, opts) = (name.to_string(), opts.clone());
        return match tokio::task::spawn_blocking(move || start_profile(&owned, &opts)).await {
            Ok(started) => started,
            Err(e) => Err(StartError::io(format!("start {name}"))(
                std::io::Error::other(e),
            )),
        };
    }
    let unsupported = |option: &str| StartError::Unsupported {
        server: EMBEDDED.to_string(),
        option: option.to_string(),
    };
    if opts.ipv6 {
        return Err(unsupported("ipv6 (libunftp listens on 127.0.0.1 here)"));
    }
    if opts.pasv_address.is_some() {
        return Err(unsupported("pasv_address"));
    }
    if opts.implicit_tls {
        return Err(unsupported("implicit FTPS"));
    }
    embedded::start_embedded().await
}

pub mod embedded;
pub mod error;
pub mod ports;
pub mod process;
pub mod profiles;
pub mod running;
pub mod seed;
pub mod url;
