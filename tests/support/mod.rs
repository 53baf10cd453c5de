//! What the test files share. A file declares `pub mod support;` (public,
//! so that the parts it does not use are no dead code there) and takes
//! what it needs:
//!
//! - [`cases`]: cases of both roles built in code, and their results.
//! - [`suites`]: the repository's suites.
//! - [`mock_server`]: a scripted misbehaving server, for the fake client.
//! - [`mock_client`]: a scripted misbehaving client, for the fake server.
//! - [`mock_ftps`]: an FTPS server that breaks one TLS rule, for the fake
//!   client.
//! - [`mock_ftps_client`]: an FTPS client that breaks one TLS rule, for
//!   the fake server.
//! - [`tshark`]: Wireshark's reading of a capture.

pub mod cases;
pub mod mock_client;
pub mod mock_ftps;
pub mod mock_ftps_client;
pub mod mock_server;
pub mod suites;
pub mod tshark;
