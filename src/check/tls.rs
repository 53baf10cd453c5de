//! FTPS checks over a finished timeline (RFC 4217), from the TLS events
//! the connection layer recorded: handshakes that failed, data
//! connections ended without close_notify, sessions resumed or not.

use super::facts::{CheckCtx, Findings};
use crate::timeline::{ConnId, ConnRole, Event, EventKind, Side, TlsEvent};
use crate::verdict::Rule;

/// The TLS events of `events` with the role of their connection.
pub(super) fn tls_events(events: &[Event]) -> Vec<(ConnRole, &TlsEvent)> {
    let mut roles = std::collections::HashMap::<ConnId, ConnRole>::new();
    let mut out = Vec::new();
    for e in events {
        match &e.kind {
            EventKind::Opened { conn, role, .. } => {
                roles.insert(*conn, *role);
            }
            EventKind::Tls(t) => {
                if let Some(role) = t.conn().and_then(|c| roles.get(&c)) {
                    out.push((*role, t));
                }
            }
            _ => {}
        }
    }
    out
}

/// The connections on which `side` sent payload bytes.
fn senders(events: &[Event], side: Side) -> Vec<ConnId> {
    let mut out = Vec::new();
    for e in events {
        if let EventKind::Bytes {
            conn, from, len, ..
        } = &e.kind
        {
            if *from == side && *len > 0 && !out.contains(conn) {
                out.push(*conn);
            }
        }
    }
    out
}

/// Server role: the fake client's handshakes with the server, and how the
/// server ended the protected data connections it sent data on.
pub fn server_side(events: &[Event], ctx: &CheckCtx) -> Findings {
    let mut out = Findings::default();
    let sent = senders(events, Side::Server);
    for (role, t) in tls_events(events) {
        match (role, t) {
            (ConnRole::Control, TlsEvent::Failed { reason, .. }) => out.violation(
                Rule::TlsHandshake,
                ctx.grade(Rule::TlsHandshake),
                "a TLS handshake on the control connection (after 234 to AUTH, or on connect with implicit FTPS)",
                format!("the handshake failed: {reason}"),
                None,
            ),
            (ConnRole::Data(n), TlsEvent::Failed { reason, .. }) => out.violation(
                Rule::TlsDataHandshake,
                ctx.grade(Rule::TlsDataHandshake),
                "a TLS handshake on the protected data connection, the client as TLS client",
                format!("D{n}: the handshake failed: {reason}"),
                None,
            ),
            (
                ConnRole::Data(n),
                TlsEvent::Truncated {
                    by: Side::Server,
                    conn,
                },
            ) if sent.contains(conn) => out.violation(
                Rule::TlsDataCloseNotify,
                ctx.grade(Rule::TlsDataCloseNotify),
                "close_notify before the server closes the protected data connection",
                format!("D{n}: TCP closed by the server without close_notify"),
                None,
            ),
            (ConnRole::Data(n), TlsEvent::Established { resumed, .. }) => out.note(format!(
                "D{n}: TLS {}",
                if *resumed {
                    "session resumed"
                } else {
                    "new session (not resumed)"
                }
            )),
            _ => {}
        }
    }
    out
}
