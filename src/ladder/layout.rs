//! Where everything of a ladder goes: a column (a pair of lanes) per
//! connection, reused once a connection has closed; a row per transcript
//! line; the links from a negotiation to the connections it set up.

use std::collections::HashMap;

use crate::timeline::{CloseKind, ConnId, Side};
use crate::transcript::{is_negotiation, reply_end, Entry, Shows};

/// Height of one row.
pub(super) const ROW: i32 = 22;
/// Space above the first row (title and legend).
pub(super) const HEADER: i32 = 52;
/// Left margin.
pub(super) const LEFT: i32 = 24;
/// Lane distance of a control connection (room for command text).
const CONTROL_WIDTH: i32 = 440;
/// Lane distance of a data or stray connection.
const DATA_WIDTH: i32 = 300;
/// Space between two columns.
const GAP: i32 = 48;
/// Width of the right margin holding violation texts.
pub(super) const MARGIN: i32 = 360;

/// Colours of data connections, in order of opening.
const DATA_COLOURS: &[&str] = &[
    "#1f77b4", "#2ca02c", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];
const CONTROL_COLOUR: &str = "#444444";
const STRAY_COLOUR: &str = "#9467bd";
/// Colour of a failed connection attempt.
pub(super) const FAILED_COLOUR: &str = "#d62728";

/// One connection's column and lanes.
pub(super) struct Conn {
    pub slot: usize,
    /// The sides at the left and right lane.
    pub ends: [Side; 2],
    pub colour: &'static str,
    /// The row that opened it and the row of its last close (none: it
    /// stays open to the end).
    pub rows: (usize, Option<usize>),
}

/// A column: the x of its left lane and the distance to its right lane.
#[derive(Clone, Copy)]
pub(super) struct Slot {
    pub x: i32,
    pub width: i32,
}

/// The vertical place of a row: its top and the y of its arrow.
#[derive(Clone, Copy)]
pub(super) struct Row {
    pub top: i32,
    pub y: i32,
}

/// A dashed link from the line that set a connection up (on a control
/// connection's right lane, at `from`) to its SYN (left of its column, at
/// `to`).
pub(super) struct Link {
    pub from_row: usize,
    pub from: (i32, i32),
    pub to: (i32, i32),
    pub colour: &'static str,
    /// The connection's label (`D1`, `X1`).
    pub label: String,
}

pub(super) struct Layout {
    pub conns: HashMap<ConnId, Conn>,
    /// The column and ends of each failed connection attempt, by row.
    pub failed: HashMap<usize, (usize, [Side; 2])>,
    pub slots: Vec<Slot>,
    pub rows: Vec<Row>,
    pub links: Vec<Link>,
    /// The right edge of the last column.
    pub lanes_end: i32,
    pub width: i32,
    pub height: i32,
}

impl Layout {
    pub(super) fn of(entries: &[Entry], margin: bool) -> Layout {
        let mut columns = Columns::default();
        for (row, e) in entries.iter().enumerate() {
            columns.row(row, &e.shows);
        }
        let slots = columns.slots();
        let lanes_end = slots.last().map_or(LEFT, |s| s.x + s.width);
        let rows = rows(entries);
        let height = rows.last().map_or(HEADER, |r| r.y) + ROW;
        let width = lanes_end + LEFT + if margin { MARGIN } else { 0 };
        let mut layout = Layout {
            conns: columns.conns,
            failed: columns.failed,
            slots,
            rows,
            links: Vec::new(),
            lanes_end,
            width: width.max(560),
            height,
        };
        layout.links = links(entries, &layout);
        layout
    }

    /// The x of `side`'s lane on a column with `ends`.
    pub(super) fn lane(&self, slot: usize, ends: [Side; 2], side: Side) -> i32 {
        let s = self.slots[slot];
        if side == ends[0] {
            s.x
        } else {
            s.x + s.width
        }
    }

    /// The x of `side`'s lane of connection `conn`.
    pub(super) fn conn_lane(&self, conn: ConnId, side: Side) -> Option<i32> {
        let c = self.conns.get(&conn)?;
        Some(self.lane(c.slot, c.ends, side))
    }
}

/// Columns in use while walking the rows.
#[derive(Default)]
struct Columns {
    conns: HashMap<ConnId, Conn>,
    failed: HashMap<usize, (usize, [Side; 2])>,
    /// Per column: its width and the row from which it is free (none:
    /// in use).
    slots: Vec<(i32, Option<usize>)>,
    /// Directions closed so far, per connection (index as in `ends`).
    closed: HashMap<ConnId, [bool; 2]>,
    data_seen: usize,
}

impl Columns {
    fn row(&mut self, row: usize, shows: &Shows) {
        match shows {
            Shows::Opened {
                conn,
                label,
                from,
                to,
            } => self.opened(row, *conn, label, [from.0, to.0]),
            Shows::ConnectFailed { from, .. } => {
                let ends = ordered([*from, opposite(*from)]);
                let slot = self.take(row, DATA_WIDTH);
                self.slots[slot].1 = Some(row + 1);
                self.failed.insert(row, (slot, ends));
            }
            Shows::Closed { conn, by, kind } => self.closed(row, *conn, *by, *kind),
            _ => {}
        }
    }

