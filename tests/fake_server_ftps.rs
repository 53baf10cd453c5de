//! The fake server's explicit FTPS (RFC 4217), driven by a small rustls
//! client over the harness's own connection layer: AUTH TLS and the
//! control handshake, PBSZ and PROT, protected data connections in both
//! modes with the fake server as TLS server, session resumption on the
//! data connection, close_notify (and its absence when a rule asks), the
//! certificate the case names; the fake server's capture carries its key
//! log, so tshark reads the FTP inside the TLS.

pub mod support;

use std::net::SocketAddr;
use std::time::Duration;

use ftpconform::fake::server;
use ftpconform::net::tls::{Tls, Trust};
use ftpconform::net::{Conn, ControlConn, Listener, NetError, Sides};
use ftpconform::script::*;
use ftpconform::timeline::{ConnId, EventKind, OpenRole, Side, Timeline, TlsEvent};
use ftpconform::wire::addr;
use ftpconform::wire::reply::ReplyDecoder;
use support::cases::{fake_server, rule};
use support::tshark::tshark;

const T: Duration = Duration::from_secs(5);
const AS_CLIENT: Sides = Sides::new(Side::Client, Side::Server);
const HELLO: &[u8] = b"Hello over TLS\n";

fn ftps_server(certificate: Certificate) -> ClientScript {
    let hello = VirtualFile {
        path: "hello.txt".into(),
        content: Body::bytes(HELLO),
    };
    let mut fs = fake_server(vec![hello], ClientOp::Get, "hello.txt");
    fs.tls = Some(ClientTls {
        certificate,
        resume: true,
    });
    fs
}

/// A client session: the control connection and the client's TLS.
struct Client {
    ctl: ControlConn<ReplyDecoder>,
    tls: Tls,
    tl: Timeline,
}

impl Client {
    async fn connect(addr: SocketAddr, tl: &Timeline) -> Client {
        let ctl = ControlConn::connect(addr, None, AS_CLIENT, T, tl)
            .await
            .unwrap();
        let tls = Tls::Client(ftpconform::net::tls::ClientTls::new(
            tl,
            &addr.ip().to_string(),
            Trust::TestCa,
        ));
        let mut c = Client {
            ctl,
            tls,
            tl: tl.clone(),
        };
        assert_eq!(c.ctl.recv(T).await.unwrap().code, 220);
        c
    }

    async fn cmd(&mut self, line: &str) -> Result<u16, NetError> {
        self.ctl.send_line(line, T).await?;
        Ok(self.ctl.recv(T).await?.code)
    }

    /// AUTH TLS, the handshake, PBSZ 0, PROT P, login.
    async fn secure(&mut self) {
        assert_eq!(self.cmd("AUTH TLS").await.unwrap(), 234);
        self.ctl.start_tls(&self.tls);
        assert_eq!(self.cmd("PBSZ 0").await.unwrap(), 200);
        assert_eq!(self.cmd("PROT P").await.unwrap(), 200);
        assert_eq!(self.cmd("USER anonymous").await.unwrap(), 331);
        assert_eq!(self.cmd("PASS x").await.unwrap(), 230);
    }

    /// EPSV, the data connection (TLS client), RETR: the bytes read and
    /// the data connection's id.
    async fn retr_passive(&mut self) -> (Vec<u8>, ConnId) {
        self.ctl.send_line("EPSV", T).await.unwrap();
        let reply = self.ctl.recv(T).await.unwrap();
        let port = addr::parse_epsv_reply(&reply.text()).unwrap();
        let at = SocketAddr::new(self.ctl.peer_addr().ip(), port);
        let mut data = Conn::connect(at, None, OpenRole::Data, AS_CLIENT, T, &self.tl)
            .await
            .unwrap();
        data.start_tls(&self.tls);
        self.ctl.send_line("RETR hello.txt", T).await.unwrap();
        assert_eq!(self.ctl.recv(T).await.unwrap().code, 150);
        let got = read_all(&mut data).await;
        assert_eq!(self.ctl.recv(T).await.unwrap().code, 226);
        (got, data.id())
    }
}

async fn read_all(conn: &mut Conn) -> Vec<u8> {
    let mut got = Vec::new();
    loop {
        match tokio::time::timeout(T, conn.read_chunk(4096)).await {
            Ok(Ok(chunk)) if chunk.is_empty() => return got,
            Ok(Ok(chunk)) => got.extend(chunk),
            other => panic!("data read failed: {other:?}"),
        }
    }
}

