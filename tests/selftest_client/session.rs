//! The session itself: a server that never greets, a port nobody listens
//! on, a wrong reply code, a control connection closed or reset.

use std::time::Duration;

use ftpconform::script::*;
use ftpconform::timeline::{CloseKind, ConnId, EventKind, Side};
use ftpconform::verdict::{Level, Verdict};

use crate::scripts::*;
use crate::support::cases::{assert_fires, assert_pass, send, server_case};
use crate::support::mock_server::MockServer;
use crate::support::mock_server::Step::*;
use crate::{pasv_download, run, run_within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_server_fails_without_hanging() {
    let bad = MockServer::script(vec![Hold]);
    let r = run_within(&pasv_download(), bad.addr, Duration::from_secs(5)).await;
    assert_fires(&r, &[("greeting-220", Verdict::Fail)]);
    assert_eq!(r.violations[0].rfc, "RFC 959 5.4");
    assert!(
        r.violations[0].actual.contains("no reply within 2s"),
        "{:?}",
        r.violations
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greeting_with_another_code_fails_greeting_220() {
    let bad = MockServer::script(vec![Reply("200 hello"), Hold]);
    let (r, _) = run(&pasv_download(), bad.addr).await;
    assert_fires(&r, &[("greeting-220", Verdict::Fail)]);
    assert_eq!(r.violations[0].actual, "200 hello");
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
    let c = server_case(
        "noop-200",
        Level::Should,
        vec![StepKind::Login, send("NOOP", &[200])],
    );
    let good = MockServer::script([login(), vec![Expect("NOOP"), Reply("200 ok")]].concat());
    assert_pass(&run(&c, good.addr).await.0);
    let wrong = vec![Expect("NOOP"), Reply("250 NOOP answered wrongly")];
    let bad = MockServer::script([login(), wrong].concat());
    let (r, _) = run(&c, bad.addr).await;
    assert_eq!(r.verdict, Verdict::NonStrict);
    let v = &r.violations[0];
    assert_eq!((v.rule.as_str(), v.expected.as_str()), ("noop-200", "200"));
    assert!(v.actual.starts_with("250 "), "{v:?}");
    assert_eq!(v.loc.as_ref().map(|l| l.line), Some(3));
    assert!(v.context.iter().any(|l| l == "C> NOOP"), "{:?}", v.context);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_closing_or_resetting_the_control_connection_is_its_own_close() {
    let c = server_case(
        "noop-200",
        Level::Should,
        vec![StepKind::Login, send("NOOP", &[200])],
    );
    let ends = [
        (Close, CloseKind::Fin, "connection closed by peer"),
        (Reset, CloseKind::Reset, "connection reset by peer"),
    ];
    for (end, kind, why) in ends {
        let srv = MockServer::script([login(), vec![Expect("NOOP"), end]].concat());
        let (r, tl) = run(&c, srv.addr).await;
        assert_fires(&r, &[("noop-200", Verdict::NonStrict)]);
        assert_eq!(r.violations[0].actual, why);
        let first_close = tl.events().iter().find_map(|e| match e.kind {
            EventKind::Closed {
                conn: ConnId(0),
                by,
                kind,
            } => Some((by, kind)),
            _ => None,
        });
        assert_eq!(first_close, Some((Side::Server, kind)), "{kind:?}");
    }
}
