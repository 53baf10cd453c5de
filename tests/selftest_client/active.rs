//! Active mode (PORT, EPRT): when the server connects, and a server that
//! never does.

use std::time::Duration;

use ftpconform::verdict::Verdict;

use crate::scripts::*;
use crate::support::cases::{assert_fires, assert_note, assert_pass};
use crate::support::mock_server::MockServer;
use crate::support::mock_server::Step::*;
use crate::{port_download, run, run_within, HELLO};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_that_never_connects_back_fails_in_bounded_time() {
    let no_connection = vec![
        Expect("RETR hello.txt"),
        Reply("150 opening data connection"),
    ];
    let bad = MockServer::script([login(), type_i(), active("PORT"), no_connection].concat());
    let r = run_within(&port_download(), bad.addr, Duration::from_secs(8)).await;
    // The transfer failed (a violation named after the case), and the
    // server never connected.
    let broken = [
        ("port-retr", Verdict::Fail),
        ("active-server-connects", Verdict::Fail),
    ];
    assert_fires(&r, &broken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_connection_moment_is_noted() {
    let srv = MockServer::script(
        [
            login(),
            type_i(),
            active("PORT"),
            active_download("RETR hello.txt", HELLO),
        ]
        .concat(),
    );
    let (r, _) = run(&port_download(), srv.addr).await;
    assert_note(&r, "after the transfer command");
    // Connecting as soon as PORT arrives is legal.
    let at_port = vec![Expect("PORT"), Connect, Reply("200 ok, connected")];
    let retr = [vec![Expect("RETR hello.txt")], serve(HELLO)].concat();
    let early = MockServer::script([login(), type_i(), at_port, retr].concat());
    let (r, _) = run(&port_download(), early.addr).await;
    assert_pass(&r);
    assert_note(&r, "at PORT time");
}
