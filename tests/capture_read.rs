//! The reader of real traffic (`capture::read_sessions`) on every framing
//! it decodes, on damaged and hostile captures, and on the harness's own
//! captures (which must read back to the transcript of the timeline that
//! wrote them). No peer runs here: captures are rewritten from the real
//! ones of `tests/data/captures-real/` or written from timelines.

use std::borrow::Cow;
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;

use ftpconform::capture::sessions::{Options, Summary};
use ftpconform::capture::{read_pcap, read_sessions, read_sessions_from, PcapObserver, Session};
use ftpconform::offline;
use ftpconform::timeline::{CloseKind, ConnRole, EventKind, OpenRole, Side, Timeline};
use ftpconform::transcript::transcript;

#[path = "support/event_pcap.rs"]
mod event_pcap;
use event_pcap::EventPcap;
use ftpconform::verdict::{Rule, Verdict};

fn real(prefix: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures-real");
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap()
}

fn read(path: &Path) -> (Vec<Session>, Summary) {
    let mut out = Vec::new();
    let summary = read_sessions(path, &Options::default(), |s| out.push(s)).unwrap();
    out.sort_by_key(|s| s.number);
    (out, summary)
}

fn transcripts(path: &Path) -> Vec<String> {
    read(path).0.iter().map(|s| transcript(&s.events)).collect()
}

/// The packets of a pcap file: time and frame.
fn packets(path: &Path) -> Vec<(Duration, Vec<u8>)> {
    let mut r = PcapReader::new(File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        out.push((p.timestamp, p.data.into_owned()));
    }
    out
}

fn write_pcap(path: &Path, link: DataLink, frames: &[(Duration, Vec<u8>)]) {
    let header = PcapHeader {
        datalink: link,
        ..Default::default()
    };
    let mut w = PcapWriter::with_header(File::create(path).unwrap(), header).unwrap();
    for (at, f) in frames {
        w.write_packet(&PcapPacket::new(*at, f.len() as u32, f))
            .unwrap();
    }
}

/// An Ethernet frame in another framing.
fn relink(frame: &[u8], link: &str) -> Vec<u8> {
    let (macs, ether_type, ip) = (&frame[..12], &frame[12..14], &frame[14..]);
    let mut out = Vec::new();
    match link {
        "sll" => {
            out.extend([0, 0, 0, 1, 0, 6]);
            out.extend(&macs[6..12]);
            out.extend([0, 0]);
            out.extend(ether_type);
        }
        "sll2" => {
            out.extend(ether_type);
            out.extend([0, 0, 0, 0, 0, 2, 0, 1, 0, 6]);
            out.extend(&macs[6..12]);
            out.extend([0, 0]);
        }
        "null" => out.extend(if ip[0] >> 4 == 6 {
            [30, 0, 0, 0]
        } else {
            [2, 0, 0, 0]
        }),
        "vlan" => {
            out.extend(macs);
            out.extend([0x81, 0x00, 0x00, 0x05]);
            out.extend(ether_type);
        }
        _ => {}
    }
    out.extend(ip);
    out
}

#[test]
fn every_framing_reads_to_the_same_sessions() {
    let dir = tempfile::tempdir().unwrap();
    for prefix in ["01-", "02-"] {
        let src = real(prefix);
        let want = transcripts(&src);
        assert!(!want.is_empty());
        let frames = packets(&src);
        let links = [
            ("sll", DataLink::LINUX_SLL),
            ("sll2", DataLink::LINUX_SLL2),
            ("raw", DataLink::RAW),
            ("null", DataLink::NULL),
            ("vlan", DataLink::ETHERNET),
        ];
        for (name, link) in links {
            let path = dir.path().join(format!("{prefix}{name}.pcap"));
            let rewritten: Vec<_> = frames.iter().map(|(t, f)| (*t, relink(f, name))).collect();
            write_pcap(&path, link, &rewritten);
            assert_eq!(transcripts(&path), want, "{prefix} as {name}");
        }
        let ng = dir.path().join(format!("{prefix}.pcapng"));
        write_pcapng(&ng, &frames);
        assert_eq!(transcripts(&ng), want, "{prefix} as pcapng");
    }
}

