//! Round trips (timeline -> pcap -> timeline) and reading real captures.

use std::fs::File;
use std::io::BufReader;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcap::PcapReader;
use tempfile::TempDir;

use super::*;
use crate::timeline::{
    stream, CloseKind, ConnId, ConnRole, Event, EventKind, Observer, OpenRole, Side, Timeline,
};

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A timeline whose pcap goes to a fresh temporary directory.
fn recorded() -> (Timeline, TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.pcap");
    let t = Timeline::new();
    t.add_observer(Box::new(PcapObserver::create(&path).unwrap()));
    (t, dir, path)
}

/// A passive-mode LIST: greeting, login, PASV naming the data listener.
fn pasv_session(t: &Timeline, client: &str, server: &str, data: &str, client_data: &str) {
    let c = t.open(
        OpenRole::Control,
        (sa(client), Side::Client),
        (sa(server), Side::Server),
    );
    t.bytes(c, Side::Server, b"220 ready\r\n");
    t.bytes(c, Side::Client, b"USER anonymous\r\nPASS x@\r\n");
    t.bytes(c, Side::Server, b"331 pw\r\n230 ok\r\n");
    t.bytes(c, Side::Client, b"PASV\r\n");
    let d = sa(data);
    let reply = format!(
        "227 Entering Passive Mode ({},{},{}).\r\n",
        d.ip().to_string().replace('.', ","),
        d.port() >> 8,
        d.port() & 0xff
    );
    t.bytes(c, Side::Server, reply.as_bytes());
    let dc = t.open(
        OpenRole::Data,
        (sa(client_data), Side::Client),
        (d, Side::Server),
    );
    t.bytes(c, Side::Client, b"LIST\r\n");
    t.bytes(c, Side::Server, b"150 here\r\n");
    t.bytes(dc, Side::Server, b"-rw-r--r-- 1 ftp ftp 5 a\r\n");
    t.bytes(dc, Side::Server, b"-rw-r--r-- 1 ftp ftp 7 b\r\n");
    t.close(dc, Side::Server, CloseKind::Fin);
    t.close(dc, Side::Client, CloseKind::Fin);
    t.bytes(c, Side::Server, b"226 done\r\n");
    t.bytes(c, Side::Client, b"QUIT\r\n");
    t.bytes(c, Side::Server, b"221 bye\r\n");
    t.close(c, Side::Server, CloseKind::Fin);
    t.close(c, Side::Client, CloseKind::Fin);
}

type Opening = (ConnId, ConnRole, SocketAddr, SocketAddr, Side, Side);

fn openings(events: &[Event]) -> Vec<Opening> {
    let f = |e: &Event| match &e.kind {
        EventKind::Opened {
            conn,
            role,
            initiator,
            acceptor,
            initiator_side,
            acceptor_side,
        } => Some((
            *conn,
            *role,
            *initiator,
            *acceptor,
            *initiator_side,
            *acceptor_side,
        )),
        _ => None,
    };
    events.iter().filter_map(f).collect()
}

fn closes(events: &[Event]) -> Vec<(ConnId, Side, CloseKind)> {
    let f = |e: &Event| match &e.kind {
        EventKind::Closed { conn, by, kind } => Some((*conn, *by, *kind)),
        _ => None,
    };
    events.iter().filter_map(f).collect()
}

/// Same connections, same bytes in every direction, same closes.
fn assert_round_trip(orig: &[Event], back: &[Event]) {
    assert_eq!(openings(orig), openings(back));
    for (conn, ..) in openings(orig) {
        for side in [Side::Client, Side::Server, Side::Third] {
            let (a, b) = (stream(orig, conn, side), stream(back, conn, side));
            assert_eq!(a, b, "stream of {conn:?} from {side:?}");
        }
    }
    assert_eq!(closes(orig), closes(back));
}

