//! ftpconform: an FTP conformance harness with scripted fake peers.
//!
//! # Layout
//!
//! Data flows one way, from suite files to reports:
//!
//! ```text
//! suite (YAML) -> script (steps) -> peer (fake client / fake server)
//!    -> net (control + data connections, over wire codecs) -> timeline
//!    -> check (verdicts) -> capture (pcap) -> transcript -> snapshot
//!    -> report (human, JSON)
//! ```
//!
//! - [`wire`]: sans-IO codecs for commands, replies and address arguments.
//! - [`timeline`]: the one event log of a case; everything else is a view.
//! - [`verdict`]: a leaf: verdict types and the catalogue of every rule the
//!   harness checks.
//! - [`script`]: validated, serde-free script types with source locations.
//! - [`suite`]: two-stage YAML loading (serde mirror, then validation) and
//!   the JSON Schema.
//! - [`net`]: control and data connections over tokio, recording into the
//!   timeline.
//! - [`peer`]: the fake peers; [`peer::run_server_case`] drives a real
//!   server through a server-role case.
//! - [`capture`]: the pcap view of the timeline (a streaming writer), the
//!   pcap reader that rebuilds events, and capture comparison.
//! - [`runner`]: runs cases against a target, one timeline and capture
//!   per case.
//! - [`report`]: the verdict table, JSON report and exit status.
//! - [`transcript`]: the normalized, redacted text view of the timeline.

pub mod capture;
pub mod check;
pub mod fake;
pub mod net;
pub mod real;
pub mod report;
pub mod runner;
pub mod script;
pub mod suite;
pub mod timeline;
pub mod transcript;
pub mod verdict;
pub mod wire;
