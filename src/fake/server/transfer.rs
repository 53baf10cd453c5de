//! The data side of the fake server's transfers, over `net`: the passive
//! listener, the trap that catches clients trusting a foreign 227 address,
//! the connection a transfer opens, and how a download is served and an
//! upload stored (when the server half-closes, how it awaits the client's
//! close). Both stream: a download is read from its body chunk by chunk,
//! an upload is kept in memory up to [`SPILL_AT`] bytes and spilled to a
//! temporary file beyond; its length and running hash are kept as it
//! arrives.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tempfile::{NamedTempFile, TempPath};

use crate::net::{within, Catch, Conn, Listener, NetError, Sides, Trap};
use crate::script::{Body, BodyReader};
use crate::timeline::{Digest, OpenRole, Side, Timeline};

/// The fake server's sides on its control and data connections.
pub const AS_SERVER: Sides = Sides::new(Side::Server, Side::Client);
/// The sides of the 227 trap: a third party the client should not reach.
const AS_THIRD: Sides = Sides::new(Side::Third, Side::Client);
/// How much the fake server writes at a time.
const CHUNK: usize = 256 * 1024;
/// How much the fake server reads at a time.
const READ_CHUNK: usize = 64 * 1024;
/// Upload bytes kept in memory; a larger upload goes to a temporary file.
pub const SPILL_AT: usize = 1 << 20;

/// The data connection negotiated for the next transfer.
#[derive(Default)]
pub enum Pending {
    /// No PASV/EPSV/PORT/EPRT accepted yet (or already used).
    #[default]
    None,
    /// Passive: the fake server listens here.
    Passive(Listener),
    /// Active: the fake server connects to this (loopback) address.
    Active(SocketAddr),
}

/// Modifiers for the next transfer, set by a rule's actions.
#[derive(Debug, Default, Clone)]
pub struct Mods {
    pub use125: bool,
    pub late_preliminary: bool,
    pub close_after: Option<u64>,
    pub no_data: bool,
    /// Replaces the 150 (a 1xx reply of the rule).
    pub preliminary: Option<Vec<u8>>,
    /// Replaces the 226 (a 2xx-5xx reply of the rule).
    pub last: Option<Vec<u8>>,
    /// FTPS: end a download's data connection without a close_notify.
    pub no_close_notify: bool,
    /// FTPS: no TLS on the data connection although PROT P is in force.
    pub plaintext: bool,
    /// Active mode: connect from the foreign host, not the server's address.
    pub from_foreign: bool,
}

/// Listens for a passive data connection on `ip`, port 0.
pub async fn passive_listener(ip: IpAddr, timeline: &Timeline) -> Result<Listener, NetError> {
    // Inside a topology, a port of its passive range (the one its firewall
    // and port forwarding open).
    if let Some((lo, hi)) = crate::topology::passive_ports() {
        for port in lo..hi {
            let addr = SocketAddr::new(ip, port);
            if let Ok(l) = Listener::bind(addr, AS_SERVER, "passive data", timeline).await {
                return Ok(l);
            }
        }
        let addr = SocketAddr::new(ip, hi);
        return Listener::bind(addr, AS_SERVER, "passive data", timeline).await;
    }
    let addr = SocketAddr::new(ip, 0);
    Listener::bind(addr, AS_SERVER, "passive data", timeline).await
}

/// Listens on the foreign address a 227 named (same port), so that a client
/// trusting it is seen: each connection is recorded as `Stray` and closed
/// at once; the client's close is awaited for `wait`.
pub async fn trap(addr: SocketAddr, timeline: &Timeline, wait: Duration) -> Result<Trap, NetError> {
    let purpose = "trap for a client trusting the 227 address";
    let listener = Listener::bind(addr, AS_THIRD, purpose, timeline).await?;
    Ok(listener.into_trap(Catch::HangUp(wait)))
}

/// Accepts (passive) or opens (active, from `local_ip`) the data connection.
pub async fn open(
    pending: Pending,
    local_ip: IpAddr,
    timeline: &Timeline,
    wait: Duration,
) -> Result<Conn, String> {
    match pending {
        Pending::None => Err("no data connection was negotiated".into()),
        Pending::Passive(listener) => {
            match tokio::time::timeout(wait, listener.accept(OpenRole::Data)).await {
                Ok(accepted) => accepted.map_err(|e| format!("accept failed: {e}")),
                Err(_) => Err("the client did not open the passive data connection in time".into()),
            }
        }
        Pending::Active(target) => {
            let bind = (local_ip.is_ipv4() == target.is_ipv4()).then_some(local_ip);
            Conn::connect(target, bind, OpenRole::Data, AS_SERVER, wait, timeline)
                .await
                .map_err(|e| match e {
                    NetError::Timeout { .. } => format!("cannot connect to {target}: timed out"),
                    e => e.to_string(),
                })
        }
    }
}

/// How long a download's end waits for the client's close of the data
/// connection before the final reply goes out.
const CLIENT_CLOSE_WAIT: Duration = Duration::from_millis(300);

