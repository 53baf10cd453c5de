//! Real FTP servers started as child processes from a named profile.
//!
//! Each profile writes its configuration into the server's temporary
//! folder and returns the command to run; this module picks the ports,
//! starts the process, waits for its `220` and retries with fresh ports
//! when the server exits at once (a port taken between probe and bind).

mod proftpd;
mod pureftpd;
mod python;
mod vsftpd;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::StartError;
use super::ports::{free_port, free_range};
use super::process::{ServerProcess, START_TIMEOUT};
use super::running::{server_dir, Keeper, RunningServer};
use super::ServerEndpoint;
use crate::script::Capability;

/// The profiles [`start_profile`] knows, in report order.
pub(crate) const PROFILES: [Profile; 5] = [
    vsftpd::PROFILE,
    proftpd::PROFILE,
    pureftpd::PROFILE,
    python::PYFTPDLIB,
    python::TWISTED,
];

/// Tries with fresh ports when a server exits before greeting.
const START_ATTEMPTS: u32 = 3;
/// Passive ports per server (pure-ftpd allows half as many clients).
///
/// 20 is enough for cases side by side within the session limits. 128 made
/// Twisted's `pasv-theft-stor-refused` verdict differ 2 runs in 8 even run
/// alone (not explained; with 20 it did not in 8).
const PASSIVE_PORTS: u16 = 20;

/// Options a profile applies to its server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileOptions {
    /// The address announced in `227` replies instead of the server's own:
    /// a NAT misconfiguration (vsftpd `pasv_address`, proftpd
    /// `MasqueradeAddress`, pure-ftpd `-P`, pyftpdlib `-n`). Use 127.0.0.2
    /// for a "foreign" loopback address.
    pub pasv_address: Option<Ipv4Addr>,
    /// Listen on ::1 instead of 127.0.0.1.
    pub ipv6: bool,
    /// FTPS data connections need not resume the control connection's
    /// TLS session (vsftpd `require_ssl_reuse=NO`; the other servers do
    /// not require it anyway).
    pub tls_reuse_optional: bool,
    /// Implicit FTPS in place of explicit: TLS from the first byte of the
    /// control connection (vsftpd `implicit_ssl=YES`); only profiles with
    /// `Profile::implicit_tls` have it.
    pub implicit_tls: bool,
}

/// Where a server listens when not on a free loopback port: inside a
/// topology's server namespace (src/topology), on port 21 and a passive
/// range that the topology's firewall and port forwarding know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub listen: SocketAddr,
    pub passive: (u16, u16),
}

/// Everything a profile needs to write its configuration.
#[derive(Debug)]
pub(crate) struct Setup<'a> {
    /// The server's temporary folder (config, pid files, `server.log`).
    pub dir: &'a Path,
    /// The seeded root it serves (`dir/root`).
    pub root: PathBuf,
    pub log: PathBuf,
    pub addr: SocketAddr,
    pub passive: (u16, u16),
    pub opts: &'a ProfileOptions,
}

/// A server profile: how to find and configure one real server.
pub(crate) struct Profile {
    pub name: &'static str,
    pub user: &'static str,
    pub pass: &'static str,
    /// Writes the configuration and returns the command to run.
    pub command: fn(&Setup) -> Result<Command, StartError>,
    /// The configuration offers explicit FTPS with the test CA's
    /// certificate.
    pub tls: bool,
    /// The configuration can serve implicit FTPS instead
    /// (`ProfileOptions::implicit_tls`).
    pub implicit_tls: bool,
    /// How many sessions may run at a time (each profile says why).
    pub sessions: usize,
    /// Cases (`suite::case`) known to take long on this server because of
    /// its own deliberate waits (each profile says which): a run starts
    /// them before the others, so that its wall time is bound by the
    /// longest of them rather than by it plus whatever ran before it.
    /// Verdicts and report order do not depend on it.
    pub slow_cases: &'static [&'static str],
}