fn write_pcapng(path: &Path, frames: &[(Duration, Vec<u8>)]) {
    let mut w = PcapNgWriter::new(File::create(path).unwrap()).unwrap();
    let idb = InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        // The writer stores nanoseconds: say so.
        options: vec![InterfaceDescriptionOption::IfTsResol(9)],
    };
    w.write_pcapng_block(idb).unwrap();
    for (at, f) in frames {
        let epb = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: *at,
            original_len: f.len() as u32,
            data: Cow::Borrowed(f),
            options: vec![],
        };
        w.write_pcapng_block(epb).unwrap();
    }
}

/// The (source, destination) of a frame's IPv4 TCP segment.
fn ends(frame: &[u8]) -> (&[u8], &[u8]) {
    (&frame[26..30], &frame[34..38])
}

#[test]
fn retransmitted_and_reordered_segments_read_as_sent() {
    let src = real("01-");
    let want = transcripts(&src);
    let mut frames = packets(&src);
    // Swap neighbours going the same way, repeat every third packet.
    let mut i = 0;
    while i + 1 < frames.len() {
        if ends(&frames[i].1) == ends(&frames[i + 1].1) {
            frames.swap(i, i + 1);
            i += 1;
        }
        i += 1;
    }
    let mut messy = Vec::new();
    for (n, f) in frames.into_iter().enumerate() {
        if n % 3 == 0 {
            messy.push(f.clone());
        }
        messy.push(f);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messy.pcap");
    write_pcap(&path, DataLink::ETHERNET, &messy);
    assert_eq!(transcripts(&path), want);
}

#[test]
fn a_capture_started_mid_session_and_a_short_snap_length_are_unknowns() {
    let dir = tempfile::tempdir().unwrap();
    let frames = packets(&real("01-"));
    let late = dir.path().join("late.pcap");
    write_pcap(&late, DataLink::ETHERNET, &frames[12..]);
    let (sessions, _) = read(&late);
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0]
        .unknown
        .iter()
        .any(|u| u.contains("starts inside the control")));
    let results = check(&late);
    assert!(results
        .iter()
        .all(|r| r.notes.iter().any(|n| n.starts_with("unknown: "))));
    // tcpdump's old default snap length: 66 bytes of headers (TCP with
    // timestamps), 30 of payload.
    let cut: Vec<_> = frames
        .iter()
        .map(|(t, f)| (*t, f[..f.len().min(96)].to_vec()))
        .collect();
    let short = dir.path().join("short.pcap");
    write_pcap(&short, DataLink::ETHERNET, &cut);
    let (sessions, _) = read(&short);
    assert_eq!(sessions.len(), 1);
    assert!(
        sessions[0]
            .unknown
            .iter()
            .any(|u| u.contains("are not in the capture")),
        "{:?}",
        sessions[0].unknown
    );
}

fn check(path: &Path) -> Vec<ftpconform::verdict::CaseResult> {
    let mut out = Vec::new();
    offline::check_file(path, &Options::default(), |r| out.push(r)).unwrap();
    out
}

