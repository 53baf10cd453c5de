//! Client checks on the command sequence: expected commands in order
//! (optional ones, alternatives, harmless extras tolerated) and forbidden
//! commands.

use super::client_view::SentCommand;
use crate::script::CommandPattern;
use crate::verdict::{Rule, Verdict, Violation};

/// Commands a client may send anywhere without breaking a sequence (login
/// commands too, unless a pattern names them).
pub const HARMLESS: &[&str] = &[
    "USER", "PASS", "ACCT", "FEAT", "PWD", "XPWD", "SYST", "TYPE", "OPTS", "CWD", "XCWD", "CDUP",
    "XCUP", "SIZE", "MDTM", "REST", "NOOP", "CLNT", "MODE", "STRU", "ALLO", "LANG", "HELP", "STAT",
];

fn harmless(verb: &str) -> bool {
    HARMLESS.contains(&verb)
}

fn matches(p: &CommandPattern, c: &SentCommand) -> bool {
    p.verbs.iter().any(|v| v == &c.verb)
        && p.arg
            .as_ref()
            .is_none_or(|re| re.is_match(c.arg.as_deref().unwrap_or("")))
}

fn describe(p: &CommandPattern) -> String {
    let verbs = p.verbs.join(" or ");
    match &p.arg {
        Some(re) => format!("{verbs} with argument /{re}/"),
        None => verbs,
    }
}

/// Commands that may come between expected ones: harmless commands, and
/// verbs no pattern of the sequence names.
struct Extras<'a>(&'a [CommandPattern]);

impl Extras<'_> {
    fn skippable(&self, verb: &str) -> bool {
        harmless(verb) || !self.0.iter().any(|p| p.verbs.iter().any(|v| v == verb))
    }
}

/// Where `p` matches next, skipping only extras.
fn next_match(
    p: &CommandPattern,
    cmds: &[SentCommand],
    from: usize,
    extras: &Extras,
) -> Option<usize> {
    let mut i = from;
    while let Some(c) = cmds.get(i) {
        if matches(p, c) {
            return Some(i);
        }
        if !extras.skippable(&c.verb) {
            return None;
        }
        i += 1;
    }
    None
}

/// Rule `client-rest-last` (RFC 3659 5.3: "The REST command must be the
/// last command issued before the data transfer command that is to cause
/// a restarted ... transfer"): a RETR, STOR or APPE after a REST follows
/// it directly (PASV, TYPE or SIZE must come before the REST). `REST 0`
/// asks for a whole transfer, not a restarted one (lftp sends it before
/// PASV): it is not held to this.
pub fn rest_last(cmds: &[SentCommand], grade: Verdict) -> Vec<Violation> {
    let mut pending: Option<usize> = None;
    for (i, c) in cmds.iter().enumerate() {
        match c.verb.as_str() {
            "REST" if c.arg.as_deref().map(str::trim) == Some("0") => pending = None,
            "REST" => pending = Some(i),
            "RETR" | "STOR" | "APPE" => {
                if let Some(at) = pending.take() {
                    if at + 1 != i {
                        let between: Vec<String> =
                            cmds[at + 1..i].iter().map(|c| c.verb.clone()).collect();
                        return vec![Violation::of(
                            Rule::ClientRestLast,
                            grade,
                            format!("`{c}` right after `{}`", cmds[at]),
                            format!("{} between `{}` and `{c}`", between.join(" "), cmds[at]),
                        )];
                    }
                }
            }
            _ => {}
        }
    }
    Vec::new()
}

/// Rule `client-command-sequence`: the client sends the expected commands
/// in order. Between them it may send harmless commands (FEAT, PWD, TYPE...)
/// and verbs the sequence does not name; a named verb out of its place
/// breaks the sequence.
pub fn sequence(
    patterns: &[CommandPattern],
    cmds: &[SentCommand],
    rfc: &str,
    grade: Verdict,
) -> Vec<Violation> {
    let extras = Extras(patterns);
    let mut out = Vec::new();
    let mut i = 0;
    for (n, p) in patterns.iter().enumerate() {
        if let Some(at) = next_match(p, cmds, i, &extras) {
            i = at + 1;
            continue;
        }
        if p.optional {
            continue;
        }
        let blocker = (i..cmds.len()).find(|&k| !extras.skippable(&cmds[k].verb));
        let seen = blocker.map_or("no more commands".to_string(), |k| format!("`{}`", cmds[k]));
        let expected = format!("{} (item {} of the expected sequence)", describe(p), n + 1);
        let actual = format!("{seen}; sequence sent: {}", summary(cmds));
        let v = Violation::of(Rule::ClientCommandSequence, grade, expected, actual);
        out.push(v.citing(rfc).at(Some(&p.loc)));
        i = resync(p, cmds, i, blocker);
    }
    out
}

