//! What the router changed, from its two captures: the control connections
//! as they crossed the client-side link and the server-side link, paired
//! in order, with the addresses the router translated and every control
//! line it rewrote (the FTP helper's work on PORT, EPRT and 227).

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use crate::capture::read_pcap;
use crate::timeline::{stream, ConnId, ConnRole, Event, EventKind, Side};

/// One change the router made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    /// A connection's addresses differ between the two links.
    Translated {
        what: String,
        client_side: (SocketAddr, SocketAddr),
        server_side: (SocketAddr, SocketAddr),
    },
    /// A control line differs: `from` is who sent it, `before` what it
    /// was when it reached the router, `after` what left it.
    Line {
        from: Side,
        before: String,
        after: String,
    },
    /// A connection attempt crossed one link (`seen_on`) but not the
    /// other: the router dropped it or answered it itself.
    Stopped {
        what: String,
        from: SocketAddr,
        to: SocketAddr,
        seen_on: &'static str,
    },
}

impl fmt::Display for Rewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rewrite::Translated {
                what,
                client_side: (ci, ca),
                server_side: (si, sa),
            } => write!(
                f,
                "router translated the {what} connection {ci} -> {ca} (client side) to {si} -> {sa} (server side)"
            ),
            Rewrite::Line {
                from,
                before,
                after,
            } => {
                let tag = if *from == Side::Client { "C>" } else { "S>" };
                write!(f, "router rewrote {tag} \"{before}\" to \"{after}\"")
            }
            Rewrite::Stopped {
                what,
                from,
                to,
                seen_on,
            } => write!(
                f,
                "router stopped the {what} connection {from} -> {to}: seen on its {seen_on} link only"
            ),
        }
    }
}

/// One TCP connection as one link saw it.
#[derive(Debug, Clone)]
struct Seen {
    role: ConnRole,
    initiator: SocketAddr,
    acceptor: SocketAddr,
    from_client: Vec<String>,
    from_server: Vec<String>,
}

/// Compares the two router captures of one case.
pub fn between(
    client_side: &Path,
    server_side: &Path,
    control_port: u16,
) -> Result<Vec<Rewrite>, String> {
    let read = |p: &Path| {
        read_pcap(p, Some(control_port))
            .map(|events| connections(&events))
            .map_err(|e| e.to_string())
    };
    Ok(compare(&read(client_side)?, &read(server_side)?))
}

fn compare(outside: &[Seen], inside: &[Seen]) -> Vec<Rewrite> {
    let mut out = Vec::new();
    let controls = |s: &[Seen]| -> Vec<Seen> {
        s.iter()
            .filter(|c| c.role == ConnRole::Control)
            .cloned()
            .collect()
    };
    let (oc, ic) = (controls(outside), controls(inside));
    for (o, i) in oc.iter().zip(&ic) {
        translated("control", o, i, &mut out);
        lines(Side::Client, &o.from_client, &i.from_client, &mut out);
        lines(Side::Server, &i.from_server, &o.from_server, &mut out);
    }
    let datas = |s: &[Seen]| -> Vec<Seen> {
        s.iter()
            .filter(|c| c.role != ConnRole::Control)
            .cloned()
            .collect()
    };
    let (od, id) = (datas(outside), datas(inside));
    for (o, i) in od.iter().zip(&id) {
        translated("data", o, i, &mut out);
    }
    let stopped = |c: &Seen, seen_on| Rewrite::Stopped {
        what: "data".into(),
        from: c.initiator,
        to: c.acceptor,
        seen_on,
    };
    out.extend(od.iter().skip(id.len()).map(|c| stopped(c, "client-side")));
    out.extend(id.iter().skip(od.len()).map(|c| stopped(c, "server-side")));
    out
}

