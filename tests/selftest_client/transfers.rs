//! Downloads, uploads and listings: a correct server passes, and each way
//! of ending a transfer wrongly names its rule.

use std::time::Duration;

use ftpconform::script::*;
use ftpconform::timeline::{ConnId, EventKind, Side};
use ftpconform::verdict::{Level, Verdict};

use crate::scripts::*;
use crate::support::cases::{
    assert_fires, assert_note, assert_pass, binary, data, send, server_case, transfer,
};
use crate::support::mock_server::MockServer;
use crate::support::mock_server::Step::*;
use crate::{
    download, pasv_download, run, run_within, upload_case, upload_of, BIG, HELLO, LISTING,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_server_passes_passive_active_and_upload() {
    let pasv_retr = [
        login(),
        type_i(),
        pasv(),
        passive_download("RETR hello.txt", HELLO),
    ];
    let port_retr = [
        login(),
        type_i(),
        active("PORT"),
        active_download("RETR hello.txt", HELLO),
    ];
    let epsv_list = [login(), type_i(), epsv(), passive_download("LIST", LISTING)];
    let eprt_stor = [
        login(),
        type_i(),
        active("EPRT"),
        active_upload("STOR up.bin"),
    ];
    let srv = MockServer::scripts(vec![
        pasv_retr.concat(),
        port_retr.concat(),
        epsv_list.concat(),
        pasv_retr.concat(),
        eprt_stor.concat(),
        eprt_stor.concat(),
    ]);
    let (r, tl) = run(&pasv_download(), srv.addr).await;
    assert_pass(&r);
    let (r, _) = run(&crate::port_download(), srv.addr).await;
    assert_pass(&r);
    assert_note(&r, "connected");
    let epsv_list = server_case(
        "epsv-list",
        Level::Must,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(data(DataMode::Epsv)),
            StepKind::Transfer(transfer(Direction::Download, "LIST", Content::AtLeast(1))),
            StepKind::DataExpect(DataExpect {
                opened_by: Some(Side::Client),
                closed_by: Some(Side::Server),
            }),
        ],
    );
    assert_pass(&run(&epsv_list, srv.addr).await.0);
    let mut late = data(DataMode::Pasv);
    late.connect_late = true;
    let steps = vec![StepKind::Login, binary(), StepKind::Data(late), download()];
    assert_pass(
        &run(&server_case("pasv-late", Level::Must, steps), srv.addr)
            .await
            .0,
    );
    assert_pass(&run(&upload_case(), srv.addr).await.0);
    assert_pass(&run(&upload_of(8 << 20), srv.addr).await.0);
    // The timeline holds the download's bytes.
    let got: u64 = tl
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Bytes {
                from: Side::Server,
                len,
                bytes,
                ..
            } if bytes == HELLO => Some(*len),
            _ => None,
        })
        .sum();
    assert_eq!(got, HELLO.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_preliminary_reply_is_flagged() {
    let no_150 = vec![
        Expect("RETR hello.txt"),
        Accept,
        DataSend(HELLO),
        DataClose,
        Reply("226 transfer complete"),
    ];
    let bad = MockServer::script([login(), type_i(), pasv(), no_150].concat());
    let (r, _) = run(&pasv_download(), bad.addr).await;
    assert_fires(&r, &[("preliminary-before-data", Verdict::Fail)]);
}

/// RETR in passive mode: 226 first, the data connection closed `after`.
fn close_after_226(after: Duration) -> Vec<crate::support::mock_server::Step> {
    let late = vec![
        Expect("RETR hello.txt"),
        Accept,
        Reply("150 opening data connection"),
        DataSend(HELLO),
        Reply("226 transfer complete"),
        Sleep(after),
        DataClose,
    ];
    [login(), type_i(), pasv(), late].concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_data_close_is_flagged() {
    let graded = [
        // 226 then FIN 1.5 s later: beyond the 1 s skew, a should.
        (Duration::from_millis(1500), Verdict::NonStrict),
        // Never closed within the step timeout: the harness closes it, a must.
        (Duration::from_secs(30), Verdict::Fail),
    ];
    for (after, verdict) in graded {
        let late = MockServer::script(close_after_226(after));
        let (r, _) = run(&pasv_download(), late.addr).await;
        assert_fires(&r, &[("download-closed-by-server", verdict)]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_ended_by_a_reset_is_flagged() {
    let reset = vec![
        Expect("RETR hello.txt"),
        Accept,
        Reply("150 opening data connection"),
        DataSend(HELLO),
        Sleep(Duration::from_millis(100)),
        DataReset,
        Reply("226 transfer complete"),
    ];
    let bad = MockServer::script([login(), type_i(), pasv(), reset].concat());
    let (r, _) = run(&pasv_download(), bad.addr).await;
    assert_fires(&r, &[("download-closed-by-server", Verdict::Fail)]);
    assert_eq!(
        r.violations[0].actual,
        "the server reset the data connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_confirmed_before_eof_is_flagged() {
    // One write: the client reads both replies before sending a byte.
    let early = vec![
        Expect("STOR up.bin"),
        Connect,
        Send(b"150 ready to receive\r\n226 received (not really)\r\n"),
        DataRecv,
        DataClose,
    ];
    let bad = MockServer::script([login(), type_i(), active("EPRT"), early].concat());
    let (r, _) = run(&upload_case(), bad.addr).await;
    assert_fires(&r, &[("upload-closed-by-client", Verdict::Fail)]);
}

/// ABOR after a transfer that ended (the server read the control
/// connection only between transfers, as vsftpd does), then NOOP.
fn abor_then_noop() -> Vec<crate::support::mock_server::Step> {
    vec![
        // Nothing is in progress once a command is read: RFC 959 4.1.3.
        Expect("ABOR"),
        Reply("226 no transfer to abort"),
        Expect("NOOP"),
        Reply("200 ok"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_reads_both_replies_and_keeps_the_session_in_step() {
    let c = abort_case();
    let retr = passive_download("RETR big.bin", BIG.as_slice());
    let srv = MockServer::script([login(), type_i(), pasv(), retr, abor_then_noop()].concat());
    let (r, tl) = run(&c, srv.addr).await;
    assert_pass(&r);
    let sent = ftpconform::timeline::stream(&tl.events(), ConnId(0), Side::Client);
    let sent = String::from_utf8(sent.unwrap()).unwrap();
    assert!(sent.contains("ABOR\r\nNOOP\r\n"), "{sent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_abort_closes_the_data_connection_and_stays_in_step() {
    // The upload must end (EOF) for ABOR to be answered.
    let mut xfer = transfer(Direction::Upload, "STOR abor.bin", Content::Size(8 << 20));
    xfer.abort_after = Some(65536);
    xfer.complete = ReplyExpect::codes(&[225, 226]);
    let c = server_case(
        "abor-stor",
        Level::Must,
        vec![
            StepKind::Login,
            StepKind::Data(data(DataMode::Pasv)),
            StepKind::Transfer(xfer),
            send("NOOP", &[200]),
        ],
    );
    let stor = passive_upload("STOR abor.bin");
    let srv = MockServer::script([login(), pasv(), stor, abor_then_noop()].concat());
    let r = run_within(&c, srv.addr, Duration::from_secs(2)).await;
    assert_pass(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_bytes_or_listing_fail_transfer_content() {
    let wrong = passive_download("RETR hello.txt", b"Hullo\n");
    let bad = MockServer::script([login(), type_i(), pasv(), wrong].concat());
    let (r, _) = run(&pasv_download(), bad.addr).await;
    assert_fires(&r, &[("transfer-content", Verdict::Fail)]);
    let v = &r.violations[0];
    assert_eq!(
        (v.expected.as_str(), v.actual.as_str()),
        ("6 bytes as given", "6 bytes: \"Hullo\\n\"")
    );
    // The case's section is cited.
    assert_eq!(v.rfc, "RFC 959 4.1");
    let mut list = transfer(Direction::Download, "LIST", Content::AtLeast(1));
    list.data_text = vec![regex::Regex::new("hello\\.txt").unwrap()];
    let c = server_case(
        "pasv-list",
        Level::Should,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(data(DataMode::Pasv)),
            StepKind::Transfer(list),
        ],
    );
    let other = b"-rw-r--r-- 1 ftp ftp 6 Jan 01 00:00 other.txt\r\n";
    let bad =
        MockServer::script([login(), type_i(), pasv(), passive_download("LIST", other)].concat());
    let (r, _) = run(&c, bad.addr).await;
    assert_fires(&r, &[("transfer-content", Verdict::NonStrict)]);
    assert_eq!(r.violations[0].expected, "data matching /hello\\.txt/");
}

/// 4 KB: the fake client sends ABOR after its first 1000 bytes.
const CHUNK: &[u8] = &[b'x'; 4096];

/// A passive RETR the fake client aborts after 1000 bytes, then NOOP.
fn abort_case() -> Case {
    let mut xfer = transfer(Direction::Download, "RETR big.bin", Content::Any);
    xfer.abort_after = Some(1000);
    server_case(
        "abor",
        Level::Must,
        vec![
            StepKind::Login,
            binary(),
            StepKind::Data(data(DataMode::Pasv)),
            StepKind::Transfer(xfer),
            send("NOOP", &[200]),
        ],
    )
}

/// RETR big.bin: 150 and a chunk of data, ABOR read, then `answer`.
fn abort_answered(answer: Vec<crate::support::mock_server::Step>) -> MockServer {
    let retr = vec![
        Expect("RETR big.bin"),
        Accept,
        Reply("150 opening data connection"),
        DataSend(CHUNK),
        Expect("ABOR"),
    ];
    let noop = vec![Expect("NOOP"), Reply("200 ok")];
    MockServer::script([login(), type_i(), pasv(), retr, answer, noop].concat())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abor_answered_out_of_shape_fails_abort_replies() {
    // 200 before the 226: neither "426 then 226" nor "226 alone".
    let bad = abort_answered(vec![
        Reply("200 ABOR received"),
        DataClose,
        Reply("226 transfer complete"),
    ]);
    let (r, _) = run(&abort_case(), bad.addr).await;
    assert_fires(&r, &[("abort-replies", Verdict::Fail)]);
    let v = &r.violations[0];
    assert_eq!(v.actual, "200 ABOR received / 226 transfer complete");
    // ABOR not implemented (502 after the transfer's own 226).
    let unimplemented = abort_answered(vec![
        DataClose,
        Reply("226 transfer complete"),
        Reply("502 ABOR not implemented"),
    ]);
    let (r, _) = run(&abort_case(), unimplemented.addr).await;
    assert_fires(&r, &[("abort-replies", Verdict::Unimplemented)]);
    // 426 then 226 is right.
    let good = abort_answered(vec![
        DataClose,
        Reply("426 transfer aborted"),
        Reply("226 ABOR successful"),
    ]);
    assert_pass(&run(&abort_case(), good.addr).await.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_expect_fails_under_the_case_rule_when_the_server_closes_an_upload() {
    // The server closes the upload's data connection itself, then confirms.
    let cut = vec![
        Expect("STOR up.bin"),
        Connect,
        Reply("150 ready to receive"),
        DataClose,
        Reply("226 received"),
    ];
    let bad = MockServer::script([login(), type_i(), active("EPRT"), cut].concat());
    let (r, _) = run(&upload_case(), bad.addr).await;
    assert_fires(
        &r,
        &[
            ("stor", Verdict::Fail),
            ("upload-closed-by-client", Verdict::Fail),
        ],
    );
    assert_eq!(
        r.violations[0].expected,
        "data connection closed first by client"
    );
    assert_eq!(r.violations[0].actual, "closed first by server");
}
