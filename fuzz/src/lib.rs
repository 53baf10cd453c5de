//! The harness's sans-IO modules, compiled here for fuzzing, and the fuzz
//! targets' bodies ([`targets`]).
//!
//! The modules are the main crate's own source files (`../src`), not
//! copies: `wire` (codecs and address finders), `timeline`, `verdict`,
//! `script`, `suite` (the loader) and `capture` (the pcap reader). They
//! import nothing else from the crate, so compiling them alone keeps the
//! peers (tokio, libunftp, suppaftp and the TLS stack) out of the
//! instrumented build, which cargo-fuzz compiles with coverage hooks in
//! every crate: 10 minutes of CPU with the whole crate, much less without.

#[path = "../../src/capture/mod.rs"]
pub mod capture;
#[path = "../../src/script.rs"]
pub mod script;
#[path = "../../src/suite/mod.rs"]
pub mod suite;
// A symlink pair (src/timeline.rs, src/timeline/): a file named by
// `#[path]` would look for its own submodules beside it, in ../src.
pub mod timeline;
#[path = "../../src/verdict/mod.rs"]
pub mod verdict;
#[path = "../../src/wire/mod.rs"]
pub mod wire;

pub mod targets;
