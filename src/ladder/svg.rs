//! Draws a laid-out ladder as SVG text: lifelines, arrows, labels, links
//! and marks, with a small embedded style sheet and no external reference.

use std::fmt::Write;

use super::layout::{Layout, Row, FAILED_COLOUR, LEFT, MARGIN, ROW};
use super::Mark;
use crate::timeline::{CloseKind, ConnId, Side};
use crate::transcript::{Entry, Shows};

/// Width of one character of the 11px monospace text, in tenths of a pixel.
const CHAR_TENTHS: i32 = 66;

const STYLE: &str =
    "text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;fill:#222}\
.title{font-size:13px;font-weight:bold}.legend,.end{font-size:10px;fill:#555}\
.note{fill:#777;font-style:italic}.mark{fill:#d62728;font-weight:bold}";

/// The SVG document of a laid-out ladder.
pub(super) fn render(title: &str, entries: &[Entry], layout: &Layout, marks: &[Mark]) -> String {
    let mut svg = Svg::default();
    let (w, h) = (layout.width, layout.height);
    let _ = writeln!(
        svg.0,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="ladder" width="{w}" height="{h}" viewBox="0 0 {w} {h}"><style>{STYLE}</style><rect width="{w}" height="{h}" fill="#ffffff"/>"##
    );
    svg.text(LEFT, 18, "start", "title", &fit(title, w - 2 * LEFT), None);
    let legend =
        "C client · S server · T third party · arrows start at the sender · dashed: negotiation";
    svg.text(LEFT, 36, "start", "legend", legend, None);
    for m in marks {
        if let Some(row) = layout.rows.get(m.row) {
            svg.rect(0, row.top, w, row.y + 6 - row.top, "#fde2e2");
        }
    }
    lifelines(&mut svg, layout);
    links(&mut svg, layout);
    for (i, e) in entries.iter().enumerate() {
        Drawer {
            svg: &mut svg,
            layout,
            row: layout.rows[i],
            index: i,
        }
        .entry(&e.shows);
    }
    for m in marks {
        mark(&mut svg, layout, m);
    }
    svg.0.push_str("</svg>\n");
    svg.0
}

fn lifelines(svg: &mut Svg, layout: &Layout) {
    let mut conns: Vec<_> = layout.conns.values().collect();
    conns.sort_by_key(|c| c.rows.0);
    let bottom = layout.height - ROW / 2;
    for c in conns {
        let top = layout.rows[c.rows.0].y;
        let end = c.rows.1.map_or(bottom, |r| layout.rows[r].y);
        for side in c.ends {
            let x = layout.lane(c.slot, c.ends, side);
            svg.line((x, top), (x, end), c.colour, 1, false);
        }
    }
}

fn links(svg: &mut Svg, layout: &Layout) {
    for link in &layout.links {
        let ((x0, y0), (x1, y1)) = (link.from, link.to);
        let _ = writeln!(
            svg.0,
            r#"<path d="M{x0} {y0}H{x1}V{y1}H{}" fill="none" stroke="{}" stroke-width="1" stroke-dasharray="2 3"/>"#,
            x1 + 8,
            link.colour
        );
    }
}

fn mark(svg: &mut Svg, layout: &Layout, m: &Mark) {
    let Some(row) = layout.rows.get(m.row) else {
        return;
    };
    let x = layout.lanes_end + LEFT;
    let _ = writeln!(
        svg.0,
        r#"<circle cx="{}" cy="{}" r="7" fill="{FAILED_COLOUR}"/>"#,
        x + 7,
        row.y - 4
    );
    svg.text(x + 7, row.y, "middle", "", "!", None);
    let shown = fit(&m.text, MARGIN - 30);
    svg.text(x + 20, row.y, "start", "mark", &shown, Some(&m.text));
}

/// Draws one row.
struct Drawer<'a> {
    svg: &'a mut Svg,
    layout: &'a Layout,
    row: Row,
    index: usize,
}

