//! Checks the pcap writer against Wireshark's own dissectors: tshark must
//! read the same FTP commands and reply codes as the transcript shows, link
//! every data connection to the negotiation that set it up, and find valid
//! checksums. tshark is a development dependency: these tests fail (never
//! skip) when it is missing.

pub mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ftpconform::capture::PcapObserver;
use ftpconform::timeline::{CloseKind, ConnId, EventKind, OpenRole, Side, Timeline};
use ftpconform::transcript::transcript_lines;
use support::tshark::tshark;
use tempfile::TempDir;

const CTRL_PORT: u16 = 2121;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A case being recorded: control connection from `client` to `server`.
struct Case {
    t: Timeline,
    ctrl: ConnId,
    client: SocketAddr,
    server: SocketAddr,
    path: PathBuf,
    /// Holds the temporary directory of the capture.
    dir: TempDir,
}

impl Case {
    fn new(client: &str, server: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.pcap");
        let t = Timeline::new();
        t.add_observer(Box::new(PcapObserver::create(&path).unwrap()));
        let (client, server) = (sa(client), sa(server));
        let ctrl = t.open(
            OpenRole::Control,
            (client, Side::Client),
            (server, Side::Server),
        );
        Case {
            t,
            ctrl,
            client,
            server,
            path,
            dir,
        }
    }

    fn c(&self, line: &str) -> &Self {
        self.t
            .bytes(self.ctrl, Side::Client, format!("{line}\r\n").as_bytes());
        self
    }

    fn s(&self, line: &str) -> &Self {
        self.t
            .bytes(self.ctrl, Side::Server, format!("{line}\r\n").as_bytes());
        self
    }

    fn login(&self) -> &Self {
        self.s("220 ftpconform test server ready")
            .c("USER anonymous")
            .s("331 Please specify the password.")
            .c("PASS guest@")
            .s("230 Login successful.")
    }

    /// A data connection from `from` (of `side`) to `to`, carrying
    /// `payload` from `sender`, closed by the sender first.
    fn data(&self, from: (SocketAddr, Side), to: (SocketAddr, Side), sender: Side, payload: &[u8]) {
        let d = self.t.open(OpenRole::Data, from, to);
        for chunk in payload.chunks(4000) {
            self.t.bytes(d, sender, chunk);
        }
        let other = if sender == Side::Client {
            Side::Server
        } else {
            Side::Client
        };
        self.t.close(d, sender, CloseKind::Fin);
        self.t.close(d, other, CloseKind::Fin);
    }

    fn quit(&self) {
        self.c("QUIT").s("221 Goodbye.");
        self.t.close(self.ctrl, Side::Server, CloseKind::Fin);
        self.t.close(self.ctrl, Side::Client, CloseKind::Fin);
        self.t.finish();
    }

    fn passive_to(&self, port: u16) -> SocketAddr {
        SocketAddr::new(self.server.ip(), port)
    }

    fn client_port(&self, port: u16) -> SocketAddr {
        SocketAddr::new(self.client.ip(), port)
    }
}

fn listing() -> Vec<u8> {
    (0..200)
        .flat_map(|i| {
            format!("-rw-r--r--    1 ftp      ftp          {i:5} Jan 01 12:00 file{i}.txt\r\n")
                .into_bytes()
        })
        .collect()
}

/// Commands and reply codes in the order the transcript shows them.
fn expected_ftp(case: &Case) -> Vec<String> {
    let lines = transcript_lines(&case.t.events());
    let word = |l: &str, p: &str| {
        l.strip_prefix(p)
            .map(|r| r.split(' ').next().unwrap_or("").to_string())
    };
    lines
        .iter()
        .filter_map(|l| word(l, "C> ").or_else(|| word(l, "S> ")))
        .collect()
}

