//! The normalized transcript: a readable, deterministic text view of a
//! timeline. Control lines read `C> PASV` / `S> 227 ...`; data connections
//! read `D1 opened by ...`, `D1 S->C 12 bytes`, `D1 closed by S`; notes read
//! `# text`. Addresses, ports, temporary names and 14-digit timestamps are
//! replaced by placeholders ([`Redactor`]) so that two runs of the same case
//! give the same text.
//!
//! Byte counts of a data connection are merged while the same direction of
//! that connection keeps sending, even if control lines arrive in between:
//! the split of a transfer into reads depends on timing, the total does not.
//! For the same reason the lines of each data connection are kept together
//! and placed by the control lines alone (after the `150` of the transfer;
//! see [`arrange`]).
//!
//! Ports are numbered in order of first appearance, and a port number used
//! again for a new listener (a passive port the server hands out twice, an
//! ephemeral port the OS reuses) gets a new placeholder, so that the text
//! does not depend on which ports the OS or the server happened to pick.

mod arrange;
mod compare;
mod redact;

use arrange::Place;
pub use arrange::{is_negotiation, reply_end};
pub use compare::compare;
pub use redact::Redactor;

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::timeline::{CloseKind, ConnId, ConnRole, Event, EventKind, Side, TlsEvent};
use crate::wire::escape::escape;

/// Longest control line shown before it is cut.
const LINE_CAP: usize = 8192;

/// The transcript of `events`, one line per entry, ending in a newline.
pub fn transcript(events: &[Event]) -> String {
    let mut out = String::new();
    for line in transcript_lines(events) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The transcript of `events` as lines (for violation context).
pub fn transcript_lines(events: &[Event]) -> Vec<String> {
    transcript_entries(events)
        .into_iter()
        .map(|e| e.text)
        .collect()
}

/// One transcript line and the timeline event that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `seq` of the event that produced the line (for a merged byte count,
    /// the first event; for a control line, the event that completed it).
    pub seq: u64,
    pub text: String,
    /// What the line shows, for drawings of the transcript (the ladder).
    pub shows: Shows,
}

/// What a transcript line shows, with its values already redacted: the
/// line's facts for a view that lays them out rather than prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shows {
    /// `label` (`ctrl`, `D1`, `X1`) was opened by `from` (the SYN sender).
    Opened {
        conn: ConnId,
        label: String,
        from: (Side, String),
        to: (Side, String),
    },
    /// `from` could not connect to `target` (`label`: `ctrl`, `D1`, `X`).
    ConnectFailed {
        label: String,
        from: Side,
        target: String,
        reason: String,
    },
    /// `side` listens on `addr` for `purpose`.
    Listening {
        side: Side,
        addr: String,
        purpose: String,
    },
    /// A control line sent by `from` (escaped, with its line-end mark).
    Control {
        conn: ConnId,
        from: Side,
        line: String,
    },
    /// `total` bytes sent by `from` to `to` on a data connection.
    Data {
        conn: ConnId,
        from: Side,
        to: Side,
        total: u64,
    },
    /// `by` closed its direction (FIN) or reset the connection.
    Closed {
        conn: ConnId,
        by: Side,
        kind: CloseKind,
    },
    /// A harness note.
    Note { text: String },
}

/// The transcript of `events` with the event behind each line, so that a
/// check can show the lines around the event it blames.
pub fn transcript_entries(events: &[Event]) -> Vec<Entry> {
    let mut w = Writer::default();
    for e in events {
        w.seq = e.seq;
        w.event(&e.kind);
    }
    w.finish()
}

/// What the writer knows of a connection.
struct ConnInfo {
    label: String,
    control: bool,
}

/// A run of byte events of one data connection in one direction.
struct Run {
    from: Side,
    to: Side,
    line: usize,
    total: u64,
}

#[derive(Default)]
struct Writer {
    lines: Vec<Entry>,
    /// Where each line belongs (parallel to `lines`).
    places: Vec<Place>,
    /// The opening event of each data or stray connection.
    blocks: HashMap<ConnId, u64>,
    seq: u64,
    red: Redactor,
    conns: HashMap<ConnId, ConnInfo>,
    sides: HashMap<ConnId, [Side; 2]>,
    controls: u32,
    strays: u32,
    partial: Vec<((ConnId, Side), Vec<u8>)>,
    runs: HashMap<ConnId, Run>,
    /// The interior lines of the multiline reply being written: its
    /// connection, how many came, how many were left out.
    streak: Option<(ConnId, u64, u64)>,
}