/// Sends at most `limit` bytes of `src` in chunks, then half-closes (under
/// TLS with a close_notify unless `truncate`) and waits (at most
/// [`CLIENT_CLOSE_WAIT`]) for the client's close, as servers that wait for
/// it before their 226 do: whether a client read the end of the data
/// before the final reply arrived is then no race inside the client (lftp
/// exits 0 after a 451 that comes after its close, and not always when the
/// 451 came first). A later close is recorded in the background (for at
/// most `wait`).
pub async fn send_and_close(
    mut conn: Conn,
    mut src: BodyReader,
    limit: u64,
    wait: Duration,
    truncate: bool,
) -> Result<(), NetError> {
    let mut buf = vec![0u8; CHUNK.min(src.left().min(limit) as usize)];
    let mut left = limit;
    while left > 0 {
        let want = buf.len().min(left.min(CHUNK as u64) as usize);
        let n = fill(&mut src, &mut buf[..want]).map_err(NetError::Io)?;
        if n == 0 {
            break;
        }
        if let Err(e) = conn.write_all(&buf[..n], wait).await {
            conn.abandon_handshake(&format!("no TLS handshake from the client: {e}"));
            return Err(e);
        }
        left -= n as u64;
    }
    match truncate {
        true => conn.shutdown_without_close_notify().await,
        false => conn.shutdown().await,
    }
    let closed = tokio::time::timeout(CLIENT_CLOSE_WAIT, conn.drain(u64::MAX, wait)).await;
    if closed.is_err() {
        tokio::spawn(async move { conn.drain(u64::MAX, wait).await });
    }
    Ok(())
}

/// Fills `buf` from `src` as far as it goes; the count (short at the end).
fn fill(src: &mut BodyReader, buf: &mut [u8]) -> io::Result<usize> {
    let mut at = 0;
    while at < buf.len() {
        match src.fill(&mut buf[at..])? {
            0 => break,
            n => at += n,
        }
    }
    Ok(at)
}

/// An upload as it was stored: its body (and the temporary file behind
/// it, if it was spilled) and what arrived.
pub struct Stored {
    pub body: Body,
    pub spill: Option<TempPath>,
    /// Length and running hash of the bytes that arrived.
    pub received: Digest,
}

/// Where an upload goes as it arrives.
struct Sink {
    mem: Vec<u8>,
    file: Option<io::BufWriter<NamedTempFile>>,
    len: u64,
    received: Digest,
}

impl Sink {
    /// A sink that starts with `prefix` (APPE to an existing file).
    fn new(prefix: Option<&Body>) -> io::Result<Sink> {
        let mut sink = Sink {
            mem: Vec::new(),
            file: None,
            len: 0,
            received: Digest::default(),
        };
        if let Some(body) = prefix {
            let mut r = body.reader(0)?;
            let mut buf = vec![0u8; READ_CHUNK];
            loop {
                match r.fill(&mut buf)? {
                    0 => break,
                    n => sink.store(&buf[..n])?,
                }
            }
        }
        Ok(sink)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.received.update(bytes);
        self.store(bytes)
    }

    fn store(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.len += bytes.len() as u64;
        if self.file.is_none() && self.mem.len() + bytes.len() <= SPILL_AT {
            self.mem.extend_from_slice(bytes);
            return Ok(());
        }
        if self.file.is_none() {
            let mut f = io::BufWriter::with_capacity(READ_CHUNK, NamedTempFile::new()?);
            f.write_all(&std::mem::take(&mut self.mem))?;
            self.file = Some(f);
        }
        match &mut self.file {
            Some(f) => f.write_all(bytes),
            None => Ok(()),
        }
    }

    fn finish(self) -> io::Result<Stored> {
        let Some(f) = self.file else {
            return Ok(Stored {
                body: Body::bytes(self.mem),
                spill: None,
                received: self.received,
            });
        };
        let path = f.into_inner().map_err(|e| e.into_error())?.into_temp_path();
        Ok(Stored {
            body: Body::File {
                path: path.to_path_buf(),
                len: self.len,
            },
            spill: Some(path),
            received: self.received,
        })
    }
}

/// Receives until the client closes (then the server half-closes too), or
/// until `limit` bytes (then the server closes early), storing the bytes
/// after `prefix` (APPE).
pub async fn receive(
    mut conn: Conn,
    limit: Option<u64>,
    wait: Duration,
    prefix: Option<&Body>,
) -> Result<Stored, NetError> {
    let mut sink = Sink::new(prefix).map_err(NetError::Io)?;
    loop {
        let left = limit.map_or(u64::MAX, |l| l.saturating_sub(sink.received.len));
        if left == 0 {
            break;
        }
        let want = left.min(READ_CHUNK as u64) as usize;
        let chunk = match within("upload data", wait, conn.read_chunk(want)).await {
            Ok(chunk) => chunk,
            Err(e) => {
                conn.abandon_handshake(&format!("no TLS handshake from the client: {e}"));
                return Err(e);
            }
        };
        if chunk.is_empty() {
            break;
        }
        sink.write(&chunk).map_err(NetError::Io)?;
    }
    conn.shutdown().await;
    sink.finish().map_err(NetError::Io)
}
