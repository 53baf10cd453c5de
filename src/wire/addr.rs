//! Address arguments: PORT and the 227 reply (`h1,h2,h3,h4,p1,p2`), EPRT
//! (`|1|addr|port|`, `|2|addr|port|`, RFC 2428 section 2) and the 229 reply
//! (`(|||port|)`, RFC 2428 section 3).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};
use std::ops::Range;

mod find;
mod safety;

pub use find::{find_in_command, find_in_reply, AddrArg, ArgKind};
pub use safety::{foreign_in_command, foreign_in_pasv_text};

/// Why an address argument is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddrError {
    /// A host number over 255.
    OctetOutOfRange(u32),
    /// A port over 65535 (or a port byte over 255).
    PortOutOfRange(u32),
    /// Not exactly six numbers (PORT/PASV) or four delimiters (EPRT/EPSV).
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
        match self {
            AddrError::OctetOutOfRange(n) => write!(f, "octet {n} is over 255"),
            AddrError::PortOutOfRange(n) => write!(f, "port number {n} is out of range"),
            AddrError::FieldCount { expected, found } => {
                write!(f, "expected {expected} fields, found {found}")
            }
            AddrError::BadNumber(s) => write!(f, "{s:?} is not a decimal number"),
            AddrError::NoAddress => f.write_str("no h1,h2,h3,h4,p1,p2 address in the text"),
            AddrError::BadDelimiter => f.write_str(
                "the delimiter must be one character from ASCII 33-126, the same throughout",
            ),
            AddrError::UnknownFamily(s) => {
                write!(f, "unknown network protocol {s:?} (1 is IPv4, 2 is IPv6)")
            }
            AddrError::FamilyMismatch { family, addr } => {
                write!(f, "address {addr:?} is not of network protocol {family}")
            }
            AddrError::BadAddress(s) => write!(f, "{s:?} is not a valid address"),
        }
    }
}

impl std::error::Error for AddrError {}

/// Parses a PORT argument `h1,h2,h3,h4,p1,p2`.
pub fn parse_port(arg: &str) -> Result<SocketAddrV4, AddrError> {
    let fields: Vec<&str> = arg.trim().split(',').collect();
    if fields.len() != 6 {
        return Err(AddrError::FieldCount {
            expected: 6,
            found: fields.len(),
        });
    }
    let numbers = fields
        .iter()
        .map(|f| parse_decimal(f))
        .collect::<Result<Vec<u32>, AddrError>>()?;
    six_to_addr(&numbers)
}

/// Encodes `h1,h2,h3,h4,p1,p2`.
pub fn encode_port(addr: SocketAddrV4) -> String {
    let [h1, h2, h3, h4] = addr.ip().octets();
    let [p1, p2] = addr.port().to_be_bytes();
    format!("{h1},{h2},{h3},{h4},{p1},{p2}")
}

/// Finds the address in a 227 reply text, scanning for the six numbers
/// wherever they are (RFC 1123 section 4.1.2.6).
pub fn parse_pasv_reply(text: &str) -> Result<SocketAddrV4, AddrError> {
    scan_six(text).map(|six| six.addr)
}

/// Six numbers `h1,h2,h3,h4,p1,p2` found in a text, with the spans of the
/// host (`h1,...,h4`) and the port (`p1,p2`) parts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Six {
    addr: SocketAddrV4,
    host: Range<usize>,
    port: Range<usize>,
}

/// The first run of exactly six comma-separated numbers in `text`.
fn scan_six(text: &str) -> Result<Six, AddrError> {
    // RFC 1123 section 4.1.2.6: "The format of the 227 reply to a PASV
    // command is not well standardized. [...] Therefore, a User-FTP
    // program that interprets the PASV reply must scan the reply for the
    // first digit of the host and port numbers."
    let mut wrong_run = None;
    for run in comma_runs(text) {
        match run.len() {
            6 => {
                let values: Vec<u32> = run.iter().map(|n| n.value).collect();
                return Ok(Six {
                    addr: six_to_addr(&values)?,
                    host: run[0].span.start..run[3].span.end,
                    port: run[4].span.start..run[5].span.end,
                });
            }
            2.. if wrong_run.is_none() => wrong_run = Some(run.len()),
            _ => {}
        }
    }
    match wrong_run {
        Some(found) => Err(AddrError::FieldCount { expected: 6, found }),
        None => Err(AddrError::NoAddress),
    }
}

/// Every IPv4 host written in `text` as the first four numbers of a comma
/// run (`h1,h2,h3,h4`, maybe followed by more), however long the run: what
/// the most lenient peer reading a PORT or 227 argument could take.
fn comma_hosts(text: &str) -> Vec<Ipv4Addr> {
    let host = |run: Vec<Number>| {
        let octets: Vec<u8> = run
            .iter()
            .take(4)
            .map(|n| u8::try_from(n.value).ok())
            .collect::<Option<_>>()?;
        let octets: [u8; 4] = octets.try_into().ok()?;
        Some(Ipv4Addr::from(octets))
    };
    comma_runs(text).filter_map(host).collect()
}

