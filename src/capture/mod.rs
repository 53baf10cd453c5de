//! Capture: the pcap view of a timeline, and the way back from a pcap.
//!
//! - [`pcap`]: [`PcapObserver`], a timeline observer that writes a pcap
//!   file while the case runs (synthesized TCP with handshakes, segments and
//!   closes), so that a failing or panicking case still leaves a capture.
//!   A case with TLS ends as pcapng with its key log in a Decryption
//!   Secrets Block (`pcapng`), so that the FTP inside FTPS shows by itself.
//! - [`read`]: [`read_pcap`], which reassembles the TCP streams of a capture
//!   into timeline events.
//! - [`sessions`]: [`read_sessions`], the reader of real traffic: pcap or
//!   pcapng (`packets`), Ethernet with VLAN tags, Linux cooked SLL and
//!   SLL2, raw IP and BSD loopback over IPv4 and IPv6 (`link`), TCP
//!   reassembly per direction with gaps reported (`reasm`), control
//!   connections found by content (`classify`), data connections by the
//!   negotiation that announced them, one timeline per FTP session
//!   (`log`), streamed.
//! - `name`: tells control from data connections and client from server
//!   (from the address arguments `wire::addr` finds on control lines).

mod classify;
mod link;
mod log;
mod name;
mod packets;
pub mod pcap;
mod pcapng;
pub mod read;
mod reasm;
pub mod sessions;

use std::fmt;
use std::io;
use std::path::PathBuf;

pub use pcap::{CaptureHealth, PcapObserver};
pub use read::{read_pcap, read_pcap_from};
pub use sessions::{read_sessions, read_sessions_from, Session};

/// Why a capture could not be read.
#[derive(Debug)]
pub enum CaptureError {
    /// The file could not be opened or read.
    Io { path: PathBuf, source: io::Error },
    /// The file is not a pcap file, or its records are damaged.
    Format { path: PathBuf, detail: String },
    /// The link type is not one the reader decodes.
    UnsupportedLinkType { path: PathBuf, link: String },
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Io { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            CaptureError::Format { path, detail } => {
                write!(f, "{} is not a readable pcap: {detail}", path.display())
            }
            CaptureError::UnsupportedLinkType { path, link } => write!(
                f,
                "{}: link type {link} is not supported (Ethernet, Linux SLL, raw IP, null/loop)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaptureError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
