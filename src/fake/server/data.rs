//! Data connections of the fake server: the passive listener, the active
//! target, the trap that catches clients trusting a foreign 227 address,
//! and opening the connection when a transfer starts.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::conn::DataConn;
use crate::timeline::{EventKind, OpenRole, Side, Timeline};

/// The data connection negotiated for the next transfer.
#[derive(Debug, Default)]
pub enum Pending {
    /// No PASV/EPSV/PORT/EPRT accepted yet (or already used).
    #[default]
    None,
    /// Passive: the fake server listens here.
    Passive(TcpListener),
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
pub async fn passive_listener(ip: IpAddr, timeline: &Timeline) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await?;
    let addr = listener.local_addr()?;
    timeline.record(EventKind::Listening {
        side: Side::Server,
        addr,
        purpose: "passive data".into(),
    });
    Ok(listener)
}

/// Listens on the foreign address a 227 named (same port), so that a client
/// trusting it is seen: each connection is recorded as `Stray` and closed.
/// `None` when the address cannot be bound.
pub async fn trap(addr: SocketAddr, timeline: &Timeline, life: Duration) -> Option<JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await.ok()?;
    timeline.record(EventKind::Listening {
        side: Side::Third,
        addr,
        purpose: "trap for a client trusting the 227 address".into(),
    });
    let timeline = timeline.clone();
    Some(tokio::spawn(async move {
        let _ = timeout(life, async {
            while let Ok((stream, peer)) = listener.accept().await {
                let local = stream.local_addr().unwrap_or(addr);
                timeline.open(OpenRole::Stray, (peer, Side::Client), (local, Side::Third));
                drop(stream);
            }
        })
        .await;
    }))
}

/// Accepts (passive) or opens (active, from `local_ip`) the data connection.
pub async fn open(
    pending: Pending,
    local_ip: IpAddr,
    timeline: &Timeline,
    wait: Duration,
) -> Result<DataConn, String> {
    match pending {
        Pending::None => Err("no data connection was negotiated".into()),
        Pending::Passive(listener) => accept(listener, timeline, wait).await,
        Pending::Active(target) => connect(target, local_ip, timeline, wait).await,
    }
}

async fn accept(
    listener: TcpListener,
    timeline: &Timeline,
    wait: Duration,
) -> Result<DataConn, String> {
    let (stream, peer) = timeout(wait, listener.accept())
        .await
        .map_err(|_| "the client did not open the passive data connection in time".to_string())?
        .map_err(|e| format!("accept failed: {e}"))?;
    let local = stream.local_addr().map_err(|e| e.to_string())?;
    let id = timeline.open(OpenRole::Data, (peer, Side::Client), (local, Side::Server));
    Ok(DataConn::new(stream, timeline.clone(), id))
}

async fn connect(
    target: SocketAddr,
    local_ip: IpAddr,
    timeline: &Timeline,
    wait: Duration,
) -> Result<DataConn, String> {
    let attempt = async {
        let socket = match target {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        if local_ip.is_ipv4() == target.is_ipv4() {
            socket.bind(SocketAddr::new(local_ip, 0))?;
        }
        socket.connect(target).await
    };
    let stream = match timeout(wait, attempt).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(failed(timeline, target, e.to_string())),
        Err(_) => return Err(failed(timeline, target, "timed out".into())),
    };
    let local = stream.local_addr().map_err(|e| e.to_string())?;
    let id = timeline.open(
        OpenRole::Data,
        (local, Side::Server),
        (target, Side::Client),
    );
    Ok(DataConn::new(stream, timeline.clone(), id))
}

fn failed(timeline: &Timeline, target: SocketAddr, reason: String) -> String {
    timeline.record(EventKind::ConnectFailed {
        role: crate::timeline::ConnRole::Data(0),
        from_side: Side::Server,
        target,
        reason: reason.clone(),
    });
    format!("cannot connect to {target}: {reason}")
}
