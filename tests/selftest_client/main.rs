//! Self-test of the fake client: a scripted server
//! (`tests/support/mock_server.rs`) plays a correct FTP server, or one
//! that breaks one rule, and each test asserts that the timeline checks
//! pass against the correct one and name the right rule, with its grade,
//! against the broken one. Some tests run against pyftpdlib.
//!
//! - [`transfers`]: downloads, uploads, listings and ABOR.
//! - [`active`] and [`passive`]: the data connection's setup.
//! - [`security`]: bounce, theft and privileged ports (RFC 2577).
//! - [`session`]: greeting, reply codes, refused connections.
//! - [`pyftpdlib`]: a real server, and the smoke suite from YAML.
//! - [`scripts`]: the correct server's script, piece by piece.
//!
//! The tests run on multi-threaded runtimes, as `ftpconform run` does (the
//! mock server has a thread and a runtime of its own).

#[path = "../support/mod.rs"]
pub mod support;

mod active;
mod ftps;
mod passive;
mod pyftpdlib;
mod scripts;
mod security;
mod session;
mod transfers;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use ftpconform::real::servers::ServerEndpoint;
use ftpconform::runner::{run_in, Target};
use ftpconform::script::*;
use ftpconform::timeline::{Side, Timeline};
use ftpconform::verdict::{CaseResult, Level};
use support::cases::{binary, data, endpoint, server_case, transfer};

const HELLO: &[u8] = b"Hello\n";
const LISTING: &[u8] = b"-rw-r--r-- 1 ftp ftp 6 Jan 01 00:00 hello.txt\r\n";

/// 8 MB: more than socket buffers hold, so a transfer takes a while.
static BIG: LazyLock<Vec<u8>> =
    LazyLock::new(|| (0..8u32 << 20).map(|i| b'a' + (i % 26) as u8).collect());

/// The "foreign" host of bounce and theft cases.
fn thief_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))
}

async fn run(case: &Case, addr: SocketAddr) -> (CaseResult, Timeline) {
    run_at(case, &endpoint(addr)).await
}

/// Runs `case` at `addr`; the test fails if that takes `bound` or more.
async fn run_within(case: &Case, addr: SocketAddr, bound: Duration) -> CaseResult {
    let started = Instant::now();
    let (r, _) = run(case, addr).await;
    assert!(started.elapsed() < bound, "{:?}", started.elapsed());
    r
}

async fn run_at(case: &Case, target: &ServerEndpoint) -> (CaseResult, Timeline) {
    let tl = Timeline::new();
    let r = run_in(case, "selftest", Target::Server(target), &tl).await;
    (r, tl)
}

fn download() -> StepKind {
    StepKind::Transfer(transfer(
        Direction::Download,
        "RETR hello.txt",
        Content::Bytes(HELLO.to_vec()),
    ))
}

fn pasv_download() -> Case {
    server_case(
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
    server_case(
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

/// An EPRT upload of `size` bytes; the client closes the data connection.
fn upload_of(size: u64) -> Case {
    server_case(
        "stor",
        Level::Must,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(data(DataMode::Eprt)),
            StepKind::Transfer(transfer(
                Direction::Upload,
                "STOR up.bin",
                Content::Size(size),
            )),
            StepKind::DataExpect(DataExpect {
                opened_by: Some(Side::Server),
                closed_by: Some(Side::Client),
            }),
        ],
    )
}

fn upload_case() -> Case {
    upload_of(100_000)
}

/// PORT naming the thief's host: a correct server refuses it.
fn bounce_case() -> Case {
    let mut setup = data(DataMode::Port);
    setup.address = Some(thief_ip());
    let mut xfer = transfer(Direction::Download, "RETR hello.txt", Content::Any);
    xfer.complete.codes = vec![CodeMatch::Class(4), CodeMatch::Class(5)];
    let grace = Duration::from_millis(300);
    let steps = vec![
        StepKind::Login,
        binary(),
        StepKind::Data(setup),
        StepKind::Transfer(xfer),
        StepKind::ExpectNoStray { grace },
    ];
    server_case("port-foreign-refused", Level::Must, steps)
}

/// A passive download whose data port the thief connects to first.
fn theft_case() -> Case {
    let mut setup = data(DataMode::Pasv);
    setup.steal_from = Some(thief_ip());
    server_case(
        "pasv-theft",
        Level::Must,
        vec![StepKind::Login, binary(), StepKind::Data(setup), download()],
    )
}