#[test]
fn pasv_session_round_trips() {
    let (t, _dir, path) = recorded();
    pasv_session(
        &t,
        "127.0.0.1:40001",
        "127.0.0.1:2121",
        "127.0.0.1:50000",
        "127.0.0.1:40002",
    );
    t.finish();
    let back = read_pcap(&path, Some(2121)).unwrap();
    assert_round_trip(&t.events(), &back);
}

#[test]
fn active_data_connection_on_one_address_is_opened_by_the_server() {
    let (t, _dir, path) = recorded();
    let (client, server) = (sa("127.0.0.1:40001"), sa("127.0.0.1:2121"));
    let c = t.open(
        OpenRole::Control,
        (client, Side::Client),
        (server, Side::Server),
    );
    t.bytes(c, Side::Server, b"220 hi\r\n");
    t.record(EventKind::Listening {
        side: Side::Client,
        addr: sa("127.0.0.1:45000"),
        purpose: "PORT".into(),
    });
    t.bytes(c, Side::Client, b"PORT 127,0,0,1,175,200\r\n");
    t.bytes(c, Side::Server, b"200 ok\r\n");
    t.bytes(c, Side::Client, b"RETR f\r\n");
    let d = t.open(
        OpenRole::Data,
        (sa("127.0.0.1:2120"), Side::Server),
        (sa("127.0.0.1:45000"), Side::Client),
    );
    t.bytes(d, Side::Server, b"file");
    t.close(d, Side::Server, CloseKind::Fin);
    t.close(d, Side::Client, CloseKind::Fin);
    drop(t);
    let back = read_pcap(&path, Some(2121)).unwrap();
    let opened = openings(&back);
    assert_eq!(opened.len(), 2);
    assert_eq!((opened[1].4, opened[1].5), (Side::Server, Side::Client));
    assert_eq!(stream(&back, ConnId(1), Side::Server).unwrap(), b"file");
}

/// Every frame of the capture, as (source, TCP payload length, checksum ok).
fn frames(path: &Path) -> Vec<(SocketAddr, usize, bool)> {
    let mut r = PcapReader::new(BufReader::new(File::open(path).unwrap())).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        let s = SlicedPacket::from_ethernet(&p.data).unwrap();
        let Some(TransportSlice::Tcp(tcp)) = s.transport else {
            panic!("not TCP")
        };
        let (src, ok) = match s.net.unwrap() {
            NetSlice::Ipv6(ip) => {
                let (a, b) = (ip.header().source_addr(), ip.header().destination_addr());
                let sum = tcp.calc_checksum_ipv6(a.octets(), b.octets()).unwrap();
                (
                    SocketAddr::new(a.into(), tcp.source_port()),
                    sum == tcp.checksum(),
                )
            }
            NetSlice::Ipv4(ip) => {
                let (a, b) = (ip.header().source_addr(), ip.header().destination_addr());
                let sum = tcp.calc_checksum_ipv4(a.octets(), b.octets()).unwrap();
                (
                    SocketAddr::new(a.into(), tcp.source_port()),
                    sum == tcp.checksum(),
                )
            }
            NetSlice::Arp(_) => panic!("arp"),
        };
        out.push((src, tcp.payload().len(), ok));
    }
    out
}

#[test]
fn ipv6_large_transfer_is_cut_into_segments_with_valid_checksums() {
    let (t, _dir, path) = recorded();
    let (client, server) = (sa("[::1]:40001"), sa("[::1]:2121"));
    let c = t.open(
        OpenRole::Control,
        (client, Side::Client),
        (server, Side::Server),
    );
    let d = t.open(
        OpenRole::Data,
        (sa("[::1]:40002"), Side::Client),
        (sa("[::1]:50000"), Side::Server),
    );
    let big: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    t.bytes(d, Side::Client, &big);
    t.bytes(d, Side::Client, b"tail");
    t.bytes(c, Side::Server, b"226 ok\r\n");
    t.close(d, Side::Client, CloseKind::Reset);
    t.finish();
    let back = read_pcap(&path, Some(2121)).unwrap();
    assert_round_trip(&t.events(), &back);
    let f = frames(&path);
    assert!(f.iter().all(|(_, len, ok)| *ok && *len <= pcap::MSS_V6));
    let data_frames = f
        .iter()
        .filter(|(src, len, _)| src.port() == 40002 && *len > 0);
    assert_eq!(data_frames.count(), 150_000usize.div_ceil(pcap::MSS_V6) + 1);
}

