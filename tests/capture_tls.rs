//! An FTPS control connection through the connection layer, captured:
//! the pcap carries the TLS records as they crossed the wire and ends as
//! pcapng with the key log inside, so that tshark, told nothing about
//! keys, shows the FTP commands and replies inside the TLS; the transcript
//! shows the plaintext and a marker where TLS started; the harness's own
//! capture reader reads the pcapng back.

pub mod support;

use std::net::SocketAddr;
use std::time::Duration;

use ftpconform::capture::{read_pcap, PcapObserver};
use ftpconform::net::tls::{ClientTls, ServerTls, Tls, Trust, Which};
use ftpconform::net::{Conn, Listener, Sides};
use ftpconform::timeline::{stream, ConnId, OpenRole, Side, Timeline};
use ftpconform::transcript::transcript_lines;
use support::tshark::tshark;

const WAIT: Duration = Duration::from_secs(5);

/// One command and its reply over `c` and `s`.
async fn turn(c: &mut Conn, s: &mut Conn, command: &str, reply: &str) {
    let line = format!("{command}\r\n");
    let (w, r) = tokio::join!(c.write_all(line.as_bytes(), WAIT), s.read_chunk(200));
    w.unwrap();
    assert_eq!(r.unwrap(), line.as_bytes());
    s.write_all(format!("{reply}\r\n").as_bytes(), WAIT)
        .await
        .unwrap();
    assert_eq!(
        c.read_chunk(200).await.unwrap(),
        format!("{reply}\r\n").as_bytes()
    );
}

#[tokio::test]
async fn tshark_reads_the_ftp_inside_the_tls_with_the_keys_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.pcap");
    let tl = Timeline::new();
    tl.add_observer(Box::new(PcapObserver::create(&path).unwrap()));
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let server_sides = Sides::new(Side::Server, Side::Client);
    // The server end is ours too, recorded apart: the capture is the
    // client's view of one connection.
    let other = Timeline::new();
    let listener = Listener::bind(any, server_sides, "control", &other)
        .await
        .unwrap();
    let port = listener.local_addr().port();
    let client_sides = Sides::new(Side::Client, Side::Server);
    let connect = Conn::connect(
        listener.local_addr(),
        None,
        OpenRole::Control,
        client_sides,
        WAIT,
        &tl,
    );
    let (c, s) = tokio::join!(connect, listener.accept(OpenRole::Control));
    let (mut c, mut s) = (c.unwrap(), s.unwrap());
    turn(&mut c, &mut s, "AUTH TLS", "234 AUTH TLS ok").await;
    c.start_tls(&Tls::Client(ClientTls::new(
        &tl,
        "localhost",
        Trust::TestCa,
    )));
    s.start_tls(&Tls::Server(ServerTls::new(&other, Which::Good, true)));
    turn(&mut c, &mut s, "USER anonymous", "331 Password please").await;
    turn(&mut c, &mut s, "PASS secret", "230 Logged in").await;
    turn(&mut c, &mut s, "QUIT", "221 Bye").await;
    c.shutdown().await;
    s.shutdown().await;
    drop((c, s));
    tl.finish();

    let head = std::fs::read(&path).unwrap();
    assert_eq!(head[..4], [0x0A, 0x0D, 0x0D, 0x0A], "the capture is pcapng");
    let port_is_ftp = format!("tcp.port=={port},ftp");
    let path = path.to_str().unwrap();
    let fields = [
        "-r",
        path,
        "-d",
        &port_is_ftp,
        "-Y",
        "ftp",
        "-T",
        "fields",
        "-e",
        "ftp.request.command",
        "-e",
        "ftp.response.code",
    ];
    let seen = tshark(&fields);
    let seen: Vec<&str> = seen.lines().map(str::trim).collect();
    assert_eq!(
        seen,
        ["AUTH", "234", "USER", "331", "PASS", "230", "QUIT", "221"],
        "tshark reads the commands inside TLS"
    );
    let tls = tshark(&[
        "-r",
        path,
        "-d",
        &port_is_ftp,
        "-Y",
        "tls.handshake.type == 1",
    ]);
    assert_eq!(tls.lines().count(), 1, "one ClientHello on the wire: {tls}");

    let lines = transcript_lines(&tl.events());
    let marker = lines.iter().position(|l| l.contains("## TLS started"));
    let user = lines.iter().position(|l| l.contains("USER anonymous"));
    assert!(marker.is_some() && marker < user, "{lines:#?}");

    // The harness's own reader takes the pcapng too: the connection, and
    // the plaintext before TLS (the rest is TLS records, as on the wire).
    let back = read_pcap(std::path::Path::new(path), Some(port)).unwrap();
    let from_client = stream(&back, ConnId(0), Side::Client).unwrap();
    assert!(from_client.starts_with(b"AUTH TLS\r\n"), "{from_client:?}");
    let from_server = stream(&back, ConnId(0), Side::Server).unwrap();
    assert!(from_server.starts_with(b"234 AUTH TLS ok\r\n"));
    assert!(from_client.len() > 200, "the TLS records follow");
}
