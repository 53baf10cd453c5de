//! Self-test of the fake client: a small FTP server written here (correct,
//! or with one chosen misbehaviour) shows that every timeline check passes
//! against the correct server and names the right rule against the broken
//! one. One more test runs against pyftpdlib.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ftpconform::real::servers::ServerEndpoint;
use ftpconform::runner::{run_in, Target};
use ftpconform::script::*;
use ftpconform::timeline::{ConnRole, EventKind, Side, Timeline};
use ftpconform::verdict::{CaseResult, Level, Loc, Verdict};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};

const HELLO: &[u8] = b"Hello\n";
const LISTING: &[u8] = b"-rw-r--r-- 1 ftp ftp 6 Jan 01 00:00 hello.txt\r\n";

// ------------------------------------------------------------ test server

/// How the test server misbehaves (all false: a correct server).
#[derive(Default, Clone)]
struct Conf {
    no_greeting: bool,
    /// Accepts PORT naming any address and connects there.
    accept_bounce: bool,
    /// Serves the first passive connection, whoever made it.
    serve_thief: bool,
    /// Announces this address in 227 (it listens on 127.0.0.1 only).
    pasv_ip: Option<Ipv4Addr>,
    /// Active mode: answers 150 and never connects.
    never_connect: bool,
    /// Answers this verb with this code.
    wrong_code: Option<(&'static str, u16)>,
    /// Active mode: connects as soon as PORT arrives (legal).
    connect_at_port: bool,
    /// Download: no 150 before the data and the 226.
    no_preliminary: bool,
    /// Download: sends 226, then closes the data connection this much later.
    late_close: Option<Duration>,
    /// Upload: sends 226 with 150 (one write), before the client's EOF.
    early_226_upload: bool,
}

struct TestServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start(conf: Conf) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let conf = Arc::new(conf);
    let task = tokio::spawn(async move {
        while let Ok((s, peer)) = listener.accept().await {
            tokio::spawn(session(s, peer, conf.clone()));
        }
    });
    TestServer { addr, task }
}

enum Plan {
    None,
    Passive(TcpListener),
    Active(SocketAddr),
    Connected(TcpStream),
}

async fn reply(w: &mut OwnedWriteHalf, code: u16, text: &str) {
    let _ = w.write_all(format!("{code} {text}\r\n").as_bytes()).await;
}

async fn session(s: TcpStream, peer: SocketAddr, conf: Arc<Conf>) {
    let (r, mut w) = s.into_split();
    let mut lines = BufReader::new(r).lines();
    if conf.no_greeting {
        tokio::time::sleep(Duration::from_secs(60)).await;
        return;
    }
    reply(&mut w, 220, "test server ready").await;
    let mut plan = Plan::None;
    while let Ok(Some(line)) = lines.next_line().await {
        let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
        let verb = verb.to_ascii_uppercase();
        if let Some((v, code)) = conf.wrong_code.filter(|(v, _)| *v == verb) {
            reply(&mut w, code, &format!("{v} answered wrongly")).await;
            continue;
        }
        match verb.as_str() {
            "USER" => reply(&mut w, 331, "password please").await,
            "PASS" => reply(&mut w, 230, "logged in").await,
            "NOOP" | "TYPE" => reply(&mut w, 200, "ok").await,
            // Nothing is in progress once a command is read: RFC 959 4.1.3.
            "ABOR" => reply(&mut w, 226, "no transfer to abort").await,
            "QUIT" => return reply(&mut w, 221, "bye").await,
            "PASV" | "EPSV" => plan = passive(&mut w, &verb, &conf).await,
            "PORT" | "EPRT" => plan = active(&mut w, &verb, arg, peer, &conf).await,
            "RETR" | "LIST" => {
                let big = big_file();
                let body = match (verb.as_str(), arg) {
                    ("LIST", _) => LISTING,
                    (_, "big.bin") => &big,
                    _ => HELLO,
                };
                if verb == "RETR" && arg != "hello.txt" && arg != "big.bin" {
                    reply(&mut w, 550, "no such file").await;
                    continue;
                }
                send_data(
                    &mut w,
                    std::mem::replace(&mut plan, Plan::None),
                    peer,
                    &conf,
                    body,
                )
                .await;
            }
            "STOR" => {
                receive_data(
                    &mut w,
                    std::mem::replace(&mut plan, Plan::None),
                    peer,
                    &conf,
                )
                .await
            }
            _ => reply(&mut w, 502, "not implemented").await,
        }
    }
}

