//! Listening sockets of either peer: the fake server's control and passive
//! data listeners, the fake client's active data listener (accepted by a
//! polled [`PendingAccept`]), and traps that catch connections nothing
//! should make (a bounce PORT's target, a foreign 227 address).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::tls::Tls;
use super::{Conn, NetError, Sides};
use crate::timeline::{EventKind, OpenRole, Timeline};

/// The most a trap reads from one connection it caught.
const TRAP_CAP: u64 = 1 << 20;

/// A listening socket whose accepted connections are recorded, with the
/// listener's [`Sides`] (ours: the side that listens).
pub struct Listener {
    listener: TcpListener,
    addr: SocketAddr,
    sides: Sides,
    timeline: Timeline,
}

impl Listener {
    /// Binds `addr` (port 0 for an ephemeral port) and records `Listening`
    /// by `sides.ours`.
    pub async fn bind(
        addr: SocketAddr,
        sides: Sides,
        purpose: &str,
        timeline: &Timeline,
    ) -> Result<Self, NetError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| NetError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(NetError::Io)?;
        timeline.record(EventKind::Listening {
            side: sides.ours,
            addr,
            purpose: purpose.to_string(),
        });
        Ok(Listener {
            listener,
            addr,
            sides,
            timeline: timeline.clone(),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Accepts one connection, recording `Opened`. Cancel-safe; the caller
    /// bounds the wait.
    pub async fn accept(&self, role: OpenRole) -> Result<Conn, NetError> {
        let (stream, peer) = self.listener.accept().await.map_err(NetError::Io)?;
        Ok(Conn::accepted(
            stream,
            peer,
            role,
            self.sides,
            &self.timeline,
        ))
    }

    /// Accepts, without waiting, every connection already queued in the
    /// kernel's backlog (a peer that connected and ended at once), then
    /// closes the listener.
    pub fn accept_backlog(self, role: OpenRole) -> Vec<Conn> {
        let mut pending = match self.into_pending(role) {
            Ok(p) => p,
            Err(_) => return Vec::new(),
        };
        let mut got = Vec::new();
        loop {
            pending.check_now();
            match pending.got.take() {
                Some(Ok(conn)) => got.push(conn),
                _ => return got,
            }
        }
    }

    /// Hands the listener to a transfer, which accepts the peer's
    /// connection with [`PendingAccept`].
    pub fn into_pending(self, role: OpenRole) -> Result<PendingAccept, NetError> {
        let listener = self.listener.into_std().map_err(NetError::Io)?;
        listener.set_nonblocking(true).map_err(NetError::Io)?;
        Ok(PendingAccept {
            listener,
            role,
            sides: self.sides,
            timeline: self.timeline,
            got: None,
            tls: None,
        })
    }

    /// Turns the listener into a trap: every connection that arrives is
    /// recorded as stray and handled as `catch` says, until the trap is
    /// closed or dropped.
    pub fn into_trap(self, catch: Catch) -> Trap {
        let (count, caught_rx) = tokio::sync::watch::channel(0usize);
        let task = tokio::spawn(async move {
            let mut caught = Vec::new();
            while let Ok(mut conn) = self.accept(OpenRole::Stray).await {
                count.send_modify(|n| *n += 1);
                caught.push(tokio::spawn(async move {
                    let read_for = match catch {
                        Catch::Read(d) => d,
                        Catch::HangUp(d) => {
                            conn.shutdown().await;
                            d
                        }
                    };
                    conn.drain(TRAP_CAP, read_for).await;
                }));
            }
        });
        Trap { task, caught_rx }
    }
}

/// What a trap does with a connection it caught.
#[derive(Debug, Clone, Copy)]
pub enum Catch {
    /// Reads what the peer sends until it closes, for at most this long.
    Read(Duration),
    /// Closes our side at once (FIN), then records the peer's close for at
    /// most this long.
    HangUp(Duration),
}

/// How often a pending accept looks for the peer's connection.
const ACCEPT_POLL: Duration = Duration::from_millis(2);

/// An active-mode listener waiting for the peer's data connection.
///
/// Accepting is a non-blocking system call made on demand ([`check_now`])
/// and every couple of milliseconds while waiting ([`next`]), so that the
/// moment of arrival is recorded independently of task scheduling: a
/// connection made at PORT time is seen before the transfer command goes out.
///
/// [`check_now`]: PendingAccept::check_now
/// [`next`]: PendingAccept::next
pub struct PendingAccept {
    listener: std::net::TcpListener,
    role: OpenRole,
    sides: Sides,
    timeline: Timeline,
    got: Option<Result<Conn, NetError>>,
    /// TLS to start on the accepted connection (a protected data
    /// connection, RFC 4217).
    tls: Option<Tls>,
}

impl PendingAccept {
    /// Starts `tls` on the connection once accepted (or now, on one
    /// already accepted: a server may connect at PORT time).
    pub fn protect(&mut self, tls: Tls) {
        if let Some(Ok(conn)) = self.got.as_mut() {
            conn.start_tls(&tls);
        }
        self.tls = Some(tls);
    }

    /// Accepts the connection if it has arrived, recording `Opened` now.
    pub fn check_now(&mut self) {
        if self.got.is_some() {
            return;
        }
        match self.listener.accept() {
            Ok((stream, peer)) => self.got = Some(self.wrap(stream, peer)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => self.got = Some(Err(NetError::Io(e))),
        }
    }

    fn wrap(&self, stream: std::net::TcpStream, peer: SocketAddr) -> Result<Conn, NetError> {
        stream.set_nonblocking(true).map_err(NetError::Io)?;
        let stream = tokio::net::TcpStream::from_std(stream).map_err(NetError::Io)?;
        let mut conn = Conn::accepted(stream, peer, self.role, self.sides, &self.timeline);
        if let Some(tls) = &self.tls {
            conn.start_tls(tls);
        }
        Ok(conn)
    }

    /// Waits for the connection (cancel-safe; the caller bounds the wait).
    pub async fn next(&mut self) -> Result<Conn, NetError> {
        loop {
            self.check_now();
            if let Some(got) = self.got.take() {
                return got;
            }
            tokio::time::sleep(ACCEPT_POLL).await;
        }
    }
}

/// A listener nothing should connect to; stops listening when closed or
/// dropped.
pub struct Trap {
    task: JoinHandle<()>,
    caught_rx: tokio::sync::watch::Receiver<usize>,
}

impl Trap {
    /// Waits until the trap has caught a connection (cancel-safe; the
    /// caller bounds the wait).
    pub async fn caught(&mut self) {
        // Err: the trap stopped listening; nothing more can arrive.
        let _ = self.caught_rx.wait_for(|n| *n > 0).await;
    }

    /// Stops accepting and waits until the listening socket is closed, so
    /// that its port is free again.
    pub async fn close(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Trap {
    fn drop(&mut self) {
        self.task.abort();
    }
}
