//! RFC 2577: a server that connects where PORT points (bounce), serves a
//! passive connection from another host (theft), or accepts a privileged
//! port, is flagged; one that refuses passes.

use std::time::Duration;

use ftpconform::script::*;
use ftpconform::verdict::{Level, Verdict};

use crate::scripts::*;
use crate::support::cases::{
    assert_fires, assert_note, assert_pass, binary, data, server_case, transfer,
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
    // PORT accepted, and the connection made.
    let bounce = ("bounce-refused", Verdict::Fail);
    assert_fires(
        &r,
        &[("port-foreign-refused", Verdict::Fail), bounce, bounce],
    );
    assert_eq!(r.violations[1].actual, "PORT answered 200");
    // The case's foreign host: a loopback address of its own (net::Lease).
    let to = &r.violations[2].actual;
    assert!(
        to.contains("connected to 127.") && !to.contains("connected to 127.0.0.1:"),
        "{r:#?}"
    );
    assert!(r.violations[1..].iter().all(|v| v.rfc == "RFC 2577 3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_theft_is_flagged_when_served() {
    let retr = passive_download("RETR hello.txt", HELLO);
    let good = MockServer::script([login(), type_i(), pasv(), retr].concat());
    let (r, _) = run(&theft_case(), good.addr).await;
    assert_pass(&r);
    assert_note(&r, "theft attempt");
    // The thief's connection served, then the client's.
    let serve_thief = vec![
        Expect("RETR hello.txt"),
        AcceptAny,
        Reply("150 opening data connection"),
        DataSend(HELLO),
        DataClose,
        Accept,
        DataSend(HELLO),
        DataClose,
        Reply("226 transfer complete"),
    ];
    let bad = MockServer::script([login(), type_i(), pasv(), serve_thief].concat());
    let (r, _) = run(&theft_case(), bad.addr).await;
    assert_fires(&r, &[("passive-theft-refused", Verdict::Fail)]);
    let theft = &r.violations[0];
    // The thief connects from the case's foreign host (net::Lease).
    assert!(
        theft.actual.contains("bytes sent to 127.") && !theft.actual.contains("to 127.0.0.1:"),
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
    // Accepting is graded at the case's level (should); connecting to the
    // privileged port is the bounce itself and fails (docs/verdicts.md).
    assert_fires(
        &r,
        &[
            ("port-privileged", Verdict::NonStrict),
            ("privileged-port-refused", Verdict::NonStrict),
            ("privileged-port-refused", Verdict::Fail),
        ],
    );
    assert_eq!(r.violations[1].actual, "PORT answered 200");
    assert!(r.violations[2].security.is_some(), "{r:#?}");
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
    // The bound is the theft wait's (1 s) and the stray grace's (3 s) with
    // room: this case must end, not end fast.
    let r = run_within(&c, bad.addr, Duration::from_secs(8)).await;
    // Confirming the thief's upload is confirming before the client's own
    // close: both rules see the one deviation.
    let broken = [
        ("upload-closed-by-client", Verdict::Fail),
        ("passive-theft-refused", Verdict::Fail),
    ];
    assert_fires(&r, &broken);
    let v = &r.violations[1];
    assert!(v.actual.contains("took the thief's"), "{v:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_the_thief_and_failing_the_client_too_is_non_strict_theft() {
    // Neither connection is served: the RETR is refused.
    let deny_both = vec![
        Expect("RETR hello.txt"),
        Reply("425 cannot open data connection"),
    ];
    let bad = MockServer::script([login(), type_i(), pasv(), deny_both].concat());
    let (r, _) = run(&theft_case(), bad.addr).await;
    let broken = [
        ("pasv-theft", Verdict::Fail),
        ("passive-theft-refused", Verdict::NonStrict),
    ];
    assert_fires(&r, &broken);
    let v = &r.violations[1];
    assert_eq!(
        v.actual,
        "the legitimate transfer failed after the theft attempt"
    );
}
