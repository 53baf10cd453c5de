use std::net::SocketAddr;

use super::*;
use crate::timeline::{CloseKind, EventKind, OpenRole, Timeline};

const CLIENT: &str = "127.0.0.1:40000";
const SERVER: &str = "127.0.0.1:21";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// How the one RETR of the session goes.
struct Retr {
    /// The server opens the data connection (after PORT) instead of the
    /// client (after PASV).
    active: bool,
    payload: &'static [u8],
    /// The 226 before the server closes the data connection.
    reply_first: bool,
    code: &'static str,
}

const PLAIN: Retr = Retr {
    active: false,
    payload: b"hello",
    reply_first: false,
    code: "226",
};

fn session(r: &Retr) -> Session {
    let t = Timeline::new();
    let (client, server) = (addr(CLIENT), addr(SERVER));
    let ctrl = t.open(
        OpenRole::Control,
        (client, Side::Client),
        (server, Side::Server),
    );
    let say = |from: Side, text: &str| t.bytes(ctrl, from, format!("{text}\r\n").as_bytes());
    say(Side::Server, "220 hi");
    say(Side::Client, "USER a");
    say(Side::Server, "331 pass");
    say(Side::Client, "PASS b");
    say(Side::Server, "230 in");
    let (opener, listener) = match r.active {
        true => {
            say(Side::Client, "PORT 127,0,0,1,200,10");
            say(Side::Server, "200 ok");
            (
                (addr("127.0.0.1:20"), Side::Server),
                (addr("127.0.0.1:51210"), Side::Client),
            )
        }
        false => {
            say(Side::Client, "PASV");
            say(Side::Server, "227 Entering Passive Mode (127,0,0,1,200,11)");
            (
                (addr("127.0.0.1:40001"), Side::Client),
                (addr("127.0.0.1:51211"), Side::Server),
            )
        }
    };
    say(Side::Client, "RETR f");
    say(Side::Server, "150 here");
    let data = t.open(OpenRole::Data, opener, listener);
    t.bytes(data, Side::Server, r.payload);
    if r.reply_first {
        say(Side::Server, &format!("{} done", r.code));
    }
    t.close(data, Side::Server, CloseKind::Fin);
    t.close(data, Side::Client, CloseKind::Fin);
    if !r.reply_first {
        say(Side::Server, &format!("{} done", r.code));
    }
    // The final reply and the data connection's close 2 s apart, past the
    // skew within which their order is not compared.
    let mut events = t.events();
    let first_close = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Closed { conn, .. } if conn == data))
        .map_or(0, |e| e.seq);
    for e in &mut events {
        let later = match r.reply_first {
            true => e.seq >= first_close,
            false => e.seq > first_close,
        };
        if later {
            e.at += std::time::Duration::from_secs(2);
        }
    }
    Session {
        number: 1,
        events,
        client,
        server,
        unknown: Vec::new(),
    }
}

fn departed(live: &Retr) -> Vec<String> {
    departures(&outline(&session(&PLAIN)), &outline(&session(live)))
}

#[test]
fn outlines_a_retr() {
    let o = outline(&session(&PLAIN));
    let verbs: Vec<_> = o.commands.iter().map(|c| c.verb.as_str()).collect();
    assert_eq!(verbs, [LOGIN, "PASV", "RETR"]);
    assert_eq!(o.commands[0].code, Some(230));
    assert_eq!(o.commands[2].code, Some(226));
    let t = &o.transfers[0];
    assert_eq!(t.opened_by, Some(Side::Client));
    assert_eq!(t.bytes, [0, 5]);
    assert_eq!(t.reply_first, Some(false));
}

#[test]
fn the_same_session_has_no_departure() {
    assert_eq!(departed(&PLAIN), Vec::<String>::new());
}

#[test]
fn another_reply_code_is_a_departure() {
    let got = departed(&Retr {
        code: "451",
        ..PLAIN
    });
    assert_eq!(
        got,
        ["command 3 (RETR): the reply was 226 in the recording, 451 live"]
    );
}

#[test]
fn other_bytes_of_the_same_length_are_a_departure() {
    let got = departed(&Retr {
        payload: b"HELLO",
        ..PLAIN
    });
    assert_eq!(
        got,
        ["transfer 1 (RETR): the server sent as many bytes as recorded (5) but other ones"]
    );
}

#[test]
fn a_shorter_transfer_is_a_departure() {
    let got = departed(&Retr {
        payload: b"hel",
        ..PLAIN
    });
    assert_eq!(
        got,
        ["transfer 1 (RETR): the server sent 5 bytes on the data connection in the recording, 3 live"]
    );
}

#[test]
fn another_order_is_a_departure() {
    let got = departed(&Retr {
        reply_first: true,
        ..PLAIN
    });
    assert_eq!(
        got,
        ["transfer 1 (RETR): the final reply came after the data connection's first close in the recording, before it live"]
    );
}

#[test]
fn a_data_connection_from_the_other_side_is_a_departure() {
    let got = departed(&Retr {
        active: true,
        ..PLAIN
    });
    assert_eq!(
        got,
        [
            "command 2 (PASV) of the recording was not sent live",
            "the live session sent PORT (its command 2), not in the recording",
            "transfer 1 (RETR): the data connection was opened by the client in the recording, by the server live",
        ]
    );
}

#[test]
fn a_session_cut_short_is_a_departure() {
    let recorded = outline(&session(&PLAIN));
    let mut live = recorded.clone();
    live.commands.truncate(1);
    live.transfers.clear();
    assert_eq!(
        departures(&recorded, &live),
        [
            "command 2 (PASV) of the recording was not sent live",
            "command 3 (RETR) of the recording was not sent live",
            "transfers: 1 in the recording, 0 live",
        ]
    );
}

#[test]
fn a_login_in_one_step_or_two_is_the_same_login() {
    let two = outline(&session(&PLAIN));
    let mut one = two.clone();
    // USER answered with 230 at once: the same outline.
    one.commands[0].code = Some(230);
    assert_eq!(departures(&two, &one), Vec::<String>::new());
    one.commands[0].code = Some(530);
    assert_eq!(
        departures(&two, &one),
        ["command 1 (login): the reply was 230 in the recording, 530 live"]
    );
}

#[test]
fn one_more_command_is_one_departure() {
    let recorded = outline(&session(&PLAIN));
    let mut live = recorded.clone();
    let pwd = Command {
        verb: "PWD".into(),
        code: Some(257),
    };
    live.commands.insert(1, pwd);
    assert_eq!(
        departures(&recorded, &live),
        ["the live session sent PWD (its command 2), not in the recording"]
    );
}

#[test]
fn an_order_inside_the_skew_is_not_compared() {
    // The same session with every event at one instant: the reply and the
    // close came together, in an order that is a race between sockets.
    let mut together = session(&Retr {
        reply_first: true,
        ..PLAIN
    });
    for e in &mut together.events {
        e.at = std::time::Duration::ZERO;
    }
    let live = outline(&together);
    assert_eq!(live.transfers[0].reply_first, None);
    assert_eq!(
        departures(&outline(&session(&PLAIN)), &live),
        Vec::<String>::new()
    );
}
