//! FTPS checks of a client-role case (RFC 4217), for a client told to use
//! explicit FTPS: the order of AUTH, USER, PBSZ, PROT and the transfer
//! commands (from the commands the fake server read), and what the fake
//! server's TLS events say of each connection: the control handshake
//! with a certificate the client should have refused, data handshakes
//! that failed or did not resume the control connection's session, and
//! uploads ended without close_notify.

use super::client_view::SentCommand;
use super::tls::tls_events;
use crate::script::{Certificate, ClientScript};
use crate::timeline::{ConnId, ConnRole, Event, EventKind, Side, TlsEvent};
use crate::verdict::{Level, Rule, Violation};

/// Commands that move data over a data connection.
const TRANSFER_VERBS: &[&str] = &["RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD"];

/// Every FTPS violation of a case that asks for FTPS (none otherwise).
pub fn checks(
    fs: &ClientScript,
    cmds: &[SentCommand],
    events: &[Event],
    level: Level,
) -> Vec<Violation> {
    let Some(tls) = fs.tls else {
        return Vec::new();
    };
    let mut out = order(cmds, level);
    out.extend(certificate(tls.certificate, cmds, events));
    out.extend(data(events, tls.resume, level));
    out
}

fn accepted(c: &SentCommand, verb: &str, arg: Option<&str>) -> bool {
    let arg_is = |want: &str| {
        c.arg
            .as_deref()
            .is_some_and(|a| a.trim().eq_ignore_ascii_case(want))
    };
    c.verb == verb && arg.is_none_or(arg_is) && c.reply.is_some_and(|r| r / 100 == 2)
}

/// `tls-client-auth-first`, `tls-client-pbsz-before-prot` and
/// `tls-client-prot-p`, over the commands in order (each control
/// connection starts in plaintext and unprotected).
fn order(cmds: &[SentCommand], level: Level) -> Vec<Violation> {
    let mut out = Vec::new();
    let (mut auth, mut pbsz, mut protect) = (false, false, false);
    let mut found = |rule: Rule, expected: &str, actual: String| {
        if out.iter().all(|v: &Violation| v.rule.as_str() != rule.id()) {
            let v = match rule.security() {
                Some(_) => Violation::dangerous(rule, expected, actual),
                None => Violation::of(rule, rule.grade(level), expected, actual),
            };
            out.push(v);
        }
    };
    for (n, c) in cmds.iter().enumerate() {
        let at = |what: &str| format!("command {} was `{c}` {what}", n + 1);
        match c.verb.as_str() {
            "AUTH" if c.reply == Some(234) => (auth, pbsz, protect) = (true, false, false),
            "USER" if !auth => found(
                Rule::TlsClientAuthFirst,
                "AUTH TLS answered 234 before USER",
                at("with no TLS on the control connection: the login went in plaintext"),
            ),
            "PBSZ" if accepted(c, "PBSZ", None) => pbsz = true,
            "PROT" => {
                if !pbsz {
                    let no_pbsz = at("with no PBSZ before it");
                    found(Rule::TlsClientPbszBeforeProt, "PBSZ 0 before PROT", no_pbsz);
                }
                if accepted(c, "PROT", Some("P")) {
                    protect = true;
                } else if accepted(c, "PROT", Some("C")) {
                    protect = false;
                }
            }
            v if TRANSFER_VERBS.contains(&v) && !protect => found(
                Rule::TlsClientProtP,
                "PROT P answered 200 before the transfer command",
                at("with PROT P not in force: its data would cross in plaintext"),
            ),
            _ => {}
        }
    }
    out
}

/// `tls-client-verifies-certificate`: with a certificate the client is
/// not told to trust, a client that goes on to log in (USER, PASS) or to
/// move data over the control connection's TLS accepted it. Completing
/// the handshake is not enough to tell (curl with OpenSSL checks the name
/// after it, then closes), nor is a first harmless command (lftp sends
/// `OPTS UTF8 ON`, then checks the certificate and stops).
fn certificate(cert: Certificate, cmds: &[SentCommand], events: &[Event]) -> Option<Violation> {
    let what = match cert {
        Certificate::Good => return None,
        Certificate::OtherName => "a certificate of the test CA for `wrong.invalid`",
        Certificate::Untrusted => "a self-signed certificate no trusted CA vouches for",
    };
    let established = tls_events(events)
        .into_iter()
        .any(|(role, t)| role == ConnRole::Control && matches!(t, TlsEvent::Established { .. }));
    let auth = cmds
        .iter()
        .position(|c| c.verb == "AUTH" && c.reply == Some(234))
        .filter(|_| established)?;
    let proceeds = |c: &&SentCommand| {
        matches!(c.verb.as_str(), "USER" | "PASS") || TRANSFER_VERBS.contains(&c.verb.as_str())
    };
    let next = cmds[auth + 1..].iter().find(proceeds)?;
    Some(Violation::dangerous(
        Rule::TlsClientVerifiesCertificate,
        format!("the client refuses {what}: no login, no transfer over that TLS"),
        format!("the client accepted {what} and sent `{next}` over the TLS"),
    ))
}

