//! What a connection runs over. [`Conn`](super::Conn) holds a boxed
//! [`Stream`]: the TCP stream, or a TLS stream over it (FTPS, see
//! [`tls`](super::tls)), under the same connection types and recording.

use rustls::CommonState;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A byte stream over one TCP connection: the plain TCP stream, or a
/// layer (such as TLS) over it.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// The TCP connection underneath (its addresses, SO_LINGER for a reset).
    fn tcp(&self) -> &TcpStream;
    /// The TCP connection underneath, the layers above it dropped.
    fn into_tcp(self: Box<Self>) -> TcpStream;
    /// The TLS state, when TLS runs over the connection.
    fn tls(&self) -> Option<&CommonState> {
        None
    }
    /// Queues a TLS close_notify (the next flush sends it).
    fn close_notify(&mut self) {}
}

impl Stream for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
    fn into_tcp(self: Box<Self>) -> TcpStream {
        *self
    }
}
