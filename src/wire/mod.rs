//! Sans-IO FTP wire codec: pure functions over bytes, no tokio.
//!
//! - [`line`](mod@line): CRLF framing with a length cap; a bare LF is accepted but flagged.
//! - [`command`]: command lines (`VERB arg`), raw forms kept for invalid
//!   input; [`command::CommandDecoder`] and [`command::parse_line`].
//! - [`reply`]: single and multiline replies (RFC 959 section 4.2);
//!   [`reply::ReplyDecoder`] for a stream, [`reply::parse_complete`] for one
//!   whole reply, [`reply::parse_size`] for a 213 SIZE text.
//! - [`addr`]: PORT / PASV (RFC 959, RFC 1123 4.1.2.6), EPRT / EPSV (RFC 2428)
//!   arguments, parsed and encoded (every 227 shape), and the one finder
//!   of address arguments in control lines, with their spans.
//! - [`escape`]: bytes as printable text, the one way raw bytes are shown.
//! - [`telnet`]: Telnet commands taken out of the control stream (`IAC IAC`
//!   kept as one 0xFF).
//!
//! "Incomplete" is a normal state: decoders return `None` until a whole line
//! or reply has arrived.

pub mod addr;
pub mod command;
pub mod escape;
pub mod line;
pub mod reply;
pub mod telnet;

/// Default cap on one command or reply line, in bytes (CRLF included).
pub const DEFAULT_LINE_CAP: usize = 8192;

#[cfg(test)]
mod tests_addr;
#[cfg(test)]
mod tests_command;
#[cfg(test)]
mod tests_props;
#[cfg(test)]
mod tests_reply;
