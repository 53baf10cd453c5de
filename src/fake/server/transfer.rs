//! The data side of the fake server's transfers, over `net`: the passive
//! listener, the trap that catches clients trusting a foreign 227 address,
//! the connection a transfer opens, and how a download is served and an
//! upload stored (when the server half-closes, how it awaits the client's
//! close).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::net::{within, Catch, Conn, Listener, NetError, Sides, Trap};
use crate::timeline::{OpenRole, Side, Timeline};

/// The fake server's sides on its control and data connections.
pub const AS_SERVER: Sides = Sides::new(Side::Server, Side::Client);
/// The sides of the 227 trap: a third party the client should not reach.
const AS_THIRD: Sides = Sides::new(Side::Third, Side::Client);
/// How much the fake server writes or reads at a time.
const CHUNK: usize = 16 * 1024;

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

/// Sends `data` in chunks, then half-closes; the client's close is
/// recorded in the background (for at most `wait`).
pub async fn send_and_close(mut conn: Conn, data: &[u8], wait: Duration) -> Result<(), NetError> {
    for chunk in data.chunks(CHUNK) {
        conn.write_all(chunk, wait).await?;
    }
    conn.shutdown().await;
    tokio::spawn(async move { conn.drain(u64::MAX, wait).await });
    Ok(())
}

/// Receives until the client closes (then the server half-closes too), or
/// until `limit` bytes (then the server closes early). Returns the bytes.
pub async fn receive(
    mut conn: Conn,
    limit: Option<u64>,
    wait: Duration,
) -> Result<Vec<u8>, NetError> {
    let mut got = Vec::new();
    loop {
        let left = limit.map_or(u64::MAX, |l| l.saturating_sub(got.len() as u64));
        if left == 0 {
            conn.shutdown().await;
            return Ok(got);
        }
        let want = left.min(CHUNK as u64) as usize;
        let chunk = within("upload data", wait, conn.read_chunk(want)).await?;
        if chunk.is_empty() {
            conn.shutdown().await;
            return Ok(got);
        }
        got.extend_from_slice(&chunk);
    }
}