fn tls_events(tl: &Timeline) -> Vec<TlsEvent> {
    tl.events()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Tls(TlsEvent::Record { .. }) | EventKind::Tls(TlsEvent::Secret { .. }) => {
                None
            }
            EventKind::Tls(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// Every handshake recorded: who was TLS client, and whether the session
/// was resumed. Each side of a connection records its own, under its own
/// connection id.
fn handshakes(tl: &Timeline) -> Vec<(Side, bool)> {
    tls_events(tl)
        .into_iter()
        .filter_map(|t| match t {
            TlsEvent::Established {
                client, resumed, ..
            } => Some((client, resumed)),
            _ => None,
        })
        .collect()
}

async fn start(fs: &ClientScript, tl: &Timeline) -> server::Serving {
    server::start(fs, tl, T, Duration::from_secs(20))
        .await
        .unwrap()
}

#[tokio::test]
async fn passive_downloads_run_tls_and_resume_the_control_session() {
    let tl = Timeline::new();
    let serving = start(&ftps_server(Certificate::Good), &tl).await;
    let mut c = Client::connect(serving.addr(), &tl).await;
    c.secure().await;
    let (got, d1) = c.retr_passive().await;
    assert_eq!(got, HELLO);
    let (got, _) = c.retr_passive().await;
    assert_eq!(got, HELLO);
    assert_eq!(c.cmd("QUIT").await.unwrap(), 221);
    serving.stop().await;
    // Control, then two data connections, each seen by both sides: the
    // client, the TLS client, resumed the session on each data connection.
    let new = (Side::Client, false);
    let resumed = (Side::Client, true);
    let want = [new, new, resumed, resumed, resumed, resumed];
    assert_eq!(handshakes(&tl), want);
    let events = tls_events(&tl);
    let server_notify = events
        .iter()
        .any(|t| matches!(t, TlsEvent::CloseNotify { conn, by: Side::Server } if *conn == d1));
    assert!(server_notify, "{events:?}");
}

#[tokio::test]
async fn a_server_that_refuses_resumption_makes_every_handshake_full() {
    let tl = Timeline::new();
    let mut fs = ftps_server(Certificate::Good);
    fs.tls = fs.tls.map(|t| ClientTls { resume: false, ..t });
    let serving = start(&fs, &tl).await;
    let mut c = Client::connect(serving.addr(), &tl).await;
    c.secure().await;
    let (got, _) = c.retr_passive().await;
    assert_eq!(got, HELLO);
    serving.stop().await;
    assert_eq!(handshakes(&tl), [(Side::Client, false); 4]);
}

#[tokio::test]
async fn active_mode_keeps_the_fake_server_as_tls_server() {
    let tl = Timeline::new();
    let serving = start(&ftps_server(Certificate::Good), &tl).await;
    let mut c = Client::connect(serving.addr(), &tl).await;
    c.secure().await;
    let ip = c.ctl.local_addr().ip();
    let listener = Listener::bind(SocketAddr::new(ip, 0), AS_CLIENT, "active", &tl)
        .await
        .unwrap();
    let port = listener.local_addr().port();
    let eprt = format!("EPRT |1|{ip}|{port}|");
    assert_eq!(c.cmd(&eprt).await.unwrap(), 200);
    c.ctl.send_line("RETR hello.txt", T).await.unwrap();
    assert_eq!(c.ctl.recv(T).await.unwrap().code, 150);
    let mut data = listener.accept(OpenRole::Data).await.unwrap();
    // The fake server connected, yet the FTP client is the TLS client.
    data.start_tls(&c.tls);
    assert_eq!(read_all(&mut data).await, HELLO);
    assert_eq!(c.ctl.recv(T).await.unwrap().code, 226);
    serving.stop().await;
    // Control and data connection, each seen by both sides: the fake
    // server connected, and played TLS server.
    let hs = handshakes(&tl);
    assert_eq!(hs.len(), 4, "{hs:?}");
    assert!(hs.iter().all(|(client, _)| *client == Side::Client));
}

#[tokio::test]
async fn no_close_notify_truncates_the_download() {
    let tl = Timeline::new();
    let mut fs = ftps_server(Certificate::Good);
    fs.rules = vec![rule("RETR", vec![Action::NoCloseNotify, Action::Default])];
    let serving = start(&fs, &tl).await;
    let mut c = Client::connect(serving.addr(), &tl).await;
    c.secure().await;
    let (got, d) = c.retr_passive().await;
    serving.stop().await;
    assert_eq!(got, HELLO);
    let events = tls_events(&tl);
    let truncated = events
        .iter()
        .any(|t| matches!(t, TlsEvent::Truncated { conn, by: Side::Server } if *conn == d));
    let notified = events
        .iter()
        .any(|t| matches!(t, TlsEvent::CloseNotify { conn, by: Side::Server } if *conn == d));
    assert!(truncated && !notified, "{events:?}");
}

#[tokio::test]
async fn plaintext_data_after_prot_p_breaks_the_client_handshake() {
    let tl = Timeline::new();
    let mut fs = ftps_server(Certificate::Good);
    fs.rules = vec![rule("RETR", vec![Action::PlaintextData, Action::Default])];
    let serving = start(&fs, &tl).await;
    let mut c = Client::connect(serving.addr(), &tl).await;
    c.secure().await;
    c.ctl.send_line("EPSV", T).await.unwrap();
    let reply = c.ctl.recv(T).await.unwrap();
    let port = addr::parse_epsv_reply(&reply.text()).unwrap();
    let at = SocketAddr::new(c.ctl.peer_addr().ip(), port);
    let mut data = Conn::connect(at, None, OpenRole::Data, AS_CLIENT, T, &tl)
        .await
        .unwrap();
    data.start_tls(&c.tls);
    c.ctl.send_line("RETR hello.txt", T).await.unwrap();
    let read = tokio::time::timeout(T, data.read_chunk(4096))
        .await
        .unwrap();
    assert!(matches!(read, Err(NetError::Tls(_))), "{read:?}");
    serving.stop().await;
}

#[tokio::test]
async fn a_certificate_for_another_name_fails_a_verifying_client() {
    let tl = Timeline::new();
    let serving = start(&ftps_server(Certificate::OtherName), &tl).await;
    let mut c = Client::connect(serving.addr(), &tl).await;
    assert_eq!(c.cmd("AUTH TLS").await.unwrap(), 234);
    c.ctl.start_tls(&c.tls);
    let after = c.cmd("USER anonymous").await;
    assert!(matches!(after, Err(NetError::Tls(_))), "{after:?}");
    serving.stop().await;
}

#[tokio::test]
async fn without_tls_in_the_case_auth_is_not_implemented() {
    let tl = Timeline::new();
    let mut fs = ftps_server(Certificate::Good);
    fs.tls = None;
    let serving = start(&fs, &tl).await;
    let mut c = Client::connect(serving.addr(), &tl).await;
    assert_eq!(c.cmd("AUTH TLS").await.unwrap(), 502);
    assert_eq!(c.cmd("PROT P").await.unwrap(), 502);
    serving.stop().await;
}

#[tokio::test]
async fn pbsz_and_prot_need_auth_first_and_feat_lists_them() {
    let tl = Timeline::new();
    let serving = start(&ftps_server(Certificate::Good), &tl).await;
    let mut c = Client::connect(serving.addr(), &tl).await;
    assert_eq!(c.cmd("PBSZ 0").await.unwrap(), 503);
    assert_eq!(c.cmd("PROT P").await.unwrap(), 503);
    c.ctl.send_line("FEAT", T).await.unwrap();
    let feat = c.ctl.recv(T).await.unwrap();
    assert!(feat.text().contains("AUTH TLS"), "{}", feat.text());
    assert_eq!(c.cmd("AUTH XYZ").await.unwrap(), 504);
    serving.stop().await;
}

#[tokio::test]
async fn the_fake_servers_capture_decrypts_with_its_own_key_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.pcap");
    let tl = Timeline::new();
    tl.add_observer(Box::new(
        ftpconform::capture::PcapObserver::create(&path).unwrap(),
    ));
    let serving = start(&ftps_server(Certificate::Good), &tl).await;
    let port = serving.addr().port();
    // The client records apart: the capture is the fake server's view.
    let mut c = Client::connect(serving.addr(), &Timeline::new()).await;
    c.secure().await;
    assert_eq!(c.retr_passive().await.0, HELLO);
    assert_eq!(c.cmd("QUIT").await.unwrap(), 221);
    serving.stop().await;
    tl.finish();
    let port_is_ftp = format!("tcp.port=={port},ftp");
    let fields = [
        "-r",
        path.to_str().unwrap(),
        "-d",
        &port_is_ftp,
        "-Y",
        "ftp.request",
        "-T",
        "fields",
        "-e",
        "ftp.request.command",
    ];
    let seen = tshark(&fields);
    // `ftp.request` is present (false) on replies too: their command
    // field is empty.
    let seen: Vec<&str> = seen
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let want = [
        "AUTH", "PBSZ", "PROT", "USER", "PASS", "EPSV", "RETR", "QUIT",
    ];
    assert_eq!(seen, want, "tshark reads the commands inside TLS");
}