#[test]
fn control_lines_read_together_get_a_segment_each() {
    let (t, _dir, path) = recorded();
    let c = t.open(
        OpenRole::Control,
        (sa("127.0.0.1:40001"), Side::Client),
        (sa("127.0.0.1:2121"), Side::Server),
    );
    t.bytes(c, Side::Server, b"150 here\r\n226 done\r\n211 half");
    let d = t.open(
        OpenRole::Data,
        (sa("127.0.0.1:40002"), Side::Client),
        (sa("127.0.0.1:50000"), Side::Server),
    );
    t.bytes(d, Side::Server, b"line one\nline two\n");
    t.finish();
    let payloads: Vec<(u16, usize)> = frames(&path)
        .into_iter()
        .filter(|(_, len, _)| *len > 0)
        .map(|(src, len, _)| (src.port(), len))
        .collect();
    assert_eq!(payloads, [(2121, 10), (2121, 10), (2121, 8), (50000, 18)]);
    assert_round_trip(&t.events(), &read_pcap(&path, Some(2121)).unwrap());
}

#[test]
fn events_for_unknown_connections_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.pcap");
    let mut obs = PcapObserver::create(&path).unwrap();
    let stray = Event {
        seq: 0,
        at: Default::default(),
        kind: EventKind::Bytes {
            conn: ConnId(7),
            from: Side::Client,
            offset: 0,
            len: 3,
            bytes: b"abc".to_vec(),
        },
    };
    obs.observe(std::time::SystemTime::now(), &stray);
    obs.finish();
    assert!(obs.health().problem().is_none());
    assert_eq!(read_pcap(&path, None).unwrap(), vec![]);
}

#[test]
fn writer_dropped_by_a_panic_leaves_a_readable_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("panic.pcap");
    let p = path.clone();
    let result = std::panic::catch_unwind(move || {
        let t = Timeline::new();
        t.add_observer(Box::new(PcapObserver::create(&p).unwrap()));
        let c = t.open(
            OpenRole::Control,
            (sa("127.0.0.1:40001"), Side::Client),
            (sa("127.0.0.1:21"), Side::Server),
        );
        t.bytes(c, Side::Server, b"220 hi\r\n");
        panic!("case failed mid-way");
    });
    assert!(result.is_err());
    let back = read_pcap(&path, None).unwrap();
    assert_eq!(
        stream(&back, ConnId(0), Side::Server).unwrap(),
        b"220 hi\r\n"
    );
}

#[test]
fn bytes_reach_the_file_while_the_case_runs() {
    let (t, _dir, path) = recorded();
    let d = t.open(
        OpenRole::Data,
        (sa("127.0.0.1:1"), Side::Server),
        (sa("127.0.0.1:2"), Side::Client),
    );
    let chunk = vec![7u8; 32 * 1024];
    for _ in 0..64 {
        t.bytes(d, Side::Server, &chunk);
    }
    let on_disk = std::fs::metadata(&path).unwrap().len();
    assert!(
        on_disk >= 2 * 1024 * 1024 - 64 * 1024,
        "only {on_disk} bytes on disk"
    );
}

fn real(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures-real");
    let found = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(name));
    found.unwrap().path()
}

fn control_starts(events: &[Event], conn: ConnId) -> (Vec<u8>, Vec<u8>) {
    let s = stream(events, conn, Side::Server).unwrap();
    let c = stream(events, conn, Side::Client).unwrap();
    (s[..4].to_vec(), c[..5].to_vec())
}

fn roles(events: &[Event]) -> Vec<ConnRole> {
    openings(events).into_iter().map(|o| o.1).collect()
}

