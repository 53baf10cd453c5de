//! What the connection layer records, over loopback: resets by the side
//! that sent them (a peer's RST is the peer's), FINs by side, bytes with
//! their stream offsets, connects and accepts with the sides given.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::timeline::{CloseKind, ConnRole, EventKind, OpenRole, Side, Timeline};
use crate::wire::command::CommandDecoder;
use crate::wire::reply::ReplyDecoder;

const WAIT: Duration = Duration::from_secs(5);
const AS_SERVER: Sides = Sides::new(Side::Server, Side::Client);
const AS_CLIENT: Sides = Sides::new(Side::Client, Side::Server);

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A connection accepted by our listener (playing `sides`), and the raw
/// peer stream that opened it.
async fn accepted(role: OpenRole, sides: Sides, tl: &Timeline) -> (Conn, TcpStream) {
    let listener = Listener::bind(loopback(), sides, "test", tl).await.unwrap();
    let peer = TcpStream::connect(listener.local_addr()).await.unwrap();
    let conn = listener.accept(role).await.unwrap();
    (conn, peer)
}

/// A connection we opened (playing `sides`) to a raw peer.
async fn connected(sides: Sides, tl: &Timeline) -> (Conn, TcpStream) {
    let listener = TcpListener::bind(loopback()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let conn = Conn::connect(addr, None, OpenRole::Data, sides, WAIT, tl)
        .await
        .unwrap();
    let (peer, _) = listener.accept().await.unwrap();
    (conn, peer)
}

/// Sends a RST: SO_LINGER 0, then close.
fn reset(stream: TcpStream) {
    stream.set_zero_linger().unwrap();
    drop(stream);
}

fn closes(tl: &Timeline) -> Vec<(Side, CloseKind)> {
    tl.events()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Closed { by, kind, .. } => Some((by, kind)),
            _ => None,
        })
        .collect()
}

fn bytes(tl: &Timeline) -> Vec<(Side, u64, Vec<u8>)> {
    tl.events()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Bytes {
                from,
                offset,
                bytes,
                ..
            } => Some((from, offset, bytes)),
            _ => None,
        })
        .collect()
}

