//! Against a real server, pyftpdlib: transfers pass, bounce and theft are
//! refused, over IPv4 and IPv6, and the smoke suite passes from YAML.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ftpconform::runner::{run_in, Target};
use ftpconform::script::*;
use ftpconform::timeline::{ConnRole, EventKind, Timeline};
use ftpconform::verdict::Level;
use tokio::net::TcpStream;

use crate::support::cases::{assert_note, assert_pass, binary, data, endpoint, server_case};
use crate::support::suites::root;
use crate::{
    bounce_case, download, pasv_download, port_download, run, run_at, theft_case, upload_case,
    HELLO,
};

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
    let python = root().join(".peers/venv/bin/python");
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
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), HELLO).unwrap();
    // The suites store into upload/, as in the seeded roots of real servers.
    std::fs::create_dir(dir.path().join("upload")).unwrap();
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
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start pyftpdlib");
    let addr = SocketAddr::new(ip, port);
    let server = Pyftpd {
        child,
        addr,
        _root: dir,
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
    assert_note(&r, "unsolicited reply after the theft attempt: 425");
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
        let (r, tl) = run(&server_case("v6", Level::Must, steps), srv.addr).await;
        assert_pass(&r);
        let v6_data = tl.events().iter().any(|e| {
            matches!(&e.kind, EventKind::Opened { role: ConnRole::Data(_), acceptor, .. } if acceptor.is_ipv6())
        });
        assert!(v6_data, "{mode:?}: no IPv6 data connection");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_suite_from_yaml_passes_against_pyftpdlib() {
    let path = root().join("suites/server/smoke.yaml");
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
