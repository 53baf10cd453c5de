//! Client checks on the outcome: transferred bytes intact in both
//! directions, listings complete, and the client's exit status.

use super::client_view::{ClientView, SeenConn, SentCommand};
use crate::real::clients::{ClientRun, LocalFile};
use crate::script::{Body, ClientOp, ClientScript, VirtualFile};
use crate::timeline::Digest;
use crate::verdict::{Rule, Verdict, Violation};
use crate::wire::escape::escape_preview;

/// How many leading bytes a description shows.
const PREVIEW: usize = 24;

fn file<'a>(files: &'a [VirtualFile], path: &str) -> Option<&'a Body> {
    let norm = |p: &str| p.trim_start_matches('/').to_string();
    files
        .iter()
        .find(|f| norm(&f.path) == norm(path))
        .map(|f| &f.content)
}

/// What the fake server served, as the checks compare it: its digest and
/// first bytes (read from the body, which is never held whole).
fn served(files: &[VirtualFile], path: &str) -> LocalFile {
    let body = file(files, path).cloned().unwrap_or(Body::bytes(""));
    let read = body.digest().and_then(|d| Ok((d, body.head(PREVIEW + 1)?)));
    match read {
        Ok((digest, head)) => LocalFile { digest, head },
        // A file on disk that cannot be read: nothing can match it.
        Err(_) => LocalFile::of(b""),
    }
}

/// Rule `client-bytes-intact` (RFC 959 3.1.1.3): in image type a download
/// writes exactly the served bytes, an upload sends exactly the local file,
/// and a listing shows every name served.
pub fn intact(
    fs: &ClientScript,
    view: &ClientView,
    run: &ClientRun,
    grade: Verdict,
) -> Vec<Violation> {
    let mismatch = |expected: String, actual: String| {
        vec![Violation::of(
            Rule::ClientBytesIntact,
            grade,
            expected,
            actual,
        )]
    };
    match fs.op {
        ClientOp::Get | ClientOp::Resume => {
            let want = served(&fs.files, &fs.path);
            match &run.local_file {
                Some(got) if got.digest == want.digest => Vec::new(),
                Some(got) => mismatch(
                    describe(&want),
                    format!("the local file holds {}", describe(got)),
                ),
                None => mismatch(describe(&want), "no local file was written".into()),
            }
        }
        ClientOp::Put => {
            let want = run.upload_source.clone().unwrap_or_default();
            let got = view.data.iter().rev().find(|d| d.received.len > 0);
            let want_text = describe(&want);
            match got {
                Some(d) if d.received == want.digest => Vec::new(),
                Some(d) => mismatch(
                    want_text,
                    format!(
                        "the server received {}",
                        describe_seen(&d.received, &d.from_client)
                    ),
                ),
                None => mismatch(want_text, "no upload data arrived".into()),
            }
        }
        ClientOp::List => listing(fs, run, grade),
        ClientOp::Mkdir | ClientOp::Delete => Vec::new(),
    }
}

fn listing(fs: &ClientScript, run: &ClientRun, grade: Verdict) -> Vec<Violation> {
    let shown = format!(
        "{}\n{}",
        run.stdout,
        String::from_utf8_lossy(run.local_file.as_ref().map_or(&[][..], |f| &f.head))
    );
    let names = names_under(&fs.files, &fs.path);
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !shown.contains(n.as_str()))
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    vec![Violation::of(
        Rule::ClientBytesIntact,
        grade,
        format!("the listing shows {}", names.join(", ")),
        format!("missing from the client's output: {}", join(&missing)),
    )]
}