/// How many cases may run at a time against the started server `name`
/// (its `-ipv6` and other variants included): the profile's limit, none
/// for the embedded server or a name no profile has.
pub fn session_limit(name: &str) -> usize {
    profile_of(name).map_or(usize::MAX, |p| p.sessions)
}

/// The cases the started server `name` (its variants included) is known
/// to take long on ([`Profile::slow_cases`]); none for the embedded server
/// or a name no profile has.
pub fn slow_cases(name: &str) -> &'static [&'static str] {
    profile_of(name).map_or(&[], |p| p.slow_cases)
}

/// The profile of a started server named `name` or `name-...` (`-ipv6`,
/// `-implicit`, ...).
fn profile_of(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| {
        name == p.name
            || name
                .strip_prefix(p.name)
                .is_some_and(|r| r.starts_with('-'))
    })
}

/// Starts the named real server on loopback with a seeded temporary root,
/// and waits (at most 10 s) until it answers `220`.
pub fn start_profile(name: &str, opts: &ProfileOptions) -> Result<RunningServer, StartError> {
    start_placed(name, opts, None)
}

/// Starts the named real server like [`start_profile`], listening where
/// `at` says. Call it from a thread inside the namespace that holds
/// `at.listen` (the server process starts in the caller's namespace).
pub fn start_profile_at(
    name: &str,
    opts: &ProfileOptions,
    at: Placement,
) -> Result<RunningServer, StartError> {
    start_placed(name, opts, Some(at))
}

fn start_placed(
    name: &str,
    opts: &ProfileOptions,
    at: Option<Placement>,
) -> Result<RunningServer, StartError> {
    let profile = profile(name)?;
    if opts.ipv6 && opts.pasv_address.is_some() {
        return Err(StartError::Unsupported {
            server: name.to_string(),
            option: "pasv_address with ipv6 (227 replies carry IPv4 only)".to_string(),
        });
    }
    if opts.implicit_tls && !profile.implicit_tls {
        return Err(StartError::Unsupported {
            server: name.to_string(),
            option: "implicit FTPS (no such mode in this profile)".to_string(),
        });
    }
    let dir = server_dir()?;
    let ip = match at {
        Some(at) => at.listen.ip(),
        None if opts.ipv6 => IpAddr::V6(Ipv6Addr::LOCALHOST),
        None => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        match start_once(profile, dir.path(), ip, opts, at) {
            Ok((process, endpoint)) => {
                return Ok(RunningServer::new(endpoint, dir, Keeper::Process(process)))
            }
            Err(StartError::Exited { .. }) if attempt < START_ATTEMPTS => continue,
            Err(e) => return Err(e),
        }
    }
}

fn profile(name: &str) -> Result<&'static Profile, StartError> {
    PROFILES.iter().find(|p| p.name == name).ok_or_else(|| {
        StartError::UnknownProfile(name.to_string(), super::server_names().join(", "))
    })
}

fn start_once(
    profile: &Profile,
    dir: &Path,
    ip: IpAddr,
    opts: &ProfileOptions,
    at: Option<Placement>,
) -> Result<(ServerProcess, ServerEndpoint), StartError> {
    let (addr, passive) = match at {
        Some(at) => (at.listen, at.passive),
        None => (
            SocketAddr::new(ip, free_port(ip)?),
            free_range(ip, PASSIVE_PORTS)?,
        ),
    };
    let setup = Setup {
        dir,
        root: dir.join("root"),
        log: dir.join("server.log"),
        addr,
        passive,
        opts,
    };
    let command = (profile.command)(&setup)?;
    let mut process = ServerProcess::spawn(profile.name, command, &setup.log)?;
    process.wait_ready(setup.addr, opts.implicit_tls, START_TIMEOUT)?;
    Ok((process, endpoint(profile, &setup)))
}

