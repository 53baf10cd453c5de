//! ftpconform: an FTP conformance harness with scripted fake peers.
//!
//! # Layout
//!
//! Data flows one way, from suite files to reports; each module below
//! imports only from the ones listed before it (`tests/layers.rs`):
//!
//! ```text
//! suite (YAML) -> script (cases) -> runner -> fake peer (client or server)
//!    against a real peer -> net (connections, over wire codecs) -> timeline
//!    -> capture (pcap), transcript (-> ladder), check (verdicts, run by the
//!    runner) -> report (table, JSON, JUnit, HTML, Markdown) -> cli
//! ```
//!
//! - [`wire`]: sans-IO codecs for commands, replies and address arguments,
//!   and the one byte escaper.
//! - [`timeline`]: the one event log of a case; everything else is a view.
//! - [`verdict`]: a leaf: verdict types and the catalogue of every rule the
//!   harness checks.
//! - [`script`]: validated, serde-free script types with source locations.
//! - [`suite`]: two-stage YAML loading (serde mirror, then validation) and
//!   the JSON Schema.
//! - [`net`]: the one connection layer of both fake peers over tokio,
//!   recording into the timeline.
//! - [`topology`]: NAT and firewall topologies in network namespaces the
//!   harness creates (router rules, preflight, cleanup, router captures).
//! - [`real`]: real servers (the registry, profiles, the embedded libunftp
//!   server) and real clients (command lines, the embedded suppaftp client).
//! - [`fake`]: the fake peers (client and server); they record what they do
//!   in the timeline and judge nothing.
//! - [`capture`]: the pcap view of the timeline (a streaming writer) and the
//!   pcap reader that rebuilds events.
//! - [`transcript`]: the normalized, redacted text view of the timeline, and
//!   capture comparison.
//! - [`ladder`]: the SVG ladder diagram of a timeline, drawn from its
//!   transcript.
//! - [`check`]: the checks, run once over a finished timeline.
//! - [`coverage`]: the requirement map of the FTP RFCs (`requirements/`),
//!   checked against the cases' `covers:`, and its coverage figures.
//! - [`offline`]: `ftpconform check`: the same checks over every FTP
//!   session of a capture file, for both roles.
//! - [`runner`]: runs cases against a target, one timeline and capture
//!   per case; runs the peer, catches its panics, then the checks.
//! - [`nat`]: runs suites through a topology (fake peer on one side, real
//!   peer on the other), the router's captures and rewrites, the NAT table.
//! - [`report`]: the verdict table, the JSON, JUnit, HTML and Markdown
//!   reports, and the exit status.
//! - [`harness`]: the suites as libtest trials in another project's
//!   `cargo test` (nextest too), against its own server.

pub mod capture;
pub mod check;
pub mod coverage;
pub mod fake;
pub mod harness;
pub mod ladder;
pub mod nat;
pub mod net;
pub mod offline;
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
