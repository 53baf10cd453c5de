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
//! One test collects every mismatch. Each case runs once: a transcript
//! that differs from its snapshot is a mismatch, however it came about.
//! Review changes with `cargo insta review`; see docs/snapshots.md.

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

fn snapshot_name(suite: &Suite, case: &Case) -> String {
    format!("transcript__{}__{}", suite.name, case.id)
}

/// The case's normalized transcript from one run; `None` when the target
/// skips the case.
async fn transcript_of(suite: &Suite, case: &Case, client: &ClientProfile) -> Option<String> {
    let (skipped, events) = run(suite, case, client).await;
    if skipped {
        return None;
    }
    Some(settle_late_resets(
        &transcript(&events).replace(ROOT, "<root>"),
    ))
}

/// Shows `Dn reset by X` as `Dn closed by X` when the other side had
/// already closed `Dn`. A side that closes a data connection the other side
/// has finished sends a FIN if it read every byte and a reset if some were
/// still unread, which is a race inside the peer: the embedded libunftp
/// refusing a STOR (`stor-bad-name-553`) closes the data connection with or
/// without having read the client's bytes, run to run. A reset while the
/// other side is still open is kept.
fn settle_late_resets(text: &str) -> String {
    let mut closed: Vec<(String, char)> = Vec::new();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let (label, kind, by) = close_line(line).unwrap_or_default();
        let late = kind == "reset" && closed.iter().any(|(l, s)| *l == label && *s != by);
        if kind == "closed" {
            closed.push((label.clone(), by));
        }
        match late {
            true => out.push_str(&format!("{label} closed by {by}")),
            false => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `("D1", "closed" | "reset", 'S')` for a data connection's close line.
fn close_line(line: &str) -> Option<(String, &str, char)> {
    let (label, rest) = line.split_once(' ')?;
    let data =
        label.len() > 1 && label.starts_with('D') && label[1..].bytes().all(|b| b.is_ascii_digit());
    let (kind, by) = rest.split_once(" by ")?;
    let by = match by {
        "C" => 'C',
        "S" => 'S',
        _ => return None,
    };
    (data && (kind == "closed" || kind == "reset")).then(|| (label.to_string(), kind, by))
}

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One run of the case (server-role cases on a fresh embedded server):
/// whether it was skipped, and its events.
async fn run(suite: &Suite, case: &Case, client: &ClientProfile) -> (bool, Vec<Event>) {
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
