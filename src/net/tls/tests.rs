//! TLS over the connection layer, both sides ours, over loopback: the
//! handshake is recorded with who played the TLS client, a second
//! connection with the same configurations resumes the session (and does
//! not when the server keeps none), close_notify is recorded by side, a
//! TCP close without it is a truncation, and the wire carries records.

use std::net::SocketAddr;
use std::time::Duration;

use super::*;
use crate::net::{Conn, Listener, NetError, Sides};
use crate::timeline::{EventKind, OpenRole, Side, Timeline, TlsEvent};

const WAIT: Duration = Duration::from_secs(5);
const AS_SERVER: Sides = Sides::new(Side::Server, Side::Client);
const AS_CLIENT: Sides = Sides::new(Side::Client, Side::Server);

/// A connected pair: (the client's Conn, the server's Conn).
async fn pair(tl: &Timeline) -> (Conn, Conn) {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let listener = Listener::bind(any, AS_SERVER, "test", tl).await.unwrap();
    let addr = listener.local_addr();
    let client = Conn::connect(addr, None, OpenRole::Data, AS_CLIENT, WAIT, tl);
    let (client, server) = tokio::join!(client, listener.accept(OpenRole::Data));
    (client.unwrap(), server.unwrap())
}

/// A connected pair with TLS started on both ends (the good certificate).
async fn tls_pair(tl: &Timeline) -> (Conn, Conn) {
    let (mut c, mut s) = pair(tl).await;
    c.start_tls(&Tls::Client(ClientTls::new(tl, "localhost", Trust::TestCa)));
    s.start_tls(&Tls::Server(ServerTls::new(tl, Which::Good, true)));
    (c, s)
}

fn tls_events(tl: &Timeline) -> Vec<TlsEvent> {
    tl.events()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Tls(TlsEvent::Record { .. } | TlsEvent::Secret { .. }) => None,
            EventKind::Tls(t) => Some(t),
            _ => None,
        })
        .collect()
}

fn resumed(tl: &Timeline) -> Vec<bool> {
    tls_events(tl)
        .into_iter()
        .filter_map(|t| match t {
            TlsEvent::Established {
                resumed, client, ..
            } => {
                assert_eq!(client, Side::Client);
                Some(resumed)
            }
            _ => None,
        })
        .collect()
}

/// Runs one protected exchange: client says hello, server answers, the
/// client closes with close_notify, the server reads the end.
async fn exchange(tl: &Timeline, client_tls: &Tls, server_tls: &Tls) {
    let (mut c, mut s) = pair(tl).await;
    c.start_tls(client_tls);
    s.start_tls(server_tls);
    let (w, r) = tokio::join!(c.write_all(b"hello\r\n", WAIT), s.read_chunk(100));
    w.unwrap();
    assert_eq!(r.unwrap(), b"hello\r\n");
    s.write_all(b"ok\r\n", WAIT).await.unwrap();
    assert_eq!(c.read_chunk(100).await.unwrap(), b"ok\r\n");
    c.shutdown().await;
    assert!(s.read_chunk(100).await.unwrap().is_empty());
}

#[tokio::test]
async fn handshake_resumption_and_close_notify_are_recorded() {
    let tl = Timeline::new();
    let client = Tls::Client(ClientTls::new(&tl, "localhost", Trust::TestCa));
    let server = Tls::Server(ServerTls::new(&tl, Which::Good, true));
    exchange(&tl, &client, &server).await;
    exchange(&tl, &client, &server).await;
    // Each handshake is recorded by both ends (both are ours here).
    assert_eq!(resumed(&tl), [false, false, true, true]);
    let notify = tls_events(&tl)
        .into_iter()
        .filter(|t| matches!(t, TlsEvent::CloseNotify { .. }))
        .count();
    assert_eq!(notify, 4, "{:?}", tls_events(&tl));
    let records = tl
        .events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Tls(TlsEvent::Record { .. })))
        .count();
    assert!(records >= 8);
    let secrets = tl
        .events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Tls(TlsEvent::Secret { .. })))
        .count();
    assert!(secrets >= 5, "a TLS 1.3 handshake logs five secrets");
}

#[tokio::test]
async fn a_server_without_sessions_makes_every_handshake_new() {
    let tl = Timeline::new();
    let client = Tls::Client(ClientTls::new(&tl, "localhost", Trust::TestCa));
    let server = Tls::Server(ServerTls::new(&tl, Which::Good, false));
    exchange(&tl, &client, &server).await;
    exchange(&tl, &client, &server).await;
    assert_eq!(resumed(&tl), [false; 4]);
}

#[tokio::test]
async fn a_certificate_for_another_name_fails_the_handshake() {
    for which in [Which::OtherName, Which::Untrusted] {
        let tl = Timeline::new();
        let (mut c, mut s) = pair(&tl).await;
        c.start_tls(&Tls::Client(ClientTls::new(
            &tl,
            "localhost",
            Trust::TestCa,
        )));
        s.start_tls(&Tls::Server(ServerTls::new(&tl, which, true)));
        let (w, _) = tokio::join!(c.write_all(b"x", WAIT), s.read_chunk(10));
        assert!(matches!(w, Err(NetError::Tls(_))), "{which:?}: {w:?}");
        let failed = tls_events(&tl).into_iter().find_map(|t| match t {
            TlsEvent::Failed { by, reason, .. } => Some((by, reason)),
            _ => None,
        });
        let (by, reason) = failed.expect("the failure is recorded");
        assert_eq!(by, Side::Client);
        assert!(reason.contains("certificate"), "{reason}");
    }
}

#[tokio::test]
async fn a_tcp_close_without_close_notify_is_a_truncation() {
    let tl = Timeline::new();
    let (mut c, mut s) = tls_pair(&tl).await;
    let (w, r) = tokio::join!(c.write_all(b"x", WAIT), s.read_chunk(10));
    w.unwrap();
    r.unwrap();
    drop(s);
    assert!(c.read_chunk(10).await.unwrap().is_empty());
    let truncated = tls_events(&tl).into_iter().any(|t| {
        matches!(
            t,
            TlsEvent::Truncated {
                by: Side::Server,
                ..
            }
        )
    });
    assert!(truncated, "{:?}", tls_events(&tl));
}

#[tokio::test]
async fn clear_tls_goes_on_in_plaintext() {
    let tl = Timeline::new();
    let (mut c, mut s) = tls_pair(&tl).await;
    let (w, r) = tokio::join!(c.write_all(b"CCC\r\n", WAIT), s.read_chunk(10));
    w.unwrap();
    r.unwrap();
    let (a, b) = tokio::join!(c.clear_tls(WAIT), s.clear_tls(WAIT));
    a.unwrap();
    b.unwrap();
    c.write_all(b"PWD\r\n", WAIT).await.unwrap();
    assert_eq!(s.read_chunk(10).await.unwrap(), b"PWD\r\n");
    let cleared = tls_events(&tl)
        .into_iter()
        .filter(|t| matches!(t, TlsEvent::Cleared { .. }))
        .count();
    assert_eq!(cleared, 2);
}