/// Commands and reply codes as tshark dissects them.
fn tshark_ftp(path: &Path) -> Vec<String> {
    let p = path.to_str().unwrap();
    let decode = format!("tcp.port=={CTRL_PORT},ftp");
    let fields = [
        "-r",
        p,
        "-d",
        &decode,
        "-Y",
        "ftp",
        "-T",
        "fields",
        "-e",
        "ftp.request.command",
        "-e",
        "ftp.response.code",
    ];
    let out = tshark(&fields);
    out.lines()
        .flat_map(|l| {
            l.split('\t')
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// (setup method, tcp stream) of every ftp-data packet.
fn tshark_data(path: &Path) -> Vec<(String, String)> {
    let p = path.to_str().unwrap();
    let decode = format!("tcp.port=={CTRL_PORT},ftp");
    let args = [
        "-r",
        p,
        "-d",
        &decode,
        "-Y",
        "ftp-data",
        "-T",
        "fields",
        "-e",
        "ftp-data.setup-method",
        "-e",
        "tcp.stream",
    ];
    tshark(&args)
        .lines()
        .map(|l| {
            let (m, s) = l.split_once('\t').unwrap_or((l, ""));
            (m.to_string(), s.to_string())
        })
        .collect()
}

/// Counts of (bad, good) IP and TCP checksums.
fn checksums(path: &Path) -> (usize, usize) {
    let p = path.to_str().unwrap();
    let count = |filter: &str| {
        let args = [
            "-r",
            p,
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-Y",
            filter,
        ];
        tshark(&args).lines().count()
    };
    let bad = count("tcp.checksum.status == 0 || ip.checksum.status == 0");
    (bad, count("tcp.checksum.status == 1"))
}

/// tshark agrees with the transcript, links all `data_conns` data
/// connections, and finds no bad checksum.
fn assert_tshark_agrees(case: &Case, data_conns: usize) {
    let expected = expected_ftp(case);
    assert!(expected.len() >= 10, "{expected:?}");
    assert_eq!(tshark_ftp(&case.path), expected);
    let data = tshark_data(&case.path);
    assert!(!data.is_empty(), "tshark saw no ftp-data");
    assert!(
        data.iter().all(|(m, _)| !m.is_empty()),
        "unlinked data: {data:?}"
    );
    let mut streams: Vec<&String> = data.iter().map(|(_, s)| s).collect();
    streams.dedup();
    assert_eq!(streams.len(), data_conns, "{data:?}");
    let (bad, good) = checksums(&case.path);
    assert_eq!(bad, 0);
    assert!(good > 10, "only {good} verified checksums");
}

#[test]
fn pasv_list_is_dissected_and_linked() {
    let case = Case::new("127.0.0.1:40100", "127.0.0.1:2121");
    case.login()
        .c("TYPE A")
        .s("200 Switching to ASCII mode.")
        .c("PASV");
    case.s("227 Entering Passive Mode (127,0,0,1,195,80).");
    let listener = case.passive_to(50000);
    case.c("LIST").s("150 Here comes the directory listing.");
    case.data(
        (case.client_port(40101), Side::Client),
        (listener, Side::Server),
        Side::Server,
        &listing(),
    );
    case.s("226 Directory send OK.");
    case.quit();
    assert_tshark_agrees(&case, 1);
}

#[test]
fn epsv_retr_is_dissected_and_linked() {
    let case = Case::new("127.0.0.1:40200", "127.0.0.1:2121");
    case.login()
        .c("TYPE I")
        .s("200 Switching to Binary mode.")
        .c("EPSV");
    case.s("229 Entering Extended Passive Mode (|||50001|)");
    let listener = case.passive_to(50001);
    case.c("RETR big.bin")
        .s("150 Opening BINARY mode data connection for big.bin (20000 bytes).");
    let body: Vec<u8> = (0..20000u32).map(|i| (i * 7) as u8).collect();
    case.data(
        (case.client_port(40201), Side::Client),
        (listener, Side::Server),
        Side::Server,
        &body,
    );
    case.s("226 Transfer complete.");
    case.quit();
    assert_tshark_agrees(&case, 1);
}

#[test]
fn eprt_stor_is_dissected_and_linked() {
    let case = Case::new("127.0.0.1:40300", "127.0.0.1:2121");
    case.login();
    let listener = case.client_port(45000);
    case.t.record(EventKind::Listening {
        side: Side::Client,
        addr: listener,
        purpose: "EPRT".into(),
    });
    case.c("EPRT |1|127.0.0.1|45000|")
        .s("200 EPRT command successful.");
    case.c("STOR up.txt").s("150 Ok to send data.");
    let from = (
        SocketAddr::new(case.server.ip(), CTRL_PORT - 1),
        Side::Server,
    );
    case.data(
        from,
        (listener, Side::Client),
        Side::Client,
        b"uploaded text\r\n",
    );
    case.s("226 Transfer complete.");
    case.quit();
    assert_tshark_agrees(&case, 1);
}

#[test]
fn ipv6_epsv_list_and_retr_are_dissected_and_linked() {
    let case = Case::new("[::1]:40400", "[::1]:2121");
    case.login()
        .c("EPSV")
        .s("229 Entering Extended Passive Mode (|||50002|)");
    case.c("LIST").s("150 Here comes the directory listing.");
    let (c1, c2) = (case.client_port(40401), case.client_port(40402));
    case.data(
        (c1, Side::Client),
        (case.passive_to(50002), Side::Server),
        Side::Server,
        &listing(),
    );
    case.s("226 Directory send OK.");
    case.c("EPSV")
        .s("229 Entering Extended Passive Mode (|||50003|)");
    case.c("RETR a.txt")
        .s("150 Opening BINARY mode data connection.");
    case.data(
        (c2, Side::Client),
        (case.passive_to(50003), Side::Server),
        Side::Server,
        b"a\r\n",
    );
    case.s("226 Transfer complete.");
    case.quit();
    assert_tshark_agrees(&case, 2);
}

#[test]
fn writer_dropped_mid_case_leaves_a_file_tshark_reads() {
    let case = Case::new("127.0.0.1:40500", "127.0.0.1:2121");
    case.login()
        .c("PASV")
        .s("227 Entering Passive Mode (127,0,0,1,195,84).");
    case.c("RETR big.bin")
        .s("150 Opening BINARY mode data connection.");
    let d = case.t.open(
        OpenRole::Data,
        (case.client_port(40501), Side::Client),
        (case.passive_to(50004), Side::Server),
    );
    case.t.bytes(d, Side::Server, &vec![0x5a; 100_000]);
    let path = case.path.clone();
    let dir = case.dir;
    // The case "panics" here: no close, no finish; dropping the timeline
    // drops the writer.
    drop(case.t);
    let out = tshark(&["-r", path.to_str().unwrap(), "-d", "tcp.port==2121,ftp"]);
    assert!(out.lines().count() > 70, "{out}");
    assert!(out.contains("Response: 150"), "{out}");
    drop(dir);
}