/// Interior lines of one multiline reply the transcript shows; the rest
/// (a banner of thousands of lines) is counted in one line. The capture
/// keeps every byte.
const SHOWN_INTERIOR_LINES: u64 = 50;

impl Writer {
    fn event(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Opened {
                conn,
                role,
                initiator,
                acceptor,
                initiator_side,
                acceptor_side,
            } => self.opened(
                *conn,
                *role,
                (*initiator, *initiator_side),
                (*acceptor, *acceptor_side),
            ),
            EventKind::ConnectFailed {
                role,
                from_side,
                target,
                reason,
            } => self.connect_failed(*role, *from_side, *target, reason),
            EventKind::Listening {
                side,
                addr,
                purpose,
            } => {
                self.red.learn(addr.ip(), *side);
                let addr = self.red.listener(*addr, *side);
                let text = format!("{} listening on {addr} ({purpose})", side.tag());
                let (side, purpose) = (*side, purpose.clone());
                self.push(
                    text,
                    Shows::Listening {
                        side,
                        addr,
                        purpose,
                    },
                );
            }
            EventKind::Bytes {
                conn,
                from,
                len,
                bytes,
                ..
            } => self.bytes(*conn, *from, *len, bytes),
            EventKind::Closed { conn, by, kind } => self.closed(*conn, *by, *kind),
            EventKind::Note { text } => {
                let text = self.red.note(text);
                self.push(format!("# {text}"), Shows::Note { text });
            }
            // What the peer did beside the wire: the checks read it.
            EventKind::Peer(_) => {}
            EventKind::Tls(t) => self.tls(t),
        }
    }

    /// A marker where TLS started, failed or ended on a connection (the
    /// lines around it show the plaintext).
    fn tls(&mut self, t: &TlsEvent) {
        let text = match t {
            TlsEvent::Record { .. } | TlsEvent::Secret { .. } => return,
            TlsEvent::Established {
                client,
                version,
                cipher,
                resumed,
                ..
            } => format!(
                "TLS started: {version}, {cipher}, TLS client {}, {}",
                client.tag(),
                if *resumed {
                    "session resumed"
                } else {
                    "new session"
                }
            ),
            TlsEvent::Failed { by, reason, .. } => {
                format!("TLS handshake failed ({} saw: {reason})", by.tag())
            }
            TlsEvent::CloseNotify { by, .. } => format!("TLS close_notify from {}", by.tag()),
            TlsEvent::Truncated { by, .. } => {
                format!("TLS: {} closed TCP without close_notify", by.tag())
            }
            TlsEvent::Cleared { .. } => "TLS ended: plaintext from here".to_string(),
        };
        let Some(conn) = t.conn() else { return };
        let Some(label) = self.conns.get(&conn).map(|i| i.label.clone()) else {
            return;
        };
        self.runs.remove(&conn);
        let place = self.place_of(conn);
        self.push_at(format!("{label} ## {text}"), Shows::Note { text }, place);
    }

    fn push(&mut self, text: String, shows: Shows) {
        self.push_at(text, shows, Place::Other);
    }

    fn push_at(&mut self, text: String, shows: Shows, place: Place) {
        let seq = self.seq;
        self.lines.push(Entry { seq, text, shows });
        self.places.push(place);
    }

    /// Where lines of `conn` go: their data block, or event order.
    fn place_of(&self, conn: ConnId) -> Place {
        self.blocks
            .get(&conn)
            .map_or(Place::Other, |k| Place::Data(*k))
    }

    fn label(&mut self, role: ConnRole) -> String {
        match role {
            ConnRole::Control => {
                self.controls += 1;
                match self.controls {
                    1 => "ctrl".to_string(),
                    n => format!("ctrl{n}"),
                }
            }
            ConnRole::Data(n) => format!("D{n}"),
            ConnRole::Stray => {
                self.strays += 1;
                format!("X{}", self.strays)
            }
        }
    }

    fn opened(
        &mut self,
        conn: ConnId,
        role: ConnRole,
        init: (SocketAddr, Side),
        acc: (SocketAddr, Side),
    ) {
        self.red.learn(init.0.ip(), init.1);
        self.red.learn(acc.0.ip(), acc.1);
        let label = self.label(role);
        let from_port = self.red.initiating_port(init.0.port());
        let from = self.red.socket_with(init.0, init.1, from_port);
        let to_port = self.red.accepting_port(acc.0.port());
        let to = self.red.socket_with(acc.0, acc.1, to_port);
        let control = role == ConnRole::Control;
        if !control {
            self.blocks.insert(conn, self.seq);
        }
        let text = format!("{label} opened by {} {from} -> {to}", init.1.tag());
        let shows = Shows::Opened {
            conn,
            label: label.clone(),
            from: (init.1, from),
            to: (acc.1, to),
        };
        self.push_at(text, shows, self.place_of(conn));
        self.conns.insert(conn, ConnInfo { label, control });
        self.sides.insert(conn, [init.1, acc.1]);
    }

    fn connect_failed(&mut self, role: ConnRole, from: Side, target: SocketAddr, reason: &str) {
        let label = match role {
            ConnRole::Control => "ctrl".to_string(),
            ConnRole::Data(n) => format!("D{n}"),
            ConnRole::Stray => "X".to_string(),
        };
        let prefer = if from == Side::Server {
            Side::Client
        } else {
            Side::Server
        };
        let target = self.red.socket(target, prefer);
        let reason = self.red.text(reason);
        let text = format!(
            "{label} connect by {} to {target} failed: {reason}",
            from.tag()
        );
        let place = match role {
            ConnRole::Control => Place::Other,
            _ => Place::Data(self.seq),
        };
        let shows = Shows::ConnectFailed {
            label,
            from,
            target,
            reason,
        };
        self.push_at(text, shows, place);
    }

    fn bytes(&mut self, conn: ConnId, from: Side, len: u64, bytes: &[u8]) {
        let Some(info) = self.conns.get(&conn) else {
            return;
        };
        if info.control {
            self.control_bytes(conn, from, len, bytes);
        } else {
            self.data_bytes(conn, from, len);
        }
    }

    fn data_bytes(&mut self, conn: ConnId, from: Side, len: u64) {
        if let Some(run) = self.runs.get_mut(&conn).filter(|r| r.from == from) {
            run.total += len;
            let line = data_line(&self.conns[&conn].label, run);
            self.lines[run.line].text = line;
            self.lines[run.line].shows = run.shows(conn);
            return;
        }
        let to = self.other_side(conn, from);
        let run = Run {
            from,
            to,
            line: self.lines.len(),
            total: len,
        };
        let line = data_line(&self.conns[&conn].label, &run);
        self.push_at(line, run.shows(conn), self.place_of(conn));
        self.runs.insert(conn, run);
    }

    fn other_side(&self, conn: ConnId, side: Side) -> Side {
        let [a, b] = self
            .sides
            .get(&conn)
            .copied()
            .unwrap_or([Side::Client, Side::Server]);
        if side == a {
            b
        } else {
            a
        }
    }

    fn control_bytes(&mut self, conn: ConnId, from: Side, len: u64, bytes: &[u8]) {
        if (bytes.len() as u64) < len {
            self.flush_partial(conn, from, "[no EOL]");
            let missing = len - bytes.len() as u64;
            let prefix = self.control_prefix(conn, from);
            let line = format!("[{missing} bytes not retained]");
            self.push(
                format!("{prefix}{line}"),
                Shows::Control { conn, from, line },
            );
            return;
        }
        let buf = self.partial_mut(conn, from);
        buf.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(nl) = buf.iter().position(|b| *b == b'\n') {
            lines.push(buf.drain(..=nl).collect::<Vec<u8>>());
        }
        let long = buf.len() > LINE_CAP;
        for line in lines {
            self.control_line(conn, from, &line, "");
        }
        if long {
            self.flush_partial(conn, from, "[cut]");
        }
    }

    fn partial_mut(&mut self, conn: ConnId, from: Side) -> &mut Vec<u8> {
        let i = match self.partial.iter().position(|(k, _)| *k == (conn, from)) {
            Some(i) => i,
            None => {
                self.partial.push(((conn, from), Vec::new()));
                self.partial.len() - 1
            }
        };
        &mut self.partial[i].1
    }

    fn flush_partial(&mut self, conn: ConnId, from: Side, mark: &str) {
        let rest = std::mem::take(self.partial_mut(conn, from));
        if !rest.is_empty() {
            self.control_line(conn, from, &rest, mark);
        }
    }

    fn control_prefix(&self, conn: ConnId, from: Side) -> String {
        match self.conns.get(&conn) {
            Some(info) if info.label != "ctrl" => format!("{} {}> ", info.label, from.tag()),
            _ => format!("{}> ", from.tag()),
        }
    }

    /// One control line; `raw` holds its line end, if any.
    fn control_line(&mut self, conn: ConnId, from: Side, raw: &[u8], mark: &str) {
        let (body, end) = split_line_end(raw);
        let text = self.red.control_line(&escape(body), from);
        if from == Side::Server && arrange::reply_end(&text).is_none() {
            let streak = match self.streak {
                Some((c, n, left)) if c == conn => (c, n + 1, left),
                _ => {
                    self.end_streak();
                    (conn, 1, 0)
                }
            };
            self.streak = Some(streak);
            if streak.1 > SHOWN_INTERIOR_LINES {
                self.streak = Some((conn, streak.1, streak.2 + 1));
                return;
            }
        } else {
            self.end_streak();
        }
        let mark = if mark.is_empty() { end } else { mark };
        let prefix = self.control_prefix(conn, from);
        let sep = if mark.is_empty() { "" } else { " " };
        let place = control_place(conn, from, &text);
        let line = format!("{text}{sep}{mark}");
        let shows = Shows::Control { conn, from, line };
        self.push_at(format!("{prefix}{text}{sep}{mark}"), shows, place);
    }

    /// Ends the multiline reply being written: the count of the interior
    /// lines left out, if any.
    fn end_streak(&mut self) {
        let Some((conn, _, left)) = self.streak.take() else {
            return;
        };
        if left > 0 {
            let prefix = self.control_prefix(conn, Side::Server);
            let text = format!("[{left} more lines of this reply not shown]");
            self.push(format!("{prefix}{text}"), Shows::Note { text });
        }
    }

    fn closed(&mut self, conn: ConnId, by: Side, kind: CloseKind) {
        if self.streak.is_some_and(|s| s.0 == conn) {
            self.end_streak();
        }
        let Some(label) = self.conns.get(&conn).map(|i| i.label.clone()) else {
            return;
        };
        self.runs.remove(&conn);
        self.flush_partial(conn, by, "[no EOL]");
        let verb = match kind {
            CloseKind::Fin => "closed",
            CloseKind::Reset => "reset",
        };
        self.push_at(
            format!("{label} {verb} by {}", by.tag()),
            Shows::Closed { conn, by, kind },
            self.place_of(conn),
        );
    }

    fn finish(mut self) -> Vec<Entry> {
        self.end_streak();
        let keys: Vec<(ConnId, Side)> = self.partial.iter().map(|(k, _)| *k).collect();
        for (conn, from) in keys {
            self.flush_partial(conn, from, "[no EOL]");
        }
        arrange::arrange(self.lines, self.places)
    }
}