async fn passive(w: &mut OwnedWriteHalf, verb: &str, conf: &Conf) -> Plan {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    if verb == "EPSV" {
        reply(
            w,
            229,
            &format!("Entering Extended Passive Mode (|||{port}|)"),
        )
        .await;
    } else {
        let ip = conf.pasv_ip.unwrap_or(Ipv4Addr::LOCALHOST).octets();
        let text = format!(
            "Entering Passive Mode ({},{},{},{},{},{}).",
            ip[0],
            ip[1],
            ip[2],
            ip[3],
            port >> 8,
            port & 0xff
        );
        reply(w, 227, &text).await;
    }
    Plan::Passive(l)
}

async fn active(
    w: &mut OwnedWriteHalf,
    verb: &str,
    arg: &str,
    peer: SocketAddr,
    conf: &Conf,
) -> Plan {
    let Some(addr) = parse_active(verb, arg) else {
        reply(w, 501, "bad address").await;
        return Plan::None;
    };
    let foreign = addr.ip() != peer.ip() || addr.port() < 1024;
    if foreign && !conf.accept_bounce {
        reply(w, 504, "refused: not your address").await;
        return Plan::None;
    }
    if conf.connect_at_port {
        if let Ok(s) = TcpStream::connect(addr).await {
            reply(w, 200, "ok, connected").await;
            return Plan::Connected(s);
        }
    }
    reply(w, 200, "ok").await;
    Plan::Active(addr)
}

fn parse_active(verb: &str, arg: &str) -> Option<SocketAddr> {
    if verb == "EPRT" {
        let f: Vec<&str> = arg.split('|').collect();
        let ip: IpAddr = f.get(2)?.parse().ok()?;
        return Some(SocketAddr::new(ip, f.get(3)?.parse().ok()?));
    }
    let n: Vec<u8> = arg
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    if n.len() != 6 {
        return None;
    }
    let ip = Ipv4Addr::new(n[0], n[1], n[2], n[3]);
    Some(SocketAddr::new(
        ip.into(),
        u16::from(n[4]) << 8 | u16::from(n[5]),
    ))
}

/// Opens the data connection of `plan` (a correct server refuses a passive
/// connection from another host and waits for the right one).
async fn open_data(plan: Plan, peer: SocketAddr, conf: &Conf) -> Option<TcpStream> {
    match plan {
        Plan::None => None,
        Plan::Connected(s) => Some(s),
        Plan::Active(_) if conf.never_connect => None,
        Plan::Active(addr) => TcpStream::connect(addr).await.ok(),
        Plan::Passive(l) => {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            loop {
                let (s, from) = tokio::time::timeout_at(deadline, l.accept())
                    .await
                    .ok()?
                    .ok()?;
                if conf.serve_thief || from.ip() == peer.ip() && from.ip() != thief_ip() {
                    return Some(s);
                }
            }
        }
    }
}

fn thief_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))
}

async fn send_data(w: &mut OwnedWriteHalf, plan: Plan, peer: SocketAddr, conf: &Conf, body: &[u8]) {
    if matches!(plan, Plan::None) {
        return reply(w, 425, "use PORT or PASV first").await;
    }
    if conf.never_connect && matches!(plan, Plan::Active(_)) {
        return reply(w, 150, "opening data connection").await;
    }
    let Some(mut data) = open_data(plan, peer, conf).await else {
        return reply(w, 425, "cannot open data connection").await;
    };
    if !conf.no_preliminary {
        reply(w, 150, "opening data connection").await;
    }
    let _ = data.write_all(body).await;
    if let Some(d) = conf.late_close {
        reply(w, 226, "transfer complete").await;
        tokio::time::sleep(d).await;
        return drop(data);
    }
    drop(data);
    reply(w, 226, "transfer complete").await;
}

