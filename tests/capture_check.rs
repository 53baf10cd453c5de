//! `ftpconform check` over the real third-party captures of
//! `tests/data/captures-real/`: for each, the commands, reply codes, data
//! connections and their setup method the capture reader finds are those
//! of tshark's dissection of the same file; the bounce and a foreign 227
//! are flagged; the harness's own captures read back to the transcript of
//! the timeline that wrote them. tshark is a development dependency
//! (scripts/install-peers.sh).

#[path = "support/tshark.rs"]
mod tshark;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use ftpconform::capture::sessions::Options;
use ftpconform::capture::{read_sessions, Session};
use ftpconform::check::replies::replies;
use ftpconform::offline::{self, exchanges, negotiations};
use ftpconform::timeline::{ConnId, ConnRole, EventKind};
use ftpconform::verdict::{Rule, Verdict};
use tshark::tshark;

fn real() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures-real");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 8, "{files:?}");
    files
}

fn sessions(path: &Path) -> Vec<Session> {
    let mut out = Vec::new();
    read_sessions(path, &Options::default(), |s| out.push(s)).unwrap();
    out.sort_by_key(|s| s.number);
    out
}

/// What both readers must agree on: per control connection, its commands
/// (verbs), its reply codes, and the setup method of each data connection.
#[derive(Debug, PartialEq, Eq, Default)]
struct Seen {
    commands: Vec<String>,
    /// Reply codes, the greeting's then those of each command (a code
    /// repeated within one answer once: tshark counts the closing line of
    /// a multiline reply that comes in a packet of its own as a reply).
    codes: Vec<Vec<u16>>,
    data: Vec<String>,
}

fn ours(path: &Path) -> Vec<Seen> {
    sessions(path)
        .iter()
        .map(|s| {
            let (_, xs) = exchanges(&s.events);
            let negs = negotiations(&s.events, (s.client, s.server), &xs);
            let data = s
                .events
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::Opened {
                        role: ConnRole::Data(_),
                        acceptor,
                        ..
                    } => negs
                        .iter()
                        .rev()
                        .filter(|n| n.sent_seq < e.seq)
                        .find(|n| {
                            n.announced.or(n.named).map(|a| a.port()) == Some(acceptor.port())
                        })
                        .map(|n| n.mode.verb().to_string()),
                    _ => None,
                })
                .collect();
            Seen {
                commands: xs.iter().map(|x| x.verb.clone()).collect(),
                codes: grouped(&s.events, &xs),
                data,
            }
        })
        .collect()
}

/// Our reply codes grouped as tshark's are: the greeting's, then each
/// command's.
fn grouped(
    events: &[ftpconform::timeline::Event],
    xs: &[ftpconform::offline::Exchange],
) -> Vec<Vec<u16>> {
    let mut out = vec![Vec::new()];
    let mut cmds = xs.iter().map(|x| x.seq).peekable();
    for r in replies(events, ConnId(0)) {
        while cmds.peek().is_some_and(|seq| *seq < r.seq) {
            cmds.next();
            out.push(Vec::new());
        }
        let group = out.last_mut().unwrap();
        if group.last() != Some(&r.code) {
            group.push(r.code);
        }
    }
    out.extend(cmds.map(|_| Vec::new()));
    out
}

/// tshark's view: FTP rows per control stream, then the SYN of every
/// other stream matched to the negotiation that announced its port.
fn theirs(path: &Path) -> Vec<Seen> {
    let file = path.to_str().unwrap();
    // One pass: FTP rows, and the SYN opening each connection.
    let rows = tshark(&[
        "-r",
        file,
        "-Y",
        "ftp || (tcp.flags.syn==1 && tcp.flags.ack==0)",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-e",
        "tcp.stream",
        "-e",
        "ftp.request.command",
        "-e",
        "ftp.response.code",
        "-e",
        "ftp.passive.port",
        "-e",
        "ftp.epsv.port",
        "-e",
        "ftp.active.port",
        "-e",
        "ftp.eprt.port",
        "-e",
        "tcp.flags.syn",
        "-e",
        "tcp.dstport",
    ]);
    let mut control: BTreeMap<u32, Seen> = BTreeMap::new();
    let mut announced: HashMap<u16, String> = HashMap::new();
    let mut last_verb: HashMap<u32, String> = HashMap::new();
    let mut syns: Vec<(u32, u16)> = Vec::new();
    for row in rows.lines() {
        let f: Vec<&str> = row.split('\t').collect();
        let stream: u32 = f[0].parse().unwrap();
        if f[7] == "1" || f[7] == "True" {
            syns.push((stream, f[8].parse().unwrap()));
            continue;
        }
        let seen = control.entry(stream).or_default();
        if seen.codes.is_empty() {
            seen.codes.push(Vec::new());
        }
        if !f[1].is_empty() {
            seen.commands.push(f[1].to_ascii_uppercase());
            seen.codes.push(Vec::new());
            last_verb.insert(stream, f[1].to_ascii_uppercase());
        }
        let group = seen.codes.last_mut().unwrap();
        for code in f[2].split(',').filter(|c| !c.is_empty()) {
            let code: u16 = code.parse().unwrap();
            if group.last() != Some(&code) {
                group.push(code);
            }
        }
        for port in f[3..7]
            .iter()
            .flat_map(|p| p.split(','))
            .filter(|p| !p.is_empty())
        {
            let verb = last_verb.get(&stream).cloned().unwrap_or_default();
            announced.insert(port.parse().unwrap(), verb);
        }
    }
    let mut data_streams: BTreeMap<u32, String> = BTreeMap::new();
    for (stream, port) in syns {
        if control.contains_key(&stream) {
            continue;
        }
        if let Some(verb) = announced.get(&port) {
            data_streams.entry(stream).or_insert_with(|| verb.clone());
        }
    }
    // Each session's data connections, in stream order (one session per
    // file has data here, or they follow one another).
    let mut out: Vec<Seen> = control
        .into_values()
        .filter(|s| !s.commands.is_empty() || !s.codes.is_empty())
        .collect();
    let data: Vec<String> = data_streams.into_values().collect();
    distribute(&mut out, data);
    out
}

