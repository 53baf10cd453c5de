//! Cases built in code, for both roles: server-role cases (the fake
//! client's steps) and client-role cases (the fake server's part), the
//! pieces they are made of, and what a result's violations are called.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ftpconform::real::servers::ServerEndpoint;
use ftpconform::script::*;
use ftpconform::verdict::{CaseResult, Level, Loc, Verdict};

/// Line `line` of the file the built cases claim to come from.
fn loc(line: usize) -> Loc {
    Loc {
        file: Arc::new(PathBuf::from("selftest.yaml")),
        line,
        col: 1,
    }
}

/// A template without variables.
pub fn tpl(s: &str) -> Template {
    Template {
        parts: vec![TemplatePart::Lit(s.to_string())],
    }
}

// ------------------------------------------------------------ server role

/// A server-role case of these steps: the case is at line 1 of its file,
/// step `i` at line `i + 2`.
pub fn server_case(id: &str, level: Level, steps: Vec<StepKind>) -> Case {
    Case {
        id: id.to_string(),
        title: id.to_string(),
        rfc: vec!["RFC 959 4.1".to_string()],
        covers: Vec::new(),
        level,
        requires: Vec::new(),
        timeout: Duration::from_secs(2),
        loc: loc(1),
        body: CaseBody::Server(
            steps
                .into_iter()
                .enumerate()
                .map(|(i, kind)| Step {
                    loc: loc(i + 2),
                    timeout: None,
                    kind,
                })
                .collect(),
        ),
    }
}

/// Sends `line`, expecting a reply with one of the codes.
pub fn send(line: &str, expect: &[u16]) -> StepKind {
    StepKind::Send {
        payload: Payload::Line(tpl(line)),
        expect: Some(ReplyExpect::codes(expect)),
    }
}

/// `TYPE I`: downloads arrive byte for byte (ASCII mode may turn LF into
/// CRLF).
pub fn binary() -> StepKind {
    send("TYPE I", &[200])
}

/// A data setup in this mode, nothing else asked.
pub fn data(mode: DataMode) -> DataSetup {
    DataSetup {
        mode,
        family: None,
        address: None,
        port: None,
        steal_from: None,
        expect: None,
        connect_late: false,
        fresh_tls_session: false,
    }
}

/// A transfer expecting 125/150 and then 226/250.
pub fn transfer(direction: Direction, command: &str, content: Content) -> Transfer {
    Transfer {
        command: tpl(command),
        direction,
        content,
        data_text: Vec::new(),
        preliminary: ReplyExpect::codes(&[125, 150]),
        complete: ReplyExpect::codes(&[226, 250]),
        abort_after: None,
        close_notify: true,
    }
}

/// A server at `addr` logged into as anonymous.
pub fn endpoint(addr: SocketAddr) -> ServerEndpoint {
    ServerEndpoint {
        name: "selftest".to_string(),
        addr,
        user: "anonymous".to_string(),
        pass: "ftpconform@".to_string(),
        passive_range: None,
        capabilities: Vec::new(),
    }
}

// ------------------------------------------------------------ client role

/// A fake server holding `files`, asking the client for `op` on `path`
/// in passive mode (PASV, IPv4), expecting success and intact bytes.
pub fn fake_server(files: Vec<VirtualFile>, op: ClientOp, path: &str) -> ClientScript {
    ClientScript {
        files,
        op,
        path: path.into(),
        passive: true,
        extended: Some(false),
        family: Family::V4,
        rules: Vec::new(),
        expect: ClientExpect {
            commands: Vec::new(),
            forbidden: Vec::new(),
            success: Some(true),
            intact: true,
        },
        tls: None,
    }
}

/// A client-role case around `fs`.
pub fn client_case(id: &str, fs: ClientScript) -> Case {
    Case {
        id: id.into(),
        title: id.into(),
        rfc: vec!["RFC 959 5.4".into()],
        covers: Vec::new(),
        level: Level::Must,
        requires: Vec::new(),
        timeout: Duration::from_secs(2),
        loc: loc(1),
        body: CaseBody::Client(fs),
    }
}

/// A command the client is expected to send, one of `verbs`.
pub fn pat(verbs: &[&str]) -> CommandPattern {
    CommandPattern {
        loc: loc(1),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        arg: None,
        optional: false,
    }
}

/// A fault the fake server injects on every `on` command.
pub fn rule(on: &str, actions: Vec<Action>) -> ReplyRule {
    ReplyRule {
        loc: loc(1),
        on: on.into(),
        nth: None,
        actions,
    }
}

// ------------------------------------------------------------ results

/// Each violation's rule id and grade, in order.
pub fn graded(r: &CaseResult) -> Vec<(&str, Verdict)> {
    r.violations
        .iter()
        .map(|v| (v.rule.as_str(), v.grade))
        .collect()
}

/// The case broke exactly these rules (id and grade, in order), and its
/// verdict is the worst of those grades.
pub fn assert_fires(r: &CaseResult, rules: &[(&str, Verdict)]) {
    assert_eq!(graded(r), rules, "{r:#?}");
    let worst = CaseResult::grade(&r.violations);
    assert_eq!(r.verdict, worst, "{r:#?}");
}

pub fn assert_pass(r: &CaseResult) {
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
}

/// Fails the test unless a note of the result contains `needle`.
pub fn assert_note(r: &CaseResult, needle: &str) {
    let found = r.notes.iter().any(|n| n.contains(needle));
    assert!(found, "no note with {needle:?}: {:?}", r.notes);
}
