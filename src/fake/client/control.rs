//! The fake client's control connection, each reply it reads numbered in
//! arrival order: the number by which the checks find that reply again
//! when they decode the control stream from the timeline.

use std::net::SocketAddr;
use std::time::Duration;

use crate::net::tls::Tls;
use crate::net::{ControlConn, NetError};
use crate::wire::reply::{Reply, ReplyDecoder};

/// A control connection whose replies are numbered.
pub struct Control {
    conn: ControlConn<ReplyDecoder>,
    /// How many reply items (malformed ones too) the decoder has given.
    read: u32,
    /// The last reply read was preliminary (1yz): a final one is owed.
    owed: bool,
    /// The server sent a reply past the decoder's total bound (128 lines'
    /// worth) and went on: the connection was shut down and is read no
    /// more, so a flood costs neither memory nor the rest of the timeout.
    flooded: bool,
}

impl Control {
    pub fn new(conn: ControlConn<ReplyDecoder>) -> Self {
        Control {
            conn,
            read: 0,
            owed: false,
            flooded: false,
        }
    }

    /// Reads the next reply and its number (0-based).
    pub async fn reply(&mut self, t: Duration) -> Result<(u32, Reply), NetError> {
        if self.flooded {
            return Err(NetError::AlreadyClosed);
        }
        let res = self.conn.recv(t).await;
        if matches!(res, Err(NetError::BadReply(_)))
            && self.conn.decoder().dropping_overlong_reply()
        {
            self.flooded = true;
            self.conn.shutdown().await;
        }
        let n = self.read;
        if matches!(res, Ok(_) | Err(NetError::BadReply(_))) {
            self.read += 1;
        }
        self.owed = matches!(&res, Ok(r) if r.is_preliminary());
        res.map(|reply| (n, reply))
    }

    /// The Telnet commands the reply decoder took out so far (option
    /// negotiations, others).
    pub fn telnet_seen(&self) -> (u32, u32) {
        self.conn.decoder().telnet_seen()
    }

    /// Whether the last reply read was preliminary, a final one owed.
    pub fn owed(&self) -> bool {
        self.owed
    }

    pub async fn send_line(&mut self, line: &str, t: Duration) -> Result<(), NetError> {
        self.conn.send_line(line, t).await
    }

    pub async fn send_raw(&mut self, bytes: &[u8], t: Duration) -> Result<(), NetError> {
        self.conn.send(bytes, t).await
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.conn.local_addr()
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.conn.peer_addr()
    }

    pub fn start_tls(&mut self, tls: &Tls) {
        self.conn.start_tls(tls)
    }

    pub async fn clear_tls(&mut self, t: Duration) -> Result<(), NetError> {
        self.conn.clear_tls(t).await
    }

    pub async fn close(&mut self, linger: Duration) {
        if self.flooded {
            return;
        }
        self.conn.close(linger).await
    }

    pub fn abort(self) {
        self.conn.abort()
    }
}