fn translated(what: &str, o: &Seen, i: &Seen, out: &mut Vec<Rewrite>) {
    if (o.initiator, o.acceptor) != (i.initiator, i.acceptor) {
        out.push(Rewrite::Translated {
            what: what.into(),
            client_side: (o.initiator, o.acceptor),
            server_side: (i.initiator, i.acceptor),
        });
    }
}

/// Pairs the lines one side sent as they reached and left the router.
fn lines(from: Side, before: &[String], after: &[String], out: &mut Vec<Rewrite>) {
    for (b, a) in before.iter().zip(after) {
        if b != a {
            out.push(Rewrite::Line {
                from,
                before: b.clone(),
                after: a.clone(),
            });
        }
    }
}

/// The connections of a capture, in opening order, with their control
/// lines.
fn connections(events: &[Event]) -> Vec<Seen> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Opened {
                conn,
                role,
                initiator,
                acceptor,
                initiator_side,
                ..
            } => Some(seen(
                events,
                *conn,
                *role,
                *initiator,
                *acceptor,
                *initiator_side,
            )),
            _ => None,
        })
        .collect()
}

fn seen(
    events: &[Event],
    conn: ConnId,
    role: ConnRole,
    initiator: SocketAddr,
    acceptor: SocketAddr,
    initiator_side: Side,
) -> Seen {
    let text = |side| {
        if role != ConnRole::Control {
            return Vec::new();
        }
        let bytes = stream(events, conn, side).unwrap_or_default();
        // Only FTP's own lines: under FTPS the control connection carries
        // TLS records between `234` and `CCC`, which no helper reads and
        // which split into "lines" at random bytes.
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| l.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)))
            .map(str::to_string)
            .collect()
    };
    // On a control connection the client opens; the reader names sides.
    let (client, server) = if initiator_side == Side::Server {
        (Side::Server, Side::Client)
    } else {
        (Side::Client, Side::Server)
    };
    Seen {
        role,
        initiator,
        acceptor,
        from_client: text(client),
        from_server: text(server),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(i: &str, a: &str, c: &[&str], s: &[&str]) -> Seen {
        Seen {
            role: ConnRole::Control,
            initiator: i.parse().unwrap(),
            acceptor: a.parse().unwrap(),
            from_client: c.iter().map(|l| l.to_string()).collect(),
            from_server: s.iter().map(|l| l.to_string()).collect(),
        }
    }

    #[test]
    fn the_helper_rewriting_port_behind_client_nat() {
        let outside = control(
            "10.0.1.2:5000",
            "203.0.113.2:21",
            &["USER a", "PORT 10,0,1,2,150,99"],
            &["220 hi", "331 pass"],
        );
        let inside = control(
            "203.0.113.1:5000",
            "203.0.113.2:21",
            &["USER a", "PORT 203,0,113,1,150,99"],
            &["220 hi", "331 pass"],
        );
        let got: Vec<String> = compare(&[outside], &[inside])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "router translated the control connection 10.0.1.2:5000 -> 203.0.113.2:21 (client side) to 203.0.113.1:5000 -> 203.0.113.2:21 (server side)",
                "router rewrote C> \"PORT 10,0,1,2,150,99\" to \"PORT 203,0,113,1,150,99\"",
            ]
        );
    }

    #[test]
    fn a_227_rewritten_behind_server_nat_reads_server_side_first() {
        let outside = control(
            "198.51.100.2:5000",
            "198.51.100.1:21",
            &["PASV"],
            &["227 Entering Passive Mode (198,51,100,1,117,49)."],
        );
        let inside = control(
            "198.51.100.2:5000",
            "10.0.2.2:21",
            &["PASV"],
            &["227 Entering Passive Mode (10,0,2,2,117,49)."],
        );
        let got = compare(&[outside], &[inside]);
        assert_eq!(
            got[1],
            Rewrite::Line {
                from: Side::Server,
                before: "227 Entering Passive Mode (10,0,2,2,117,49).".into(),
                after: "227 Entering Passive Mode (198,51,100,1,117,49).".into(),
            }
        );
    }
}
