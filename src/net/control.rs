//! A control connection: a [`Conn`] and the codec that turns its bytes into
//! items: replies for the fake client ([`ReplyDecoder`]), commands for the
//! fake server ([`CommandDecoder`]). Every byte and close is recorded by
//! the [`Conn`] underneath.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::tls::Tls;
use super::{within, Conn, NetError, Sides};
use crate::timeline::{ConnId, OpenRole, Timeline};
use crate::wire::command::{Command, CommandDecoder};
use crate::wire::reply::{Reply, ReplyDecoder};

/// How much one read of a control connection takes.
const CONTROL_READ: usize = 4096;

/// A sans-IO decoder of the items a control connection carries.
pub trait Decoder: Default + Send + 'static {
    type Item;
    /// What one item is called in a timeout ("no reply within 5s").
    const ITEM: &'static str;
    /// Takes bytes as they arrive.
    fn input(&mut self, bytes: &[u8]);
    /// The next complete item (or a malformed one); `None` when incomplete.
    fn item(&mut self) -> Option<Result<Self::Item, NetError>>;
    /// What the end of the peer's stream means: a plain close, or an item
    /// left unfinished.
    fn at_end(&mut self) -> NetError;
}

impl Decoder for ReplyDecoder {
    type Item = Reply;
    const ITEM: &'static str = "reply";

    fn input(&mut self, bytes: &[u8]) {
        self.feed(bytes);
    }

    fn item(&mut self) -> Option<Result<Reply, NetError>> {
        self.next().map(|r| r.map_err(NetError::BadReply))
    }

    fn at_end(&mut self) -> NetError {
        self.finish().map_or(NetError::Closed, NetError::BadReply)
    }
}

impl Decoder for CommandDecoder {
    type Item = Command;
    const ITEM: &'static str = "command";

    fn input(&mut self, bytes: &[u8]) {
        self.feed(bytes);
    }

    fn item(&mut self) -> Option<Result<Command, NetError>> {
        self.next().map(|r| r.map_err(NetError::BadCommand))
    }

    /// A partial command line at the end is dropped, as servers do.
    fn at_end(&mut self) -> NetError {
        NetError::Closed
    }
}

/// A control connection that decodes `D::Item`s.
pub struct ControlConn<D> {
    conn: Conn,
    decoder: D,
}

impl<D: Decoder> ControlConn<D> {
    /// A control connection over `conn` (opened with [`OpenRole::Control`]).
    pub fn new(conn: Conn) -> Self {
        ControlConn {
            conn,
            decoder: D::default(),
        }
    }

    /// Connects to `addr` (from `bind` when given), recording `Opened` (or
    /// `ConnectFailed`).
    pub async fn connect(
        addr: SocketAddr,
        bind: Option<IpAddr>,
        sides: Sides,
        timeout: Duration,
        timeline: &Timeline,
    ) -> Result<Self, NetError> {
        let conn = Conn::connect(addr, bind, OpenRole::Control, sides, timeout, timeline).await?;
        Ok(ControlConn::new(conn))
    }

    /// The decoder, to ask what state the stream is in.
    pub fn decoder(&self) -> &D {
        &self.decoder
    }

    pub fn id(&self) -> ConnId {
        self.conn.id()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.conn.local_addr()
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.conn.peer_addr()
    }

    /// Sends `line` followed by CRLF.
    pub async fn send_line(&mut self, line: &str, timeout: Duration) -> Result<(), NetError> {
        let mut bytes = line.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        self.send(&bytes, timeout).await
    }

    /// Sends bytes verbatim.
    pub async fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), NetError> {
        self.conn.write_all(bytes, timeout).await
    }

    /// Reads the next complete item. Cancel-safe: bytes already read stay
    /// in the decoder.
    pub async fn recv(&mut self, timeout: Duration) -> Result<D::Item, NetError> {
        within(D::ITEM, timeout, self.next_item()).await
    }

    async fn next_item(&mut self) -> Result<D::Item, NetError> {
        loop {
            if let Some(item) = self.decoder.item() {
                return item;
            }
            let chunk = self.conn.read_chunk(CONTROL_READ).await?;
            if chunk.is_empty() {
                return Err(self.decoder.at_end());
            }
            self.decoder.input(&chunk);
        }
    }

    /// Starts TLS (after AUTH TLS and its 234, or at once for implicit
    /// FTPS); the next send or receive drives the handshake.
    pub fn start_tls(&mut self, tls: &Tls) {
        self.conn.start_tls(tls);
    }

    /// Ends TLS and goes on in plaintext (CCC).
    pub async fn clear_tls(&mut self, timeout: Duration) -> Result<(), NetError> {
        self.conn.clear_tls(timeout).await
    }

    /// Half-closes our side (FIN), without waiting for the peer's close.
    pub async fn shutdown(&mut self) {
        self.conn.shutdown().await;
    }

    /// Half-closes our side (FIN), then waits up to `linger` for the peer's
    /// close, recording any bytes it still sends.
    pub async fn close(&mut self, linger: Duration) {
        self.conn.shutdown().await;
        self.conn.drain(u64::MAX, linger).await;
    }

    /// Resets the connection (RST) and records it.
    pub fn abort(self) {
        self.conn.abort();
    }
}