/// `tls-client-data-handshake`, `tls-client-no-resume` (unless the fake
/// server refused resumption: `resume` false) and
/// `tls-client-close-notify`, from the fake server's account of each
/// protected data connection.
fn data(events: &[Event], resume: bool, level: Level) -> Vec<Violation> {
    let uploads = client_senders(events);
    let (mut failed, mut full, mut truncated) = (Vec::new(), Vec::new(), Vec::new());
    for (role, t) in tls_events(events) {
        let ConnRole::Data(n) = role else { continue };
        match t {
            TlsEvent::Failed { reason, .. } => failed.push(format!("D{n}: {reason}")),
            TlsEvent::Established { resumed: false, .. } => full.push(format!("D{n}")),
            TlsEvent::Truncated {
                conn,
                by: Side::Client,
            } if uploads.contains(conn) => truncated.push(format!("D{n}")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut found = |rule: Rule, expected: &str, actual: String| {
        out.push(Violation::of(rule, rule.grade(level), expected, actual));
    };
    if !failed.is_empty() {
        found(
            Rule::TlsClientDataHandshake,
            "a TLS handshake on each protected data connection, the client as TLS client",
            format!("the handshake failed: {}", failed.join("; ")),
        );
    }
    if resume && !full.is_empty() {
        found(
            Rule::TlsClientNoResume,
            "the data connection resumes the control connection's TLS session",
            format!("{}: a full handshake, no session resumed", full.join(", ")),
        );
    }
    if !truncated.is_empty() {
        found(
            Rule::TlsClientCloseNotify,
            "close_notify from the client before it closes its upload's data connection",
            format!(
                "{}: the client closed TCP without close_notify",
                truncated.join(", ")
            ),
        );
    }
    out
}

/// The data connections on which the client sent payload bytes.
fn client_senders(events: &[Event]) -> Vec<ConnId> {
    let mut out = Vec::new();
    for e in events {
        if let EventKind::Bytes {
            conn, from, len, ..
        } = &e.kind
        {
            if *from == Side::Client && *len > 0 && !out.contains(conn) {
                out.push(*conn);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::ClientTls;
    use crate::timeline::{OpenRole, Timeline};

    fn sent(lines: &[(&str, u16)]) -> Vec<SentCommand> {
        lines
            .iter()
            .map(|(line, code)| {
                let (verb, arg) = match line.split_once(' ') {
                    Some((v, a)) => (v, Some(a.to_string())),
                    None => (*line, None),
                };
                SentCommand {
                    verb: verb.into(),
                    arg,
                    reply: Some(*code),
                }
            })
            .collect()
    }

    fn ids(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.rule.as_str()).collect()
    }

    const GOOD: &[(&str, u16)] = &[
        ("AUTH TLS", 234),
        ("USER anonymous", 331),
        ("PASS x", 230),
        ("PBSZ 0", 200),
        ("PROT P", 200),
        ("EPSV", 229),
        ("RETR a", 226),
    ];

    #[test]
    fn auth_pbsz_prot_in_order_pass() {
        assert!(order(&sent(GOOD), Level::Must).is_empty());
    }

    #[test]
    fn a_login_before_auth_is_a_dangerous_break() {
        let cmds = sent(&[("USER anonymous", 331), ("AUTH TLS", 234)]);
        let v = order(&cmds, Level::Should);
        assert_eq!(ids(&v), ["tls-client-auth-first"]);
        assert!(v[0].security.is_some());
        assert_eq!(v[0].grade, crate::verdict::Verdict::Fail);
    }

    #[test]
    fn prot_without_pbsz_and_a_transfer_in_the_clear_are_named() {
        let cmds = sent(&[
            ("AUTH TLS", 234),
            ("USER a", 230),
            ("PROT P", 200),
            ("PROT C", 200),
            ("LIST", 226),
        ]);
        let v = order(&cmds, Level::Must);
        assert_eq!(
            ids(&v),
            ["tls-client-pbsz-before-prot", "tls-client-prot-p"]
        );
        // One violation per rule, however often it breaks.
        assert_eq!(
            order(
                &sent(&[("AUTH TLS", 234), ("RETR a", 226), ("RETR b", 226)]),
                Level::Must
            )
            .len(),
            1
        );
    }

    /// A timeline with a control and one data connection and the TLS
    /// events `tls` on the data connection (after `client_bytes` from the
    /// client on it).
    fn data_events(tls: &[fn(ConnId) -> TlsEvent], client_bytes: bool) -> Vec<Event> {
        let tl = Timeline::new();
        let (c, s) = (
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
        );
        let ctl = tl.open(OpenRole::Control, (c, Side::Client), (s, Side::Server));
        tl.tls(TlsEvent::Established {
            conn: ctl,
            client: Side::Client,
            version: "TLSv1_3".into(),
            cipher: "x".into(),
            resumed: false,
        });
        let d = tl.open(OpenRole::Data, (c, Side::Client), (s, Side::Server));
        if client_bytes {
            tl.bytes(d, Side::Client, b"upload");
        }
        for t in tls {
            tl.tls(t(d));
        }
        tl.events()
    }

    fn est(resumed: bool) -> fn(ConnId) -> TlsEvent {
        match resumed {
            true => |conn| TlsEvent::Established {
                conn,
                client: Side::Client,
                version: "TLSv1_3".into(),
                cipher: "x".into(),
                resumed: true,
            },
            false => |conn| TlsEvent::Established {
                conn,
                client: Side::Client,
                version: "TLSv1_3".into(),
                cipher: "x".into(),
                resumed: false,
            },
        }
    }

    #[test]
    fn data_connections_are_judged_on_handshake_resumption_and_close_notify() {
        let ok = data_events(
            &[est(true), |conn| TlsEvent::CloseNotify {
                conn,
                by: Side::Client,
            }],
            true,
        );
        assert!(data(&ok, true, Level::Must).is_empty());
        let full = data_events(&[est(false)], false);
        let v = data(&full, true, Level::Must);
        assert_eq!(ids(&v), ["tls-client-no-resume"]);
        assert_eq!(v[0].grade, crate::verdict::Verdict::NonStrict);
        // A server that refuses resumption cannot blame the client.
        assert!(data(&full, false, Level::Must).is_empty());
        let cut = data_events(
            &[est(true), |conn| TlsEvent::Truncated {
                conn,
                by: Side::Client,
            }],
            true,
        );
        assert_eq!(
            ids(&data(&cut, true, Level::Must)),
            ["tls-client-close-notify"]
        );
        // A download the client closed without close_notify is not an upload.
        let dl = data_events(
            &[est(true), |conn| TlsEvent::Truncated {
                conn,
                by: Side::Client,
            }],
            false,
        );
        assert!(data(&dl, true, Level::Must).is_empty());
        let failed = data_events(
            &[|conn| TlsEvent::Failed {
                conn,
                by: Side::Server,
                reason: "corrupt message".into(),
            }],
            false,
        );
        assert_eq!(
            ids(&data(&failed, true, Level::Must)),
            ["tls-client-data-handshake"]
        );
    }

    #[test]
    fn a_client_that_logs_in_over_a_bad_certificate_fails_with_a_security_tag() {
        let events = data_events(&[], false);
        let v = certificate(Certificate::OtherName, &sent(GOOD), &events).expect("a break");
        assert_eq!(v.rule.as_str(), "tls-client-verifies-certificate");
        assert!(v.security.is_some());
        assert!(v.actual.contains("`USER anonymous`"), "{}", v.actual);
        // A first harmless command, then the end: refused.
        let lftp = sent(&[("AUTH TLS", 234), ("OPTS UTF8 ON", 200)]);
        assert!(certificate(Certificate::Untrusted, &lftp, &events).is_none());
        assert!(certificate(Certificate::Good, &sent(GOOD), &events).is_none());
    }

    #[test]
    fn a_case_without_tls_gets_no_ftps_checks() {
        let mut fs = ClientScript {
            files: vec![],
            op: crate::script::ClientOp::Get,
            path: "a".into(),
            passive: true,
            extended: None,
            family: crate::script::Family::V4,
            rules: vec![],
            expect: crate::script::ClientExpect {
                commands: vec![],
                forbidden: vec![],
                success: None,
                intact: false,
            },
            tls: None,
        };
        let cmds = sent(&[("USER a", 230), ("RETR a", 226)]);
        assert!(checks(&fs, &cmds, &[], Level::Must).is_empty());
        fs.tls = Some(ClientTls {
            certificate: Certificate::Good,
            resume: true,
        });
        assert_eq!(checks(&fs, &cmds, &[], Level::Must).len(), 2);
    }
}