fn endpoint(profile: &Profile, setup: &Setup) -> ServerEndpoint {
    use Capability::*;
    let mut capabilities = vec![Active, Passive, Epsv, Upload];
    match (profile.tls, setup.opts.implicit_tls) {
        (_, true) => capabilities.push(ImplicitTls),
        (true, false) => capabilities.push(Tls),
        (false, false) => {}
    }
    if setup.addr.is_ipv6() {
        capabilities.push(Ipv6);
    }
    ServerEndpoint {
        name: profile.name.to_string(),
        addr: setup.addr,
        user: profile.user.to_string(),
        pass: profile.pass.to_string(),
        passive_range: Some(setup.passive),
        capabilities,
    }
}

/// The test CA's files for a server's FTPS (written into its folder).
pub(crate) fn tls_files(setup: &Setup) -> Result<crate::net::tls::PemFiles, StartError> {
    crate::net::tls::Pki::get()
        .write(setup.dir)
        .map_err(StartError::io("write the certificate files".to_string()))
}

/// `.peers/` under the crate root, where scripts/install-peers.sh puts the
/// unpacked servers and the Python venv (`FTPCONFORM_PEERS` overrides it).
pub fn peers_dir() -> PathBuf {
    match std::env::var_os("FTPCONFORM_PEERS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".peers"),
    }
}

/// The first of `candidates` that exists, else `name` searched on PATH.
pub(crate) fn find_binary(
    server: &str,
    name: &str,
    candidates: &[PathBuf],
) -> Result<PathBuf, StartError> {
    let path_dirs = std::env::var_os("PATH").unwrap_or_default();
    let on_path = std::env::split_paths(&path_dirs).map(|d| d.join(name));
    let mut looked = Vec::new();
    for candidate in candidates.iter().cloned().chain(on_path) {
        if candidate.is_file() {
            return Ok(candidate);
        }
        looked.push(candidate.display().to_string());
    }
    Err(StartError::NotInstalled {
        server: server.to_string(),
        what: name.to_string(),
        looked: looked.join(", "),
    })
}

/// Writes a configuration file (root-owned, as vsftpd requires).
pub(crate) fn write_config(path: &Path, text: &str) -> Result<(), StartError> {
    std::fs::write(path, text).map_err(StartError::io(format!("write {}", path.display())))
}

/// The address a server announces in `227`: the option, else its own.
pub(crate) fn announced_v4(setup: &Setup) -> Ipv4Addr {
    let own = match setup.addr.ip() {
        IpAddr::V4(ip) => ip,
        IpAddr::V6(_) => Ipv4Addr::LOCALHOST,
    };
    setup.opts.pasv_address.unwrap_or(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_profile_names_the_known_ones() {
        let err = start_profile("nosuchftpd", &ProfileOptions::default()).expect_err("unknown");
        assert!(err.to_string().contains("pure-ftpd"), "{err}");
    }

    #[test]
    fn pasv_address_with_ipv6_is_refused() {
        let opts = ProfileOptions {
            pasv_address: Some(Ipv4Addr::new(127, 0, 0, 2)),
            ipv6: true,
            ..Default::default()
        };
        let err = start_profile("vsftpd", &opts).expect_err("unsupported");
        assert!(matches!(err, StartError::Unsupported { .. }), "{err}");
    }

    #[test]
    fn implicit_ftps_is_refused_by_a_profile_without_it() {
        let opts = ProfileOptions {
            implicit_tls: true,
            ..Default::default()
        };
        let err = start_profile("pure-ftpd", &opts).expect_err("unsupported");
        assert!(matches!(err, StartError::Unsupported { .. }), "{err}");
    }

    #[test]
    fn missing_binary_names_install_script() {
        let err = find_binary("x", "ftpconform-no-such-binary", &[]).expect_err("missing");
        assert!(
            err.to_string().contains("scripts/install-peers.sh"),
            "{err}"
        );
    }
}
