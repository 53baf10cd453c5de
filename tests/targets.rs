//! Starts every target server (embedded libunftp and the five real-server
//! profiles), logs in, downloads and uploads over PASV with a bare TCP
//! client, and checks that stopping the server ends its process.
//!
//! A profile whose binary is missing FAILS with a message naming
//! scripts/install-peers.sh: these tests are how CI notices a broken install.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::time::Duration;

use ftpconform::real::servers::embedded::start_embedded;
use ftpconform::real::servers::process::pid_alive;
use ftpconform::real::servers::profiles::{start_profile, ProfileOptions};
use ftpconform::real::servers::running::RunningServer;
use ftpconform::real::servers::seed::{HELLO, HELLO_NAME};
use ftpconform::real::servers::ServerEndpoint;
use ftpconform::script::Capability;
use ftpconform::wire::addr::{parse_epsv_reply, parse_pasv_reply};

const IO_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_REPLY_LINES: usize = 100;

/// A bare control connection: one command out, one (multi-line) reply in.
struct Control {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Control {
    fn connect(addr: SocketAddr) -> Control {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect control");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        let writer = stream.try_clone().expect("clone stream");
        Control {
            reader: BufReader::new(stream),
            writer,
        }
    }

    /// Reads one reply; returns its code and all its text.
    fn reply(&mut self) -> (u16, String) {
        let mut text = String::new();
        for _ in 0..MAX_REPLY_LINES {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).expect("read reply line");
            assert!(n > 0, "connection closed mid-reply after {text:?}");
            text.push_str(&line);
            let b = line.as_bytes();
            if b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b' ' {
                let code = line[..3].parse().expect("three digits");
                return (code, text);
            }
        }
        panic!("reply longer than {MAX_REPLY_LINES} lines: {text:?}");
    }

    fn cmd(&mut self, line: &str) -> (u16, String) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("send command");
        self.reply()
    }

    fn expect(&mut self, line: &str, codes: &[u16]) -> String {
        let (code, text) = self.cmd(line);
        assert!(codes.contains(&code), "{line} -> {text:?}, want {codes:?}");
        text
    }

    fn login(&mut self, ep: &ServerEndpoint) {
        let (code, text) = self.reply();
        assert_eq!(code, 220, "greeting {text:?}");
        let (code, text) = self.cmd(&format!("USER {}", ep.user));
        if code == 331 {
            self.expect(&format!("PASS {}", ep.pass), &[230]);
        } else {
            assert_eq!(code, 230, "USER {} -> {text:?}", ep.user);
        }
    }

    /// PASV; returns the announced address.
    fn pasv(&mut self) -> SocketAddrV4 {
        let text = self.expect("PASV", &[227]);
        let found = parse_pasv_reply(text.get(4..).unwrap_or(""));
        found.unwrap_or_else(|e| panic!("unparsable 227 ({e}): {text:?}"))
    }
}

/// Downloads hello.txt and uploads a file over PASV, then QUIT.
fn exercise(server: &RunningServer) {
    let ep = server.endpoint();
    let mut ctl = Control::connect(ep.addr);
    ctl.login(&ep);
    ctl.expect("TYPE I", &[200]);
    assert_eq!(
        retr(&mut ctl, HELLO_NAME),
        HELLO,
        "{} RETR {HELLO_NAME}",
        ep.name
    );
    let upload = format!("upload/from-{}.txt", ep.name);
    stor(&mut ctl, &upload, b"uploaded\n");
    ctl.expect("QUIT", &[221]);
    let stored = std::fs::read(server.root().join(&upload)).expect("uploaded file on disk");
    assert_eq!(stored, b"uploaded\n");
}

fn data_connection(ctl: &mut Control) -> TcpStream {
    let addr = ctl.pasv();
    let data = TcpStream::connect_timeout(&addr.into(), IO_TIMEOUT).expect("connect data");
    data.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    data
}

