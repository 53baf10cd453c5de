//! Fake peers: scripted FTP parties that drive real implementations.
//!
//! - [`client`]: the fake client, running server-role cases against a real
//!   server ([`run_server_case`]).
//! - [`server`]: the fake server, running client-role cases against a real
//!   client ([`run_client_case`]).

pub mod client;
pub mod server;

pub use client::run_case as run_server_case;
pub use server::run_client_case;
