//! A data connection (or a stray one: a theft attempt, a connection caught
//! by a bounce trap), recording bytes and closes in the timeline.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::{io_failure, within, NetError};
use crate::timeline::{CloseKind, ConnId, ConnRole, EventKind, OpenRole, Side, Timeline};

/// One data connection, seen from the harness's end.
pub struct DataConn {
    stream: TcpStream,
    conn: ConnId,
    timeline: Timeline,
    /// The side the harness plays on this connection (client or third).
    ours: Side,
    local: SocketAddr,
    peer: SocketAddr,
    peer_done: bool,
    we_done: bool,
}

/// What reading a data connection to its end produced.
#[derive(Debug, Default)]
pub struct Received {
    pub bytes: Vec<u8>,
    /// The server closed (FIN) the connection.
    pub eof: bool,
}

impl DataConn {
    /// Connects to `addr` (from `bind` when given: bind before connect).
    pub async fn connect(
        addr: SocketAddr,
        bind: Option<IpAddr>,
        role: OpenRole,
        ours: Side,
        timeout: Duration,
        timeline: &Timeline,
    ) -> Result<Self, NetError> {
        match within("data connection", timeout, open(addr, bind)).await {
            Ok(stream) => Ok(Self::opened(stream, role, ours, true, timeline)),
            Err(e) => {
                timeline.record(EventKind::ConnectFailed {
                    role: conn_role(role),
                    from_side: ours,
                    target: addr,
                    reason: e.to_string(),
                });
                Err(e)
            }
        }
    }

    /// Wraps a stream the server opened to one of our listeners.
    pub fn accepted(stream: TcpStream, role: OpenRole, ours: Side, timeline: &Timeline) -> Self {
        Self::opened(stream, role, ours, false, timeline)
    }

    fn opened(
        stream: TcpStream,
        role: OpenRole,
        ours: Side,
        we_initiated: bool,
        timeline: &Timeline,
    ) -> Self {
        let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
        let local = stream.local_addr().unwrap_or(unspecified);
        let peer = stream.peer_addr().unwrap_or(unspecified);
        let (us, them) = ((local, ours), (peer, Side::Server));
        let conn = if we_initiated {
            timeline.open(role, us, them)
        } else {
            timeline.open(role, them, us)
        };
        DataConn {
            stream,
            conn,
            timeline: timeline.clone(),
            ours,
            local,
            peer,
            peer_done: false,
            we_done: false,
        }
    }

    pub fn id(&self) -> ConnId {
        self.conn
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Reads one chunk (at most `max` bytes); an empty chunk means EOF.
    /// Cancel-safe.
    pub async fn read_chunk(&mut self, max: usize) -> Result<Vec<u8>, NetError> {
        if self.peer_done {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; max.clamp(1, 65536)];
        match self.stream.read(&mut buf).await {
            Ok(0) => {
                self.peer_done = true;
                self.timeline.close(self.conn, Side::Server, CloseKind::Fin);
                Ok(Vec::new())
            }
            Ok(n) => {
                buf.truncate(n);
                self.timeline.bytes(self.conn, Side::Server, &buf);
                Ok(buf)
            }
            Err(e) => {
                self.peer_done = true;
                Err(io_failure(&self.timeline, self.conn, Side::Server, e))
            }
        }
    }

    /// Reads until the server closes, `cap` bytes arrived, or `timeout`.
    /// A timeout or cap returns what arrived with `eof == false`.
    pub async fn read_to_end(&mut self, cap: u64, timeout: Duration) -> Result<Received, NetError> {
        let mut got = Received::default();
        let deadline = tokio::time::Instant::now() + timeout;
        while (got.bytes.len() as u64) < cap {
            let want = (cap - got.bytes.len() as u64).min(65536) as usize;
            match tokio::time::timeout_at(deadline, self.read_chunk(want)).await {
                Err(_) => return Ok(got),
                Ok(Err(e)) => return Err(e),
                Ok(Ok(chunk)) if chunk.is_empty() => {
                    got.eof = true;
                    return Ok(got);
                }
                Ok(Ok(chunk)) => got.bytes.extend_from_slice(&chunk),
            }
        }
        Ok(got)
    }

    /// Writes part of `bytes`; returns how many were written. Cancel-safe.
    pub async fn write_some(&mut self, bytes: &[u8]) -> Result<usize, NetError> {
        match self.stream.write(bytes).await {
            Ok(n) => {
                self.timeline.bytes(self.conn, self.ours, &bytes[..n]);
                Ok(n)
            }
            Err(e) => {
                // The connection is dead both ways: a later read must not
                // report the reset as an orderly close.
                self.we_done = true;
                self.peer_done = true;
                Err(io_failure(&self.timeline, self.conn, Side::Server, e))
            }
        }
    }

    /// Writes all of `bytes` within `timeout`.
    pub async fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), NetError> {
        within("data write", timeout, async {
            let mut pos = 0;
            while pos < bytes.len() {
                pos += self.write_some(&bytes[pos..]).await?;
            }
            Ok(())
        })
        .await
    }

    /// Half-closes our sending side (FIN) and records it.
    pub async fn shutdown(&mut self) {
        if !self.we_done {
            self.we_done = true;
            let _ = self.stream.shutdown().await;
            self.timeline.close(self.conn, self.ours, CloseKind::Fin);
        }
    }

    /// True once the server closed or reset its side.
    pub fn peer_closed(&self) -> bool {
        self.peer_done
    }
}

impl Drop for DataConn {
    fn drop(&mut self) {
        if !self.we_done {
            self.timeline.close(self.conn, self.ours, CloseKind::Fin);
        }
    }
}

async fn open(addr: SocketAddr, bind: Option<IpAddr>) -> Result<TcpStream, NetError> {
    let Some(ip) = bind else {
        return TcpStream::connect(addr)
            .await
            .map_err(|source| NetError::Connect { addr, source });
    };
    let local = SocketAddr::new(ip, 0);
    let socket = if ip.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(NetError::Io)?;
    socket.bind(local).map_err(|source| NetError::Bind {
        addr: local,
        source,
    })?;
    socket
        .connect(addr)
        .await
        .map_err(|source| NetError::Connect { addr, source })
}

fn conn_role(role: OpenRole) -> ConnRole {
    match role {
        OpenRole::Control => ConnRole::Control,
        OpenRole::Data => ConnRole::Data(0),
        OpenRole::Stray => ConnRole::Stray,
    }
}
