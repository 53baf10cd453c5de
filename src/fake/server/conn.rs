//! Connections of the fake server: the control connection (owns its socket
//! and command decoder) and data connections. Every byte and close goes to
//! the timeline.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::timeline::{CloseKind, ConnId, Side, Timeline};
use crate::wire::command::{Command, CommandDecoder, CommandError};
use crate::wire::DEFAULT_LINE_CAP;

/// Why a connection operation failed.
#[derive(Debug)]
pub enum ConnError {
    /// Nothing arrived (or could be sent) within the time allowed.
    Timeout(&'static str),
    Io(std::io::Error),
}

impl fmt::Display for ConnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnError::Timeout(what) => write!(f, "timed out waiting for {what}"),
            ConnError::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl std::error::Error for ConnError {}

impl From<std::io::Error> for ConnError {
    fn from(e: std::io::Error) -> Self {
        ConnError::Io(e)
    }
}

/// What came in on the control connection.
#[derive(Debug)]
pub enum Incoming {
    Command(Command),
    /// A line that is not a command (answered 500).
    Bad(CommandError),
    /// The client closed the control connection.
    Closed,
}

/// The control connection, server side.
pub struct ControlConn {
    stream: TcpStream,
    decoder: CommandDecoder,
    timeline: Timeline,
    pub id: ConnId,
    /// The client's address (the connection's initiator).
    pub peer: SocketAddr,
    /// The fake server's address on this connection.
    pub local: SocketAddr,
    closed: bool,
}

impl ControlConn {
    pub fn new(
        stream: TcpStream,
        timeline: Timeline,
        id: ConnId,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Self {
        ControlConn {
            stream,
            decoder: CommandDecoder::new(DEFAULT_LINE_CAP),
            timeline,
            id,
            peer,
            local,
            closed: false,
        }
    }

    /// The next command, waiting at most `wait`.
    pub async fn next(&mut self, wait: Duration) -> Result<Incoming, ConnError> {
        let mut buf = [0u8; 4096];
        loop {
            match self.decoder.next() {
                Some(Ok(cmd)) => return Ok(Incoming::Command(cmd)),
                Some(Err(e)) => return Ok(Incoming::Bad(e)),
                None => {}
            }
            let n = timeout(wait, self.stream.read(&mut buf))
                .await
                .map_err(|_| ConnError::Timeout("a command"))??;
            if n == 0 {
                self.timeline.close(self.id, Side::Client, CloseKind::Fin);
                return Ok(Incoming::Closed);
            }
            self.timeline.bytes(self.id, Side::Client, &buf[..n]);
            self.decoder.feed(&buf[..n]);
        }
    }

    /// Sends bytes (a reply), recording them.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), ConnError> {
        if self.closed {
            return Ok(());
        }
        timeout(Duration::from_secs(5), self.stream.write_all(bytes))
            .await
            .map_err(|_| ConnError::Timeout("the client to read a reply"))??;
        self.timeline.bytes(self.id, Side::Server, bytes);
        Ok(())
    }

    /// Closes the control connection from the server side.
    pub async fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        let _ = timeout(Duration::from_secs(1), self.stream.shutdown()).await;
        self.timeline.close(self.id, Side::Server, CloseKind::Fin);
    }
}

/// One data connection, server side.
pub struct DataConn {
    stream: TcpStream,
    timeline: Timeline,
    pub id: ConnId,
}

impl DataConn {
    pub fn new(stream: TcpStream, timeline: Timeline, id: ConnId) -> Self {
        DataConn {
            stream,
            timeline,
            id,
        }
    }

    /// Sends `data` in chunks, recording each, then half-closes.
    pub async fn send_and_close(mut self, data: &[u8], wait: Duration) -> Result<(), ConnError> {
        for chunk in data.chunks(16 * 1024) {
            timeout(wait, self.stream.write_all(chunk))
                .await
                .map_err(|_| ConnError::Timeout("the client to read data"))??;
            self.timeline.bytes(self.id, Side::Server, chunk);
        }
        let _ = timeout(wait, self.stream.shutdown()).await;
        self.timeline.close(self.id, Side::Server, CloseKind::Fin);
        tokio::spawn(self.await_peer_close(wait));
        Ok(())
    }

    /// Records the client's close of a connection we already closed.
    async fn await_peer_close(mut self, wait: Duration) {
        let mut buf = [0u8; 4096];
        loop {
            match timeout(wait, self.stream.read(&mut buf)).await {
                Ok(Ok(0)) => {
                    self.timeline.close(self.id, Side::Client, CloseKind::Fin);
                    return;
                }
                Ok(Ok(n)) => self.timeline.bytes(self.id, Side::Client, &buf[..n]),
                Ok(Err(_)) => {
                    self.timeline.close(self.id, Side::Client, CloseKind::Reset);
                    return;
                }
                Err(_) => return,
            }
        }
    }

    /// Receives until the client closes, or until `limit` bytes (then the
    /// server closes early). Returns the bytes received.
    pub async fn receive(
        mut self,
        limit: Option<u64>,
        wait: Duration,
    ) -> Result<Vec<u8>, ConnError> {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if limit.is_some_and(|l| got.len() as u64 >= l) {
                let _ = timeout(wait, self.stream.shutdown()).await;
                self.timeline.close(self.id, Side::Server, CloseKind::Fin);
                return Ok(got);
            }
            let want = limit.map_or(buf.len(), |l| {
                buf.len().min((l - got.len() as u64) as usize)
            });
            let n = timeout(wait, self.stream.read(&mut buf[..want]))
                .await
                .map_err(|_| ConnError::Timeout("upload data"))??;
            if n == 0 {
                self.timeline.close(self.id, Side::Client, CloseKind::Fin);
                let _ = timeout(wait, self.stream.shutdown()).await;
                self.timeline.close(self.id, Side::Server, CloseKind::Fin);
                return Ok(got);
            }
            self.timeline.bytes(self.id, Side::Client, &buf[..n]);
            got.extend_from_slice(&buf[..n]);
        }
    }
}
