//! RFC 2577: a server that connects where PORT points (bounce), serves a
//! passive connection from another host (theft), or accepts a privileged
//! port, is flagged; one that refuses passes.

use std::time::Duration;

use ftpconform::script::*;
use ftpconform::verdict::{Level, Verdict};

use crate::scripts::*;
use crate::support::cases::{
    assert_note, assert_pass, binary, data, server_case, transfer, violation,
};
use crate::support::mock_server::MockServer;
use crate::support::mock_server::Step::*;
use crate::{bounce_case, run, run_within, theft_case, thief_ip, HELLO};

/// Accepts any PORT and connects there for RETR.
fn bouncing() -> MockServer {
    let retr = active_download("RETR hello.txt", HELLO);
    MockServer::script([login(), type_i(), active("PORT"), retr].concat())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounce_is_flagged_only_when_the_server_connects() {
    let good = MockServer::script([login(), type_i(), refused_port("RETR hello.txt")].concat());
    assert_pass(&run(&bounce_case(), good.addr).await.0);
    let bad = bouncing();
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
    let retr = passive_download("RETR hello.txt", HELLO);
    let good = MockServer::script([login(), type_i(), pasv(), retr].concat());
    let (r, _) = run(&theft_case(), good.addr).await;
    assert_pass(&r);
    assert_note(&r, "theft attempt");
    let serve_thief = [vec![Expect("RETR hello.txt"), AcceptAny], serve(HELLO)].concat();
    let bad = MockServer::script([login(), type_i(), pasv(), serve_thief].concat());
    let (r, _) = run(&theft_case(), bad.addr).await;
    assert_eq!(r.verdict, Verdict::Fail, "{:#?}", r.violations);
    let theft = violation(&r, "passive-theft-refused");
    assert!(
        theft.actual.contains("bytes sent to 127.0.0.2"),
        "{theft:?}"
    );
    assert_eq!(theft.rfc, "RFC 2577 8");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileged_port_is_flagged_when_accepted() {
    let mut setup = data(DataMode::Port);
    setup.port = Some(1023);
    let mut xfer = transfer(Direction::Download, "RETR hello.txt", Content::Any);
    xfer.complete.codes = vec![CodeMatch::Class(4), CodeMatch::Class(5)];
    let c = server_case(
        "port-privileged",
        Level::Should,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(setup),
            StepKind::Transfer(xfer),
        ],
    );
    let good = MockServer::script([login(), type_i(), refused_port("RETR hello.txt")].concat());
    assert_pass(&run(&c, good.addr).await.0);
    let bad = bouncing();
    let (r, _) = run(&c, bad.addr).await;
    assert_eq!(r.verdict, Verdict::NonStrict);
    let v = violation(&r, "privileged-port-refused");
    assert_eq!(v.actual, "PORT answered 200");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_taken_from_a_thief_is_flagged() {
    let mut setup = data(DataMode::Pasv);
    setup.steal_from = Some(thief_ip());
    let c = server_case(
        "pasv-theft-stor",
        Level::Must,
        vec![
            StepKind::Login,
            StepKind::Data(setup),
            StepKind::Transfer(transfer(
                Direction::Upload,
                "STOR up.bin",
                Content::Size(1000),
            )),
        ],
    );
    let good = MockServer::script([login(), pasv(), passive_upload("STOR up.bin")].concat());
    assert_pass(&run(&c, good.addr).await.0);
    let take_thief = [vec![Expect("STOR up.bin"), AcceptAny], receive()].concat();
    let bad = MockServer::script([login(), pasv(), take_thief].concat());
    let r = run_within(&c, bad.addr, Duration::from_secs(3)).await;
    assert_eq!(r.verdict, Verdict::Fail, "{:#?}", r.violations);
    let v = violation(&r, "passive-theft-refused");
    assert!(v.actual.contains("took the thief's"), "{v:?}");
}