/// Waits (bounded) until `closes` has `n` entries.
async fn await_closes(tl: &Timeline, n: usize) -> Vec<(Side, CloseKind)> {
    for _ in 0..200 {
        if closes(tl).len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    closes(tl)
}

#[tokio::test]
async fn a_peers_reset_is_recorded_as_the_peers_and_no_fin_follows() {
    let tl = Timeline::new();
    let (mut conn, peer) = accepted(OpenRole::Data, AS_SERVER, &tl).await;
    reset(peer);
    assert!(matches!(conn.read_chunk(100).await, Err(NetError::Reset)));
    conn.shutdown().await;
    drop(conn);
    assert_eq!(closes(&tl), vec![(Side::Client, CloseKind::Reset)]);
}

// The fake server used to log a client's RST on the control connection as
// its own FIN.
#[tokio::test]
async fn a_clients_reset_on_the_servers_control_connection_is_the_clients() {
    let tl = Timeline::new();
    let (conn, mut client) = accepted(OpenRole::Control, AS_SERVER, &tl).await;
    let mut ctl = ControlConn::<CommandDecoder>::new(conn);
    client.write_all(b"NOOP\r\n").await.unwrap();
    assert_eq!(ctl.recv(WAIT).await.unwrap().verb, "NOOP");
    reset(client);
    assert!(matches!(ctl.recv(WAIT).await, Err(NetError::Reset)));
    ctl.shutdown().await;
    drop(ctl);
    assert_eq!(closes(&tl), vec![(Side::Client, CloseKind::Reset)]);
}

#[tokio::test]
async fn our_abort_is_our_reset_and_the_peer_sees_it() {
    let tl = Timeline::new();
    let (conn, mut peer) = connected(AS_CLIENT, &tl).await;
    conn.abort();
    assert_eq!(closes(&tl), vec![(Side::Client, CloseKind::Reset)]);
    let mut buf = [0u8; 8];
    let got = peer.read(&mut buf).await;
    assert_eq!(
        got.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
}

#[tokio::test]
async fn fins_are_recorded_by_the_side_that_sent_them() {
    let tl = Timeline::new();
    let thief = Sides::new(Side::Third, Side::Server);
    let listener = TcpListener::bind(loopback()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let from = "127.0.0.2".parse().ok();
    let mut conn = Conn::connect(addr, from, OpenRole::Stray, thief, WAIT, &tl)
        .await
        .unwrap();
    let (mut peer, _) = listener.accept().await.unwrap();
    conn.shutdown().await;
    assert_eq!(peer.read(&mut [0u8; 8]).await.unwrap(), 0);
    peer.shutdown().await.unwrap();
    assert!(conn.read_chunk(100).await.unwrap().is_empty());
    drop(conn);
    let expected = vec![
        (Side::Third, CloseKind::Fin),
        (Side::Server, CloseKind::Fin),
    ];
    assert_eq!(closes(&tl), expected);
    let opened = tl.events().into_iter().find_map(|e| match e.kind {
        EventKind::Opened {
            role,
            initiator,
            initiator_side,
            acceptor_side,
            ..
        } => Some((role, initiator.ip(), initiator_side, acceptor_side)),
        _ => None,
    });
    let thief_ip = "127.0.0.2".parse().unwrap();
    assert_eq!(
        opened,
        Some((ConnRole::Stray, thief_ip, Side::Third, Side::Server))
    );
}

#[tokio::test]
async fn dropping_a_connection_records_our_fin() {
    let tl = Timeline::new();
    let (conn, _peer) = accepted(OpenRole::Data, AS_SERVER, &tl).await;
    drop(conn);
    assert_eq!(closes(&tl), vec![(Side::Server, CloseKind::Fin)]);
}

#[tokio::test]
async fn bytes_carry_stream_offsets_per_direction() {
    let tl = Timeline::new();
    let (mut conn, mut peer) = accepted(OpenRole::Data, AS_SERVER, &tl).await;
    conn.write_all(b"abc", WAIT).await.unwrap();
    conn.write_all(b"de", WAIT).await.unwrap();
    peer.write_all(b"xyz").await.unwrap();
    let mut got = Vec::new();
    while got.len() < 3 {
        got.extend(conn.read_chunk(100).await.unwrap());
    }
    let seen = bytes(&tl);
    assert_eq!(seen[0], (Side::Server, 0, b"abc".to_vec()));
    assert_eq!(seen[1], (Side::Server, 3, b"de".to_vec()));
    let from_client: Vec<u8> = seen[2..].iter().flat_map(|b| b.2.clone()).collect();
    assert_eq!(from_client, b"xyz".to_vec());
    assert_eq!(seen[2].1, 0);
}

#[tokio::test]
async fn writing_after_our_fin_sends_and_records_nothing() {
    let tl = Timeline::new();
    let (mut conn, _peer) = accepted(OpenRole::Data, AS_SERVER, &tl).await;
    conn.shutdown().await;
    let res = conn.write_all(b"late", WAIT).await;
    assert!(matches!(res, Err(NetError::AlreadyClosed)));
    assert!(bytes(&tl).is_empty());
}

#[tokio::test]
async fn a_refused_connect_is_recorded_with_our_side() {
    let tl = Timeline::new();
    let closed = std::net::TcpListener::bind(loopback()).unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let res = Conn::connect(addr, None, OpenRole::Data, AS_SERVER, WAIT, &tl).await;
    assert!(matches!(res, Err(NetError::Connect { .. })));
    let failed = tl.events().into_iter().find_map(|e| match e.kind {
        EventKind::ConnectFailed {
            from_side, target, ..
        } => Some((from_side, target)),
        _ => None,
    });
    assert_eq!(failed, Some((Side::Server, addr)));
}

#[tokio::test]
async fn replies_are_decoded_across_reads_and_a_cut_reply_is_malformed() {
    let tl = Timeline::new();
    let listener = TcpListener::bind(loopback()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut ctl = ControlConn::<ReplyDecoder>::connect(addr, None, AS_CLIENT, WAIT, &tl)
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    server.write_all(b"220-hello\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    server.write_all(b"220 ready\r\n331 cut").await.unwrap();
    assert_eq!(ctl.recv(WAIT).await.unwrap().code, 220);
    server.shutdown().await.unwrap();
    assert!(matches!(ctl.recv(WAIT).await, Err(NetError::BadReply(_))));
    assert!(matches!(ctl.recv(WAIT).await, Err(NetError::Closed)));
    assert_eq!(closes(&tl), vec![(Side::Server, CloseKind::Fin)]);
}

#[tokio::test]
async fn a_pending_accept_records_the_connection_when_checked() {
    let tl = Timeline::new();
    let listener = Listener::bind(loopback(), AS_CLIENT, "active data", &tl)
        .await
        .unwrap();
    let addr = listener.local_addr();
    let mut pending = listener.into_pending(OpenRole::Data).unwrap();
    let _server = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let opened = |tl: &Timeline| {
        tl.events()
            .iter()
            .any(|e| matches!(e.kind, EventKind::Opened { .. }))
    };
    assert!(!opened(&tl));
    pending.check_now();
    assert!(opened(&tl));
    let conn = pending.next().await.unwrap();
    assert_eq!(conn.peer_addr().ip(), addr.ip());
}

#[tokio::test]
async fn a_hang_up_trap_closes_at_once_and_records_the_peers_close() {
    let tl = Timeline::new();
    let third = Sides::new(Side::Third, Side::Client);
    let listener = Listener::bind(loopback(), third, "trap", &tl)
        .await
        .unwrap();
    let addr = listener.local_addr();
    let trap = listener.into_trap(Catch::HangUp(WAIT));
    let mut client = TcpStream::connect(addr).await.unwrap();
    assert_eq!(client.read(&mut [0u8; 8]).await.unwrap(), 0);
    client.shutdown().await.unwrap();
    let expected = vec![
        (Side::Third, CloseKind::Fin),
        (Side::Client, CloseKind::Fin),
    ];
    assert_eq!(await_closes(&tl, 2).await, expected);
    trap.close().await;
    let stray = tl.events().iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Opened {
                role: ConnRole::Stray,
                acceptor_side: Side::Third,
                ..
            }
        )
    });
    assert!(stray);
}
