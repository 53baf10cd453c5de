//! The embeddable harness ([`ftpconform::harness`]) used as a server project
//! uses it, against the embedded libunftp server: every case of the suites
//! on which libunftp passes (smoke, RFC 1123 passive, FEAT, reply format) is
//! a libtest trial, so a regression in the harness or in libunftp fails
//! here. `scripts/test.sh` also runs this target under `cargo nextest run`
//! in two partitions of each kind and checks that their union runs every
//! trial exactly once. The whole matrix stays in `tests/conformance.rs`.

use std::path::Path;
use std::process::ExitCode;

use ftpconform::harness::{Harness, Started};
use ftpconform::real::servers::{self, profiles::ProfileOptions};

const SUITES: &[&str] = &[
    "smoke.yaml",
    "rfc1123-passive.yaml",
    "rfc2389-feat.yaml",
    "rfc959-reply-format.yaml",
];

fn main() -> ExitCode {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/server");
    Harness::start("embedded", || {
        let rt = tokio::runtime::Runtime::new()?;
        let server = rt.block_on(servers::start(
            servers::EMBEDDED,
            &ProfileOptions::default(),
        ))?;
        let ep = server.endpoint();
        Ok(Started {
            url: format!("ftp://{}:{}@{}", ep.user, ep.pass, ep.addr),
            // The server stops when the guard (server and its runtime) drops.
            guard: Box::new((server, rt)),
        })
    })
    .suites(SUITES.iter().map(|s| dir.join(s)))
    .capture_dir("target/ftpconform/embedded-harness")
    .run()
}
