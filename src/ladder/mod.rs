//! Ladder diagrams: an SVG drawing of a case's timeline.
//!
//! One row per line of the normalized transcript (the timeline's canonical,
//! redacted order, so that two runs of a case draw the same ladder), laid
//! out as a sequence diagram:
//!
//! - every connection has its own pair of lanes (the control connection,
//!   each data connection, each stray one), the client's end on the left,
//!   the server's on the right and a third party's (a theft attempt, a
//!   bounce trap) on a lane of its own; a closed connection's column is
//!   reused by a later one, so that ten transfers do not take ten columns;
//! - SYN, FIN and RST arrows start at the side that sent them; control
//!   lines are arrows labelled with the command or reply; data arrows carry
//!   their byte counts;
//! - a dashed link in the data connection's colour runs from the line that
//!   set it up (the 227/229 of a passive negotiation, the PORT/EPRT command
//!   of an active one) to its SYN;
//! - [`Mark`]s (violations) are drawn on their row, with their text in the
//!   right margin.
//!
//! The output is deterministic: integer coordinates, no ids, no times.

mod layout;
mod svg;

pub use svg::esc as escape;

use crate::timeline::Event;
use crate::transcript::{transcript_entries, Entry};

/// Something to point at on the ladder: a violation at transcript line
/// `row`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub row: usize,
    pub text: String,
}

/// The ladder of a transcript, with `marks` drawn on their rows.
pub fn draw(title: &str, entries: &[Entry], marks: &[Mark]) -> String {
    let layout = layout::Layout::of(entries, !marks.is_empty());
    svg::render(title, entries, &layout, marks)
}

/// The ladder of a timeline (or of the events read back from a capture).
pub fn from_events(title: &str, events: &[Event]) -> String {
    draw(title, &transcript_entries(events), &[])
}

#[cfg(test)]
mod tests;
