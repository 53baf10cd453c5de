//! Self-tests of the fake server and the client checks: each check fails
//! with a broken client written here (raw tokio), and passes with a correct
//! one (the embedded suppaftp client).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ftpconform::real::clients::{ClientProfile, ClientRun, Task};
use ftpconform::runner::{run_client_with, run_in, Launch, Target};
use ftpconform::script::*;
use ftpconform::timeline::Timeline;
use ftpconform::verdict::{CaseResult, Level, Loc, Verdict};
use ftpconform::wire::addr::PasvShape;
use ftpconform::wire::reply::MultilineStyle;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

const HELLO: &[u8] = b"Hello, client!\nSecond line\n";

fn loc() -> Loc {
    Loc {
        file: Arc::new(PathBuf::from("selftest.yaml")),
        line: 1,
        col: 1,
    }
}

fn pat(verbs: &[&str]) -> CommandPattern {
    CommandPattern {
        loc: loc(),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        arg: None,
        optional: false,
    }
}

fn server(op: ClientOp, path: &str, passive: bool) -> ClientScript {
    ClientScript {
        files: vec![VirtualFile {
            path: "hello.txt".into(),
            content: HELLO.to_vec(),
        }],
        op,
        path: path.into(),
        passive,
        extended: Some(false),
        family: Family::V4,
        rules: Vec::new(),
        expect: ClientExpect {
            commands: Vec::new(),
            forbidden: Vec::new(),
            success: Some(true),
            intact: true,
        },
    }
}

fn case(id: &str, fs: ClientScript) -> Case {
    Case {
        id: id.into(),
        title: id.into(),
        rfc: vec!["RFC 959 5.4".into()],
        level: Level::Must,
        requires: Vec::new(),
        timeout: Duration::from_secs(2),
        loc: loc(),
        body: CaseBody::Client(fs),
    }
}

async fn embedded(c: &Case) -> CaseResult {
    run_in(
        c,
        "selftest",
        Target::Client(&ClientProfile::default()),
        &Timeline::new(),
    )
    .await
}

async fn broken(c: &Case, runner: Launch) -> CaseResult {
    run_client_with(c, "selftest", "broken", runner, &Timeline::new()).await
}

fn rules_of(r: &CaseResult) -> Vec<&str> {
    r.violations.iter().map(|v| v.rule.as_str()).collect()
}

fn assert_pass(r: &CaseResult) {
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
}

fn assert_broken(r: &CaseResult, rule: &str) {
    assert!(rules_of(r).contains(&rule), "expected {rule}: {r:#?}");
    assert_eq!(r.verdict, Verdict::Fail, "{r:#?}");
}

// ------------------------------------------------------ a raw test client

struct Raw {
    r: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
    local: SocketAddr,
}

impl Raw {
    async fn login(server: SocketAddr) -> std::io::Result<Raw> {
        let s = TcpStream::connect(server).await?;
        let local = s.local_addr()?;
        let (r, w) = s.into_split();
        let mut raw = Raw {
            r: BufReader::new(r),
            w,
            local,
        };
        raw.reply().await?;
        raw.cmd("USER u").await?;
        raw.cmd("PASS p").await?;
        raw.cmd("TYPE I").await?;
        Ok(raw)
    }

    /// Reads one reply (multiline aware); returns its last line.
    async fn reply(&mut self) -> std::io::Result<String> {
        let mut first: Option<String> = None;
        for _ in 0..100 {
            let mut line = String::new();
            if self.r.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let code = line.get(..3).unwrap_or("").to_string();
            let f = first.get_or_insert(code.clone());
            if line.as_bytes().get(3) != Some(&b'-') && code == *f {
                return Ok(line.trim_end().to_string());
            }
        }
        Err(std::io::ErrorKind::InvalidData.into())
    }