#[test]
fn damaged_files_end_in_an_error_or_in_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(real("01-")).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 7]).unwrap();
    let (sessions, summary) = read(&cut);
    assert_eq!(sessions.len(), 1);
    assert!(summary.damaged.is_some());
    assert!(sessions[0]
        .unknown
        .iter()
        .any(|u| u.contains("damaged record")));
    let mut garbage = bytes[..24].to_vec();
    garbage.extend((0..10_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let after = dir.path().join("garbage.pcap");
    std::fs::write(&after, &garbage).unwrap();
    let r = read_sessions(&after, &Options::default(), |_| {});
    assert!(r.is_ok_and(|s| s.damaged.is_some()));
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture at all").unwrap();
    let err = read_sessions(&junk, &Options::default(), |_| {})
        .err()
        .unwrap();
    assert!(err.to_string().contains("not a readable pcap"), "{err}");
    let empty = read_sessions_from(&[][..], Path::new("empty"), &Options::default(), |_| {});
    assert!(empty.is_err());
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A PASV session with LIST, as a live run records it.
fn pasv_session(t: &Timeline, announced: &str) {
    let (client, server) = (sa("127.0.0.1:40001"), sa("127.0.0.1:2121"));
    let c = t.open(
        OpenRole::Control,
        (client, Side::Client),
        (server, Side::Server),
    );
    t.bytes(c, Side::Server, b"220 ready\r\n");
    t.bytes(c, Side::Client, b"USER anonymous\r\n");
    t.bytes(c, Side::Server, b"331 pw\r\n");
    t.bytes(c, Side::Client, b"PASS x@\r\n");
    t.bytes(c, Side::Server, b"230 ok\r\n");
    t.bytes(c, Side::Client, b"PASV\r\n");
    let d = sa(announced);
    let reply = format!(
        "227 Entering Passive Mode ({},{},{}).\r\n",
        d.ip().to_string().replace('.', ","),
        d.port() >> 8,
        d.port() & 0xff
    );
    t.bytes(c, Side::Server, reply.as_bytes());
    let to = SocketAddr::new(server.ip(), d.port());
    let dc = t.open(
        OpenRole::Data,
        (sa("127.0.0.1:40002"), Side::Client),
        (to, Side::Server),
    );
    t.bytes(c, Side::Client, b"LIST\r\n");
    t.bytes(c, Side::Server, b"150 here\r\n");
    t.bytes(dc, Side::Server, b"-rw-r--r-- 1 ftp ftp 5 a\r\n");
    t.close(dc, Side::Server, CloseKind::Fin);
    t.close(dc, Side::Client, CloseKind::Fin);
    t.bytes(c, Side::Server, b"226 done\r\n");
    t.bytes(c, Side::Client, b"QUIT\r\n");
    t.bytes(c, Side::Server, b"221 bye\r\n");
    t.close(c, Side::Server, CloseKind::Fin);
    t.close(c, Side::Client, CloseKind::Fin);
}

fn recorded(dir: &Path, name: &str, announced: &str) -> (Timeline, PathBuf) {
    let path = dir.join(name);
    let t = Timeline::new();
    t.add_observer(Box::new(PcapObserver::create(&path).unwrap()));
    pasv_session(&t, announced);
    t.finish();
    (t, path)
}

#[test]
fn the_harness_own_captures_read_back_to_their_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let (t, path) = recorded(dir.path(), "own.pcap", "127.0.0.1:50000");
    assert_eq!(transcripts(&path), vec![transcript(&t.events())]);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    for entry in std::fs::read_dir(golden).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pcap") {
            let old = transcript(&read_pcap(&path, None).unwrap());
            assert_eq!(transcripts(&path), vec![old], "{}", path.display());
        }
    }
}

#[test]
fn a_227_naming_another_address_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = recorded(dir.path(), "nat.pcap", "10.9.9.9:50000");
    let results = check(&path);
    let server = results
        .iter()
        .find(|r| r.target.starts_with("server"))
        .unwrap();
    assert_eq!(
        server.verdict,
        Verdict::NonStrict,
        "{:?}",
        server.violations
    );
    assert_eq!(server.violations[0].rule, Rule::PasvAddressMatchesControl);
    let (_, path) = recorded(dir.path(), "plain.pcap", "127.0.0.1:50000");
    assert!(check(&path).iter().all(|r| r.verdict == Verdict::Pass));
}

#[test]
fn a_long_line_with_no_end_stays_within_the_retention_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.pcap");
    let mut w = EventPcap::create(&path);
    w.open(0, ConnRole::Control, "127.0.0.1:40001", "127.0.0.1:2121");
    w.bytes(0, Side::Server, 0, b"220 hi\r\n");
    w.bytes(0, Side::Client, 0, b"USER ");
    let chunk = vec![b'x'; 64 * 1024];
    for i in 0..128u64 {
        w.bytes(0, Side::Client, 5 + i * chunk.len() as u64, &chunk);
    }
    w.close(0, Side::Client);
    w.close(0, Side::Server);
    w.finish();
    let opts = Options::default();
    let mut seen = Vec::new();
    read_sessions(&path, &opts, |s| seen.push(s)).unwrap();
    assert_eq!(seen.len(), 1);
    let kept: usize = seen[0]
        .events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Bytes { bytes, .. } => bytes.len(),
            _ => 0,
        })
        .sum();
    assert!(kept as u64 <= 2 * opts.retain, "kept {kept} bytes");
    assert!(seen[0].events.len() < 20, "{} events", seen[0].events.len());
    assert_eq!(check(&path).len(), 2);
}

#[test]
fn many_tiny_connections_end_in_a_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.pcap");
    let mut w = EventPcap::create(&path);
    let n = 5_000u32;
    w.tiny_connections(n, "127.0.0.1:2121");
    assert!(w.events() >= 4 * u64::from(n));
    w.finish();
    let mut sessions = 0;
    let summary = read_sessions(&path, &Options::default(), |_| sessions += 1).unwrap();
    assert_eq!(sessions, n / 10);
    assert_eq!(summary.other_connections, u64::from(n - n / 10));
}
