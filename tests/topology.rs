//! Topologies in network namespaces: built, checked by the preflight and
//! removed on every exit path. Needs root, `ip`, `nft` and `tcpdump` (the
//! install script brings them); missing, the tests fail, not skip.
//! Run under the peers lock: `flock /work/notes/peers.lock cargo test --test topology`.

use std::time::Instant;

use ftpconform::topology::{self, netns, Kind, Topology};

fn build(kind: Kind) -> Topology {
    Topology::build(kind).unwrap_or_else(|e| panic!("building {kind}: {e}"))
}

#[test]
fn every_topology_builds_passes_the_preflight_and_is_removed() {
    for kind in Kind::ALL {
        let started = Instant::now();
        let t = build(kind);
        let names: Vec<String> = t.names().iter().map(|n| n.to_string()).collect();
        assert!(names.iter().all(|n| netns::exists(n)), "{kind}: {names:?}");
        t.preflight().expect("preflight again");
        let removed_in = t.remove().expect("remove");
        assert!(names.iter().all(|n| !netns::exists(n)), "{kind}: {names:?}");
        eprintln!(
            "{kind}: built and removed in {:?} (removal {removed_in:?})",
            started.elapsed()
        );
    }
}

#[test]
fn the_preflight_refuses_a_namespace_with_an_outside_route() {
    let t = build(Kind::ClientNat);
    let r = t.router().name().to_string();
    // A veth pair with both ends in the router leads nowhere, but it is not
    // of the topology, nor is the network routed through it.
    let ip = |args: &[&str]| topology::exec::run("ip", args, None).expect("ip");
    ip(&[
        "-n", &r, "link", "add", "out0", "type", "veth", "peer", "name", "out1",
    ]);
    ip(&["-n", &r, "link", "set", "out0", "up"]);
    ip(&["-n", &r, "route", "add", "192.168.77.0/24", "dev", "out0"]);
    let err = t.preflight().expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("out0's peer is in no namespace of the topology"),
        "{text}"
    );
    assert!(
        text.contains("route to 192.168.77.0/24, outside the topology"),
        "{text}"
    );
}

#[test]
fn a_panic_while_the_topology_lives_removes_it() {
    let names = std::panic::catch_unwind(|| {
        let t = build(Kind::Direct);
        let names: Vec<String> = t.names().iter().map(|n| n.to_string()).collect();
        std::panic::panic_any(names);
    })
    .expect_err("panicked")
    .downcast::<Vec<String>>()
    .expect("names");
    assert_eq!(names.len(), 3);
    assert!(names.iter().all(|n| !netns::exists(n)), "{names:?}");
}

#[test]
fn threads_and_children_run_inside_the_namespace() {
    let t = build(Kind::Direct);
    let plan = t.plan().clone();
    assert!(!netns::inside_verified());
    let inside = t.server().run(netns::inside_verified).expect("run");
    assert!(inside);
    // A socket made in the server namespace binds the server's address.
    let bound = t
        .server()
        .run(|| std::net::TcpListener::bind(plan.server_listen()).map(|l| l.local_addr().ok()))
        .expect("run")
        .expect("bind inside");
    assert_eq!(bound, Some(plan.server_listen()));
    // And a child started from such a thread is inside too.
    let out = t
        .client()
        .run(|| {
            std::process::Command::new("ip")
                .args(["-4", "-o", "addr"])
                .output()
        })
        .expect("run")
        .expect("ip addr");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&plan.client.ip.to_string()), "{text}");
}

#[test]
fn sigterm_during_a_run_removes_its_namespaces() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .args(["run", "--topology", "client-nat", "--server", "vsftpd"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn ftpconform");
    let prefix = format!("{}{}-", netns::PREFIX, child.id());
    let mine = || -> Vec<String> {
        netns::ours_on_machine()
            .into_iter()
            .filter(|n| n.starts_with(&prefix))
            .collect()
    };
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while mine().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(mine().len(), 3, "the run built its topology");
    // Let it get into the run (rules, preflight, the server starting).
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY: kill(2) on the child we started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.is_some(), "ftpconform ended after SIGTERM");
    assert_eq!(mine(), Vec::<String>::new());
}
