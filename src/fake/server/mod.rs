//! The fake FTP server that tests real FTP clients (client-role cases).
//!
//! [`start`] listens on loopback and answers the client's commands by the
//! case's reply rules (defaults for everything a case does not mention),
//! serves the virtual file tree and records every connection on the
//! timeline, until [`Serving::stop`]. The runner starts the client under
//! test next to it and judges the case.
//!
//! # Fault injection (the `Action`s of a reply rule)
//!
//! - `reply`: send a reply; several lines make a multiline reply in one of
//!   three styles (`all-coded`: every line `xyz-`; `uncoded`: interior lines
//!   bare; `indented`: interior lines start with a space); `bare-lf: true`
//!   ends lines with LF only. On a transfer verb, a 1xx reply replaces the
//!   150 and any other reply replaces the 226 (a multiline 150 or 226, or a
//!   426 after a short transfer). `pad-lines: N` adds N interior lines.
//! - `raw`: send bytes as they are.
//! - `default`: the normal answer for the verb.
//! - `pasv {address, shape}`: a 227 naming `address` (default: the control
//!   address) in a shape seen on real servers (`standard`,
//!   `trailing-period`, `no-parens`, `lower-case`, `extra-text`). The fake
//!   server listens on the control address; when the 227 names another
//!   loopback address (127.0.0.2) it also listens there on the same port,
//!   and a client that connects there is recorded as a stray connection and
//!   fails `client-trusts-pasv-address`.
//! - `use-125`: 125 instead of 150.
//! - `late-preliminary`: the 150 is sent only after the data connection has
//!   been closed.
//! - `no-data-connection`: the data connection is never accepted (passive)
//!   or opened (active); after the 150 and a wait of the case timeout the
//!   server sends 425 (or the rule's last reply).
//! - `close-data-after: N`: the data connection is closed after N bytes (a
//!   truncated download, or an upload cut short by the server).
//! - `connect-from-foreign`: the next active data connection comes from
//!   the foreign host (127.0.0.2), as a third party that reached the
//!   client's PORT first would (`client-verifies-active-source`).
//! - `split-replies`: from here on, every reply goes out a byte per write
//!   (a segment per byte); on `GREETING`, the whole session's.
//! - `delay: D`: wait before the next action.
//! - `disconnect`: close the control connection (after a `reply: 421` it
//!   models a server shutting down).
//!
//! Modifiers (`use-125`, `late-preliminary`, `no-data-connection`,
//! `close-data-after`) given on any verb apply to the next transfer; a rule
//! whose actions reply nothing gets the default reply after them. A rule
//! `on: GREETING` replaces the 220 greeting.
//!
//! FTPS faults (`src/fake/server/ftps.rs`; a case with `tls: true`):
//! `no-close-notify` ends the next protected download with a FIN
//! and no TLS close_notify; `plaintext-data` runs the next data connection
//! in plaintext although PROT P is in force.
//!
//! Active mode: the fake server connects only to the client's control
//! address (always loopback); any other PORT/EPRT address is refused with
//! 501 and never connected to.

mod ftps;
mod rules;
mod session;
mod transfer;
mod verbs;
pub mod vfs;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::timeout;

use crate::net::{Conn, ControlConn, Listener};
use crate::script::{ClientScript, Family};
use crate::timeline::{OpenRole, PeerEvent, Timeline};

use session::ServerSession;
pub use session::{PASS, USER};
use transfer::AS_SERVER;

/// The fake server of one case, answering in the background.
pub struct Serving {
    addr: SocketAddr,
    done: watch::Sender<bool>,
    task: JoinHandle<Vec<String>>,
    timeline: Timeline,
}

/// Listens on loopback (in the script's address family) and answers every
/// client that connects, each reply waiting at most `wait`, until stopped
/// or until `idle` has passed. `Err` when it cannot listen.
pub async fn start(
    fs: &ClientScript,
    timeline: &Timeline,
    wait: Duration,
    idle: Duration,
) -> Result<Serving, String> {
    let ip: IpAddr = match fs.family {
        Family::V4 => Ipv4Addr::LOCALHOST.into(),
        Family::V6 => Ipv6Addr::LOCALHOST.into(),
    };
    let at = crate::topology::listen_addr(ip);
    let listener = Listener::bind(at, AS_SERVER, "control", timeline)
        .await
        .map_err(|e| format!("cannot listen on {ip}: {e}"))?;
    let addr = listener.local_addr();
    let (done, done_rx) = watch::channel(false);
    let (fs, tl) = (fs.clone(), timeline.clone());
    let task = tokio::spawn(serve(listener, fs, tl, wait, idle, done_rx));
    Ok(Serving {
        addr,
        done,
        task,
        timeline: timeline.clone(),
    })
}

impl Serving {
    /// The control address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and lets the sessions end (bounded); what the
    /// server noticed on the way goes to the timeline as remarks.
    pub async fn stop(self) {
        let _ = self.done.send(true);
        let abort = self.task.abort_handle();
        let notes = match timeout(Duration::from_secs(5), self.task).await {
            Ok(Ok(notes)) => notes,
            Ok(Err(e)) => vec![format!("fake server task failed: {e}")],
            Err(_) => {
                abort.abort();
                vec!["fake server session still open after the client ended; closed".into()]
            }
        };
        for text in notes {
            self.timeline.peer(PeerEvent::Remark { text });
        }
    }
}

/// Accepts control connections (a client may reconnect, as lftp does after
/// a refused EPSV) and runs a session on each, until the client has ended
/// (`done`) or `idle` has passed.
async fn serve(
    listener: Listener,
    fs: ClientScript,
    timeline: Timeline,
    wait: Duration,
    idle: Duration,
    mut done: watch::Receiver<bool>,
) -> Vec<String> {
    let mut sessions = JoinSet::new();
    let mut notes = Vec::new();
    let stop = tokio::time::sleep(idle);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept(OpenRole::Control) => match accepted {
                Ok(conn) => {
                    sessions.spawn(session(conn, &fs, &timeline, wait, idle));
                }
                Err(e) => {
                    notes.push(format!("accept failed: {e}"));
                    break;
                }
            },
            _ = done.changed() => {
                // A client that connected and ended at once may have left
                // its connection in the backlog, not yet accepted: the
                // kernel queued it before the client's connect returned,
                // so a non-blocking accept finds it (no wait needed).
                for conn in listener.accept_backlog(OpenRole::Control) {
                    sessions.spawn(session(conn, &fs, &timeline, wait, idle));
                }
                return ended(sessions, notes).await;
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    ended(sessions, notes).await
}

/// Lets the sessions end (bounded) and collects what they noticed.
async fn ended(mut sessions: JoinSet<Vec<String>>, mut notes: Vec<String>) -> Vec<String> {
    if sessions.is_empty() {
        notes.push("the client never opened the control connection".into());
    }
    while let Ok(Some(ended)) = timeout(Duration::from_secs(2), sessions.join_next()).await {
        match ended {
            Ok(n) => notes.extend(n),
            Err(e) => notes.push(format!("fake server session failed: {e}")),
        }
    }
    notes
}

/// One control session on an accepted connection.
fn session(
    conn: Conn,
    fs: &ClientScript,
    timeline: &Timeline,
    wait: Duration,
    idle: Duration,
) -> impl Future<Output = Vec<String>> + Send + 'static {
    let (fs, timeline) = (fs.clone(), timeline.clone());
    async move {
        let ctl = ControlConn::new(conn);
        ServerSession::new(ctl, timeline, &fs, wait, idle)
            .run()
            .await
    }
}
