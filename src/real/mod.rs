//! Real FTP implementations the harness tests: profiles of real servers
//! (started on loopback, stopped by PID) and of real clients (run as bounded
//! child processes), plus the embedded libunftp server and suppaftp client.
//!
//! - [`servers`]: server profiles, the embedded server, endpoints.
//! - [`clients`]: client profiles, their command lines and processes.

pub mod clients;
pub mod servers;
