//! Checks: what the timeline (and the script) of a case says about the
//! peer under test. The verdict types and the rule catalogue are in
//! [`crate::verdict`].

use crate::timeline::{Event, EventKind, PeerEvent};

/// What the fake peers remarked during a case (notes for the report).
pub fn remarks(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Peer(PeerEvent::Remark { text }) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

pub mod client_case;
pub mod client_commands;
pub mod client_data;
pub mod client_host;
pub mod client_mode;
pub mod client_outcome;
pub mod client_telnet;
pub mod client_tls;
pub mod client_view;
// Timeline checks of server-role cases (pure functions over events and what
// the fake client negotiated).
pub mod active;
mod expect;
pub mod facts;
pub mod ordering;
pub mod pasv;
pub mod replies;
pub mod security;
pub mod server_case;
pub mod tls;
mod transfer;
