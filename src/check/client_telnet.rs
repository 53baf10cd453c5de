//! Client checks on Telnet on the control connection, over every
//! client-role case: a user-FTP sends no Telnet command but the two
//! signals (IP and Synch, before ABOR), and never negotiates Telnet
//! options. IAC IAC is a data byte (an escaped 255 in a path name) and
//! passes.

use super::client_view::client_control_bytes;
use crate::timeline::Event;
use crate::verdict::{Rule, Verdict, Violation};
use crate::wire::telnet::{telnet_commands, TelnetCommand};

/// Rules `client-telnet-negotiation` (RFC 1123 4.1.2.12, RFC 3659 2.2)
/// and `client-telnet-controls` (RFC 1123 4.1.2.12): one violation per
/// control connection and rule, naming what the client sent.
pub fn telnet(events: &[Event], grade: Verdict) -> Vec<Violation> {
    let mut out = Vec::new();
    for (_, bytes) in client_control_bytes(events) {
        let found = telnet_commands(&bytes);
        let (negotiations, others): (Vec<TelnetCommand>, Vec<TelnetCommand>) = found
            .into_iter()
            .filter(|t| !t.is_ip_or_synch())
            .partition(TelnetCommand::negotiates);
        if !negotiations.is_empty() {
            out.push(Violation::of(
                Rule::ClientTelnetNegotiation,
                grade,
                "no Telnet option negotiation on the control connection",
                format!("the client sent {}", names(&negotiations)),
            ));
        }
        if !others.is_empty() {
            out.push(Violation::of(
                Rule::ClientTelnetControls,
                grade,
                "no Telnet command other than IP and Synch (IAC DM)",
                format!("the client sent {}", names(&others)),
            ));
        }
    }
    out
}

/// The first few names, and how many in all.
fn names(found: &[TelnetCommand]) -> String {
    let shown: Vec<String> = found.iter().take(4).map(TelnetCommand::name).collect();
    match found.len() {
        n if n > shown.len() => format!("{} ({n} in all)", shown.join(", ")),
        _ => shown.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::client_view::client_sent as session;

    #[test]
    fn abor_signals_and_escaped_iac_pass() {
        let events = session(b"USER a\r\n\xff\xf4\xff\xf2ABOR\r\nRETR a\xff\xffb\r\n");
        assert!(telnet(&events, Verdict::Fail).is_empty());
        // lftp's Synch: IAC IP IAC, the DM sent as urgent data (out of
        // band, not in the stream read).
        let events = session(b"USER a\r\n\xff\xf4\xff");
        assert!(telnet(&events, Verdict::Fail).is_empty());
    }

    #[test]
    fn an_option_offer_breaks_the_negotiation_rule() {
        let v = telnet(
            &session(b"\xff\xfb\x01\xff\xfd\x03USER a\r\n"),
            Verdict::Fail,
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule.to_string(), "client-telnet-negotiation");
        assert!(
            v[0].actual.contains("IAC WILL 1, IAC DO 3"),
            "{}",
            v[0].actual
        );
    }

    #[test]
    fn other_telnet_commands_break_the_controls_rule() {
        let v = telnet(&session(b"NOOP\xff\xf1\r\n\xff\xf6"), Verdict::Fail);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule.to_string(), "client-telnet-controls");
        assert!(v[0].actual.contains("IAC NOP, IAC AYT"), "{}", v[0].actual);
    }
}