/// Rule `client-forbidden-command`: none of `forbidden` is sent.
pub fn forbidden(
    forbidden: &[String],
    cmds: &[SentCommand],
    rfc: &str,
    grade: Verdict,
) -> Vec<Violation> {
    forbidden
        .iter()
        .filter_map(|verb| cmds.iter().find(|c| c.verb.eq_ignore_ascii_case(verb)))
        .map(|c| {
            let (expected, actual) = (format!("no {}", c.verb), format!("the client sent `{c}`"));
            Violation::of(Rule::ClientForbiddenCommand, grade, expected, actual).citing(rfc)
        })
        .collect()
}

/// Where matching goes on after a miss: past a later match of the pattern
/// (one slip is reported once), else past the command that blocked it.
fn resync(p: &CommandPattern, cmds: &[SentCommand], from: usize, blocker: Option<usize>) -> usize {
    match (from..cmds.len()).find(|&k| matches(p, &cmds[k])) {
        Some(k) => k + 1,
        None => blocker.map_or(from, |k| k + 1),
    }
}

fn summary(cmds: &[SentCommand]) -> String {
    cmds.iter()
        .map(|c| c.verb.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Loc;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn pat(verbs: &[&str], optional: bool) -> CommandPattern {
        CommandPattern {
            loc: Loc {
                file: Arc::new(PathBuf::from("s.yaml")),
                line: 3,
                col: 5,
            },
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
            arg: None,
            optional,
        }
    }

    fn cmds(verbs: &[&str]) -> Vec<SentCommand> {
        verbs
            .iter()
            .map(|v| SentCommand {
                verb: v.to_string(),
                arg: None,
                reply: None,
            })
            .collect()
    }

    #[test]
    fn harmless_extras_and_optional_steps_pass() {
        let p = [
            pat(&["USER"], false),
            pat(&["EPSV"], true),
            pat(&["PASV"], false),
            pat(&["RETR"], false),
        ];
        let c = cmds(&["USER", "PASS", "TYPE", "EPSV", "RETR", "PASV", "RETR"]);
        // RETR is named: it breaks EPSV..PASV.
        assert_eq!(sequence(&p, &c, "RFC 959 5.4", Verdict::Fail).len(), 1);
        let c = cmds(&["USER", "TYPE", "EPSV", "PASV", "SIZE", "RETR", "QUIT"]);
        assert!(sequence(&p, &c, "RFC 959 5.4", Verdict::Fail).is_empty());
    }

    #[test]
    fn verbs_the_sequence_does_not_name_are_extras() {
        let p = [pat(&["EPSV"], false), pat(&["RETR"], false)];
        let c = cmds(&["USER", "PASS", "EPSV", "PASV", "USER", "RETR"]);
        assert!(sequence(&p, &c, "RFC 959 5.4", Verdict::Fail).is_empty());
    }

    #[test]
    fn wrong_order_is_one_violation_at_the_pattern() {
        let p = [
            pat(&["USER"], false),
            pat(&["PASV"], false),
            pat(&["RETR"], false),
        ];
        let v = sequence(
            &p,
            &cmds(&["USER", "RETR", "PASV"]),
            "RFC 959 5.4",
            Verdict::Fail,
        );
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v[0].actual.starts_with("`RETR`"));
        assert_eq!(v[0].loc.as_ref().map(|l| l.line), Some(3));
    }

    #[test]
    fn a_wrong_argument_is_one_violation() {
        let mut eprt = pat(&["EPRT"], false);
        eprt.arg = Some(regex::Regex::new("^\\|2\\|::1\\|").unwrap());
        let p = [eprt, pat(&["RETR"], false)];
        let c = vec![
            SentCommand {
                verb: "EPRT".into(),
                arg: Some("|2|::|5000|".into()),
                reply: None,
            },
            SentCommand {
                verb: "EPSV".into(),
                arg: None,
                reply: None,
            },
            SentCommand {
                verb: "RETR".into(),
                arg: None,
                reply: None,
            },
        ];
        let v = sequence(&p, &c, "RFC 2428 2", Verdict::Fail);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].expected.contains("item 1"));
    }

    #[test]
    fn forbidden_command_is_reported() {
        let v = forbidden(
            &["PORT".into()],
            &cmds(&["USER", "PORT"]),
            "RFC 2577 3",
            Verdict::NonStrict,
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].grade, Verdict::NonStrict);
    }
}
