//! Active-mode check: after PORT / EPRT the server opens the data
//! connection to the client's listener.

use std::net::SocketAddr;

use super::facts::{endpoints, CheckCtx, Findings, Negotiation};
use super::replies::{answer_to, replies};
use crate::timeline::{Event, EventKind, Side};
use crate::verdict::Rule;

/// One data connection that arrived at a listener.
struct Arrival {
    seq: u64,
    initiator: SocketAddr,
    initiator_side: crate::timeline::Side,
    acceptor: SocketAddr,
}

// RFC 959 3.2: "The passive data transfer process "listens" on the data
// port prior to sending a transfer request command. The FTP request command
// determines the direction of the data transfer. The server, upon receiving
// the transfer request, will initiate the data connection to the port."
//
// Connecting as soon as PORT arrives is also seen in practice and harmless:
// both moments are legal and reported as a note.
pub fn check(events: &[Event], neg: &Negotiation, ctx: &CheckCtx) -> Findings {
    let mut out = Findings::default();
    let (Some(listener), Some(transfer)) = (neg.listener, neg.transfer.as_ref()) else {
        return out;
    };
    if neg.mode.is_passive() || neg.trap || neg.reply_code.is_none_or(|c| c / 100 != 2) {
        return out;
    }
    let Some(a) = arrival(events, listener) else {
        if server_claimed_connection(events, ctx, transfer.sent_seq) {
            out.violation(
                Rule::ActiveServerConnects,
                ctx.grade(Rule::ActiveServerConnects),
                format!(
                    "the server connects to {listener} named in {}",
                    neg.mode.verb()
                ),
                format!("no connection arrived after {}", transfer.verb),
                neg.loc.as_ref(),
            );
        }
        return out;
    };
    if a.initiator_side != Side::Server {
        out.violation(
            Rule::ActiveServerConnects,
            ctx.grade(Rule::ActiveServerConnects),
            "the server initiates the data connection",
            format!(
                "connection initiated by {:?} from {}",
                a.initiator_side, a.initiator
            ),
            neg.loc.as_ref(),
        );
        return out;
    }
    notes(events, neg, ctx, &a, transfer.sent_seq, &mut out);
    out
}

fn notes(
    events: &[Event],
    neg: &Negotiation,
    ctx: &CheckCtx,
    a: &Arrival,
    transfer_seq: u64,
    out: &mut Findings,
) {
    let verb = neg.mode.verb();
    let port = a.initiator.port();
    let l_minus_1 = endpoints(events, ctx.control).map(|(_, s)| s.port().wrapping_sub(1));
    if port == 20 || Some(port) == l_minus_1 {
        out.note(format!(
            "{verb}: connected from port {port} (RFC 959 default: port L-1 = 20)"
        ));
    } else {
        out.note(format!(
            "{verb}: connected from {} to {}",
            a.initiator, a.acceptor
        ));
    }
    if a.seq < transfer_seq {
        out.note(format!(
            "{verb}: connected at {verb} time, before the transfer command"
        ));
    } else {
        out.note(format!("{verb}: connected after the transfer command"));
    }
    if let Some((_, server)) = endpoints(events, ctx.control) {
        if server.ip() != a.initiator.ip() {
            out.note(format!(
                "{verb}: data connection from {} while the control connection is to {}",
                a.initiator.ip(),
                server.ip()
            ));
        }
    }
}

fn arrival(events: &[Event], listener: SocketAddr) -> Option<Arrival> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Opened {
            initiator,
            acceptor,
            initiator_side,
            ..
        } if *acceptor == listener => Some(Arrival {
            seq: e.seq,
            initiator: *initiator,
            initiator_side: *initiator_side,
            acceptor: *acceptor,
        }),
        _ => None,
    })
}

/// The server answered the transfer with a preliminary reply, a success, or
/// 425 (it tried to connect): in each case it should have connected.
fn server_claimed_connection(events: &[Event], ctx: &CheckCtx, from_seq: u64) -> bool {
    let seen = replies(events, ctx.control);
    answer_to(&seen, from_seq)
        .iter()
        .any(|r| r.code / 100 == 1 || r.code / 100 == 2 || r.code == 425)
}