impl Drawer<'_> {
    fn entry(&mut self, shows: &Shows) {
        match shows {
            Shows::Opened {
                conn,
                label,
                from,
                to,
            } => self.opened(*conn, label, from, to),
            Shows::ConnectFailed {
                label,
                from,
                target,
                reason,
            } => self.failed(label, *from, target, reason),
            Shows::Listening {
                side,
                addr,
                purpose,
            } => {
                let text = format!("{} listening on {addr} ({purpose})", side.tag());
                self.note(&text);
            }
            Shows::Control { conn, from, line } => self.control(*conn, *from, line),
            Shows::Data {
                conn,
                from,
                to,
                total,
            } => {
                let unit = if *total == 1 { "byte" } else { "bytes" };
                let label = format!("{total} {unit}");
                self.arrow(*conn, *from, *to, &label, Stroke::Data);
            }
            Shows::Closed { conn, by, kind } => {
                let to = self.other(*conn, *by);
                let (label, stroke) = match kind {
                    CloseKind::Fin => ("FIN", Stroke::Fin),
                    CloseKind::Reset => ("RST", Stroke::Reset),
                };
                self.arrow(*conn, *by, to, label, stroke);
            }
            Shows::Note { text } => self.note(&format!("# {text}")),
        }
    }

    fn opened(&mut self, conn: ConnId, label: &str, from: &(Side, String), to: &(Side, String)) {
        let Some(c) = self.layout.conns.get(&conn) else {
            return;
        };
        let (left, right) = if from.0 == c.ends[0] {
            (from, to)
        } else {
            (to, from)
        };
        let width = self.layout.slots[c.slot].width;
        let y = self.row.top + 14;
        let x = self.layout.lane(c.slot, c.ends, c.ends[0]);
        let l = fit(&format!("{} {}", left.0.tag(), left.1), width / 2 - 4);
        let r = fit(&format!("{} {}", right.0.tag(), right.1), width / 2 - 4);
        self.svg.text(x, y, "start", "end", &l, None);
        self.svg.text(x + width, y, "end", "end", &r, None);
        self.arrow(conn, from.0, to.0, &format!("{label} SYN"), Stroke::Syn);
    }

    fn failed(&mut self, label: &str, from: Side, target: &str, reason: &str) {
        let Some((slot, ends)) = self.layout.failed.get(&self.index).copied() else {
            return;
        };
        let to = if from == ends[0] { ends[1] } else { ends[0] };
        let x1 = self.layout.lane(slot, ends, from);
        let x2 = self.layout.lane(slot, ends, to);
        let stop = x1 + (x2 - x1) * 3 / 5;
        let y = self.row.y;
        self.svg.line((x1, y), (stop, y), FAILED_COLOUR, 1, true);
        self.svg.cross(stop, y);
        let text = format!("{label} SYN to {target}: failed");
        let width = (x2 - x1).abs();
        let mid = (x1 + x2) / 2;
        let title = format!("{text}: {reason}");
        self.svg
            .text(mid, y - 5, "middle", "", &fit(&text, width), Some(&title));
    }

    fn control(&mut self, conn: ConnId, from: Side, line: &str) {
        let to = self.other(conn, from);
        let tag = self
            .layout
            .links
            .iter()
            .filter(|l| l.from_row == self.index)
            .map(|l| format!(" ⇢ {}", l.label))
            .collect::<String>();
        self.arrow(conn, from, to, &format!("{line}{tag}"), Stroke::Control);
    }

    fn other(&self, conn: ConnId, side: Side) -> Side {
        match self.layout.conns.get(&conn) {
            Some(c) if c.ends[0] == side => c.ends[1],
            Some(c) => c.ends[0],
            None => side,
        }
    }

    fn arrow(&mut self, conn: ConnId, from: Side, to: Side, label: &str, stroke: Stroke) {
        let (Some(x1), Some(x2)) = (
            self.layout.conn_lane(conn, from),
            self.layout.conn_lane(conn, to),
        ) else {
            return;
        };
        let colour = match stroke {
            Stroke::Reset => FAILED_COLOUR,
            _ => self.layout.conns[&conn].colour,
        };
        let (width, dashed) = match stroke {
            Stroke::Data => (3, false),
            Stroke::Fin => (1, true),
            _ => (1, false),
        };
        let y = self.row.y;
        self.svg.line((x1, y), (x2, y), colour, width, dashed);
        self.svg.head(x1, x2, y, colour);
        let shown = fit(label, (x2 - x1).abs() - 8);
        let title = (shown != label).then_some(label);
        self.svg
            .text((x1 + x2) / 2, y - 5, "middle", "", &shown, title);
    }

    fn note(&mut self, text: &str) {
        let shown = fit(text, self.layout.lanes_end - LEFT);
        let title = (shown != text).then_some(text);
        self.svg
            .text(LEFT, self.row.y, "start", "note", &shown, title);
    }
}

#[derive(Clone, Copy)]
enum Stroke {
    Syn,
    Control,
    Data,
    Fin,
    Reset,
}

/// SVG text being written.
#[derive(Default)]
struct Svg(String);

impl Svg {
    fn text(&mut self, x: i32, y: i32, anchor: &str, class: &str, text: &str, title: Option<&str>) {
        let class = if class.is_empty() {
            String::new()
        } else {
            format!(r#" class="{class}""#)
        };
        let title = title.map_or(String::new(), |t| format!("<title>{}</title>", esc(t)));
        let _ = writeln!(
            self.0,
            r#"<text x="{x}" y="{y}" text-anchor="{anchor}"{class}>{title}{}</text>"#,
            esc(text)
        );
    }

    fn line(&mut self, a: (i32, i32), b: (i32, i32), colour: &str, width: i32, dashed: bool) {
        let ((x1, y1), (x2, y2)) = (a, b);
        let dash = if dashed {
            r#" stroke-dasharray="4 3""#
        } else {
            ""
        };
        let _ = writeln!(
            self.0,
            r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}" stroke-width="{width}"{dash}/>"#
        );
    }

    /// An arrowhead at `x2` for an arrow from `x1`.
    fn head(&mut self, x1: i32, x2: i32, y: i32, colour: &str) {
        let back = if x2 >= x1 { x2 - 8 } else { x2 + 8 };
        let _ = writeln!(
            self.0,
            r#"<polygon points="{x2},{y} {back},{} {back},{}" fill="{colour}"/>"#,
            y - 4,
            y + 4
        );
    }

    /// A red cross: a connection attempt that failed here.
    fn cross(&mut self, x: i32, y: i32) {
        let d = format!("M{} {}l8 8m0 -8l-8 8", x - 4, y - 4);
        let _ = writeln!(
            self.0,
            r#"<path d="{d}" stroke="{FAILED_COLOUR}" stroke-width="2"/>"#
        );
    }

    fn rect(&mut self, x: i32, y: i32, w: i32, h: i32, fill: &str) {
        let _ = writeln!(
            self.0,
            r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"/>"#
        );
    }
}

/// `text` cut with an ellipsis to fit `px` pixels of 11px monospace.
fn fit(text: &str, px: i32) -> String {
    let max = (px.max(0) * 10 / CHAR_TENTHS) as usize;
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Escapes text for SVG (XML) content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(fit("PASV", 100), "PASV");
        assert_eq!(fit("0123456789", 33), "0123…");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc(r#"<a & "b">'"#), "&lt;a &amp; &quot;b&quot;&gt;&#39;");
    }
}
