//! What TLS (FTPS, RFC 4217) did on a connection: the records as they
//! crossed the wire, the handshake's outcome, close_notify, and the key
//! log. `Bytes` events of a protected connection carry the plaintext; the
//! records here are the ciphertext the pcap writer puts on the wire.

use super::{ConnId, Side};

/// One TLS event on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsEvent {
    /// TLS bytes sent by `from`, as they went over TCP. Kept for observers
    /// only: the stored event holds `len`, its `bytes` empty.
    Record {
        conn: ConnId,
        from: Side,
        len: u64,
        bytes: Vec<u8>,
    },
    /// The handshake completed; `client` is the side that played the TLS
    /// client.
    Established {
        conn: ConnId,
        client: Side,
        version: String,
        cipher: String,
        /// The session was resumed (an abbreviated handshake).
        resumed: bool,
    },
    /// The handshake failed, by `by`'s account (the side that saw it).
    Failed {
        conn: ConnId,
        by: Side,
        reason: String,
    },
    /// `by` sent close_notify.
    CloseNotify { conn: ConnId, by: Side },
    /// `by` closed TCP without close_notify (a truncation attack, RFC 4217
    /// 12.6, or a peer that did not bother).
    Truncated { conn: ConnId, by: Side },
    /// TLS ended and the connection carries plaintext again (CCC).
    Cleared { conn: ConnId },
    /// One NSS key log line (`label client_random secret`), for the
    /// capture's decryption secrets.
    Secret { line: String },
}

impl TlsEvent {
    /// The connection it happened on (none for a key log line).
    pub fn conn(&self) -> Option<ConnId> {
        match self {
            TlsEvent::Record { conn, .. }
            | TlsEvent::Established { conn, .. }
            | TlsEvent::Failed { conn, .. }
            | TlsEvent::CloseNotify { conn, .. }
            | TlsEvent::Truncated { conn, .. }
            | TlsEvent::Cleared { conn } => Some(*conn),
            TlsEvent::Secret { .. } => None,
        }
    }
}
