//! The control connection of the fake client: owns the stream and the reply
//! decoder, and records every byte and close in the timeline.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{io_failure, within, NetError};
use crate::timeline::{CloseKind, ConnId, ConnRole, EventKind, OpenRole, Side, Timeline};
use crate::wire::reply::{Reply, ReplyDecoder};
use crate::wire::DEFAULT_LINE_CAP;

/// The fake client's control connection to the server under test.
pub struct ControlConn {
    stream: TcpStream,
    decoder: ReplyDecoder,
    conn: ConnId,
    timeline: Timeline,
    local: SocketAddr,
    peer: SocketAddr,
    /// The server half-closed or reset (no more replies can come).
    peer_done: bool,
    /// We half-closed or reset.
    we_done: bool,
}

impl ControlConn {
    /// Connects to `addr`, recording `Opened` (or `ConnectFailed`).
    pub async fn connect(
        addr: SocketAddr,
        timeout: Duration,
        timeline: &Timeline,
    ) -> Result<Self, NetError> {
        let res = within("connection", timeout, async {
            TcpStream::connect(addr)
                .await
                .map_err(|source| NetError::Connect { addr, source })
        })
        .await;
        let stream = match res {
            Ok(s) => s,
            Err(e) => {
                timeline.record(EventKind::ConnectFailed {
                    role: ConnRole::Control,
                    from_side: Side::Client,
                    target: addr,
                    reason: e.to_string(),
                });
                return Err(e);
            }
        };
        let local = stream.local_addr().map_err(NetError::Io)?;
        let peer = stream.peer_addr().unwrap_or(addr);
        let conn = timeline.open(
            OpenRole::Control,
            (local, Side::Client),
            (peer, Side::Server),
        );
        Ok(ControlConn {
            stream,
            decoder: ReplyDecoder::new(DEFAULT_LINE_CAP),
            conn,
            timeline: timeline.clone(),
            local,
            peer,
            peer_done: false,
            we_done: false,
        })
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

    /// True once the server closed or reset the connection.
    pub fn peer_closed(&self) -> bool {
        self.peer_done
    }

    /// Sends `line` followed by CRLF.
    pub async fn send_line(&mut self, line: &str, timeout: Duration) -> Result<(), NetError> {
        let mut bytes = line.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        self.send_raw(&bytes, timeout).await
    }

    /// Sends bytes verbatim.
    pub async fn send_raw(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), NetError> {
        let res = within("write", timeout, async {
            self.stream.write_all(bytes).await.map_err(NetError::Io)
        })
        .await;
        match res {
            Ok(()) => {
                self.timeline.bytes(self.conn, Side::Client, bytes);
                Ok(())
            }
            Err(NetError::Io(e)) => Err(self.failed(e)),
            Err(e) => Err(e),
        }
    }

    /// Reads the next complete reply. Cancel-safe: bytes already read stay
    /// in the decoder.
    pub async fn read_reply(&mut self, timeout: Duration) -> Result<Reply, NetError> {
        within("reply", timeout, self.next_reply()).await
    }

    async fn next_reply(&mut self) -> Result<Reply, NetError> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(r) = self.decoder.next() {
                return r.map_err(NetError::BadReply);
            }
            if self.peer_done {
                return Err(self
                    .decoder
                    .finish()
                    .map_or(NetError::Closed, NetError::BadReply));
            }
            match self.stream.read(&mut buf).await {
                Ok(0) => {
                    self.peer_done = true;
                    self.timeline.close(self.conn, Side::Server, CloseKind::Fin);
                }
                Ok(n) => {
                    self.timeline.bytes(self.conn, Side::Server, &buf[..n]);
                    self.decoder.feed(&buf[..n]);
                }
                Err(e) => return Err(self.failed(e)),
            }
        }
    }

    fn failed(&mut self, e: std::io::Error) -> NetError {
        let err = io_failure(&self.timeline, self.conn, Side::Server, e);
        if matches!(err, NetError::Reset) {
            self.peer_done = true;
        }
        err
    }

    /// Half-closes our side (FIN), then waits up to `linger` for the
    /// server's close, recording any bytes it still sends.
    pub async fn close(&mut self, linger: Duration) {
        if !self.we_done {
            self.we_done = true;
            let _ = self.stream.shutdown().await;
            self.timeline.close(self.conn, Side::Client, CloseKind::Fin);
        }
        let deadline = tokio::time::Instant::now() + linger;
        while !self.peer_done {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read_reply(left).await {
                Ok(_) => continue,
                Err(NetError::Timeout { .. }) => break,
                Err(_) => continue,
            }
        }
    }

    /// Resets the connection (RST via SO_LINGER 0) and records it.
    pub fn abort(mut self) {
        let _ = self.stream.set_zero_linger();
        self.we_done = true;
        self.timeline
            .close(self.conn, Side::Client, CloseKind::Reset);
    }
}

impl Drop for ControlConn {
    fn drop(&mut self) {
        if !self.we_done {
            self.timeline.close(self.conn, Side::Client, CloseKind::Fin);
        }
    }
}