/// Names a listing of `dir` shows: the file itself, or the files and
/// folders directly inside.
fn names_under(files: &[VirtualFile], dir: &str) -> Vec<String> {
    let dir = dir.trim_matches('/');
    if let Some(f) = files
        .iter()
        .find(|f| f.path.trim_start_matches('/') == dir && !dir.is_empty())
    {
        return vec![crate::real::clients::basename(&f.path).to_string()];
    }
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut names: Vec<String> = files
        .iter()
        .filter_map(|f| {
            f.path
                .trim_start_matches('/')
                .strip_prefix(&prefix)
                .map(str::to_string)
        })
        .filter_map(|rest| rest.split('/').next().map(str::to_string))
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short description of a file: length and a prefix.
fn describe(f: &LocalFile) -> String {
    describe_seen(&f.digest, &f.head)
}

/// The same for bytes counted in `digest` whose first ones are `head`
/// (`...` when the head holds more than the preview).
fn describe_seen(digest: &Digest, head: &[u8]) -> String {
    format!(
        "{} bytes (\"{}\")",
        digest.len,
        escape_preview(head, PREVIEW)
    )
}

/// Rule `client-exit-status`: the client reports success or failure as the
/// case expects, and ends by itself. A client whose exit status tells
/// nothing (tnftp and inetutils-ftp exit 0 whatever happens) is judged by
/// what the transcript and the bytes show it achieved.
pub fn exit_status(
    fs: &ClientScript,
    view: &ClientView,
    run: &ClientRun,
    rfc: &str,
    grade: Verdict,
) -> Vec<Violation> {
    let Some(want) = fs.expect.success else {
        return Vec::new();
    };
    let word = |ok: bool| if ok { "success" } else { "failure" };
    if run.timed_out {
        let actual = "the client hung and was killed after the deadline".to_string();
        let v = Violation::of(Rule::ClientExitStatus, grade, word(want), actual);
        return vec![v.citing(rfc)];
    }
    let (got, how) = match run.status_meaningful {
        true => (run.success, format!("exit status {:?}", run.exit_code)),
        false => shown_outcome(fs, view, run),
    };
    if got == want {
        return Vec::new();
    }
    let actual = format!("{} ({how})", word(got));
    let v = Violation::of(Rule::ClientExitStatus, grade, word(want), actual);
    vec![v.citing(rfc)]
}

/// The commands that carry out `op`.
fn op_verbs(op: ClientOp) -> &'static [&'static str] {
    match op {
        ClientOp::Get | ClientOp::Resume => &["RETR"],
        ClientOp::Put => &["STOR", "STOU", "APPE"],
        ClientOp::List => &["LIST", "NLST", "MLSD"],
        ClientOp::Mkdir => &["MKD", "XMKD"],
        ClientOp::Delete => &["DELE"],
    }
}

/// Whether the transcript and the bytes show the operation done, and the
/// evidence: its command answered 2xx and the bytes intact.
fn shown_outcome(fs: &ClientScript, view: &ClientView, run: &ClientRun) -> (bool, String) {
    let verbs = op_verbs(fs.op);
    let sent: Vec<&SentCommand> = view
        .commands
        .iter()
        .filter(|c| verbs.contains(&c.verb.as_str()))
        .collect();
    let done = sent
        .iter()
        .rev()
        .find(|c| c.reply.is_some_and(|r| (200..300).contains(&r)));
    let note = "the exit status tells nothing";
    let (ok, evidence) = match (done, sent.last()) {
        (Some(c), _) if intact(fs, view, run, Verdict::Fail).is_empty() => {
            (true, format!("`{c}` answered {}, bytes intact", reply(c)))
        }
        (Some(c), _) => (
            false,
            format!("`{c}` answered {}, but the bytes are not intact", reply(c)),
        ),
        (None, Some(c)) if c.reply.is_some() => (false, format!("`{c}` answered {}", reply(c))),
        (None, Some(c)) => (false, format!("`{c}` got no final reply")),
        (None, None) => (false, format!("no {} was sent", verbs.join(" or "))),
    };
    (ok, format!("by the transcript: {evidence}; {note}"))
}

fn reply(c: &SentCommand) -> String {
    c.reply.map_or("nothing".into(), |r| r.to_string())
}

