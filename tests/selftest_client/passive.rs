//! Passive mode (PASV, EPSV): the address and the port a 227 announces.

use std::net::Ipv4Addr;

use ftpconform::verdict::Verdict;

use crate::scripts::*;
use crate::support::cases::{assert_fires, assert_pass, endpoint};
use crate::support::mock_server::MockServer;
use crate::support::mock_server::Step::*;
use crate::{pasv_download, run, run_at, HELLO};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pasv_address_is_non_strict() {
    // It listens on 127.0.0.1 only.
    let foreign = vec![Expect("PASV"), Pasv(Ipv4Addr::new(127, 0, 0, 2))];
    let retr = passive_download("RETR hello.txt", HELLO);
    let bad = MockServer::script([login(), type_i(), foreign, retr].concat());
    let (r, _) = run(&pasv_download(), bad.addr).await;
    assert_fires(&r, &[("pasv-address-matches-control", Verdict::NonStrict)]);
    let v = &r.violations[0];
    assert!(
        v.actual.contains("127.0.0.2") && v.actual.contains("127.0.0.1"),
        "{v:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_port_outside_the_range_is_flagged() {
    let script = [
        login(),
        type_i(),
        pasv(),
        passive_download("RETR hello.txt", HELLO),
    ]
    .concat();
    let srv = MockServer::scripts(vec![script.clone(), script]);
    let mut target = endpoint(srv.addr);
    target.passive_range = Some((1024, 65535));
    assert_pass(&run_at(&pasv_download(), &target).await.0);
    target.passive_range = Some((1, 2));
    let (r, _) = run_at(&pasv_download(), &target).await;
    assert_fires(&r, &[("pasv-port-in-range", Verdict::NonStrict)]);
}
