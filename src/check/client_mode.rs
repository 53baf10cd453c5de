//! Whether a client-role case applies to the client, read from what the
//! client did: when its command line could not ask for the case's mode
//! ([`Unasked`]), the first data-connection command it sent shows the mode
//! it chose; another mode than the case's makes the case not applicable to
//! that client, with the command as the evidence.

use super::client_view::SentCommand;
use crate::real::clients::Unasked;
use crate::script::ClientScript;

/// The mode a data-connection command selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mode {
    passive: bool,
    extended: bool,
}

fn mode_of(verb: &str) -> Option<Mode> {
    let (passive, extended) = match verb {
        "PASV" => (true, false),
        "EPSV" => (true, true),
        "PORT" => (false, false),
        "EPRT" => (false, true),
        _ => return None,
    };
    Some(Mode { passive, extended })
}

fn direction(passive: bool) -> &'static str {
    match passive {
        true => "passive mode (PASV or EPSV)",
        false => "active mode (PORT or EPRT)",
    }
}

fn commands(passive: bool, extended: bool) -> &'static str {
    match (passive, extended) {
        (true, true) => "EPSV",
        (true, false) => "PASV",
        (false, true) => "EPRT",
        (false, false) => "PORT",
    }
}

/// `Some(reason)` when the client, whose command line could not ask for
/// part of the case's mode, chose another mode, or when the case asks for
/// FTPS and the client has no FTPS mode: the case does not apply to it. `client` names the client in the reason. A client that sent no
/// data-connection command is judged as usual.
pub fn not_applicable(
    client: &str,
    fs: &ClientScript,
    sent: &[SentCommand],
    unasked: &[Unasked],
) -> Option<String> {
    if let Some(why) = no_ftps(client, fs, unasked) {
        return Some(why);
    }
    let (cmd, chosen) = sent.iter().find_map(|c| mode_of(&c.verb).map(|m| (c, m)))?;
    let asked = unasked.iter().find_map(|u| match u {
        Unasked::Direction(why) if chosen.passive != fs.passive => {
            Some((direction(fs.passive).to_string(), why))
        }
        Unasked::Extended(why) => match fs.extended {
            Some(ext) if ext != chosen.extended => {
                Some((commands(fs.passive, ext).to_string(), why))
            }
            _ => None,
        },
        Unasked::Direction(_) | Unasked::Tls(_) => None,
    })?;
    let (wanted, why) = asked;
    Some(format!(
        "not applicable to {client}: the case asks for {wanted}; {client}'s first \
         data-connection command was `C> {cmd}`, and {why}"
    ))
}

/// A case that asks for FTPS, and a client whose driver has no FTPS mode:
/// not applicable whatever the client did (it ran in plain FTP).
fn no_ftps(client: &str, fs: &ClientScript, unasked: &[Unasked]) -> Option<String> {
    fs.tls?;
    let why = unasked.iter().find_map(|u| match u {
        Unasked::Tls(why) => Some(why),
        _ => None,
    })?;
    Some(format!(
        "not applicable to {client}: the case asks for explicit FTPS (RFC 4217), and {why}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{ClientExpect, ClientOp, Family};

    fn case(passive: bool, extended: Option<bool>) -> ClientScript {
        ClientScript {
            files: vec![],
            op: ClientOp::Get,
            path: "a.txt".into(),
            passive,
            extended,
            family: Family::V4,
            rules: vec![],
            expect: ClientExpect {
                commands: vec![],
                forbidden: vec![],
                success: None,
                intact: false,
            },
            tls: None,
        }
    }

    fn sent(verbs: &[&str]) -> Vec<SentCommand> {
        let arg = |v: &str| (v != "PASV" && v != "EPSV").then(|| "x".to_string());
        verbs
            .iter()
            .map(|v| SentCommand {
                verb: v.to_string(),
                arg: arg(v),
                reply: None,
            })
            .collect()
    }

    #[test]
    fn a_client_that_chose_another_mode_is_not_judged_on_it() {
        let ext = [Unasked::Extended("no option".into())];
        let why = not_applicable(
            "wget",
            &case(true, Some(true)),
            &sent(&["USER", "PASV"]),
            &ext,
        );
        let why = why.expect("PASV where EPSV was asked");
        let want =
            "asks for EPSV; wget's first data-connection command was `C> PASV`, and no option";
        assert!(why.ends_with(want), "{why}");
        let dir = [Unasked::Direction("passive only".into())];
        let why = not_applicable("busybox", &case(false, None), &sent(&["EPSV"]), &dir);
        assert!(why.unwrap().contains("asks for active mode (PORT or EPRT)"));
    }

    #[test]
    fn the_asked_mode_or_no_data_command_is_judged() {
        let ext = [Unasked::Extended("no option".into())];
        let fallback = sent(&["EPSV", "PASV"]);
        assert_eq!(
            not_applicable("c", &case(true, Some(true)), &fallback, &ext),
            None
        );
        assert_eq!(
            not_applicable("c", &case(true, None), &sent(&["PASV"]), &ext),
            None
        );
        assert_eq!(
            not_applicable("c", &case(true, Some(true)), &sent(&["USER"]), &ext),
            None
        );
        assert_eq!(
            not_applicable("c", &case(true, Some(true)), &sent(&["PASV"]), &[]),
            None
        );
    }
}