async fn receive_data(w: &mut OwnedWriteHalf, plan: Plan, peer: SocketAddr, conf: &Conf) {
    let Some(mut data) = open_data(plan, peer, conf).await else {
        return reply(w, 425, "cannot open data connection").await;
    };
    if conf.no_preliminary {
        // Confirms at once and waits for the client's EOF.
        reply(w, 226, "received (not really)").await;
        let _ = data.read_to_end(&mut Vec::new()).await;
        return;
    }
    if conf.early_226_upload {
        // One write: the client reads both replies before sending a byte.
        let both = b"150 ready to receive\r\n226 received (not really)\r\n";
        let _ = w.write_all(both).await;
    } else {
        reply(w, 150, "ready to receive").await;
    }
    let mut sink = Vec::new();
    let _ = data.read_to_end(&mut sink).await;
    if !conf.early_226_upload {
        reply(w, 226, &format!("received {} bytes", sink.len())).await;
    }
}

/// 8 MB: more than socket buffers hold, so a transfer takes a while.
fn big_file() -> Vec<u8> {
    (0..8u32 << 20).map(|i| b'a' + (i % 26) as u8).collect()
}

// ------------------------------------------------------------ case builders

fn loc(line: usize) -> Loc {
    Loc {
        file: Arc::new(PathBuf::from("selftest.yaml")),
        line,
        col: 1,
    }
}

fn case(id: &str, level: Level, steps: Vec<StepKind>) -> Case {
    Case {
        id: id.to_string(),
        title: id.to_string(),
        rfc: vec!["RFC 959 4.1".to_string()],
        level,
        requires: Vec::new(),
        timeout: Duration::from_secs(2),
        loc: loc(1),
        body: CaseBody::Server(
            steps
                .into_iter()
                .enumerate()
                .map(|(i, kind)| Step {
                    loc: loc(i + 2),
                    timeout: None,
                    kind,
                })
                .collect(),
        ),
    }
}

fn codes(list: &[u16]) -> ReplyExpect {
    ReplyExpect::codes(list)
}

fn tpl(s: &str) -> Template {
    Template {
        parts: vec![TemplatePart::Lit(s.to_string())],
    }
}

fn send(line: &str, expect: &[u16]) -> StepKind {
    StepKind::Send {
        payload: Payload::Line(tpl(line)),
        expect: Some(codes(expect)),
    }
}

/// `TYPE I`: downloads arrive byte for byte (ASCII mode may turn LF into
/// CRLF).
fn binary() -> StepKind {
    send("TYPE I", &[200])
}

fn data(mode: DataMode) -> DataSetup {
    DataSetup {
        mode,
        family: None,
        address: None,
        port: None,
        steal_from: None,
        expect: None,
        connect_late: false,
    }
}

fn retr(direction: Direction, command: &str, content: Content) -> Transfer {
    Transfer {
        command: tpl(command),
        direction,
        content,
        data_text: Vec::new(),
        preliminary: codes(&[125, 150]),
        complete: codes(&[226, 250]),
        abort_after: None,
    }
}

fn download() -> StepKind {
    StepKind::Transfer(retr(
        Direction::Download,
        "RETR hello.txt",
        Content::Bytes(HELLO.to_vec()),
    ))
}

fn endpoint(addr: SocketAddr) -> ServerEndpoint {
    ServerEndpoint {
        name: "selftest".to_string(),
        addr,
        user: "anonymous".to_string(),
        pass: "ftpconform@".to_string(),
        passive_range: None,
        capabilities: Vec::new(),
    }
}

async fn run(case: &Case, addr: SocketAddr) -> (CaseResult, Timeline) {
    run_at(case, &endpoint(addr)).await
}

async fn run_at(case: &Case, target: &ServerEndpoint) -> (CaseResult, Timeline) {
    let tl = Timeline::new();
    let r = run_in(case, "selftest", Target::Server(target), &tl).await;
    (r, tl)
}

async fn broken(conf: Conf) -> TestServer {
    start(conf).await
}

fn upload_case() -> Case {
    upload_of(100_000)
}

fn upload_of(size: u64) -> Case {
    case(
        "stor",
        Level::Must,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(data(DataMode::Eprt)),
            StepKind::Transfer(retr(Direction::Upload, "STOR up.bin", Content::Size(size))),
            StepKind::DataExpect(DataExpect {
                opened_by: Some(Side::Server),
                closed_by: Some(Side::Client),
            }),
        ],
    )
}

fn rules(r: &CaseResult) -> Vec<&str> {
    r.violations.iter().map(|v| v.rule.as_str()).collect()
}

fn assert_pass(r: &CaseResult) {
    assert_eq!(r.verdict, Verdict::Pass, "{}: {:#?}", r.id, r.violations);
}

