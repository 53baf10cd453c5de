//! Real FTP clients against the fake server: a plain passive download per
//! client, bytes intact. A missing client fails, naming the install script.

pub mod support;

use std::time::Duration;

use ftpconform::real::clients::ClientProfile;
use ftpconform::runner::{run_in, Target};
use ftpconform::script::*;
use ftpconform::timeline::Timeline;
use ftpconform::verdict::{CaseResult, Verdict};
use support::cases::{client_case, fake_server};

/// 70 000 bytes of a pattern no line-end conversion leaves alone.
fn big() -> Vec<u8> {
    (0..70_000u32).map(|i| (i % 251) as u8).collect()
}

/// A passive IPv4 download of `big.bin`; no EPSV or PASV asked: each
/// client downloads in its own passive way.
fn case() -> Case {
    let files = vec![
        VirtualFile {
            path: "hello.txt".into(),
            content: Body::bytes(&b"Hello\r\nbare LF\nend\n"[..]),
        },
        VirtualFile {
            path: "big.bin".into(),
            content: Body::bytes(big()),
        },
        VirtualFile {
            path: "up.bin".into(),
            content: Body::bytes(big()),
        },
    ];
    let mut fs = fake_server(files, ClientOp::Get, "big.bin");
    fs.extended = None;
    let mut c = client_case("plain", fs);
    c.timeout = Duration::from_secs(3);
    c
}

async fn run(name: &str, c: &Case) -> CaseResult {
    let profile = ClientProfile::by_name(name).expect("known client");
    assert!(
        profile.installed(),
        "{name} is not installed: run scripts/install-peers.sh"
    );
    run_in(c, "clients", Target::Client(&profile), &Timeline::new()).await
}

async fn passive_get_is_intact(name: &str) {
    let r = run(name, &case()).await;
    assert_eq!(r.verdict, Verdict::Pass, "{name}: {r:#?}");
}

macro_rules! passive_get {
    ($($test:ident => $name:literal),* $(,)?) => {$(
        #[tokio::test]
        async fn $test() {
            passive_get_is_intact($name).await;
        }
    )*};
}

passive_get! {
    curl_passive_get => "curl",
    wget_passive_get => "wget",
    lftp_passive_get => "lftp",
    ncftp_passive_get => "ncftp",
    tnftp_passive_get => "tnftp",
    inetutils_ftp_passive_get => "inetutils-ftp",
    ftplib_passive_get => "ftplib",
    busybox_passive_get => "busybox",
    embedded_passive_get => "embedded",
}