#[test]
fn real_ipv4_capture_has_control_and_four_data_connections() {
    let ev = read_pcap(&real("01-"), None).unwrap();
    let r = roles(&ev);
    assert_eq!(r.len(), 5);
    assert_eq!(r[0], ConnRole::Control);
    assert_eq!(r[4], ConnRole::Data(4));
    assert_eq!(
        control_starts(&ev, ConnId(0)),
        (b"220 ".to_vec(), b"USER ".to_vec())
    );
    let active = &openings(&ev)[3];
    assert_eq!((active.4, active.5), (Side::Server, Side::Client));
    assert_eq!(closes(&ev).len(), 10);
}

#[test]
fn real_ipv6_capture_reads_epsv_and_eprt_connections() {
    let ev = read_pcap(&real("02-"), None).unwrap();
    let o = openings(&ev);
    assert!(o[0].2.is_ipv6());
    assert_eq!(o[0].3.port(), 21);
    assert_eq!(o.len(), 6);
    assert_eq!(control_starts(&ev, ConnId(0)).0, b"220 ");
    let eprt = &o[4];
    assert_eq!((eprt.4, eprt.5), (Side::Server, Side::Client));
    assert_eq!(stream(&ev, eprt.0, Side::Server).unwrap().len(), 77);
}

#[test]
fn real_vsftpd_active_capture_has_server_opened_data_from_port_20() {
    let ev = read_pcap(&real("09-"), None).unwrap();
    let o = openings(&ev);
    assert_eq!(o.len(), 4);
    for d in &o[1..] {
        assert_eq!((d.2.port(), d.4, d.5), (20, Side::Server, Side::Client));
    }
}

#[test]
fn real_capture_with_two_sessions_has_two_control_connections() {
    let ev = read_pcap(&real("11-"), None).unwrap();
    let controls = roles(&ev)
        .into_iter()
        .filter(|r| *r == ConnRole::Control)
        .count();
    assert_eq!(controls, 2);
}

#[test]
fn missing_and_non_pcap_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = read_pcap(&dir.path().join("none.pcap"), None);
    assert!(matches!(missing, Err(CaptureError::Io { .. })));
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"not a capture at all").unwrap();
    assert!(matches!(
        read_pcap(&junk, None),
        Err(CaptureError::Format { .. })
    ));
}

/// Writes hand-made TCP/IPv4 segments into a pcap of link type `link`.
struct HandMade {
    link: pcap_file::DataLink,
    frames: Vec<Vec<u8>>,
}

impl HandMade {
    fn seg(&mut self, from_client: bool, seq: u32, ack: u32, flags: &str, payload: &[u8]) {
        let (c, s) = (([127, 0, 0, 1], 3333), ([127, 0, 0, 9], 21));
        let (src, dst) = if from_client { (c, s) } else { (s, c) };
        let ip = match self.link {
            pcap_file::DataLink::LINUX_SLL => etherparse::PacketBuilder::linux_sll(
                etherparse::LinuxSllPacketType::HOST,
                6,
                [0; 8],
            )
            .ipv4(src.0, dst.0, 64),
            _ => etherparse::PacketBuilder::ipv4(src.0, dst.0, 64),
        };
        let mut tcp = ip.tcp(src.1, dst.1, seq, 1000);
        for f in flags.chars() {
            tcp = match f {
                'S' => tcp.syn(),
                'A' => tcp.ack(ack),
                'F' => tcp.fin(),
                'R' => tcp.rst(),
                _ => tcp.psh(),
            };
        }
        let mut frame = match self.link {
            pcap_file::DataLink::NULL => vec![2, 0, 0, 0],
            _ => Vec::new(),
        };
        tcp.write(&mut frame, payload).unwrap();
        self.frames.push(frame);
    }