/// How a control line takes part in placing data blocks.
fn control_place(conn: ConnId, from: Side, text: &str) -> Place {
    match from {
        Side::Client if arrange::is_negotiation(text) => Place::Negotiation(conn),
        Side::Server => match arrange::reply_end(text) {
            Some(digit) => Place::Reply(conn, digit),
            None => Place::Other,
        },
        _ => Place::Other,
    }
}

impl Run {
    fn shows(&self, conn: ConnId) -> Shows {
        Shows::Data {
            conn,
            from: self.from,
            to: self.to,
            total: self.total,
        }
    }
}

fn data_line(label: &str, run: &Run) -> String {
    let unit = if run.total == 1 { "byte" } else { "bytes" };
    format!(
        "{label} {}->{} {} {unit}",
        run.from.tag(),
        run.to.tag(),
        run.total
    )
}

/// Splits off the line end: CRLF gives no mark, a bare LF gives `[LF]`.
fn split_line_end(raw: &[u8]) -> (&[u8], &'static str) {
    match raw {
        [body @ .., b'\r', b'\n'] => (body, ""),
        [body @ .., b'\n'] => (body, "[LF]"),
        _ => (raw, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{read_pcap, PcapObserver};
    use crate::timeline::{OpenRole, Timeline};

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn pasv_list(base: u16) -> Timeline {
        let t = Timeline::new();
        record_pasv_list(&t, base);
        t
    }

    /// A passive LIST on ports `base + 1..=4`.
    fn record_pasv_list(t: &Timeline, base: u16) {
        let p = |n: u16| sa(&format!("127.0.0.1:{}", base + n));
        let c = t.open(
            OpenRole::Control,
            (p(1), Side::Client),
            (p(2), Side::Server),
        );
        t.bytes(c, Side::Server, b"220 ready\r\n");
        t.bytes(c, Side::Client, b"PASV\r\n");
        let (hi, lo) = ((base + 3) >> 8, (base + 3) & 0xff);
        let reply = format!("227 Entering Passive Mode (127,0,0,1,{hi},{lo}).\r\n");
        t.bytes(c, Side::Server, reply.as_bytes());
        let d = t.open(OpenRole::Data, (p(4), Side::Client), (p(3), Side::Server));
        t.bytes(c, Side::Client, b"LIST\r\n");
        t.bytes(d, Side::Server, b"0123456789");
        t.bytes(c, Side::Server, b"150 here\r\n");
        t.bytes(d, Side::Server, b"ab");
        t.close(d, Side::Server, CloseKind::Fin);
        t.close(d, Side::Client, CloseKind::Fin);
        t.bytes(c, Side::Server, b"226 done\r\n");
        t.close(c, Side::Client, CloseKind::Fin);
    }

    /// The real capture whose file name starts with `prefix`.
    fn real_capture(prefix: &str) -> std::path::PathBuf {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures-real");
        let mut entries = std::fs::read_dir(&dir).unwrap().flatten();
        let entry = entries.find(|e| e.file_name().to_string_lossy().starts_with(prefix));
        entry
            .unwrap_or_else(|| panic!("no capture {prefix}*"))
            .path()
    }

    #[test]
    fn a_long_multiline_reply_shows_its_first_lines_a_count_and_its_end() {
        let t = Timeline::new();
        let c = t.open(
            OpenRole::Control,
            (sa("127.0.0.1:40001"), Side::Client),
            (sa("127.0.0.1:2121"), Side::Server),
        );
        let mut banner = String::from("230-Welcome\r\n");
        for i in 1..=200 {
            banner.push_str(&format!("230-padding line {i}\r\n"));
        }
        banner.push_str("230 Logged in\r\n");
        t.bytes(c, Side::Server, banner.as_bytes());
        t.bytes(c, Side::Client, b"QUIT\r\n");
        // A short one after it is shown whole.
        t.bytes(c, Side::Server, b"221-Bye\r\n221 Goodbye\r\n");
        let text = transcript(&t.events());
        assert!(text.contains("S> 230-padding line 49\n"), "{text}");
        assert!(!text.contains("padding line 50\n"), "{text}");
        assert!(
            text.contains("S> [151 more lines of this reply not shown]\nS> 230 Logged in\n"),
            "{text}"
        );
        assert!(text.contains("S> 221-Bye\nS> 221 Goodbye\n"), "{text}");
        assert_eq!(text.matches("not shown").count(), 1, "{text}");
    }

    #[test]
    fn compare_finds_no_difference_between_runs_with_other_ports() {
        let dir = tempfile::tempdir().unwrap();
        let pcap = |base: u16| {
            let path = dir.path().join(format!("{base}.pcap"));
            let t = Timeline::new();
            t.add_observer(Box::new(PcapObserver::create(&path).unwrap()));
            record_pasv_list(&t, base);
            t.finish();
            path
        };
        assert_eq!(compare(&pcap(40000), &pcap(51000), None).unwrap(), None);
        let (a, b) = (real_capture("01-"), real_capture("09-"));
        let diff = compare(&a, &b, None).unwrap().unwrap();
        assert!(diff.contains("\n-S> 220 ftp.NetBSD.org"), "{diff}");
        assert!(diff.contains("\n+S> 220 FTP Sandbox Ready."), "{diff}");
    }

    #[test]
    fn real_captures_give_redacted_transcripts() {
        let of = |prefix| transcript(&read_pcap(&real_capture(prefix), None).unwrap());
        let bounce = of("S2-");
        assert!(
            bounce.contains("\nctrl2 C> PORT <ip-1>,<port-5>\n"),
            "{bounce}"
        );
        let feat = of("14-");
        assert!(
            feat.contains("\nS> 211-Features: [LF]\nS>  MDTM [LF]\n"),
            "{feat}"
        );
        assert!(
            feat.contains("[<server-ip>]"),
            "greeting names the server: {feat}"
        );
        assert!(feat.contains("\nS> 213 <time>\n"), "{feat}");
        let retr = of("05-");
        assert!(
            retr.contains("\nD1 S->C 16557 bytes\nD1 closed by S\n"),
            "{retr}"
        );
    }

    #[test]
    fn pasv_listing_reads_as_a_script() {
        let expected = "\
ctrl opened by C <client-ip>:<port-1> -> <server-ip>:<port-2>
S> 220 ready
C> PASV
S> 227 Entering Passive Mode (<server-ip>,<port-3>).
C> LIST
S> 150 here
D1 opened by C <client-ip>:<port-4> -> <server-ip>:<port-3>
D1 S->C 12 bytes
D1 closed by S
D1 closed by C
S> 226 done
ctrl closed by C
";
        assert_eq!(transcript(&pasv_list(40000).events()), expected);
    }

    #[test]
    fn other_ports_give_the_same_transcript() {
        let a = transcript(&pasv_list(40000).events());
        let b = transcript(&pasv_list(52000).events());
        assert_eq!(a, b);
        assert_eq!(
            transcript_lines(&pasv_list(40000).events()).join("\n") + "\n",
            a
        );
        let entries = transcript_entries(&pasv_list(40000).events());
        let d1 = entries
            .iter()
            .find(|e| e.text == "D1 S->C 12 bytes")
            .unwrap();
        assert_eq!(d1.seq, 6);
        assert_eq!(entries[2].seq, 2);
    }

    #[test]
    fn ipv6_eprt_bare_lf_reset_and_strays() {
        let t = Timeline::new();
        let (client, server) = (sa("[::1]:40001"), sa("[::1]:2121"));
        let c = t.open(
            OpenRole::Control,
            (client, Side::Client),
            (server, Side::Server),
        );
        t.bytes(c, Side::Server, b"220 hi\n211-x\r");
        t.bytes(c, Side::Server, b"\n");
        t.record(EventKind::Listening {
            side: Side::Client,
            addr: sa("[::1]:45000"),
            purpose: "EPRT".into(),
        });
        t.bytes(c, Side::Client, b"EPRT |2|::1|45000|\r\nNOOP\x01\r\n");
        let x = t.open(
            OpenRole::Stray,
            (sa("127.0.0.2:5555"), Side::Third),
            (sa("127.0.0.1:45000"), Side::Client),
        );
        t.close(x, Side::Client, CloseKind::Reset);
        t.note("timeout waiting for 127.0.0.1:45000 in /tmp/.tmpAb12Cd/x");
        t.note("connecting to [::1]:2121 and [fe80::9]");
        t.record(EventKind::ConnectFailed {
            role: ConnRole::Data(1),
            from_side: Side::Server,
            target: sa("[::1]:45000"),
            reason: "refused".into(),
        });
        t.bytes(c, Side::Server, b"213 20260101120000\r\n500 half");
        let expected = "\
ctrl opened by C [<client-ip>]:<port-1> -> [<server-ip>]:<port-2>
S> 220 hi [LF]
S> 211-x
C listening on [<client-ip>]:<port-3> (EPRT)
C> EPRT |2|<client-ip>|<port-3>|
C> NOOP\\x01
# timeout waiting for <client-ip>:<port-3> in <tmp>/x
# connecting to [<server-ip>]:<port-2> and [<ip-1>]
S> 213 <time>
X1 opened by T <third-ip>:<port-4> -> <client-ip>:<port-3>
X1 reset by C
D1 connect by S to [<client-ip>]:<port-3> failed: refused
S> 500 half [no EOL]
";
        assert_eq!(transcript(&t.events()), expected);
    }

    /// A PASV RETR whose data connection opens, sends and closes at
    /// `when` (1: before RETR, 2: after RETR, 3: after 150, 4: after 226),
    /// with the passive port `pasv` handed out for the second time.
    fn retr_with_timing(when: usize, pasv: u16) -> String {
        let t = Timeline::new();
        let c = t.open(
            OpenRole::Control,
            (sa("127.0.0.1:40001"), Side::Client),
            (sa("127.0.0.1:2121"), Side::Server),
        );
        let data = |t: &Timeline| {
            let d = t.open(
                OpenRole::Data,
                (sa("127.0.0.1:40002"), Side::Client),
                (sa(&format!("127.0.0.1:{pasv}")), Side::Server),
            );
            t.bytes(d, Side::Server, b"hello");
            t.close(d, Side::Server, CloseKind::Fin);
            t.close(d, Side::Client, CloseKind::Fin);
        };
        let (hi, lo) = (pasv >> 8, pasv & 0xff);
        let steps: [&[u8]; 4] = [
            b"227 Entering Passive Mode (127,0,0,1,PORT)\r\n",
            b"RETR a\r\n",
            b"150 here\r\n",
            b"226 done\r\n",
        ];
        t.bytes(c, Side::Client, b"PASV\r\n");
        for (i, step) in steps.iter().enumerate() {
            if i == when {
                data(&t);
            }
            let text = String::from_utf8_lossy(step).replace("PORT", &format!("{hi},{lo}"));
            let from = if i == 1 { Side::Client } else { Side::Server };
            t.bytes(c, from, text.as_bytes());
        }
        if when == steps.len() {
            data(&t);
        }
        transcript(&t.events())
    }

    #[test]
    fn data_blocks_sit_after_the_150_whatever_the_timing() {
        let first = retr_with_timing(1, 50000);
        for when in [1, 2, 3, 4] {
            assert_eq!(retr_with_timing(when, 50000), first, "timing {when}");
        }
        assert!(first.contains("S> 150 here\nD1 opened"), "{first}");
        assert!(first.contains("D1 closed by C\nS> 226 done"), "{first}");
    }

    #[test]
    fn a_reused_port_gets_a_new_placeholder_once_used() {
        let mut red = Redactor::default();
        assert_eq!(red.announced_port(50000), "<port-1>");
        assert_eq!(red.announced_port(50000), "<port-1>");
        assert_eq!(red.accepting_port(50000), "<port-1>");
        assert_eq!(red.announced_port(50000), "<port-2>");
        assert_eq!(red.initiating_port(40000), "<port-3>");
        assert_eq!(red.port(40000), "<port-3>");
    }

    #[test]
    fn notes_quoting_a_port_command_are_redacted() {
        let mut red = Redactor::default();
        red.learn("127.0.0.1".parse().unwrap(), Side::Client);
        assert_eq!(
            red.note("a.yaml:3:9: PORT 127,0,0,1,155,167"),
            "a.yaml:3:9: PORT <client-ip>,<port-1>"
        );
        assert_eq!(red.note("a.yaml:3:9: NOOP"), "a.yaml:3:9: NOOP");
    }

    #[test]
    fn listing_dates_and_uuids_are_redacted() {
        let mut red = Redactor::default();
        assert_eq!(
            red.text("-rw-r--r-- 1 0 0 12 Nov 25 10:33 a; x Jan  1  2025 b"),
            "-rw-r--r-- 1 0 0 12 <date> a; x <date> b"
        );
        assert_eq!(
            red.text("150 5bdb5466-6831-4120-a717-bf77e92e3ef2"),
            "150 <uuid>"
        );
    }

    #[test]
    fn directions_and_closes_split_byte_runs() {
        let t = Timeline::new();
        let a = sa("127.0.0.1:1");
        let d = t.open(
            OpenRole::Data,
            (a, Side::Client),
            (sa("127.0.0.1:2"), Side::Server),
        );
        t.bytes(d, Side::Client, b"a");
        t.bytes(d, Side::Client, b"bc");
        t.bytes(d, Side::Server, b"x");
        t.bytes(d, Side::Client, b"d");
        t.close(d, Side::Client, CloseKind::Fin);
        let lines = transcript_lines(&t.events());
        assert_eq!(
            lines[1..],
            [
                "D1 C->S 3 bytes",
                "D1 S->C 1 byte",
                "D1 C->S 1 byte",
                "D1 closed by C"
            ]
        );
    }

    #[test]
    fn control_bytes_past_the_retention_cap_are_counted() {
        let t = Timeline::with_retention(8);
        let a = sa("127.0.0.1:1");
        let c = t.open(
            OpenRole::Control,
            (a, Side::Client),
            (sa("127.0.0.1:2"), Side::Server),
        );
        t.bytes(c, Side::Server, b"220 ok\r\n");
        t.bytes(c, Side::Server, b"211 long\r\n");
        let lines = transcript_lines(&t.events());
        assert_eq!(lines[1..], ["S> 220 ok", "S> [10 bytes not retained]"]);
    }
}