/// One number of a comma run: its value (saturated at `u32::MAX`) and
/// where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Number {
    value: u32,
    span: Range<usize>,
}

/// The runs of comma-separated numbers in `text`, in order; each starts at
/// a digit that no earlier run took.
fn comma_runs(text: &str) -> impl Iterator<Item = Vec<Number>> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let run = comma_run(text, i);
        // A run holds at least the digit at `i`, so the scan moves on.
        i = run.last().map_or(i + 1, |n| n.span.end);
        Some(run)
    })
}

/// The comma-separated numbers starting at `start` (spaces allowed around
/// the commas). A run is taken whole: `1,2,3,4,5,6,7` is seven numbers,
/// not six.
fn comma_run(text: &str, start: usize) -> Vec<Number> {
    let mut numbers = Vec::new();
    let mut at = start;
    loop {
        let rest = &text[at..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return numbers;
        }
        numbers.push(Number {
            value: saturating_decimal(&rest[..digits]),
            span: at..at + digits,
        });
        let after = rest[digits..].trim_start_matches(' ');
        match after.strip_prefix(',') {
            Some(next) => at = text.len() - next.trim_start_matches(' ').len(),
            None => return numbers,
        }
    }
}

/// Shapes of a 227 reply text seen on real servers. RFC 1123 section
/// 4.1.2.6: "The format of the 227 reply to a PASV command is not well
/// standardized", so a client must scan for the numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasvShape {
    /// `Entering Passive Mode (h1,h2,h3,h4,p1,p2)`
    Standard,
    /// `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
    TrailingPeriod,
    /// `Entering Passive Mode h1,h2,h3,h4,p1,p2`
    NoParens,
    /// `entering passive mode (h1,h2,h3,h4,p1,p2)`
    LowerCase,
    /// `=h1,h2,h3,h4,p1,p2 extra words`
    ExtraText,
}

/// The text of a 227 reply naming `addr`, in `shape`.
pub fn encode_pasv_reply(addr: SocketAddrV4, shape: PasvShape) -> String {
    let nums = encode_port(addr);
    match shape {
        PasvShape::Standard => format!("Entering Passive Mode ({nums})"),
        PasvShape::TrailingPeriod => format!("Entering Passive Mode ({nums})."),
        PasvShape::NoParens => format!("Entering Passive Mode {nums}"),
        PasvShape::LowerCase => format!("entering passive mode ({nums})"),
        PasvShape::ExtraText => format!("={nums} extra words"),
    }
}

/// Builds an address from six numbers, checking each range.
fn six_to_addr(n: &[u32]) -> Result<SocketAddrV4, AddrError> {
    let mut octets = [0u8; 4];
    for (octet, &value) in octets.iter_mut().zip(&n[..4]) {
        *octet = u8::try_from(value).map_err(|_| AddrError::OctetOutOfRange(value))?;
    }
    let mut port = [0u8; 2];
    for (byte, &value) in port.iter_mut().zip(&n[4..6]) {
        *byte = u8::try_from(value).map_err(|_| AddrError::PortOutOfRange(value))?;
    }
    Ok(SocketAddrV4::new(
        Ipv4Addr::from(octets),
        u16::from_be_bytes(port),
    ))
}

/// A non-empty run of ASCII digits, saturated at `u32::MAX`.
fn parse_decimal(field: &str) -> Result<u32, AddrError> {
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AddrError::BadNumber(field.to_owned()));
    }
    Ok(saturating_decimal(field))
}

fn saturating_decimal(digits: &str) -> u32 {
    digits.bytes().fold(0u32, |n, d| {
        n.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    })
}

/// A TCP port field of EPRT or EPSV.
fn parse_tcp_port(field: &str) -> Result<u16, AddrError> {
    let value = parse_decimal(field)?;
    u16::try_from(value).map_err(|_| AddrError::PortOutOfRange(value))
}

/// RFC 2428 section 2: "The delimiter character MUST be one of the ASCII
/// characters in range 33-126 inclusive."
fn is_delimiter(byte: u8) -> bool {
    (33..=126).contains(&byte)
}

