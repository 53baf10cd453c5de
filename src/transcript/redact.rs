//! Redaction: replaces run-dependent values (addresses, ports, temporary
//! names, times, dates, UUIDs) by stable placeholders.

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

use regex::{Captures, Regex};

use crate::timeline::Side;
use crate::wire::addr::{find_in_command, find_in_reply};

/// Replaces run-dependent values by stable placeholders, numbered in order
/// of first appearance.
#[derive(Default)]
pub struct Redactor {
    known: Vec<(IpAddr, Side)>,
    unknown: Vec<IpAddr>,
    /// Each placeholder's port and whether a connection has been made to or
    /// from it (a used port named again is a new listener).
    ports: Vec<(u16, bool)>,
}

impl Redactor {
    /// Records that `ip` is an address of `side`.
    pub fn learn(&mut self, ip: IpAddr, side: Side) {
        if !self.known.contains(&(ip, side)) {
            self.known.push((ip, side));
        }
    }

    /// `<client-ip>`, `<server-ip>`, `<third-ip>` or `<ip-N>`; `prefer`
    /// picks the side when one address belongs to several.
    pub fn ip(&mut self, ip: IpAddr, prefer: Side) -> String {
        let side = if self.known.contains(&(ip, prefer)) {
            Some(prefer)
        } else {
            self.known.iter().find(|(k, _)| *k == ip).map(|(_, s)| *s)
        };
        if let Some(side) = side {
            return format!("<{}-ip>", side_name(side));
        }
        let n = position_or_push(&mut self.unknown, ip);
        format!("<ip-{n}>")
    }

    /// `<port-N>`: the latest placeholder of `port`, or a new one.
    pub fn port(&mut self, port: u16) -> String {
        let n = match self.latest_port(port) {
            Some(i) => i + 1,
            None => self.new_port(port, false),
        };
        format!("<port-{n}>")
    }

    /// A port named as a listener (PORT, EPRT, 227, 229, a Listening
    /// event): a new placeholder if the port was used by a connection since
    /// it was last named.
    pub fn announced_port(&mut self, port: u16) -> String {
        match self.latest_port(port) {
            Some(i) if !self.ports[i].1 => format!("<port-{}>", i + 1),
            _ => format!("<port-{}>", self.new_port(port, false)),
        }
    }

    /// The port a connection was made to: its latest placeholder, now used.
    pub(super) fn accepting_port(&mut self, port: u16) -> String {
        let n = match self.latest_port(port) {
            Some(i) => {
                self.ports[i].1 = true;
                i + 1
            }
            None => self.new_port(port, true),
        };
        format!("<port-{n}>")
    }

    /// The (ephemeral) port a connection was made from: always new.
    pub(super) fn initiating_port(&mut self, port: u16) -> String {
        format!("<port-{}>", self.new_port(port, true))
    }

    fn latest_port(&self, port: u16) -> Option<usize> {
        self.ports.iter().rposition(|(p, _)| *p == port)
    }

    fn new_port(&mut self, port: u16, used: bool) -> usize {
        self.ports.push((port, used));
        self.ports.len()
    }

    /// `ip:port`, or `[ip]:port` for IPv6.
    pub fn socket(&mut self, addr: SocketAddr, side: Side) -> String {
        let port = self.port(addr.port());
        self.socket_with(addr, side, port)
    }

    /// A listening socket (see [`Redactor::announced_port`]).
    pub fn listener(&mut self, addr: SocketAddr, side: Side) -> String {
        let port = self.announced_port(addr.port());
        self.socket_with(addr, side, port)
    }

    pub(super) fn socket_with(&mut self, addr: SocketAddr, side: Side, port: String) -> String {
        let ip = self.ip(addr.ip(), side);
        match addr {
            SocketAddr::V4(_) => format!("{ip}:{port}"),
            SocketAddr::V6(_) => format!("[{ip}]:{port}"),
        }
    }

