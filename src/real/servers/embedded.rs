//! The embedded server: libunftp 0.24 on a filesystem back-end, in process.
//!
//! It runs on its own thread with its own tokio runtime, so that it keeps
//! serving whatever the caller's runtime does (even blocking I/O), and so
//! that stopping it can end every session task within a bounded time.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use libunftp::options::ActivePassiveMode;
use libunftp::ServerBuilder;
use tokio::sync::oneshot;
use unftp_sbe_fs::Filesystem;

use super::error::StartError;
use super::ports::{free_port, free_range};
use super::process::{greets, START_TIMEOUT};
use super::running::{server_dir, Keeper, RunningServer, ServerThread};
use super::ServerEndpoint;
use crate::net::tls::Pki;
use crate::script::Capability;

/// Tries with fresh ports when the chosen ones were taken meanwhile.
const START_ATTEMPTS: u32 = 5;
/// libunftp answers PASV with 425 when no port of its range is free, and
/// cases that never connect (theft, refused transfers) hold ports for a
/// while: a wide range keeps a whole run from exhausting it.
const PASSIVE_PORTS: u16 = 100;
/// Sessions still open when the server stops get this long to end.
const STOP_GRACE: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(20);

/// Capabilities of the embedded server (see `ServerEndpoint::capabilities`).
const CAPABILITIES: &[Capability] = &[
    Capability::Active,
    Capability::Passive,
    Capability::Epsv,
    Capability::Upload,
    Capability::Tls,
];

/// Starts libunftp on 127.0.0.1 with an OS-assigned port, a passive range,
/// active and passive modes, and a seeded temporary root. Any user name and
/// password are accepted (libunftp's `AnonymousAuthenticator`).
pub async fn start_embedded() -> Result<RunningServer, StartError> {
    let dir = server_dir()?;
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut last = StartError::NoFreePort(0);
    for _ in 0..START_ATTEMPTS {
        let addr = SocketAddr::new(ip, free_port(ip)?);
        let range = free_range(ip, PASSIVE_PORTS)?;
        match start_on(dir.path(), addr, range).await {
            Ok(handle) => {
                let endpoint = endpoint(addr, range);
                return Ok(RunningServer::new(endpoint, dir, Keeper::Embedded(handle)));
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn endpoint(addr: SocketAddr, range: (u16, u16)) -> ServerEndpoint {
    ServerEndpoint {
        name: super::EMBEDDED.to_string(),
        addr,
        user: "anonymous".to_string(),
        pass: "ftpconform@".to_string(),
        passive_range: Some(range),
        capabilities: CAPABILITIES.to_vec(),
    }
}

/// Starts one server thread and waits (bounded) until it greets.
async fn start_on(
    dir: &Path,
    addr: SocketAddr,
    range: (u16, u16),
) -> Result<ServerThread, StartError> {
    let log = dir.join("server.log");
    let root = dir.join("root");
    let (stop_tx, stop_rx) = oneshot::channel();
    let (exit_tx, exit_rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("libunftp-{}", addr.port()))
        .spawn(move || serve(root, addr, range, log, stop_rx, exit_tx))
        .map_err(StartError::io("spawn the embedded server thread"))?;
    let handle = ServerThread::new(stop_tx, thread);
    wait_greeting(addr, &exit_rx).await?;
    Ok(handle)
}

async fn wait_greeting(addr: SocketAddr, exit: &mpsc::Receiver<String>) -> Result<(), StartError> {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(reason) = exit.try_recv() {
            return Err(StartError::Embedded(reason));
        }
        let ready = tokio::task::spawn_blocking(move || greets(addr))
            .await
            .unwrap_or(false);
        if ready {
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
    }
    Err(StartError::Embedded(format!(
        "no 220 on {addr} within {START_TIMEOUT:?}"
    )))
}

/// The server thread: builds libunftp, listens until told to stop, then
/// ends every session within STOP_GRACE. Reports an early end on `exit`.
fn serve(
    root: PathBuf,
    addr: SocketAddr,
    range: (u16, u16),
    log: PathBuf,
    stop: oneshot::Receiver<()>,
    exit: mpsc::Sender<String>,
) {
    let outcome = match run_until_stopped(&root, addr, range, stop) {
        Ok(()) => "stopped".to_string(),
        Err(e) => e,
    };
    append_log(&log, &format!("libunftp on {addr}: {outcome}"));
    let _ = exit.send(outcome);
}

fn run_until_stopped(
    root: &Path,
    addr: SocketAddr,
    range: (u16, u16),
    stop: oneshot::Receiver<()>,
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let listen = listen_future(root, addr, range)?;
    let result = rt.block_on(async move {
        tokio::select! {
            r = listen => r,
            _ = stop => Ok(()),
        }
    });
    rt.shutdown_timeout(STOP_GRACE);
    result
}

/// Builds the server; the returned future listens until it fails.
fn listen_future(
    root: &Path,
    addr: SocketAddr,
    range: (u16, u16),
) -> Result<impl std::future::Future<Output = Result<(), String>>, String> {
    // Open the root once here, so that a bad root is an error value; the
    // generator below runs per session and cannot return one.
    Filesystem::new(root).map_err(|e| format!("root {}: {e}", root.display()))?;
    // FTPS (explicit, optional): the test CA's certificate, beside the root.
    let pem_dir = root.parent().unwrap_or(root);
    let pem = Pki::get()
        .write(pem_dir)
        .map_err(|e| format!("certificate files in {}: {e}", pem_dir.display()))?;
    let root = root.to_path_buf();
    let server = ServerBuilder::new(Box::new(move || {
        Filesystem::new(root.clone()).expect("root opened at start and kept until stop")
    }))
    .greeting("ftpconform embedded libunftp ready")
    .passive_ports(range.0..=range.1)
    .active_passive_mode(ActivePassiveMode::ActiveAndPassive)
    .ftps(pem.cert, pem.key)
    .build()
    .map_err(|e| format!("build: {e}"))?;
    Ok(async move {
        let listen = server.listen(addr.to_string());
        listen.await.map_err(|e| format!("listen: {e}"))
    })
}

fn append_log(log: &Path, line: &str) {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log);
    if let Ok(mut file) = file {
        let _ = writeln!(file, "{line}");
    }
}