/// Parses an EPRT argument `<d>proto<d>addr<d>port<d>`.
pub fn parse_eprt(arg: &str) -> Result<SocketAddr, AddrError> {
    let arg = arg.trim_end();
    let d = match arg.bytes().next() {
        Some(d) if is_delimiter(d) => char::from(d),
        Some(_) => return Err(AddrError::BadDelimiter),
        None => {
            return Err(AddrError::FieldCount {
                expected: 4,
                found: 0,
            })
        }
    };
    let found = arg.matches(d).count();
    if found != 4 {
        return Err(AddrError::FieldCount { expected: 4, found });
    }
    // RFC 2428 section 2: "EPRT<space><d><net-prt><d><net-addr><d><tcp-port><d>";
    // the argument ends with the delimiter.
    if !arg.ends_with(d) {
        return Err(AddrError::BadDelimiter);
    }
    let [family, addr, port] = eprt_fields(arg)?.map(|(_, field)| field);
    let ip = parse_family_addr(family, addr)?;
    Ok(SocketAddr::new(ip, parse_tcp_port(port)?))
}

/// The first three fields of `<d>proto<d>addr<d>port<d>...` with their
/// offsets, whatever the delimiter (any ASCII character).
fn eprt_fields(arg: &str) -> Result<[(usize, &str); 3], AddrError> {
    let d = arg
        .chars()
        .next()
        .filter(char::is_ascii)
        .ok_or(AddrError::BadDelimiter)?;
    let mut fields = Vec::new();
    let mut at = 1;
    while let Some(len) = arg.get(at..).and_then(|r| r.find(d)) {
        fields.push((at, &arg[at..at + len]));
        at += len + 1;
    }
    let found = fields.len() + 1;
    fields.truncate(3);
    fields
        .try_into()
        .map_err(|_| AddrError::FieldCount { expected: 4, found })
}

/// RFC 2428 section 2: `<net-prt>` is an IANA address family number,
/// 1 for IPv4 and 2 for IPv6, and `<net-addr>` is written in that family's
/// usual text form (dotted decimal for IPv4, RFC 1884 form for IPv6).
fn parse_family_addr(family: &str, addr: &str) -> Result<IpAddr, AddrError> {
    let mismatch = |family| AddrError::FamilyMismatch {
        family,
        addr: addr.to_owned(),
    };
    let bad = || AddrError::BadAddress(addr.to_owned());
    match family {
        "1" => match addr.parse::<Ipv4Addr>() {
            Ok(ip) => Ok(IpAddr::V4(ip)),
            Err(_) if addr.parse::<Ipv6Addr>().is_ok() => Err(mismatch(1)),
            Err(_) => Err(bad()),
        },
        "2" => match addr.parse::<Ipv6Addr>() {
            Ok(ip) => Ok(IpAddr::V6(ip)),
            Err(_) if addr.parse::<Ipv4Addr>().is_ok() => Err(mismatch(2)),
            Err(_) => Err(bad()),
        },
        other => Err(AddrError::UnknownFamily(other.to_owned())),
    }
}

/// Encodes `|1|addr|port|` or `|2|addr|port|`.
pub fn encode_eprt(addr: SocketAddr) -> String {
    let family = if addr.is_ipv4() { 1 } else { 2 };
    format!("|{family}|{}|{}|", addr.ip(), addr.port())
}

/// Finds the port in a 229 reply text `... (<d><d><d>port<d>)`.
pub fn parse_epsv_reply(text: &str) -> Result<u16, AddrError> {
    scan_epsv(text).map(|(port, _)| port)
}

/// The port of the first `(<d><d><d>port<d>)` in `text`, and its span.
fn scan_epsv(text: &str) -> Result<(u16, Range<usize>), AddrError> {
    // RFC 2428 section 3: "The text returned in response to the EPSV
    // command MUST be: <text indicating server is entering extended
    // passive mode> (<d><d><d><tcp-port><d>)". The first parenthesis that
    // opens this shape wins; other parentheses in the text are skipped.
    let mut first_error = None;
    for (open, _) in text.match_indices('(') {
        match epsv_at(&text.as_bytes()[open + 1..]) {
            Ok((port, span)) => return Ok((port, open + 1 + span.start..open + 1 + span.end)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(AddrError::NoAddress))
}

/// Parses `<d><d><d><tcp-port><d>)` at the start of `rest`. The port ends
/// at the first `<d>)`, so even a digit delimiter is read right.
fn epsv_at(rest: &[u8]) -> Result<(u16, Range<usize>), AddrError> {
    let d = match rest.first() {
        Some(&d) if is_delimiter(d) => d,
        _ => return Err(AddrError::BadDelimiter),
    };
    if rest.get(1..3) != Some(&[d, d][..]) {
        return Err(AddrError::BadDelimiter);
    }
    let body = &rest[3..];
    let end = body
        .windows(2)
        .position(|w| w == [d, b')'])
        .ok_or(AddrError::BadDelimiter)?;
    let port = String::from_utf8_lossy(&body[..end]);
    Ok((parse_tcp_port(&port)?, 3..3 + end))
}

/// The text of a 229 reply: `Entering Extended Passive Mode (|||port|)`.
pub fn encode_epsv_reply(port: u16) -> String {
    format!("Entering Extended Passive Mode (|||{port}|)")
}
