//! The one connection layer under both fake peers (tokio). Every connect,
//! accept, byte, half-close (FIN) and reset goes to the timeline, with the
//! side that did it: which side the harness plays on a connection, and
//! which side its peer plays, are parameters ([`Sides`]), never assumed.
//!
//! - [`stream`]: [`Stream`], what a connection runs over: TCP, or TLS
//!   over it.
//! - [`tls`]: FTPS (RFC 4217): the one crypto provider, the configurations
//!   of both fake peers, the test CA, the handshake a [`Conn`] runs.
//! - [`conn`]: [`Conn`], one recorded connection: a data connection, a
//!   stray one, or the connection under a control connection.
//! - [`control`]: [`ControlConn`], a [`Conn`] with its codec: the reply
//!   decoder for the fake client, the command decoder for the fake server.
//! - [`lease`]: [`Lease`], the loopback addresses a server case has to
//!   itself (its own, and its foreign host's in place of 127.0.0.2).
//! - `tune`: the socket options of every connection (TCP_NODELAY, and
//!   TCP_QUICKACK after control reads on Linux).
//! - [`listener`]: [`Listener`] (control, passive and active data), the
//!   polled [`PendingAccept`], and [`Trap`]s that catch connections
//!   nothing should make.

pub mod conn;
pub mod control;
pub mod lease;
pub mod listener;
pub mod stream;
pub mod tls;
pub mod tune;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

pub use conn::Conn;
pub use control::{ControlConn, Decoder};
pub use lease::Lease;
pub use listener::{Catch, Listener, PendingAccept, Trap};
pub use stream::Stream;

use crate::timeline::Side;
use crate::wire::command::CommandError;
use crate::wire::reply::ReplyError;

/// Who is who on one connection: the side the harness plays (`ours`) and
/// the side of the peer (`theirs`). Bytes, closes and resets are recorded
/// with the side that did them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sides {
    pub ours: Side,
    pub theirs: Side,
}

impl Sides {
    pub const fn new(ours: Side, theirs: Side) -> Sides {
        Sides { ours, theirs }
    }
}

/// Why a network operation failed.
#[derive(Debug)]
pub enum NetError {
    /// Nothing happened within the allowed time.
    Timeout { what: &'static str, after: Duration },
    /// A connection attempt failed (refused, unreachable).
    Connect { addr: SocketAddr, source: io::Error },
    /// Binding a local address failed.
    Bind { addr: SocketAddr, source: io::Error },
    /// The peer closed its side before the expected data arrived.
    Closed,
    /// The peer reset the connection.
    Reset,
    /// We already closed (or reset) this connection: nothing was sent.
    AlreadyClosed,
    /// Another I/O error.
    Io(io::Error),
    /// The peer sent bytes that are not a reply.
    BadReply(ReplyError),
    /// The peer sent a line that is not a command.
    BadCommand(CommandError),
    /// The TLS handshake failed (the connection is gone).
    Tls(String),
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Timeout { what, after } => {
                write!(f, "no {what} within {}", fmt_duration(*after))
            }
            NetError::Connect { addr, source } => write!(f, "cannot connect to {addr}: {source}"),
            NetError::Bind { addr, source } => write!(f, "cannot bind {addr}: {source}"),
            NetError::Closed => write!(f, "connection closed by peer"),
            NetError::Reset => write!(f, "connection reset by peer"),
            NetError::AlreadyClosed => write!(f, "connection already closed on our side"),
            NetError::Io(e) => write!(f, "i/o error: {e}"),
            NetError::BadReply(e) => write!(f, "malformed reply: {e}"),
            NetError::BadCommand(e) => write!(f, "malformed command: {e}"),
            NetError::Tls(e) => write!(f, "TLS: {e}"),
        }
    }
}

impl std::error::Error for NetError {}

/// `5s`, `500ms`, `1.5s`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// True for errors that mean the peer sent a RST.
fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

/// Runs `fut` with a timeout, mapping expiry to [`NetError::Timeout`].
pub async fn within<T>(
    what: &'static str,
    after: Duration,
    fut: impl std::future::Future<Output = Result<T, NetError>>,
) -> Result<T, NetError> {
    match tokio::time::timeout(after, fut).await {
        Ok(r) => r,
        Err(_) => Err(NetError::Timeout { what, after }),
    }
}

#[cfg(test)]
mod tests;