    /// Redacts a control line: the address argument of PORT, EPRT, 227 and
    /// 229, then as [`Redactor::text`] (a greeting may name the server's
    /// address).
    pub fn control_line(&mut self, line: &str, from: Side) -> String {
        let mut s = line.to_string();
        let arg = match from {
            Side::Server => find_in_reply(line),
            _ => find_in_command(line),
        };
        if let Some(a) = arg {
            let port = self.announced_port(a.port);
            s.replace_range(a.port_span, &port);
            if let Some((ip, span)) = a.ip {
                let prefer = if a.kind.names_server() {
                    Side::Server
                } else {
                    Side::Client
                };
                let ip = self.ip(ip, prefer);
                s.replace_range(span, &ip);
            }
        }
        self.text(&s)
    }

    /// Redacts a harness note; a note that quotes a command after `: `
    /// (a step's location, then the command it sends) has the command's
    /// address argument redacted as on the control connection.
    pub fn note(&mut self, text: &str) -> String {
        let quoted = text
            .match_indices(": ")
            .map(|(i, _)| i + 2)
            .find(|i| find_in_command(&text[*i..]).is_some());
        match quoted {
            Some(i) => {
                let head = self.text(&text[..i]);
                let command = self.control_line(&text[i..], Side::Client);
                format!("{head}{command}")
            }
            None => self.text(text),
        }
    }

    /// Redacts free text (notes, error reasons): IPv4 `addr[:port]`,
    /// temporary names and timestamps.
    pub fn text(&mut self, text: &str) -> String {
        let v6 = ipv6_regex().replace_all(text, |c: &Captures<'_>| self.addr_match(c, "[", "]"));
        let v4 = ipv4_regex().replace_all(&v6, |c: &Captures<'_>| self.addr_match(c, "", ""));
        redact_names(&v4)
    }

    /// Replaces a matched `ip` (group 1) and optional `:port` (group 2).
    fn addr_match(&mut self, c: &Captures<'_>, open: &str, close: &str) -> String {
        let Ok(ip) = c[1].parse::<IpAddr>() else {
            return c[0].to_string();
        };
        let ip = self.ip(ip, Side::Server);
        match c.get(2).and_then(|p| p.as_str().parse().ok()) {
            Some(port) => format!("{open}{ip}{close}:{}", self.port(port)),
            None => format!("{open}{ip}{close}"),
        }
    }
}

fn position_or_push<T: PartialEq>(list: &mut Vec<T>, item: T) -> usize {
    match list.iter().position(|x| *x == item) {
        Some(i) => i + 1,
        None => {
            list.push(item);
            list.len()
        }
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Client => "client",
        Side::Server => "server",
        Side::Third => "third",
    }
}

/// `[v6]` or `[v6]:port`.
fn ipv6_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\[([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)\](?::(\d{1,5}))?").expect("static regex")
    })
}

fn ipv4_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\b(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?\b").expect("static regex")
    })
}

/// Temporary directories and files (`/tmp/.tmpAbC123` as made by the
/// tempfile crate), 14-digit timestamps (MDTM, MLST `modify=`), the dates
/// of `ls -l` style listings (`Nov 25 10:33`, `Jan  1  2025`) and UUIDs
/// (names generated by STOU).
fn redact_names(s: &str) -> String {
    static TMP: OnceLock<Regex> = OnceLock::new();
    static TIME: OnceLock<Regex> = OnceLock::new();
    static DATE: OnceLock<Regex> = OnceLock::new();
    static UUID: OnceLock<Regex> = OnceLock::new();
    let tmp = TMP
        .get_or_init(|| Regex::new(r"(?:/[\w.-]+)*/?\.tmp[A-Za-z0-9]{6}").expect("static regex"));
    let time =
        TIME.get_or_init(|| Regex::new(r"\b(?:19|20)\d{12}(?:\.\d+)?\b").expect("static regex"));
    let date = DATE.get_or_init(|| {
        Regex::new(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +(?:\d{1,2}:\d{2}|\d{4})\b")
            .expect("static regex")
    });
    let uuid = UUID.get_or_init(|| {
        Regex::new(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
        )
        .expect("static regex")
    });
    let s = tmp.replace_all(s, "<tmp>");
    let s = time.replace_all(&s, "<time>");
    let s = date.replace_all(&s, "<date>");
    uuid.replace_all(&s, "<uuid>").into_owned()
}