fn retr(ctl: &mut Control, path: &str) -> Vec<u8> {
    let mut data = data_connection(ctl);
    ctl.expect(&format!("RETR {path}"), &[125, 150]);
    let mut bytes = Vec::new();
    data.read_to_end(&mut bytes).expect("read data");
    // proftpd half-closes and waits for our FIN before it sends 226.
    drop(data);
    let (code, text) = ctl.reply();
    assert_eq!(code, 226, "after RETR: {text:?}");
    bytes
}

fn stor(ctl: &mut Control, path: &str, content: &[u8]) {
    let mut data = data_connection(ctl);
    ctl.expect(&format!("STOR {path}"), &[125, 150]);
    data.write_all(content).expect("write data");
    drop(data);
    let (code, text) = ctl.reply();
    assert_eq!(code, 226, "after STOR: {text:?}");
}

fn start(name: &str, opts: &ProfileOptions) -> RunningServer {
    start_profile(name, opts).unwrap_or_else(|e| panic!("starting {name}: {e}"))
}

/// Runs the exchange against a profile, then checks its PID is gone.
fn check_profile(name: &str) {
    let server = start(name, &ProfileOptions::default());
    let pid = server.pid().expect("a child process");
    assert!(pid_alive(pid), "{name} pid {pid} alive while running");
    exercise(&server);
    assert!(
        server.log_path().is_file(),
        "{name} log {:?}",
        server.log_path()
    );
    drop(server);
    assert!(!pid_alive(pid), "{name} pid {pid} still alive after drop");
}

/// The 227 address a profile announces with `pasv_address = 127.0.0.2`.
fn announced_with_nat(name: &str) -> Ipv4Addr {
    let opts = ProfileOptions {
        pasv_address: Some(Ipv4Addr::new(127, 0, 0, 2)),
        ..ProfileOptions::default()
    };
    let server = start(name, &opts);
    let ep = server.endpoint();
    let mut ctl = Control::connect(ep.addr);
    ctl.login(&ep);
    let addr = ctl.pasv();
    if let Some((lo, hi)) = ep.passive_range {
        assert!(
            (lo..=hi).contains(&addr.port()),
            "{name} port {addr} outside {lo}-{hi}"
        );
    }
    *addr.ip()
}

/// Over IPv6 (::1): log in, EPSV, RETR hello.txt, QUIT; PID gone after drop.
fn check_profile_ipv6(name: &str) {
    let opts = ProfileOptions {
        ipv6: true,
        ..ProfileOptions::default()
    };
    let server = start(name, &opts);
    let ep = server.endpoint();
    assert!(
        ep.addr.is_ipv6() && ep.addr.ip().is_loopback(),
        "{name} on {}",
        ep.addr
    );
    assert!(ep.capabilities.contains(&Capability::Ipv6));
    let pid = server.pid().expect("a child process");
    let mut ctl = Control::connect(ep.addr);
    ctl.login(&ep);
    ctl.expect("TYPE I", &[200]);
    let text = ctl.expect("EPSV", &[229]);
    let port = parse_epsv_reply(&text).unwrap_or_else(|e| panic!("unparsable 229 ({e}): {text:?}"));
    let data_addr = SocketAddr::new(ep.addr.ip(), port);
    let mut data = TcpStream::connect_timeout(&data_addr, IO_TIMEOUT).expect("connect data");
    data.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    ctl.expect(&format!("RETR {HELLO_NAME}"), &[125, 150]);
    let mut bytes = Vec::new();
    data.read_to_end(&mut bytes).expect("read data");
    drop(data);
    assert_eq!(bytes, HELLO, "{name} RETR over IPv6");
    let (code, text) = ctl.reply();
    assert_eq!(code, 226, "after RETR: {text:?}");
    ctl.expect("QUIT", &[221]);
    drop(server);
    assert!(!pid_alive(pid), "{name} pid {pid} still alive after drop");
}

