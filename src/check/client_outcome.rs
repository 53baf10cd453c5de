//! Client checks on the outcome: transferred bytes intact in both
//! directions, listings complete, and the client's exit status.

use super::client_view::ClientView;
use crate::real::clients::ClientRun;
use crate::script::{ClientOp, ClientScript, VirtualFile};
use crate::verdict::{Rule, Verdict, Violation};
use crate::wire::escape::escape_preview;

fn file<'a>(files: &'a [VirtualFile], path: &str) -> Option<&'a [u8]> {
    let norm = |p: &str| p.trim_start_matches('/').to_string();
    files
        .iter()
        .find(|f| norm(&f.path) == norm(path))
        .map(|f| f.content.as_slice())
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
        ClientOp::Get => {
            let want = file(&fs.files, &fs.path).unwrap_or_default();
            match &run.local_file {
                Some(got) if got == want => Vec::new(),
                Some(got) => mismatch(
                    describe(want),
                    format!("the local file holds {}", describe(got)),
                ),
                None => mismatch(describe(want), "no local file was written".into()),
            }
        }
        ClientOp::Put => {
            let want = run.upload_source.clone().unwrap_or_default();
            let got = view.data.iter().rev().find(|d| !d.from_client.is_empty());
            match got {
                Some(d) if d.from_client == want => Vec::new(),
                Some(d) => mismatch(
                    describe(&want),
                    format!("the server received {}", describe(&d.from_client)),
                ),
                None => mismatch(describe(&want), "no upload data arrived".into()),
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
        String::from_utf8_lossy(run.local_file.as_deref().unwrap_or_default())
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

/// A short description of bytes: length and a prefix.
fn describe(bytes: &[u8]) -> String {
    format!("{} bytes (\"{}\")", bytes.len(), escape_preview(bytes, 24))
}

/// Rule `client-exit-status`: the client reports success or failure as the
/// case expects, and ends by itself.
pub fn exit_status(
    expected: Option<bool>,
    run: &ClientRun,
    rfc: &str,
    grade: Verdict,
) -> Vec<Violation> {
    let Some(want) = expected else {
        return Vec::new();
    };
    let word = |ok: bool| if ok { "success" } else { "failure" };
    if run.timed_out {
        let actual = "the client hung and was killed after the deadline".to_string();
        let v = Violation::of(Rule::ClientExitStatus, grade, word(want), actual);
        return vec![v.citing(rfc)];
    }
    if !run.status_meaningful || run.success == want {
        return Vec::new();
    }
    let actual = format!("{} (exit status {:?})", word(run.success), run.exit_code);
    let v = Violation::of(Rule::ClientExitStatus, grade, word(want), actual);
    vec![v.citing(rfc)]
}
