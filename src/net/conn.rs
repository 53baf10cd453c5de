//! One connection as the harness sees it (a data connection, a stray one,
//! or the connection under a control connection): it owns its stream and
//! records every byte, half-close and reset in the timeline, each with the
//! side that did it.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::tls::{self, Handshake, Tls};
use super::{is_reset, tune, within, NetError, Sides, Stream};
use crate::timeline::{CloseKind, ConnId, ConnRole, EventKind, OpenRole, Side, Timeline, TlsEvent};

/// The most one read takes from the stream.
const MAX_CHUNK: usize = 65536;
/// The longest a half-close may take (a TLS close_notify waits for room).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(1);

/// What a connection runs over right now.
enum Layer {
    /// TCP, or TLS established over it.
    Ready(Box<dyn Stream>),
    /// A TLS handshake in progress (`client`: the side playing the TLS
    /// client), driven by the next read or write.
    Handshake { run: Handshake, client: Side },
    /// The handshake failed: the TCP connection is gone with it.
    Gone,
}

/// One recorded connection.
pub struct Conn {
    layer: Layer,
    /// TLS is established on the connection.
    tls: bool,
    conn: ConnId,
    timeline: Timeline,
    sides: Sides,
    control: bool,
    local: SocketAddr,
    peer: SocketAddr,
    /// We half-closed, or the connection is dead: we send nothing more.
    ours_done: bool,
    /// The peer half-closed, or the connection is dead: nothing more comes.
    theirs_done: bool,
    /// The peer reset the connection (recorded once).
    reset: bool,
}

impl Conn {
    /// Connects to `addr` (from `bind` when given: bind before connect),
    /// recording `Opened`, or `ConnectFailed` by `sides.ours`.
    pub async fn connect(
        addr: SocketAddr,
        bind: Option<IpAddr>,
        role: OpenRole,
        sides: Sides,
        timeout: Duration,
        timeline: &Timeline,
    ) -> Result<Conn, NetError> {
        let what = match role {
            OpenRole::Control => "connection",
            _ => "data connection",
        };
        match within(what, timeout, open(addr, bind)).await {
            Ok(stream) => Ok(Conn::opened(stream, addr, role, sides, true, timeline)),
            Err(e) => {
                timeline.record(EventKind::ConnectFailed {
                    role: conn_role(role),
                    from_side: sides.ours,
                    target: addr,
                    reason: e.to_string(),
                });
                Err(e)
            }
        }
    }

    /// Wraps a connection the peer (at `peer`) opened to one of our
    /// listeners, recording `Opened`.
    pub(super) fn accepted(
        stream: TcpStream,
        peer: SocketAddr,
        role: OpenRole,
        sides: Sides,
        timeline: &Timeline,
    ) -> Conn {
        Conn::opened(stream, peer, role, sides, false, timeline)
    }