#[test]
fn vsftpd_ipv6() {
    check_profile_ipv6("vsftpd");
}

#[test]
fn proftpd_ipv6() {
    check_profile_ipv6("proftpd");
}

#[test]
fn pure_ftpd_ipv6() {
    check_profile_ipv6("pure-ftpd");
}

#[test]
fn pyftpdlib_ipv6() {
    check_profile_ipv6("pyftpdlib");
}

#[test]
fn twisted_ipv6() {
    check_profile_ipv6("twisted");
}

/// A logged-in session is ended (its control connection closed) when the
/// server is stopped, even where sessions are separate processes.
fn check_session_ends_on_stop(name: &str) {
    let server = start(name, &ProfileOptions::default());
    let ep = server.endpoint();
    let mut ctl = Control::connect(ep.addr);
    ctl.login(&ep);
    drop(server);
    let mut rest = Vec::new();
    let res = ctl.reader.read_to_end(&mut rest);
    assert!(
        !matches!(&res, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "{name}: session still open {IO_TIMEOUT:?} after the server stopped"
    );
}

#[test]
fn vsftpd_session_ends_on_stop() {
    check_session_ends_on_stop("vsftpd");
}

#[test]
fn proftpd_session_ends_on_stop() {
    check_session_ends_on_stop("proftpd");
}

#[test]
fn pure_ftpd_session_ends_on_stop() {
    check_session_ends_on_stop("pure-ftpd");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_libunftp_serves_and_stops() {
    let server = start_embedded().await.unwrap_or_else(|e| panic!("{e}"));
    let ep = server.endpoint();
    assert!(ep.addr.ip().is_loopback());
    let server = tokio::task::spawn_blocking(move || {
        exercise(&server);
        server
    })
    .await
    .expect("client thread");
    drop(server);
    let refused = TcpStream::connect_timeout(&ep.addr, Duration::from_secs(2)).is_err();
    assert!(
        refused,
        "embedded server still accepts on {} after drop",
        ep.addr
    );
}

#[test]
fn vsftpd_serves_and_stops() {
    check_profile("vsftpd");
}

#[test]
fn proftpd_serves_and_stops() {
    check_profile("proftpd");
}

#[test]
fn pure_ftpd_serves_and_stops() {
    check_profile("pure-ftpd");
}

#[test]
fn pyftpdlib_serves_and_stops() {
    check_profile("pyftpdlib");
}

#[test]
fn twisted_serves_and_stops() {
    check_profile("twisted");
}

#[test]
fn vsftpd_pasv_address_is_announced() {
    assert_eq!(announced_with_nat("vsftpd"), Ipv4Addr::new(127, 0, 0, 2));
}

#[test]
fn pyftpdlib_nat_address_is_announced() {
    assert_eq!(announced_with_nat("pyftpdlib"), Ipv4Addr::new(127, 0, 0, 2));
}

#[test]
fn proftpd_masquerade_address_is_announced() {
    assert_eq!(announced_with_nat("proftpd"), Ipv4Addr::new(127, 0, 0, 2));
}

#[test]
fn pure_ftpd_forced_passive_ip_is_announced() {
    assert_eq!(announced_with_nat("pure-ftpd"), Ipv4Addr::new(127, 0, 0, 2));
}

#[test]
fn twisted_nat_address_is_announced() {
    assert_eq!(announced_with_nat("twisted"), Ipv4Addr::new(127, 0, 0, 2));
}

#[test]
fn without_pasv_address_servers_announce_their_own() {
    for name in ["vsftpd", "pyftpdlib"] {
        let server = start(name, &ProfileOptions::default());
        let ep = server.endpoint();
        let mut ctl = Control::connect(ep.addr);
        ctl.login(&ep);
        assert_eq!(*ctl.pasv().ip(), Ipv4Addr::LOCALHOST, "{name}");
    }
}
