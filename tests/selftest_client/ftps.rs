//! FTPS (RFC 4217): a server whose TLS handshake fails after 234, one that
//! sends a protected download in plaintext, one that closes it without
//! close_notify, and a correct one.

use ftpconform::script::*;
use ftpconform::verdict::{Level, Verdict};

use crate::run;
use crate::support::cases::{assert_fires, assert_pass, data, send, server_case, transfer};
use crate::support::mock_ftps::{DataFault, MockFtps};
use crate::support::mock_server::MockServer;
use crate::support::mock_server::Step::*;

/// AUTH TLS, login, PBSZ 0, PROT P, PASV, RETR of `Hello\n`.
fn protected_download() -> Case {
    let mut steps = vec![send("AUTH TLS", &[234]), StepKind::Login];
    steps.push(send("PBSZ 0", &[200]));
    steps.push(send("PROT P", &[200]));
    steps.push(StepKind::Data(data(DataMode::Pasv)));
    let x = transfer(
        Direction::Download,
        "RETR hello.txt",
        Content::Bytes(b"Hello\n".to_vec()),
    );
    steps.push(StepKind::Transfer(x));
    server_case("protected-download", Level::Must, steps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_ftps_server_passes() {
    let good = MockFtps::start(DataFault::None).await;
    assert_pass(&run(&protected_download(), good.addr).await.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_after_234_fails_tls_handshake() {
    let bad = MockServer::script(vec![
        Reply("220 hi"),
        Expect("AUTH TLS"),
        Reply("234 go ahead"),
        Send(b"220 this is not TLS\r\n"),
        Hold,
    ]);
    let (r, _) = run(&protected_download(), bad.addr).await;
    // The login after it fails too: the connection went with the handshake.
    let fired = [
        ("protected-download", Verdict::Fail),
        ("tls-handshake", Verdict::Fail),
    ];
    assert_fires(&r, &fired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_download_after_prot_p_fails_tls_data_handshake() {
    let bad = MockFtps::start(DataFault::Plaintext).await;
    let (r, _) = run(&protected_download(), bad.addr).await;
    // No byte read and no close seen over TLS: the transfer rules fire too.
    let fired = [
        ("transfer-content", Verdict::Fail),
        ("download-closed-by-server", Verdict::Fail),
        ("tls-data-handshake", Verdict::Fail),
    ];
    assert_fires(&r, &fired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_without_close_notify_is_non_strict() {
    let bad = MockFtps::start(DataFault::NoCloseNotify).await;
    let (r, _) = run(&protected_download(), bad.addr).await;
    assert_fires(&r, &[("tls-data-close-notify", Verdict::NonStrict)]);
}
