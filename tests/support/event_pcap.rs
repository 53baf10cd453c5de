//! Events written straight to the harness's pcap writer without a
//! timeline keeping them, so that a test or bench can write a capture of
//! any size in bounded memory.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, SystemTime};

use ftpconform::capture::PcapObserver;
use ftpconform::timeline::{CloseKind, ConnId, ConnRole, Event, EventKind, Observer, Side};

/// The writer and the count of events written (each a microsecond apart).
pub struct EventPcap(PcapObserver, u64);

impl EventPcap {
    pub fn create(path: &Path) -> EventPcap {
        EventPcap(PcapObserver::create(path).expect("capture file"), 0)
    }

    pub fn events(&self) -> u64 {
        self.1
    }

    fn put(&mut self, kind: EventKind) {
        let e = Event {
            seq: self.1,
            at: Duration::from_micros(self.1),
            kind,
        };
        self.1 += 1;
        self.0.observe(SystemTime::UNIX_EPOCH, &e);
    }

    /// Connection `conn` opened by the client at `from` to the server at `to`.
    pub fn open(&mut self, conn: u32, role: ConnRole, from: &str, to: &str) {
        let (initiator_side, acceptor_side) = (Side::Client, Side::Server);
        let (initiator, acceptor): (SocketAddr, SocketAddr) =
            (from.parse().unwrap(), to.parse().unwrap());
        let conn = ConnId(conn);
        self.put(EventKind::Opened {
            conn,
            role,
            initiator,
            acceptor,
            initiator_side,
            acceptor_side,
        });
    }

    pub fn bytes(&mut self, conn: u32, from: Side, offset: u64, bytes: &[u8]) {
        let (conn, len, bytes) = (ConnId(conn), bytes.len() as u64, bytes.to_vec());
        self.put(EventKind::Bytes {
            conn,
            from,
            offset,
            len,
            bytes,
        });
    }

    /// A FIN from `by`.
    pub fn close(&mut self, conn: u32, by: Side) {
        let (conn, kind) = (ConnId(conn), CloseKind::Fin);
        self.put(EventKind::Closed { conn, by, kind });
    }

    /// `n` tiny connections to `server`, one after the other, from ever
    /// other client addresses: one in ten an FTP session (greeting, QUIT,
    /// 221), the others one byte that is not FTP.
    pub fn tiny_connections(&mut self, n: u32, server: &str) {
        for i in 0..n {
            let (a, b, c) = (i / 3_000_000, (i / 15_000) % 200, (i / 60) % 250);
            let from = format!("127.{}.{}.{}:{}", 1 + a, 1 + b, 1 + c, 1024 + i % 60);
            self.open(i, ConnRole::Control, &from, server);
            if i % 10 == 0 {
                self.bytes(i, Side::Server, 0, b"220 hi\r\n");
                self.bytes(i, Side::Client, 0, b"QUIT\r\n");
                self.bytes(i, Side::Server, 8, b"221 bye\r\n");
            } else {
                self.bytes(i, Side::Client, 0, b"x");
            }
            self.close(i, Side::Client);
            self.close(i, Side::Server);
        }
    }

    /// Flushes the file.
    pub fn finish(mut self) {
        self.0.finish();
    }
}