    async fn cmd(&mut self, line: &str) -> std::io::Result<String> {
        self.w.write_all(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    /// PASV, returning the announced address.
    async fn pasv(&mut self) -> std::io::Result<SocketAddr> {
        let r = self.cmd("PASV").await?;
        let start = r.find('(').map_or(4, |i| i + 1);
        let nums: Vec<u16> = r[start..]
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .take(6)
            .filter_map(|s| s.parse().ok())
            .collect();
        let ip = IpAddr::from([nums[0] as u8, nums[1] as u8, nums[2] as u8, nums[3] as u8]);
        Ok(SocketAddr::new(ip, nums[4] * 256 + nums[5]))
    }
}

/// A runner from an async body; errors end in a failed run.
fn runner<F, Fut>(body: F) -> Launch
where
    F: FnOnce(Task) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
{
    Box::new(move |task: Task| {
        Box::pin(async move {
            let outcome = tokio::time::timeout(task.deadline, body(task)).await;
            let ok = matches!(outcome, Ok(Ok(())));
            ClientRun {
                success: ok,
                status_meaningful: true,
                exit_code: Some(if ok { 0 } else { 1 }),
                stderr: format!("{outcome:?}"),
                ..ClientRun::default()
            }
        })
    })
}

async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(SocketAddr::new(from, 0))?;
    s.connect(to).await
}

/// Downloads `path` in passive mode, connecting from `from` to `to(227)`,
/// and keeps `keep` of the bytes.
async fn get(task: Task, from: Option<IpAddr>, keep: fn(usize) -> usize) -> std::io::Result<()> {
    let mut c = Raw::login(task.server).await?;
    let announced = c.pasv().await?;
    let source = from.unwrap_or(c.local.ip());
    let mut data = connect_from(source, announced).await?;
    c.cmd(&format!("RETR {}", task.path)).await?;
    let mut buf = Vec::new();
    data.read_to_end(&mut buf).await?;
    c.reply().await?;
    c.cmd("QUIT").await?;
    tokio::fs::write(&task.local, &buf[..keep(buf.len())]).await
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn embedded_client_passes_passive_get() {
    let mut fs = server(ClientOp::Get, "hello.txt", true);
    fs.expect.commands = vec![
        pat(&["USER"]),
        pat(&["PASS"]),
        pat(&["PASV"]),
        pat(&["RETR"]),
    ];
    fs.expect.forbidden = vec!["PORT".into(), "EPRT".into()];
    assert_pass(&embedded(&case("embedded-get", fs)).await);
}

#[tokio::test]
async fn passive_source_check_fails_for_a_client_connecting_from_elsewhere() {
    let c = case("wrong-source", server(ClientOp::Get, "hello.txt", true));
    let from: IpAddr = "127.0.0.3".parse().unwrap();
    let r = broken(&c, runner(move |t| get(t, Some(from), |n| n))).await;
    assert_broken(&r, "passive-data-from-control-address");
}

#[tokio::test]
async fn trusting_a_foreign_227_fails_and_the_embedded_client_ignores_it() {
    let mut fs = server(ClientOp::Get, "hello.txt", true);
    fs.rules = vec![ReplyRule {
        loc: loc(),
        on: "PASV".into(),
        nth: None,
        actions: vec![Action::Pasv {
            address: Some("127.0.0.2".parse().unwrap()),
            shape: PasvShape::Standard,
        }],
    }];
    let c = case("foreign-227", fs);
    assert_pass(&embedded(&c).await);
    let r = broken(&c, runner(|t| get(t, None, |n| n))).await;
    assert_broken(&r, "client-trusts-pasv-address");
}

#[tokio::test]
async fn truncated_download_fails_intact() {
    let c = case("truncated-get", server(ClientOp::Get, "hello.txt", true));
    let r = broken(&c, runner(|t| get(t, None, |n| n / 2))).await;
    assert_broken(&r, "client-bytes-intact");
    assert_pass(&broken(&c, runner(|t| get(t, None, |n| n))).await);
}

/// Uploads the local file in passive mode, sending only `keep` of it.
async fn put(task: Task, keep: fn(usize) -> usize) -> std::io::Result<()> {
    let content = tokio::fs::read(&task.local).await?;
    let mut c = Raw::login(task.server).await?;
    let announced = c.pasv().await?;
    let mut data = TcpStream::connect(announced).await?;
    c.cmd(&format!("STOR {}", task.path)).await?;
    data.write_all(&content[..keep(content.len())]).await?;
    drop(data);
    c.reply().await?;
    c.cmd("QUIT").await.map(|_| ())
}

#[tokio::test]
async fn truncated_upload_fails_intact_and_embedded_put_passes() {
    let c = case("put", server(ClientOp::Put, "up.txt", true));
    assert_pass(&embedded(&c).await);
    let r = broken(&c, runner(|t| put(t, |n| n - 3))).await;
    assert_broken(&r, "client-bytes-intact");
}

/// Active download naming `named` in PORT while listening there.
async fn active_get(task: Task, named: IpAddr) -> std::io::Result<()> {
    let mut c = Raw::login(task.server).await?;
    let listener = TcpListener::bind(SocketAddr::new(named, 0)).await?;
    let port = listener.local_addr()?.port();
    let o = match named {
        IpAddr::V4(v4) => v4.octets(),
        IpAddr::V6(_) => return Err(std::io::ErrorKind::Unsupported.into()),
    };
    let reply = c
        .cmd(&format!(
            "PORT {},{},{},{},{},{}",
            o[0],
            o[1],
            o[2],
            o[3],
            port >> 8,
            port & 255
        ))
        .await?;
    if !reply.starts_with('2') {
        c.cmd("QUIT").await?;
        return Err(std::io::Error::other(reply));
    }
    c.cmd(&format!("RETR {}", task.path)).await?;
    let (mut data, _) = tokio::time::timeout(Duration::from_secs(2), listener.accept()).await??;
    let mut buf = Vec::new();
    data.read_to_end(&mut buf).await?;
    c.reply().await?;
    c.cmd("QUIT").await?;
    tokio::fs::write(&task.local, &buf).await
}

#[tokio::test]
async fn foreign_port_address_fails_and_embedded_active_passes() {
    let mut fs = server(ClientOp::Get, "hello.txt", false);
    fs.expect.commands = vec![pat(&["PORT", "EPRT"]), pat(&["RETR"])];
    let c = case("active-get", fs);
    assert_pass(&embedded(&c).await);
    let own: IpAddr = "127.0.0.1".parse().unwrap();
    assert_pass(&broken(&c, runner(move |t| active_get(t, own))).await);
    let foreign: IpAddr = "127.0.0.2".parse().unwrap();
    let r = broken(&c, runner(move |t| active_get(t, foreign))).await;
    assert_broken(&r, "active-address-matches-control");
    assert!(rules_of(&r).contains(&"client-exit-status"), "{r:#?}");
}

/// Sends RETR before PASV (then PASV, too late).
async fn retr_first(task: Task) -> std::io::Result<()> {
    let mut c = Raw::login(task.server).await?;
    c.cmd(&format!("RETR {}", task.path)).await?;
    c.pasv().await?;
    c.cmd("QUIT").await.map(|_| ())
}

#[tokio::test]
async fn wrong_command_order_fails_the_sequence() {
    let mut fs = server(ClientOp::Get, "hello.txt", true);
    fs.expect.commands = vec![
        pat(&["USER"]),
        pat(&["PASS"]),
        pat(&["PASV", "EPSV"]),
        pat(&["RETR"]),
    ];
    fs.expect.intact = false;
    fs.expect.success = None;
    let c = case("order", fs);
    assert_pass(&embedded(&c).await);
    let r = broken(&c, runner(retr_first)).await;
    assert_broken(&r, "client-command-sequence");
}

#[tokio::test]
async fn exit_status_check_fails_for_a_client_claiming_success_after_550() {
    let mut fs = server(ClientOp::Get, "missing.txt", true);
    fs.expect.success = Some(false);
    fs.expect.intact = false;
    let c = case("missing", fs);
    assert_pass(&embedded(&c).await);
    let lying = runner(|t| async move {
        let mut c = Raw::login(t.server).await?;
        c.pasv().await?;
        c.cmd(&format!("RETR {}", t.path)).await?;
        c.cmd("QUIT").await.map(|_| ())
    });
    assert_broken(&broken(&c, lying).await, "client-exit-status");
}

#[tokio::test]
async fn unsupported_combination_is_unimplemented_not_failed() {
    let mut fs = server(ClientOp::Put, "x", true);
    fs.extended = Some(true);
    let c = case("wget-put", fs);
    let wget = ClientProfile::by_name("wget").unwrap();
    let r = run_in(&c, "selftest", Target::Client(&wget), &Timeline::new()).await;
    assert_eq!(r.verdict, Verdict::Unimplemented, "{r:#?}");
    assert!(r.reason.unwrap_or_default().contains("wget"));
}

// ------------------------------------------------------- fault injection

fn rule(on: &str, actions: Vec<Action>) -> ReplyRule {
    ReplyRule {
        loc: loc(),
        on: on.into(),
        nth: None,
        actions,
    }
}

fn reply(code: u16, lines: &[&str], style: MultilineStyle, bare_lf: bool) -> Action {
    let lines = lines
        .iter()
        .map(|l| Template {
            parts: vec![TemplatePart::Lit(l.to_string())],
        })
        .collect();
    Action::Reply {
        code,
        lines,
        style,
        bare_lf,
    }
}

/// Runs `fs` with `client`; returns the result and what the server sent on
/// the control connection.
async fn with_faults(fs: ClientScript, client: &str) -> (CaseResult, String) {
    let t = Timeline::new();
    let profile = ClientProfile::by_name(client).unwrap();
    let r = run_in(&case("fault", fs), "selftest", Target::Client(&profile), &t).await;
    let control = ftpconform::timeline::ConnId(0);
    let sent =
        ftpconform::timeline::stream(&t.events(), control, ftpconform::timeline::Side::Server);
    (
        r,
        String::from_utf8_lossy(&sent.unwrap_or_default()).into_owned(),
    )
}

fn get_with(rules: Vec<ReplyRule>, success: bool) -> ClientScript {
    let mut fs = server(ClientOp::Get, "hello.txt", true);
    fs.rules = rules;
    fs.expect.success = Some(success);
    fs.expect.intact = success;
    fs
}

#[tokio::test]
async fn use_125_and_multiline_226_reach_the_client() {
    let last = reply(
        226,
        &["Transfer", " still", "complete"],
        MultilineStyle::Indented,
        false,
    );
    let fs = get_with(vec![rule("RETR", vec![Action::Use125, last])], true);
    let (r, sent) = with_faults(fs, "embedded").await;
    assert_pass(&r);
    assert!(
        sent.contains("\r\n125 Data connection already open"),
        "{sent}"
    );
    assert!(
        sent.contains("226-Transfer\r\n  still\r\n226 complete\r\n"),
        "{sent}"
    );
}

#[tokio::test]
async fn multiline_150_uncoded_and_bare_lf() {
    let first = reply(
        150,
        &["Opening", "data", "connection"],
        MultilineStyle::Uncoded,
        true,
    );
    let fs = get_with(vec![rule("RETR", vec![first])], true);
    let (r, sent) = with_faults(fs, "curl").await;
    assert_pass(&r);
    assert!(
        sent.contains("150-Opening\ndata\n150 connection\n226 "),
        "{sent}"
    );
}

#[tokio::test]
async fn late_preliminary_comes_after_the_data() {
    let fs = get_with(vec![rule("RETR", vec![Action::LatePreliminary])], true);
    let t = Timeline::new();
    let r = run_in(
        &case("late", fs),
        "s",
        Target::Client(&ClientProfile::by_name("curl").unwrap()),
        &t,
    )
    .await;
    let ev = t.events();
    let pos = |pred: &dyn Fn(&ftpconform::timeline::EventKind) -> bool| {
        ev.iter().position(|e| pred(&e.kind))
    };
    let data_close = pos(
        &|k| matches!(k, ftpconform::timeline::EventKind::Closed { conn, by: ftpconform::timeline::Side::Server, .. } if conn.0 == 1),
    );
    let prelim = pos(
        &|k| matches!(k, ftpconform::timeline::EventKind::Bytes { bytes, .. } if bytes.starts_with(b"150 ")),
    );
    assert!(data_close < prelim && prelim.is_some(), "{r:#?}");
}

#[tokio::test]
async fn refusals_and_cut_transfers_make_the_client_fail() {
    let r425 = rule(
        "RETR",
        vec![reply(
            425,
            &["Cannot open data connection"],
            MultilineStyle::AllCoded,
            false,
        )],
    );
    let r426 = rule(
        "RETR",
        vec![
            Action::CloseDataAfter(5),
            reply(
                426,
                &["Connection closed; transfer aborted"],
                MultilineStyle::AllCoded,
                false,
            ),
        ],
    );
    let r421 = rule(
        "PASV",
        vec![
            reply(421, &["Shutting down"], MultilineStyle::AllCoded, false),
            Action::Disconnect,
        ],
    );
    let none = rule("RETR", vec![Action::NoDataConnection]);
    for (rule, needle) in [
        (r425, "425 "),
        (r426, "426 "),
        (r421, "421 "),
        (none, "425 Cannot open"),
    ] {
        let (r, sent) = with_faults(get_with(vec![rule], false), "embedded").await;
        assert_pass(&r);
        assert!(sent.contains(needle), "{needle}: {sent}");
    }
}

#[tokio::test]
async fn a_truncated_download_without_426_is_caught_by_intact() {
    let fs = get_with(vec![rule("RETR", vec![Action::CloseDataAfter(5)])], true);
    let (r, _) = with_faults(fs, "embedded").await;
    assert_broken(&r, "client-bytes-intact");
}

#[tokio::test]
async fn epsv_refused_then_pasv_fallback_with_curl() {
    let mut fs = get_with(
        vec![rule(
            "EPSV",
            vec![reply(
                500,
                &["not understood"],
                MultilineStyle::AllCoded,
                false,
            )],
        )],
        true,
    );
    fs.extended = Some(true);
    fs.expect.commands = vec![pat(&["EPSV"]), pat(&["PASV"]), pat(&["RETR"])];
    let (r, sent) = with_faults(fs, "curl").await;
    assert_pass(&r);
    assert!(sent.contains("500 not understood\r\n227 "), "{sent}");
}

#[tokio::test]
async fn pasv_shapes_and_delay_are_sent_as_asked() {
    let shape = Action::Pasv {
        address: None,
        shape: PasvShape::ExtraText,
    };
    let rules = vec![rule(
        "PASV",
        vec![Action::Delay(Duration::from_millis(300)), shape],
    )];
    let (r, sent) = with_faults(get_with(rules, true), "curl").await;
    assert_pass(&r);
    assert!(sent.contains("227 =127,0,0,1,"), "{sent}");
    assert!(r.duration >= Duration::from_millis(300));
}

#[tokio::test]
async fn forbidden_command_check_fails_for_an_active_client_in_a_passive_case() {
    let mut fs = server(ClientOp::Get, "hello.txt", true);
    fs.expect.forbidden = vec!["PORT".into()];
    let c = case("no-port", fs);
    assert_pass(&embedded(&c).await);
    let own: IpAddr = "127.0.0.1".parse().unwrap();
    let r = broken(&c, runner(move |t| active_get(t, own))).await;
    assert_broken(&r, "client-forbidden-command");
}

// ------------------------------------------------- the YAML client suites

/// Cases of suites/client where suppaftp 12 is known to fall short, with
/// the verdict they get (everything else passes or is unimplemented).
const EMBEDDED_FINDINGS: &[(&str, Verdict)] = &[
    ("epsv-500-falls-back-to-pasv", Verdict::NonStrict),
    ("epsv-502-falls-back-to-pasv", Verdict::NonStrict),
    ("epsv-fallback-then-foreign-227", Verdict::NonStrict),
    ("greeting-120-then-220", Verdict::NonStrict),
    ("greeting-inner-line-with-other-code", Verdict::Info),
    ("pasv-shape-extra-text", Verdict::NonStrict),
    ("pasv-shape-no-parens", Verdict::NonStrict),
];

#[tokio::test]
async fn client_suites_load_and_the_embedded_client_gets_the_known_verdicts() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites/client");
    let suites = ftpconform::suite::load_paths(&[root]).unwrap_or_else(|e| panic!("{e:?}"));
    let cases: Vec<(String, Case)> = suites
        .iter()
        .flat_map(|s| s.cases.iter().map(move |c| (s.name.clone(), c.clone())))
        .collect();
    assert!(cases.len() >= 50, "only {} client cases", cases.len());
    let mut unexpected = Vec::new();
    for (suite, c) in &cases {
        let r = run_in(
            c,
            suite,
            Target::Client(&ClientProfile::default()),
            &Timeline::new(),
        )
        .await;
        let known = EMBEDDED_FINDINGS.iter().find(|(id, _)| *id == c.id);
        let fine = match known {
            Some((_, v)) => r.verdict == *v,
            None => matches!(r.verdict, Verdict::Pass | Verdict::Unimplemented),
        };
        if !fine {
            unexpected.push(format!(
                "{suite}/{}: {} {:?} {:?}",
                c.id,
                r.verdict.as_str(),
                r.violations,
                r.reason
            ));
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

#[tokio::test]
async fn a_panicking_client_runner_ends_in_an_error_verdict() {
    let c = case("panic", server(ClientOp::Get, "hello.txt", true));
    let runner: Launch = Box::new(|_task: Task| Box::pin(async { panic!("broken runner") }));
    let r = broken(&c, runner).await;
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert!(r.reason.unwrap_or_default().contains("panicked"));
}
