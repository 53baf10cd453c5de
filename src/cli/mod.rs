//! Subcommands of the binary that are more than a few lines, and what
//! `run` shows and writes.

pub mod check;
pub mod coverage;
pub mod import;
pub mod matrix;
pub mod progress;
pub mod reports;
pub mod run;
pub mod through;
