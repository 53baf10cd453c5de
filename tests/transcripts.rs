//! Transcript snapshots: every server-role case against the embedded
//! libunftp server and every client-role case with the embedded suppaftp
//! client, each case's normalized transcript asserted as the insta snapshot
//! `tests/snapshots/transcripts__transcript__<suite>__<case>.snap`.
//!
//! Each server-role case runs against a freshly started embedded server
//! (a fresh seeded root, a fresh passive port range), so that no case sees
//! what an earlier one left behind. The suites' folder is shown as
//! `<root>` in step notes.
//!
//! One test collects every mismatch. A case whose transcript differs from
//! its snapshot is run again (up to `ATTEMPTS` in all) before it counts as
//! a mismatch: libunftp now and then answers PASV or EPSV with 425 (the
//! passive port it picks at random is still in TIME_WAIT from an earlier
//! session) and, in cases that end on a failed expectation, whether the
//! server's last reply beats the fake client's close depends on timing. A
//! real change shows up in every attempt. Review changes with
//! `cargo insta review`; see docs/snapshots.md.

pub mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};

use ftpconform::real::clients::ClientProfile;
use ftpconform::real::servers::embedded::start_embedded;
use ftpconform::runner::{run_case_events, Target};
use ftpconform::script::{Case, Suite};
use ftpconform::timeline::Event;
use ftpconform::transcript::transcript;
use ftpconform::verdict::{Role, Verdict};
use support::suites::{root, suites};

/// Runs of one case before its transcript counts as changed.
const ATTEMPTS: usize = 3;

fn snapshot_name(suite: &Suite, case: &Case) -> String {
    format!("transcript__{}__{}", suite.name, case.id)
}

/// The body of the stored snapshot `name`, if there is one.
fn stored(name: &str) -> Option<String> {
    let path = root().join(format!("tests/snapshots/transcripts__{name}.snap"));
    let text = std::fs::read_to_string(path).ok()?;
    let body = text.splitn(3, "---\n").nth(2)?;
    Some(body.trim_end().to_string())
}

/// Runs the case until its transcript matches the snapshot (or
/// `ATTEMPTS` runs); `None` when the target skips the case.
async fn transcript_of(suite: &Suite, case: &Case, client: &ClientProfile) -> Option<String> {
    let expected = stored(&snapshot_name(suite, case));
    let mut text = String::new();
    for _ in 0..ATTEMPTS {
        let (skipped, events) = run_once(suite, case, client).await;
        if skipped {
            return None;
        }
        text = transcript(&events).replace(ROOT, "<root>");
        if expected.as_deref() == Some(text.trim_end()) {
            break;
        }
    }
    Some(text)
}

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One run of the case (server-role cases on a fresh embedded server):
/// whether it was skipped, and its events.
async fn run_once(suite: &Suite, case: &Case, client: &ClientProfile) -> (bool, Vec<Event>) {
    let server;
    let endpoint;
    let target = match suite.role {
        Role::Server => {
            server = start_embedded().await.expect("embedded server");
            endpoint = server.endpoint();
            Target::Server(&endpoint)
        }
        Role::Client => Target::Client(client),
    };
    let (result, events) = run_case_events(suite, case, target, None).await;
    (result.verdict == Verdict::Skipped, events)
}

/// Asserts the snapshot; a mismatch is returned, not raised.
fn assert_one(name: &str, text: &str) -> Result<(), String> {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(true);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(name.to_string(), text));
    }));
    outcome.map_err(|_| name.to_string())
}

#[test]
fn every_case_transcript_matches_its_snapshot() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = ClientProfile::by_name("embedded").expect("embedded client profile");
    let suites = suites();
    let (mut failed, mut checked) = (Vec::new(), 0);
    for suite in &suites {
        for case in &suite.cases {
            let Some(text) = rt.block_on(transcript_of(suite, case, &client)) else {
                continue;
            };
            checked += 1;
            if let Err(name) = assert_one(&snapshot_name(suite, case), &text) {
                failed.push(name);
            }
        }
    }
    assert!(checked > 100, "only {checked} cases ran: suites missing?");
    assert!(
        failed.is_empty(),
        "{} of {checked} transcripts changed (see above; `cargo insta review`):\n{}",
        failed.len(),
        failed.join("\n")
    );
}