/// Rule `client-verifies-active-source` (RFC 2577 4: "the client should
/// verify the IP address of the remote host after accepting a connection
/// on a port opened in listen mode"): a data connection the client
/// accepted from another host than the control connection's server. Only
/// what the client did with it counts, and that fails whatever the level:
/// a download saved from it (injected data) or an upload sent on it
/// (data handed to a third party). A client that closes it, or reports
/// failure and writes nothing, passes.
pub fn active_source(fs: &ClientScript, view: &ClientView, run: &ClientRun) -> Vec<Violation> {
    let Some((_, server)) = view.control else {
        return Vec::new();
    };
    let strangers: Vec<&SeenConn> = view
        .data
        .iter()
        .filter(|d| d.initiator_side == crate::timeline::Side::Server)
        .filter(|d| d.initiator.ip() != server.ip())
        .collect();
    let Some(first) = strangers.first() else {
        return Vec::new();
    };
    let took = match fs.op {
        ClientOp::Put => strangers
            .iter()
            .find(|d| d.received.len > 0)
            .map(|d| format!("sent {} bytes of its upload on it", d.received.len)),
        ClientOp::Get | ClientOp::Resume | ClientOp::List => run
            .local_file
            .as_ref()
            .filter(|f| f.digest.len > 0)
            .map(|f| format!("saved what it sent as the local file ({})", describe(f))),
        _ => None,
    };
    let Some(took) = took else {
        return Vec::new();
    };
    vec![Violation::dangerous(
        Rule::ClientVerifiesActiveSource,
        format!(
            "a data connection from {} (not the server, {}) refused",
            first.initiator.ip(),
            server.ip()
        ),
        format!(
            "the client accepted the data connection from {} and {took}",
            first.initiator
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::client_view::tests::session;
    use crate::script::{ClientExpect, Family};

    fn get(success: bool) -> ClientScript {
        ClientScript {
            files: vec![VirtualFile {
                path: "a".into(),
                content: Body::bytes(&b"A\n"[..]),
            }],
            op: ClientOp::Get,
            path: "a".into(),
            passive: true,
            extended: None,
            family: Family::V4,
            rules: vec![],
            expect: ClientExpect {
                commands: vec![],
                forbidden: vec![],
                success: Some(success),
                intact: false,
            },
            tls: None,
        }
    }

    /// A run of a client whose exit status is always 0.
    fn silent(local: Option<&[u8]>) -> ClientRun {
        ClientRun {
            success: true,
            status_meaningful: false,
            exit_code: Some(0),
            local_file: local.map(LocalFile::of),
            ..ClientRun::default()
        }
    }

    fn judged(fs: &ClientScript, lines: &[&str], run: &ClientRun) -> Vec<String> {
        let view = ClientView::from_events(&session(lines));
        exit_status(fs, &view, run, "RFC 959 4.2", Verdict::Fail)
            .into_iter()
            .map(|v| v.actual)
            .collect()
    }

    #[test]
    fn a_silent_client_is_judged_by_the_transcript_and_the_bytes() {
        let refused = ["220 hi", "C> RETR a", "550 no"];
        assert_eq!(
            judged(&get(false), &refused, &silent(None)),
            Vec::<String>::new()
        );
        let why = judged(&get(true), &refused, &silent(None));
        assert_eq!(
            why,
            ["failure (by the transcript: `RETR a` answered 550; the exit status tells nothing)"]
        );
        let done = ["220 hi", "C> RETR a", "150 go", "226 done"];
        assert!(judged(&get(true), &done, &silent(Some(b"A\n"))).is_empty());
        let short = judged(&get(true), &done, &silent(Some(b"A")));
        assert!(short[0].contains("answered 226, but the bytes are not intact"));
        let none = judged(&get(true), &["220 hi", "C> QUIT"], &silent(None));
        assert!(none[0].contains("no RETR was sent"), "{none:?}");
    }

    #[test]
    fn a_meaningful_exit_status_is_judged_as_given() {
        let run = ClientRun {
            status_meaningful: true,
            exit_code: Some(1),
            ..ClientRun::default()
        };
        let done = ["220 hi", "C> RETR a", "226 done"];
        assert_eq!(
            judged(&get(true), &done, &run),
            ["failure (exit status Some(1))"]
        );
    }
}