fn pasv_download() -> Case {
    case(
        "pasv-retr",
        Level::Must,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(data(DataMode::Pasv)),
            download(),
        ],
    )
}

fn port_download() -> Case {
    case(
        "port-retr",
        Level::Must,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(data(DataMode::Port)),
            download(),
        ],
    )
}

fn bounce_case() -> Case {
    let mut setup = data(DataMode::Port);
    setup.address = Some(thief_ip());
    let mut xfer = retr(Direction::Download, "RETR hello.txt", Content::Any);
    xfer.complete.codes = vec![CodeMatch::Class(4), CodeMatch::Class(5)];
    let grace = Duration::from_millis(300);
    let steps = vec![
        StepKind::Login,
        binary(),
        StepKind::Data(setup),
        StepKind::Transfer(xfer),
        StepKind::ExpectNoStray { grace },
    ];
    case("port-foreign-refused", Level::Must, steps)
}

fn theft_case() -> Case {
    let mut setup = data(DataMode::Pasv);
    setup.steal_from = Some(thief_ip());
    case(
        "pasv-theft",
        Level::Must,
        vec![StepKind::Login, binary(), StepKind::Data(setup), download()],
    )
}

// ------------------------------------------------------------ tests
//
// Multi-threaded runtimes: the test server is a separate party and must run
// while the fake client is busy, as a real server would.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_server_passes_passive_active_and_upload() {
    let srv = start(Conf::default()).await;
    let (r, tl) = run(&pasv_download(), srv.addr).await;
    assert_pass(&r);
    let (r, _) = run(&port_download(), srv.addr).await;
    assert_pass(&r);
    assert!(
        r.notes.iter().any(|n| n.contains("connected")),
        "{:?}",
        r.notes
    );
    let epsv_list = case(
        "epsv-list",
        Level::Must,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(data(DataMode::Epsv)),
            StepKind::Transfer(retr(Direction::Download, "LIST", Content::AtLeast(1))),
            StepKind::DataExpect(DataExpect {
                opened_by: Some(Side::Client),
                closed_by: Some(Side::Server),
            }),
        ],
    );
    assert_pass(&run(&epsv_list, srv.addr).await.0);
    let mut late = data(DataMode::Pasv);
    late.connect_late = true;
    let steps = vec![StepKind::Login, binary(), StepKind::Data(late), download()];
    assert_pass(
        &run(&case("pasv-late", Level::Must, steps), srv.addr)
            .await
            .0,
    );
    assert_pass(&run(&upload_case(), srv.addr).await.0);
    assert_pass(&run(&upload_of(8 << 20), srv.addr).await.0);
    // The timeline holds the download's bytes.
    let got: u64 = tl
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Bytes {
                from: Side::Server,
                len,
                bytes,
                ..
            } if bytes == HELLO => Some(*len),
            _ => None,
        })
        .sum();
    assert_eq!(got, HELLO.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounce_is_flagged_only_when_the_server_connects() {
    let good = start(Conf::default()).await;
    assert_pass(&run(&bounce_case(), good.addr).await.0);
    let bad = start(Conf {
        accept_bounce: true,
        ..Conf::default()
    })
    .await;
    let (r, _) = run(&bounce_case(), bad.addr).await;
    assert_eq!(r.verdict, Verdict::Fail);
    let bounce: Vec<_> = r
        .violations
        .iter()
        .filter(|v| v.rule == "bounce-refused")
        .collect();
    assert!(
        bounce
            .iter()
            .any(|v| v.actual.contains("connected to 127.0.0.2")),
        "{bounce:#?}"
    );
    assert!(bounce.iter().all(|v| v.rfc == "RFC 2577 3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_theft_is_flagged_when_served() {
    let good = start(Conf::default()).await;
    let (r, _) = run(&theft_case(), good.addr).await;
    assert_pass(&r);
    assert!(
        r.notes.iter().any(|n| n.contains("theft attempt")),
        "{:?}",
        r.notes
    );
    let bad = start(Conf {
        serve_thief: true,
        ..Conf::default()
    })
    .await;
    let (r, _) = run(&theft_case(), bad.addr).await;
    assert_eq!(r.verdict, Verdict::Fail, "{:#?}", r.violations);
    let theft = r
        .violations
        .iter()
        .find(|v| v.rule == "passive-theft-refused");
    let theft = theft.unwrap_or_else(|| panic!("{:#?}", r.violations));
    assert!(
        theft.actual.contains("bytes sent to 127.0.0.2"),
        "{theft:?}"
    );
    assert_eq!(theft.rfc, "RFC 2577 8");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pasv_address_is_non_strict() {
    let bad = start(Conf {
        pasv_ip: Some(Ipv4Addr::new(127, 0, 0, 2)),
        ..Conf::default()
    })
    .await;
    let (r, _) = run(&pasv_download(), bad.addr).await;
    assert_eq!(
        rules(&r),
        vec!["pasv-address-matches-control"],
        "{:#?}",
        r.violations
    );
    assert_eq!(r.verdict, Verdict::NonStrict);
    let v = &r.violations[0];
    assert!(
        v.actual.contains("127.0.0.2") && v.actual.contains("127.0.0.1"),
        "{v:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_never_connects_back_fails_in_bounded_time() {
    let bad = start(Conf {
        never_connect: true,
        ..Conf::default()
    })
    .await;
    let started = Instant::now();
    let (r, _) = run(&port_download(), bad.addr).await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.verdict, Verdict::Fail);
    assert!(
        rules(&r).contains(&"active-server-connects"),
        "{:#?}",
        r.violations
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_server_fails_without_hanging() {
    let bad = start(Conf {
        no_greeting: true,
        ..Conf::default()
    })
    .await;
    let started = Instant::now();
    let (r, _) = run(&pasv_download(), bad.addr).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(rules(&r), vec!["greeting-220"]);
    assert_eq!(r.violations[0].rfc, "RFC 959 5.4");
    assert!(
        r.violations[0].actual.contains("no reply within 2s"),
        "{:?}",
        r.violations
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_is_an_error_with_a_reason() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let (r, _) = run(&pasv_download(), addr).await;
    assert_eq!(r.verdict, Verdict::Error);
    let reason = r.reason.unwrap_or_default();
    assert!(
        reason.contains("refused") && !reason.contains('\n'),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_reply_code_is_a_violation_with_context() {
    let bad = start(Conf {
        wrong_code: Some(("NOOP", 250)),
        ..Conf::default()
    })
    .await;
    let c = case(
        "noop-200",
        Level::Should,
        vec![StepKind::Login, send("NOOP", &[200])],
    );
    let good = start(Conf::default()).await;
    assert_pass(&run(&c, good.addr).await.0);
    let (r, _) = run(&c, bad.addr).await;
    assert_eq!(r.verdict, Verdict::NonStrict);
    let v = &r.violations[0];
    assert_eq!((v.rule.as_str(), v.expected.as_str()), ("noop-200", "200"));
    assert!(v.actual.starts_with("250 "), "{v:?}");
    assert_eq!(v.loc.as_ref().map(|l| l.line), Some(3));
    assert!(v.context.iter().any(|l| l == "C> NOOP"), "{:?}", v.context);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_connection_moment_is_noted() {
    let srv = start(Conf::default()).await;
    let (r, _) = run(&port_download(), srv.addr).await;
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("after the transfer command")),
        "{:?}",
        r.notes
    );
    let early = broken(Conf {
        connect_at_port: true,
        ..Conf::default()
    })
    .await;
    let (r, _) = run(&port_download(), early.addr).await;
    assert_pass(&r);
    assert!(
        r.notes.iter().any(|n| n.contains("at PORT time")),
        "{:?}",
        r.notes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_preliminary_reply_is_flagged() {
    let bad = broken(Conf {
        no_preliminary: true,
        ..Conf::default()
    })
    .await;
    let (r, _) = run(&pasv_download(), bad.addr).await;
    assert_eq!(
        rules(&r),
        vec!["preliminary-before-data"],
        "{:#?}",
        r.violations
    );
    assert_eq!(r.verdict, Verdict::Fail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_data_close_is_flagged() {
    // 226 then FIN 1.5 s later: beyond the 1 s skew, a should.
    let late = broken(Conf {
        late_close: Some(Duration::from_millis(1500)),
        ..Conf::default()
    })
    .await;
    let (r, _) = run(&pasv_download(), late.addr).await;
    assert_eq!(
        rules(&r),
        vec!["download-closed-by-server"],
        "{:#?}",
        r.violations
    );
    assert_eq!(r.verdict, Verdict::NonStrict);
    // Never closed within the step timeout: the harness closes it, a must.
    let never = broken(Conf {
        late_close: Some(Duration::from_secs(30)),
        ..Conf::default()
    })
    .await;
    let (r, _) = run(&pasv_download(), never.addr).await;
    assert!(
        rules(&r).contains(&"download-closed-by-server"),
        "{:#?}",
        r.violations
    );
    assert_eq!(r.verdict, Verdict::Fail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_confirmed_before_eof_is_flagged() {
    let bad = broken(Conf {
        early_226_upload: true,
        ..Conf::default()
    })
    .await;
    let (r, _) = run(&upload_case(), bad.addr).await;
    assert_eq!(
        rules(&r),
        vec!["upload-closed-by-client"],
        "{:#?}",
        r.violations
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_port_outside_the_range_is_flagged() {
    let srv = start(Conf::default()).await;
    let mut target = endpoint(srv.addr);
    target.passive_range = Some((1024, 65535));
    assert_pass(&run_at(&pasv_download(), &target).await.0);
    target.passive_range = Some((1, 2));
    let (r, _) = run_at(&pasv_download(), &target).await;
    assert_eq!(rules(&r), vec!["pasv-port-in-range"], "{:#?}", r.violations);
    assert_eq!(r.verdict, Verdict::NonStrict);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileged_port_is_flagged_when_accepted() {
    let mut setup = data(DataMode::Port);
    setup.port = Some(1023);
    let mut xfer = retr(Direction::Download, "RETR hello.txt", Content::Any);
    xfer.complete.codes = vec![CodeMatch::Class(4), CodeMatch::Class(5)];
    let c = case(
        "port-privileged",
        Level::Should,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(setup),
            StepKind::Transfer(xfer),
        ],
    );
    let good = start(Conf::default()).await;
    assert_pass(&run(&c, good.addr).await.0);
    let bad = broken(Conf {
        accept_bounce: true,
        ..Conf::default()
    })
    .await;
    let (r, _) = run(&c, bad.addr).await;
    // Accepting is graded at the case's level (should); connecting to the
    // privileged port is the bounce itself and fails (docs/verdicts.md).
    assert_eq!(r.verdict, Verdict::Fail);
    let graded: Vec<_> = r
        .violations
        .iter()
        .filter(|v| v.rule == "privileged-port-refused")
        .map(|v| (v.grade, v.security.is_some(), v.actual.as_str()))
        .collect();
    assert_eq!(graded.len(), 2, "{:#?}", r.violations);
    assert_eq!(graded[0], (Verdict::NonStrict, false, "PORT answered 200"));
    assert!(
        graded[1]
            .2
            .starts_with("the server connected to 127.0.0.1:1023"),
        "{graded:?}"
    );
    assert_eq!(graded[1].0, Verdict::Fail);
    assert!(graded[1].1, "a security finding");
}

// ------------------------------------------------------------ pyftpdlib

/// A pyftpdlib server on loopback, killed (by PID) when dropped.
struct Pyftpd {
    child: std::process::Child,
    addr: SocketAddr,
    _root: tempfile::TempDir,
}

impl Drop for Pyftpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The peers venv made by scripts/install-peers.sh.
fn peers_python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".peers/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/install-peers.sh to install pyftpdlib",
        python.display()
    );
    python
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn start_pyftpdlib() -> Pyftpd {
    start_pyftpdlib_on(IpAddr::V4(Ipv4Addr::LOCALHOST)).await
}

async fn start_pyftpdlib_on(ip: IpAddr) -> Pyftpd {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("hello.txt"), HELLO).unwrap();
    // The suites store into upload/, as in the seeded roots of real servers.
    std::fs::create_dir(root.path().join("upload")).unwrap();
    let port = free_port();
    let child = std::process::Command::new(peers_python())
        .args([
            "-m",
            "pyftpdlib",
            "-i",
            &ip.to_string(),
            "-p",
            &port.to_string(),
            "-w",
        ])
        .args(["-r", "50000-50999", "-d"])
        .arg(root.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start pyftpdlib");
    let addr = SocketAddr::new(ip, port);
    let server = Pyftpd {
        child,
        addr,
        _root: root,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "pyftpdlib did not listen on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyftpdlib_passes_transfers_and_refuses_bounce_and_theft() {
    let srv = start_pyftpdlib().await;
    let mut target = endpoint(srv.addr);
    target.passive_range = Some((50000, 50999));
    for c in [
        pasv_download(),
        port_download(),
        upload_case(),
        bounce_case(),
    ] {
        let (r, _) = run_at(&c, &target).await;
        assert_pass(&r);
    }
    let (r, _) = run_at(&theft_case(), &target).await;
    assert_pass(&r);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("unsolicited reply after the theft attempt: 425")),
        "{:?}",
        r.notes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_reads_both_replies_and_keeps_the_session_in_step() {
    let mut xfer = retr(Direction::Download, "RETR big.bin", Content::Any);
    xfer.abort_after = Some(1000);
    let c = case(
        "abor",
        Level::Must,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(data(DataMode::Pasv)),
            StepKind::Transfer(xfer),
            send("NOOP", &[200]),
        ],
    );
    let srv = start(Conf::default()).await;
    let (r, tl) = run(&c, srv.addr).await;
    assert_pass(&r);
    let sent =
        ftpconform::timeline::stream(&tl.events(), ftpconform::timeline::ConnId(0), Side::Client);
    let sent = String::from_utf8(sent.unwrap()).unwrap();
    assert!(sent.contains("ABOR\r\nNOOP\r\n"), "{sent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyftpdlib_over_ipv6_passes_epsv_and_eprt() {
    let srv = start_pyftpdlib_on("::1".parse().unwrap()).await;
    for mode in [DataMode::Epsv, DataMode::Eprt] {
        let steps = vec![
            StepKind::Login,
            binary(),
            StepKind::Data(data(mode)),
            download(),
        ];
        let (r, tl) = run(&case("v6", Level::Must, steps), srv.addr).await;
        assert_pass(&r);
        let v6_data = tl.events().iter().any(|e| {
            matches!(&e.kind, EventKind::Opened { role: ConnRole::Data(_), acceptor, .. } if acceptor.is_ipv6())
        });
        assert!(v6_data, "{mode:?}: no IPv6 data connection");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_suite_from_yaml_passes_against_pyftpdlib() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites/server/smoke.yaml");
    let suite = ftpconform::suite::load_file(&path).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!suite.cases.is_empty());
    let srv = start_pyftpdlib().await;
    let mut target = endpoint(srv.addr);
    target.capabilities = vec![Capability::Upload];
    for case in &suite.cases {
        let tl = Timeline::new();
        let r = run_in(case, &suite.name, Target::Server(&target), &tl).await;
        assert_pass(&r);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_abort_closes_the_data_connection_and_stays_in_step() {
    // The test server reads the control connection only between transfers
    // (as vsftpd does): the upload must end (EOF) for ABOR to be answered.
    let mut xfer = retr(Direction::Upload, "STOR abor.bin", Content::Size(8 << 20));
    xfer.abort_after = Some(65536);
    xfer.complete = codes(&[225, 226]);
    let c = case(
        "abor-stor",
        Level::Must,
        vec![
            StepKind::Login,
            StepKind::Data(data(DataMode::Pasv)),
            StepKind::Transfer(xfer),
            send("NOOP", &[200]),
        ],
    );
    let srv = start(Conf::default()).await;
    let started = Instant::now();
    let (r, _) = run(&c, srv.addr).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_pass(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_taken_from_a_thief_is_flagged() {
    let mut setup = data(DataMode::Pasv);
    setup.steal_from = Some(thief_ip());
    let c = case(
        "pasv-theft-stor",
        Level::Must,
        vec![
            StepKind::Login,
            StepKind::Data(setup),
            StepKind::Transfer(retr(Direction::Upload, "STOR up.bin", Content::Size(1000))),
        ],
    );
    let good = start(Conf::default()).await;
    assert_pass(&run(&c, good.addr).await.0);
    let bad = broken(Conf {
        serve_thief: true,
        ..Conf::default()
    })
    .await;
    let started = Instant::now();
    let (r, _) = run(&c, bad.addr).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.verdict, Verdict::Fail, "{:#?}", r.violations);
    let v = r
        .violations
        .iter()
        .find(|v| v.rule == "passive-theft-refused");
    let v = v.unwrap_or_else(|| panic!("{:#?} {:?}", r.violations, r.notes));
    assert!(v.actual.contains("took the thief's"), "{v:?}");
}
