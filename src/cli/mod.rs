//! Subcommands of the binary that are more than a few lines.

pub mod run;
pub mod through;