    fn opened(
        stream: TcpStream,
        peer: SocketAddr,
        role: OpenRole,
        sides: Sides,
        we_initiated: bool,
        timeline: &Timeline,
    ) -> Conn {
        let local = stream
            .local_addr()
            .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
        let peer = stream.peer_addr().unwrap_or(peer);
        tune::no_delay(&stream);
        let (us, them) = ((local, sides.ours), (peer, sides.theirs));
        let conn = match we_initiated {
            true => timeline.open(role, us, them),
            false => timeline.open(role, them, us),
        };
        Conn {
            layer: Layer::Ready(Box::new(stream)),
            tls: false,
            conn,
            timeline: timeline.clone(),
            sides,
            control: role == OpenRole::Control,
            local,
            peer,
            ours_done: false,
            theirs_done: false,
            reset: false,
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

    /// Reads one chunk (at most `max` bytes); an empty chunk means the peer
    /// closed its side. Cancel-safe; the caller bounds the wait.
    pub async fn read_chunk(&mut self, max: usize) -> Result<Vec<u8>, NetError> {
        if self.reset {
            return Err(NetError::Reset);
        }
        if self.theirs_done {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; max.clamp(1, MAX_CHUNK)];
        let by = self.sides.theirs;
        let control = self.control;
        let stream = self.stream().await?;
        let read = stream.read(&mut buf).await;
        if control {
            tune::quick_ack(stream.tcp());
        }
        match read {
            Ok(0) => {
                if self.tls {
                    self.timeline.tls(TlsEvent::CloseNotify {
                        conn: self.conn,
                        by,
                    });
                }
                self.theirs_done = true;
                self.timeline.close(self.conn, by, CloseKind::Fin);
                Ok(Vec::new())
            }
            Ok(n) => {
                buf.truncate(n);
                self.timeline.bytes(self.conn, by, &buf);
                Ok(buf)
            }
            // rustls: TCP closed without close_notify.
            Err(e) if self.tls && e.kind() == io::ErrorKind::UnexpectedEof => {
                self.timeline.tls(TlsEvent::Truncated {
                    conn: self.conn,
                    by,
                });
                self.theirs_done = true;
                self.timeline.close(self.conn, by, CloseKind::Fin);
                Ok(Vec::new())
            }
            Err(e) => Err(self.failed(e)),
        }
    }

    /// Writes part of `bytes`; returns how many were written. Cancel-safe.
    pub async fn write_some(&mut self, bytes: &[u8]) -> Result<usize, NetError> {
        if self.reset {
            return Err(NetError::Reset);
        }
        if self.ours_done {
            return Err(NetError::AlreadyClosed);
        }
        match self.stream().await?.write(bytes).await {
            Ok(0) if !bytes.is_empty() => Err(self.failed(io::ErrorKind::WriteZero.into())),
            Ok(n) => {
                self.timeline.bytes(self.conn, self.sides.ours, &bytes[..n]);
                Ok(n)
            }
            Err(e) => Err(self.failed(e)),
        }
    }

    /// Writes all of `bytes` within `timeout` (each write recorded as it
    /// is taken, so a timeout leaves the part sent on the timeline).
    pub async fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), NetError> {
        let what = match self.control {
            true => "write",
            false => "data write",
        };
        within(what, timeout, async {
            let mut pos = 0;
            while pos < bytes.len() {
                pos += self.write_some(&bytes[pos..]).await?;
            }
            Ok(())
        })
        .await
    }

    /// Half-closes our sending side (FIN) and records it; nothing when we
    /// already closed or the connection is dead.
    pub async fn shutdown(&mut self) {
        if self.ours_done {
            return;
        }
        self.ours_done = true;
        if let Layer::Ready(stream) = &mut self.layer {
            if self.tls {
                let by = self.sides.ours;
                self.timeline.tls(TlsEvent::CloseNotify {
                    conn: self.conn,
                    by,
                });
            }
            let _ = tokio::time::timeout(SHUTDOWN_WAIT, stream.shutdown()).await;
        } else {
            // A handshake never driven: dropping it closes the connection.
            self.layer = Layer::Gone;
        }
        self.timeline
            .close(self.conn, self.sides.ours, CloseKind::Fin);
    }

    /// Half-closes TCP under TLS without a close_notify (fault injection:
    /// a truncation the peer must tell from a clean end): what TLS holds
    /// is flushed, then a FIN, recorded with no `CloseNotify`. Reading
    /// goes on through TLS. Without TLS the same as [`Conn::shutdown`].
    pub async fn shutdown_without_close_notify(&mut self) {
        if !self.tls {
            return self.shutdown().await;
        }
        if self.ours_done {
            return;
        }
        self.ours_done = true;
        if let Layer::Ready(stream) = &mut self.layer {
            let _ = tokio::time::timeout(SHUTDOWN_WAIT, stream.flush()).await;
            let fd = std::os::fd::AsRawFd::as_raw_fd(stream.tcp());
            // SAFETY: `fd` is the open socket `stream` owns; shutdown(2)
            // only ends its sending side.
            unsafe { libc::shutdown(fd, libc::SHUT_WR) };
        }
        self.timeline
            .close(self.conn, self.sides.ours, CloseKind::Fin);
    }

    /// Reads (recording, then discarding) what the peer still sends, until
    /// it closes or resets, `cap` bytes arrived, or `timeout` passed.
    pub async fn drain(&mut self, cap: u64, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut got = 0u64;
        // The deadline is checked on every round: a peer that floods keeps
        // a read ready, and a timeout whose future is ready never fires.
        while got < cap && tokio::time::Instant::now() < deadline {
            let want = (cap - got).min(MAX_CHUNK as u64) as usize;
            match tokio::time::timeout_at(deadline, self.read_chunk(want)).await {
                Ok(Ok(chunk)) if !chunk.is_empty() => got += chunk.len() as u64,
                _ => return,
            }
        }
    }

    /// Resets the connection (RST via SO_LINGER 0) and records it.
    pub fn abort(mut self) {
        if self.reset {
            return;
        }
        if let Layer::Ready(stream) = &self.layer {
            let _ = stream.tcp().set_zero_linger();
        }
        self.ours_done = true;
        self.timeline
            .close(self.conn, self.sides.ours, CloseKind::Reset);
    }

    /// Starts TLS on the connection, playing the side `tls` names; the next
    /// read or write drives the handshake (it survives a read or write that
    /// gives up), and its outcome is recorded. Nothing on a connection
    /// that already runs TLS or is closed.
    pub fn start_tls(&mut self, tls: &Tls) {
        let Layer::Ready(stream) = std::mem::replace(&mut self.layer, Layer::Gone) else {
            return;
        };
        if self.tls || self.ours_done {
            self.layer = Layer::Ready(stream);
            return;
        }
        let client = match tls {
            Tls::Client(_) => self.sides.ours,
            Tls::Server(_) => self.sides.theirs,
        };
        let run = tls::handshake(
            tls,
            stream.into_tcp(),
            &self.timeline,
            self.conn,
            self.sides,
        );
        self.layer = Layer::Handshake { run, client };
    }

    /// Gives up a TLS handshake that has not completed (the peer never
    /// sent its part in time): recorded as failed by our side, with
    /// `reason`. Nothing when no handshake is in progress.
    pub fn abandon_handshake(&mut self, reason: &str) {
        if let Layer::Handshake { .. } = self.layer {
            self.layer = Layer::Gone;
            let (conn, by) = (self.conn, self.sides.ours);
            let reason = reason.to_string();
            self.timeline.tls(TlsEvent::Failed { conn, by, reason });
            self.ours_done = true;
            self.theirs_done = true;
            self.timeline.close(conn, by, CloseKind::Fin);
        }
    }

    /// The stream, once a handshake in progress has finished.
    async fn stream(&mut self) -> Result<&mut Box<dyn Stream>, NetError> {
        if let Layer::Handshake { run, client } = &mut self.layer {
            let (res, client) = (run.await, *client);
            self.handshaken(res, client)?;
        }
        match &mut self.layer {
            Layer::Ready(stream) => Ok(stream),
            _ => Err(NetError::AlreadyClosed),
        }
    }

    /// Records how a handshake ended; a failed one took the connection.
    fn handshaken(
        &mut self,
        res: io::Result<Box<dyn Stream>>,
        client: Side,
    ) -> Result<(), NetError> {
        match res {
            Ok(stream) => {
                if let Some(state) = stream.tls() {
                    self.timeline
                        .tls(tls::established(self.conn, client, state));
                }
                self.tls = true;
                self.layer = Layer::Ready(stream);
                Ok(())
            }
            Err(e) => {
                self.layer = Layer::Gone;
                let (conn, by, reason) = (self.conn, self.sides.ours, e.to_string());
                self.timeline.tls(TlsEvent::Failed {
                    conn,
                    by,
                    reason: reason.clone(),
                });
                self.ours_done = true;
                self.theirs_done = true;
                self.timeline.close(conn, by, CloseKind::Fin);
                Err(NetError::Tls(reason))
            }
        }
    }

    /// Ends TLS and goes on in plaintext over the same TCP connection
    /// (CCC, RFC 4217 5): sends close_notify, waits up to `timeout` for
    /// the peer's, records both. Nothing on a connection without TLS.
    pub async fn clear_tls(&mut self, timeout: Duration) -> Result<(), NetError> {
        if !self.tls {
            return Ok(());
        }
        let (conn, ours, theirs) = (self.conn, self.sides.ours, self.sides.theirs);
        let Layer::Ready(stream) = &mut self.layer else {
            return Err(NetError::AlreadyClosed);
        };
        stream.close_notify();
        self.timeline.tls(TlsEvent::CloseNotify { conn, by: ours });
        within("close_notify", timeout, async {
            stream.flush().await.map_err(NetError::Io)?;
            let mut sink = [0u8; 4096];
            loop {
                match stream.read(&mut sink).await {
                    Ok(0) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(NetError::Tls(e.to_string())),
                }
            }
        })
        .await?;
        self.timeline
            .tls(TlsEvent::CloseNotify { conn, by: theirs });
        let Layer::Ready(stream) = std::mem::replace(&mut self.layer, Layer::Gone) else {
            return Err(NetError::AlreadyClosed);
        };
        self.layer = Layer::Ready(Box::new(stream.into_tcp()));
        self.tls = false;
        self.timeline.tls(TlsEvent::Cleared { conn });
        Ok(())
    }

    /// A failed read or write: the connection is dead both ways (a later
    /// close must not be recorded as a FIN); a reset is recorded as the
    /// peer's, once.
    fn failed(&mut self, e: io::Error) -> NetError {
        self.ours_done = true;
        self.theirs_done = true;
        if !is_reset(&e) {
            return NetError::Io(e);
        }
        if !self.reset {
            self.reset = true;
            let by = self.sides.theirs;
            self.timeline.close(self.conn, by, CloseKind::Reset);
        }
        NetError::Reset
    }
}

impl Drop for Conn {
    /// Dropping the stream closes it: a FIN from our side.
    fn drop(&mut self) {
        if !self.ours_done {
            self.timeline
                .close(self.conn, self.sides.ours, CloseKind::Fin);
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