    fn opened(&mut self, row: usize, conn: ConnId, label: &str, sides: [Side; 2]) {
        let control = label.starts_with("ctrl");
        let width = if control { CONTROL_WIDTH } else { DATA_WIDTH };
        let colour = if control {
            CONTROL_COLOUR
        } else if label.starts_with('X') {
            STRAY_COLOUR
        } else {
            self.data_seen += 1;
            DATA_COLOURS[(self.data_seen - 1) % DATA_COLOURS.len()]
        };
        let slot = self.take(row, width);
        let c = Conn {
            slot,
            ends: ordered(sides),
            colour,
            rows: (row, None),
        };
        self.conns.insert(conn, c);
    }

    /// The first column free at `row`, widened to `width`.
    fn take(&mut self, row: usize, width: i32) -> usize {
        let free = self
            .slots
            .iter()
            .position(|(_, from)| from.is_some_and(|f| f <= row));
        let slot = free.unwrap_or_else(|| {
            self.slots.push((0, None));
            self.slots.len() - 1
        });
        let s = &mut self.slots[slot];
        *s = (s.0.max(width), None);
        slot
    }

    fn closed(&mut self, row: usize, conn: ConnId, by: Side, kind: CloseKind) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let done = self.closed.entry(conn).or_default();
        match kind {
            CloseKind::Reset => *done = [true, true],
            CloseKind::Fin => done[usize::from(c.ends[0] != by)] = true,
        }
        c.rows.1 = Some(row);
        if done.iter().all(|d| *d) {
            self.slots[c.slot].1 = Some(row + 1);
        }
    }

    fn slots(&self) -> Vec<Slot> {
        let mut x = LEFT;
        let mut out = Vec::new();
        for (width, _) in &self.slots {
            out.push(Slot { x, width: *width });
            x += width + GAP;
        }
        out
    }
}

/// Sides from left to right: client, third party, server.
fn ordered(sides: [Side; 2]) -> [Side; 2] {
    let rank = |s: Side| match s {
        Side::Client => 0,
        Side::Third => 1,
        Side::Server => 2,
    };
    if rank(sides[1]) < rank(sides[0]) {
        [sides[1], sides[0]]
    } else {
        sides
    }
}

/// The side a connection attempt by `side` is made to.
fn opposite(side: Side) -> Side {
    match side {
        Side::Server => Side::Client,
        _ => Side::Server,
    }
}

/// Row places: an opening takes two rows (its ends' addresses above the
/// SYN).
fn rows(entries: &[Entry]) -> Vec<Row> {
    let mut top = HEADER;
    let mut out = Vec::new();
    for e in entries {
        let height = match e.shows {
            Shows::Opened { .. } => 2 * ROW,
            _ => ROW,
        };
        out.push(Row {
            top,
            y: top + height - 6,
        });
        top += height;
    }
    out
}

/// For every data or stray connection (and failed attempt), the line that
/// set it up: the last negotiation before its row, or for a passive one
/// the reply that announced the address.
fn links(entries: &[Entry], layout: &Layout) -> Vec<Link> {
    let mut out = Vec::new();
    for (row, e) in entries.iter().enumerate() {
        let (slot, colour, label) = match &e.shows {
            Shows::Opened { conn, label, .. } if !label.starts_with("ctrl") => {
                let c = &layout.conns[conn];
                (c.slot, c.colour, label)
            }
            Shows::ConnectFailed { label, .. } => (layout.failed[&row].0, FAILED_COLOUR, label),
            _ => continue,
        };
        let Some((from_row, control)) = negotiation(&entries[..row]) else {
            continue;
        };
        let Some(ctrl) = layout.conns.get(&control) else {
            continue;
        };
        let x0 = layout.lane(ctrl.slot, ctrl.ends, ctrl.ends[1]) + 6;
        out.push(Link {
            from_row,
            from: (x0, layout.rows[from_row].y),
            to: (layout.slots[slot].x - 10, layout.rows[row].y),
            colour,
            label: label.clone(),
        });
    }
    out
}

fn negotiation(before: &[Entry]) -> Option<(usize, ConnId)> {
    let (n, control, line) = before
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, e)| match &e.shows {
            Shows::Control {
                conn,
                from: Side::Client,
                line,
            } if is_negotiation(line) => Some((i, *conn, line.as_str())),
            _ => None,
        })?;
    let verb = line.split_ascii_whitespace().next().unwrap_or("");
    if !["PASV", "EPSV", "LPSV"].contains(&verb.to_ascii_uppercase().as_str()) {
        return Some((n, control));
    }
    let reply = before[n + 1..].iter().position(|e| match &e.shows {
        Shows::Control {
            conn,
            from: Side::Server,
            line,
        } => *conn == control && reply_end(line).is_some(),
        _ => false,
    });
    Some((reply.map_or(n, |r| n + 1 + r), control))
}
