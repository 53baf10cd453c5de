//! Fake peers: scripted FTP parties that drive real implementations.
//!
//! - [`client`]: the fake client, running server-role cases against a real
//!   server ([`run_server_case`]).

pub mod client;

pub use client::run_case as run_server_case;
