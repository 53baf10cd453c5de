use std::net::SocketAddr;
use std::path::Path;

use super::*;
use crate::capture::read_pcap;
use crate::timeline::{CloseKind, ConnRole, EventKind, OpenRole, Side, Timeline};

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A passive RETR with a theft attempt from 127.0.0.2 before it, and an
/// active one that the client's trap refuses.
fn theft_then_retr(base: u16) -> Timeline {
    let t = Timeline::new();
    let p = |n: u16| sa(&format!("127.0.0.1:{}", base + n));
    let c = t.open(
        OpenRole::Control,
        (p(1), Side::Client),
        (p(2), Side::Server),
    );
    t.bytes(c, Side::Server, b"220 ready <ok> & \"quoted\"\r\n");
    t.note("suite.yaml:3:9: PASV");
    t.bytes(c, Side::Client, b"PASV\r\n");
    let (hi, lo) = ((base + 3) >> 8, (base + 3) & 0xff);
    let reply = format!("227 Entering Passive Mode (127,0,0,1,{hi},{lo}).\r\n");
    t.bytes(c, Side::Server, reply.as_bytes());
    let x = t.open(
        OpenRole::Stray,
        (sa("127.0.0.2:40999"), Side::Third),
        (p(3), Side::Server),
    );
    t.close(x, Side::Server, CloseKind::Reset);
    let d = t.open(OpenRole::Data, (p(4), Side::Client), (p(3), Side::Server));
    t.bytes(c, Side::Client, b"RETR a.txt\r\n");
    t.bytes(c, Side::Server, b"150 here\r\n");
    t.bytes(d, Side::Server, b"0123456789");
    t.bytes(d, Side::Server, b"ab");
    t.close(d, Side::Server, CloseKind::Fin);
    t.close(d, Side::Client, CloseKind::Fin);
    t.bytes(c, Side::Server, b"226 done\r\n");
    t.record(EventKind::Listening {
        side: Side::Client,
        addr: p(5),
        purpose: "PORT".into(),
    });
    let (hi, lo) = ((base + 5) >> 8, (base + 5) & 0xff);
    let port = format!("PORT 127,0,0,1,{hi},{lo}\r\n");
    t.bytes(c, Side::Client, port.as_bytes());
    t.bytes(c, Side::Server, b"200 ok\r\n");
    t.bytes(c, Side::Client, b"LIST\r\n");
    t.record(EventKind::ConnectFailed {
        role: ConnRole::Data(2),
        from_side: Side::Server,
        target: p(5),
        reason: "refused".into(),
    });
    t.bytes(c, Side::Server, b"425 no data connection\r\n");
    t.close(c, Side::Client, CloseKind::Fin);
    t.close(c, Side::Server, CloseKind::Fin);
    t
}

fn marked(base: u16) -> String {
    let entries = transcript_entries(&theft_then_retr(base).events());
    let row = entries
        .iter()
        .position(|e| e.text.starts_with("X1 opened"))
        .unwrap();
    let mark = Mark {
        row,
        text: "pasv-theft-refused [RFC 2577 5]: expected refused, got accepted".into(),
    };
    draw("rfc2577::pasv-theft", &entries, &[mark])
}

#[test]
fn ladder_of_a_theft_and_a_refused_port() {
    let svg = marked(40000);
    insta::assert_snapshot!("ladder-theft-and-refused-port", svg);
}

#[test]
fn other_ports_draw_the_same_ladder() {
    assert_eq!(marked(40000), marked(52000));
}

#[test]
fn arrows_links_and_marks_are_drawn() {
    let svg = marked(40000);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>\n"));
    for needle in [
        ">ctrl SYN<",
        ">X1 SYN<",
        ">D1 SYN<",
        ">RST<",
        ">FIN<",
        ">12 bytes<",
        "227 Entering Passive Mode (&lt;server-ip&gt;,&lt;port-3&gt;). ⇢ X1 ⇢ D1",
        "PORT &lt;client-ip&gt;,&lt;port-6&gt; ⇢ D2",
        "220 ready &lt;ok&gt; &amp; &quot;quoted&quot;",
        "D2 SYN to &lt;client-ip&gt;:&lt;port-6&gt;: failed",
        "T &lt;third-ip&gt;:&lt;port-",
        "pasv-theft-refused [RFC 2577 5]",
        "stroke-dasharray=\"2 3\"",
    ] {
        assert!(svg.contains(needle), "missing {needle}: {svg}");
    }
    assert!(!svg.contains("127.0.0.1"), "addresses are redacted");
    assert!(!svg.contains("href"), "no external reference");
}

#[test]
fn a_closed_data_column_is_reused() {
    let t = Timeline::new();
    let a = sa("127.0.0.1:1");
    let b = sa("127.0.0.1:2");
    let c = t.open(OpenRole::Control, (a, Side::Client), (b, Side::Server));
    for _ in 0..3 {
        t.bytes(c, Side::Client, b"PASV\r\n");
        let d = t.open(OpenRole::Data, (a, Side::Client), (b, Side::Server));
        t.close(d, Side::Server, CloseKind::Fin);
        t.close(d, Side::Client, CloseKind::Fin);
    }
    let entries = transcript_entries(&t.events());
    let layout = layout::Layout::of(&entries, false);
    assert_eq!(layout.slots.len(), 2, "control and one data column");
    assert_eq!(layout.links.len(), 3);
}

/// The ladder of a golden capture of the harness (PORT, then PASV), as
/// `ftpconform ladder` draws it.
#[test]
fn ladder_of_a_golden_capture() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures/rfc1123-passive__pasv-after-port.pcap");
    let events = read_pcap(&path, None).unwrap();
    let svg = from_events("rfc1123-passive::pasv-after-port", &events);
    assert!(svg.contains("⇢ D1"), "{svg}");
    insta::assert_snapshot!("ladder-golden-pasv-after-port", svg);
}
