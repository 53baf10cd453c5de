//! Connections over tokio: the control connection, data connections and
//! listeners. Every connect, accept, byte and close goes to the timeline.
//!
//! - [`control`]: [`ControlConn`], owning the control stream and its reply
//!   decoder.
//! - [`data`]: [`DataConn`], one data (or stray) connection.
//! - [`listener`]: [`DataListener`] for active mode and bounce traps.

pub mod control;
pub mod data;
pub mod listener;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

pub use control::ControlConn;
pub use data::DataConn;
pub use listener::DataListener;

use crate::timeline::{CloseKind, ConnId, Side, Timeline};
use crate::wire::reply::ReplyError;

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
    /// Another I/O error.
    Io(io::Error),
    /// The peer sent bytes that are not a reply.
    BadReply(ReplyError),
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
            NetError::Io(e) => write!(f, "i/o error: {e}"),
            NetError::BadReply(e) => write!(f, "malformed reply: {e}"),
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
pub(crate) fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

/// Records the outcome of a failed read or write and converts the error.
pub(crate) fn io_failure(timeline: &Timeline, conn: ConnId, peer: Side, e: io::Error) -> NetError {
    if is_reset(&e) {
        timeline.close(conn, peer, CloseKind::Reset);
        NetError::Reset
    } else {
        NetError::Io(e)
    }
}

/// Runs `fut` with a timeout, mapping expiry to [`NetError::Timeout`].
pub(crate) async fn within<T>(
    what: &'static str,
    after: Duration,
    fut: impl std::future::Future<Output = Result<T, NetError>>,
) -> Result<T, NetError> {
    match tokio::time::timeout(after, fut).await {
        Ok(r) => r,
        Err(_) => Err(NetError::Timeout { what, after }),
    }
}
