//! What a connection runs over. [`Conn`](super::Conn) holds a boxed
//! [`Stream`], so that a TLS stream (FTPS) can later take the place of the
//! TCP stream under the same connection types, with the same recording.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A byte stream over one TCP connection: the plain TCP stream, or a
/// layer (such as TLS) over it.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// The TCP connection underneath (its addresses, SO_LINGER for a reset).
    fn tcp(&self) -> &TcpStream;
}

impl Stream for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}
