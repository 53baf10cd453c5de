//! Listeners the harness opens: the active-mode data listener (the server
//! connects to it) and bounce traps (nothing should connect to them).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{within, DataConn, NetError};
use crate::timeline::{EventKind, OpenRole, Side, Timeline};

/// A listening socket whose accepted connections are recorded.
pub struct DataListener {
    listener: TcpListener,
    addr: SocketAddr,
    timeline: Timeline,
}

impl DataListener {
    /// Binds `addr` (port 0 for an ephemeral port) and records `Listening`.
    pub async fn bind(
        addr: SocketAddr,
        side: Side,
        purpose: &str,
        timeline: &Timeline,
    ) -> Result<Self, NetError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| NetError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(NetError::Io)?;
        timeline.record(EventKind::Listening {
            side,
            addr,
            purpose: purpose.to_string(),
        });
        Ok(DataListener {
            listener,
            addr,
            timeline: timeline.clone(),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Accepts one connection within `timeout`.
    pub async fn accept(
        &self,
        role: OpenRole,
        ours: Side,
        timeout: Duration,
    ) -> Result<DataConn, NetError> {
        let (stream, _) = within("incoming data connection", timeout, async {
            self.listener.accept().await.map_err(NetError::Io)
        })
        .await?;
        Ok(DataConn::accepted(stream, role, ours, &self.timeline))
    }

    /// Hands the listener to the transfer, which accepts the server's
    /// connection with [`PendingAccept`].
    pub fn into_pending(self) -> Result<PendingAccept, NetError> {
        let listener = self.listener.into_std().map_err(NetError::Io)?;
        listener.set_nonblocking(true).map_err(NetError::Io)?;
        Ok(PendingAccept {
            listener,
            timeline: self.timeline,
            got: None,
        })
    }

    /// Turns the listener into a trap: every connection that arrives is
    /// recorded as stray (harness side: third), and read until it closes.
    pub fn into_trap(self, read_for: Duration) -> Trap {
        let addr = self.addr;
        let task = tokio::spawn(async move {
            let mut readers = Vec::new();
            loop {
                let Ok((stream, _)) = self.listener.accept().await else {
                    break;
                };
                let mut conn =
                    DataConn::accepted(stream, OpenRole::Stray, Side::Third, &self.timeline);
                readers.push(tokio::spawn(async move {
                    let _ = conn.read_to_end(1 << 20, read_for).await;
                }));
            }
        });
        Trap { addr, task }
    }
}

/// How often a pending accept looks for the server's connection.
const ACCEPT_POLL: Duration = Duration::from_millis(2);

/// The active-mode listener waiting for the server's data connection.
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
    timeline: Timeline,
    got: Option<Result<DataConn, NetError>>,
}

impl PendingAccept {
    /// Accepts the connection if it has arrived, recording `Opened` now.
    pub fn check_now(&mut self) {
        if self.got.is_some() {
            return;
        }
        match self.listener.accept() {
            Ok((stream, _)) => self.got = Some(self.wrap(stream)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => self.got = Some(Err(NetError::Io(e))),
        }
    }

    fn wrap(&self, stream: std::net::TcpStream) -> Result<DataConn, NetError> {
        stream.set_nonblocking(true).map_err(NetError::Io)?;
        let stream = tokio::net::TcpStream::from_std(stream).map_err(NetError::Io)?;
        Ok(DataConn::accepted(
            stream,
            OpenRole::Data,
            Side::Client,
            &self.timeline,
        ))
    }

    /// Waits for the connection (cancel-safe; the caller bounds the wait).
    pub async fn next(&mut self) -> Result<DataConn, NetError> {
        loop {
            self.check_now();
            if let Some(got) = self.got.take() {
                return got;
            }
            tokio::time::sleep(ACCEPT_POLL).await;
        }
    }
}

/// A listener nothing should connect to (the address a bounce PORT names).
pub struct Trap {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Trap {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
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
