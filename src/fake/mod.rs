//! Fake peers: scripted FTP parties that drive real implementations.
//!
//! - [`client`]: the fake client, running server-role cases against a real
//!   server.
//! - [`server`]: the fake server, answering a real client in client-role
//!   cases.
//!
//! The peers record what they do in the case's timeline; the runner judges.

pub mod client;
pub mod server;