/// Gives each session the data connections of its own negotiations, in
/// order (sessions use their modes one after another in these captures).
fn distribute(sessions: &mut [Seen], mut data: Vec<String>) {
    for s in sessions.iter_mut() {
        let n = s
            .commands
            .iter()
            .filter(|c| {
                ["RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"].contains(&c.as_str())
            })
            .count()
            .min(data.len());
        s.data = data.drain(..n).collect();
    }
}

#[test]
fn every_real_capture_reads_as_tshark_dissects_it() {
    // tshark takes about a second to start: the files go in parallel.
    let files = real();
    let dissected: Vec<Vec<Seen>> = std::thread::scope(|s| {
        let jobs: Vec<_> = files.iter().map(|f| s.spawn(|| theirs(f))).collect();
        jobs.into_iter().map(|j| j.join().unwrap()).collect()
    });
    for (path, b) in files.iter().zip(dissected) {
        let a = ours(path);
        assert_eq!(a, b, "{}", path.display());
    }
}

fn results(name: &str) -> Vec<ftpconform::verdict::CaseResult> {
    let path = real()
        .into_iter()
        .find(|p| p.to_string_lossy().contains(name))
        .unwrap();
    let mut out = Vec::new();
    offline::check_file(&path, &Options::default(), |r| out.push(r)).unwrap();
    out
}

#[test]
fn the_bounce_port_to_a_third_party_fails_both_peers() {
    let all = results("S2-");
    let rules: Vec<String> = all
        .iter()
        .flat_map(|r| r.violations.iter().map(|v| v.rule.to_string()))
        .collect();
    assert!(
        rules.contains(&Rule::PrivilegedPortRefused.id().to_string()),
        "{rules:?}"
    );
    assert!(
        rules.contains(&Rule::ActiveAddressMatchesControl.id().to_string()),
        "{rules:?}"
    );
    assert!(all.iter().any(|r| r.verdict == Verdict::Fail));
}

#[test]
fn clean_real_captures_pass_both_roles() {
    for name in ["01-", "02-", "05-", "09-", "11-", "14-"] {
        for r in results(name) {
            assert_eq!(
                r.verdict,
                Verdict::Pass,
                "{name} {}: {:?}",
                r.target,
                r.violations
            );
        }
    }
}

#[test]
fn every_session_imports_as_a_case_that_loads_in_both_roles() {
    use ftpconform::offline::import::{import, ImportRole};
    for path in real() {
        for s in sessions(&path) {
            for role in [ImportRole::Server, ImportRole::Client] {
                let yaml = import(&path.to_string_lossy(), &s, role);
                let name = Path::new("imported.yaml");
                if let Err(e) = ftpconform::suite::load_str(name, &yaml) {
                    panic!("{}: {e:?}\n{yaml}", path.display());
                }
            }
        }
    }
}

#[test]
fn check_exits_as_run_does_and_writes_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("check.json");
    let report = format!("json={}", json.display());
    let check = |files: &[&Path], extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ftpconform"))
            .arg("check")
            .args(files)
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (clean, bounce) = (real()[0].clone(), real()[7].clone());
    assert_eq!(check(&[&clean], &[]).0, Some(0));
    let (code, table) = check(&[&clean, &bounce], &["--report", &report]);
    assert_eq!(code, Some(1), "{table}");
    assert!(table.contains("privileged-port-refused"), "{table}");
    let written = std::fs::read_to_string(&json).unwrap();
    assert!(written.contains("session-2"), "{written}");
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"not a capture").unwrap();
    assert_eq!(check(&[&junk], &[]).0, Some(2));
}
