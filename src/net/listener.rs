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

    /// Accepts one data connection in the background, so that the moment
    /// the server connects is recorded even while the harness is busy.
    pub fn spawn_accept(self, timeout: Duration) -> PendingAccept {
        let task =
            tokio::spawn(async move { self.accept(OpenRole::Data, Side::Client, timeout).await });
        PendingAccept { task }
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

/// A background accept of the active-mode data connection.
pub struct PendingAccept {
    task: JoinHandle<Result<DataConn, NetError>>,
}

impl PendingAccept {
    /// Waits up to `timeout` for the server's connection.
    pub async fn wait(mut self, timeout: Duration) -> Result<DataConn, NetError> {
        let res = tokio::time::timeout(timeout, &mut self.task).await;
        match res {
            Ok(Ok(r)) => r,
            Ok(Err(join)) => Err(NetError::Io(std::io::Error::other(join.to_string()))),
            Err(_) => Err(NetError::Timeout {
                what: "incoming data connection",
                after: timeout,
            }),
        }
    }
}

impl PendingAccept {
    /// Waits for the connection (cancel-safe); call at most until it
    /// returns once.
    pub async fn next(&mut self) -> Result<DataConn, NetError> {
        match (&mut self.task).await {
            Ok(r) => r,
            Err(join) => Err(NetError::Io(std::io::Error::other(join.to_string()))),
        }
    }
}

impl Drop for PendingAccept {
    fn drop(&mut self) {
        self.task.abort();
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
}

impl Drop for Trap {
    fn drop(&mut self) {
        self.task.abort();
    }
}
