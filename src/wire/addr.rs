//! Address arguments: PORT and the 227 reply (`h1,h2,h3,h4,p1,p2`), EPRT
//! (`|1|addr|port|`, `|2|addr|port|`, RFC 2428 section 2) and the 229 reply
//! (`(|||port|)`, RFC 2428 section 3).

use std::fmt;
use std::net::{SocketAddr, SocketAddrV4};

/// Why an address argument is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddrError {
    /// A host number over 255.
    OctetOutOfRange(u32),
    /// A port over 65535 (or a port byte over 255).
    PortOutOfRange(u32),
    /// Not exactly six numbers (PORT/PASV) or four fields (EPRT/EPSV).
    FieldCount { expected: usize, found: usize },
    /// A field that is not a decimal number.
    BadNumber(String),
    /// No `h1,...,p2` found in a 227 text.
    NoAddress,
    /// EPRT/EPSV delimiter outside 33-126, or inconsistent delimiters.
    BadDelimiter,
    /// A network protocol number other than 1 or 2.
    UnknownFamily(String),
    /// An address that does not match its family (IPv6 in `|1|`).
    FamilyMismatch { family: u8, addr: String },
    /// An address that does not parse.
    BadAddress(String),
}

impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for AddrError {}

/// Parses a PORT argument `h1,h2,h3,h4,p1,p2`.
pub fn parse_port(arg: &str) -> Result<SocketAddrV4, AddrError> {
    let _ = arg;
    todo!("wire helper")
}

/// Encodes `h1,h2,h3,h4,p1,p2`.
pub fn encode_port(addr: SocketAddrV4) -> String {
    let _ = addr;
    todo!("wire helper")
}

/// Finds the address in a 227 reply text, scanning for the six numbers
/// wherever they are (RFC 1123 section 4.1.2.6).
pub fn parse_pasv_reply(text: &str) -> Result<SocketAddrV4, AddrError> {
    let _ = text;
    todo!("wire helper")
}

/// The text of a 227 reply: `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
pub fn encode_pasv_reply(addr: SocketAddrV4) -> String {
    let _ = addr;
    todo!("wire helper")
}

/// Parses an EPRT argument `<d>proto<d>addr<d>port<d>`.
pub fn parse_eprt(arg: &str) -> Result<SocketAddr, AddrError> {
    let _ = arg;
    todo!("wire helper")
}

/// Encodes `|1|addr|port|` or `|2|addr|port|`.
pub fn encode_eprt(addr: SocketAddr) -> String {
    let _ = addr;
    todo!("wire helper")
}

/// Finds the port in a 229 reply text `... (<d><d><d>port<d>)`.
pub fn parse_epsv_reply(text: &str) -> Result<u16, AddrError> {
    let _ = text;
    todo!("wire helper")
}

/// The text of a 229 reply: `Entering Extended Passive Mode (|||port|)`.
pub fn encode_epsv_reply(port: u16) -> String {
    let _ = port;
    todo!("wire helper")
}