    fn save(&self, path: &Path) {
        let header = pcap_file::pcap::PcapHeader {
            datalink: self.link,
            ..Default::default()
        };
        let mut w =
            pcap_file::pcap::PcapWriter::with_header(File::create(path).unwrap(), header).unwrap();
        for (i, f) in self.frames.iter().enumerate() {
            let ts = std::time::Duration::from_millis(i as u64);
            w.write_packet(&pcap_file::pcap::PcapPacket::new(ts, f.len() as u32, f))
                .unwrap();
        }
    }
}

/// Out-of-order, overlapping and repeated segments, then FIN (twice) and RST.
fn messy_session(link: pcap_file::DataLink) -> HandMade {
    let mut h = HandMade {
        link,
        frames: Vec::new(),
    };
    h.seg(true, 1000, 0, "S", b"");
    h.seg(false, 5000, 1001, "SA", b"");
    h.seg(true, 1001, 5001, "A", b"");
    h.seg(false, 5001, 1001, "PA", b"220 hi\r\n");
    h.seg(true, 1004, 5009, "PA", b"R a\r\n");
    h.seg(true, 1001, 5009, "PA", b"USE");
    h.seg(true, 1002, 5009, "PA", b"SER a");
    h.seg(false, 5009, 1009, "FA", b"");
    h.seg(false, 5009, 1009, "FA", b"");
    h.seg(true, 1009, 5010, "R", b"");
    h
}

fn client_offsets(events: &[Event]) -> Vec<u64> {
    let f = |e: &Event| match &e.kind {
        EventKind::Bytes {
            from: Side::Client,
            offset,
            ..
        } => Some(*offset),
        _ => None,
    };
    events.iter().filter_map(f).collect()
}

#[test]
fn reader_reorders_drops_repeats_and_reads_raw_sll_and_null_links() {
    use pcap_file::DataLink;
    let dir = tempfile::tempdir().unwrap();
    for link in [DataLink::RAW, DataLink::LINUX_SLL, DataLink::NULL] {
        let path = dir.path().join(format!("{link:?}.pcap"));
        messy_session(link).save(&path);
        let ev = read_pcap(&path, None).unwrap();
        let o = openings(&ev);
        assert_eq!(o.len(), 1, "{link:?}");
        assert_eq!((o[0].1, o[0].3.port()), (ConnRole::Control, 21));
        assert_eq!(stream(&ev, ConnId(0), Side::Client).unwrap(), b"USER a\r\n");
        assert_eq!(stream(&ev, ConnId(0), Side::Server).unwrap(), b"220 hi\r\n");
        assert_eq!(client_offsets(&ev), vec![0, 3]);
        let expected = vec![
            (ConnId(0), Side::Server, CloseKind::Fin),
            (ConnId(0), Side::Client, CloseKind::Reset),
        ];
        assert_eq!(closes(&ev), expected, "{link:?}");
    }
}

#[test]
fn a_capture_cut_mid_record_reads_up_to_the_cut_with_a_note() {
    let (t, dir, path) = recorded();
    pasv_session(
        &t,
        "127.0.0.1:40001",
        "127.0.0.1:21",
        "127.0.0.1:50000",
        "127.0.0.1:40002",
    );
    drop(t);
    let full = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &full[..full.len() - 30]).unwrap();
    let ev = read_pcap(&cut, None).unwrap();
    let last = &ev.last().unwrap().kind;
    assert!(
        matches!(last, EventKind::Note { text } if text.contains("damaged")),
        "{last:?}"
    );
    let greeting = stream(&ev, ConnId(0), Side::Server).unwrap();
    assert!(greeting.starts_with(b"220 ready\r\n"));
}

#[test]
fn unsupported_link_type_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wifi.pcap");
    let mut h = messy_session(pcap_file::DataLink::IEEE802_11);
    h.frames.truncate(1);
    h.save(&path);
    let err = read_pcap(&path, None).unwrap_err();
    assert!(matches!(err, CaptureError::UnsupportedLinkType { .. }));
    assert!(err.to_string().contains("IEEE802_11"), "{err}");
}
