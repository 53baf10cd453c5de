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
//! - [`topology`]: NAT and firewall topologies in network namespaces the
//!   harness creates (router rules, preflight, cleanup, router captures).
//! - [`fake`]: the fake peers (client and server); they record what they do
//!   in the timeline and judge nothing.
//! - [`capture`]: the pcap view of the timeline (a streaming writer), the
//!   pcap reader that rebuilds events, and capture comparison.
//! - [`check`]: the checks, run once over a finished timeline.
//! - [`runner`]: runs cases against a target, one timeline and capture
//!   per case; runs the peer, catches its panics, then the checks.
//! - [`nat`]: runs suites through a topology (fake peer on one side, real
//!   peer on the other), the router's captures and rewrites, the NAT table.
//! - [`report`]: the verdict table, JSON report and exit status.
//! - [`transcript`]: the normalized, redacted text view of the timeline.
//! - [`ladder`]: the SVG ladder diagram of a timeline, drawn from its
//!   transcript.

pub mod capture;
pub mod check;
pub mod fake;
pub mod ladder;
pub mod nat;
pub mod net;
pub mod real;
pub mod report;
pub mod runner;
pub mod script;
pub mod suite;
pub mod timeline;
pub mod topology;
pub mod transcript;
pub mod verdict;
pub mod wire;
