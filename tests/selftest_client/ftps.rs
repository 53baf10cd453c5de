//! FTPS (RFC 4217): a server whose TLS handshake fails after 234, one that
//! sends a protected download in plaintext, one that closes it without
//! close_notify, and a correct one; the fake client's own fault, an upload
//! ended without close_notify (`close-notify: false`).

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

/// AUTH TLS, login, PBSZ 0, PROT P, PASV, STOR of `Hello\n`, ended with
/// close_notify or not.
fn protected_upload(close_notify: bool) -> Case {
    let mut steps = vec![send("AUTH TLS", &[234]), StepKind::Login];
    steps.push(send("PBSZ 0", &[200]));
    steps.push(send("PROT P", &[200]));
    steps.push(StepKind::Data(data(DataMode::Pasv)));
    let mut x = transfer(
        Direction::Upload,
        "STOR up.txt",
        Content::Bytes(b"Hello\n".to_vec()),
    );
    x.close_notify = close_notify;
    steps.push(StepKind::Transfer(x));
    server_case("protected-upload", Level::Must, steps)
}

/// The fake client's close_notify events on data connections.
fn client_close_notifies(tl: &ftpconform::timeline::Timeline) -> usize {
    use ftpconform::timeline::{ConnRole, EventKind, Side, TlsEvent};
    let events = tl.events();
    let data: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Opened {
                conn,
                role: ConnRole::Data(_),
                ..
            } => Some(*conn),
            _ => None,
        })
        .collect();
    events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::Tls(TlsEvent::CloseNotify { conn, by: Side::Client })
                if data.contains(conn))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_upload_ends_with_close_notify() {
    let server = MockFtps::start(DataFault::None).await;
    let (r, tl) = run(&protected_upload(true), server.addr).await;
    assert_pass(&r);
    assert_eq!(client_close_notifies(&tl), 1);
}

/// The fault `close-notify: false`: a bare FIN ends the upload, which the
/// mock (reading close_notify as its connection layer records it) answers
/// 426, so the case's 226 expectation fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_fault_sends_no_close_notify() {
    let server = MockFtps::start(DataFault::None).await;
    let (r, tl) = run(&protected_upload(false), server.addr).await;
    assert_eq!(client_close_notifies(&tl), 0);
    assert_fires(&r, &[("protected-upload", Verdict::Fail)]);
}
