//! How an FTP server project runs the ftpconform suites from its own
//! `cargo test`: here the project's server is a libunftp server on a
//! filesystem back-end. In a real project this file is
//! `tests/ftp_conformance.rs` with, in Cargo.toml:
//!
//! ```toml
//! [[test]]
//! name = "ftp_conformance"
//! harness = false
//! ```
//!
//! Run it here with `cargo run --example libunftp_harness -- --list`, or
//! without `--list` to run every server case (libtest flags work: `--exact`,
//! `--skip`, `--ignored`, `--format terse`).

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::ExitCode;

use ftpconform::harness::{seed_root, Harness, Started};
use libunftp::options::ActivePassiveMode;
use unftp_sbe_fs::Filesystem;

fn main() -> ExitCode {
    Harness::start("libunftp", || {
        // The server's root holds the files the suites expect.
        let root = tempfile::tempdir()?;
        seed_root(root.path())?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let path = root.path().to_path_buf();
        let server = libunftp::ServerBuilder::new(Box::new(move || {
            Filesystem::new(path.clone()).expect("the root exists until the guard drops")
        }))
        .passive_ports(50000..=50100)
        .active_passive_mode(ActivePassiveMode::ActiveAndPassive)
        .build()?;
        let rt = tokio::runtime::Runtime::new()?;
        rt.spawn(async move { server.listen(addr.to_string()).await });
        Ok(Started {
            url: format!("ftp://anonymous:guest@{addr}"),
            // Dropping the runtime stops the server; the root goes with it.
            guard: Box::new((rt, root)),
        })
    })
    .run()
}
