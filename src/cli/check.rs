//! `ftpconform check FILE...`: the checks of a live run over every FTP
//! session of capture files (pcap or pcapng), both roles, with the same
//! reports and exit status as `run`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;

use super::reports;

use ftpconform::capture::sessions::Options;
use ftpconform::offline;
use ftpconform::report::html::Ladders;
use ftpconform::report::{self, Summary};
use ftpconform::verdict::CaseResult;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Capture files (pcap or pcapng).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write a report: `json=PATH`, `junit=PATH`, `html=PATH` or
    /// `markdown=PATH` (repeatable).
    #[arg(long = "report")]
    pub reports: Vec<String>,
    /// Connections to this port are control connections even when the
    /// capture starts after their first lines (control connections are
    /// otherwise found by their content, on any port).
    #[arg(long)]
    pub control_port: Option<u16>,
    /// Grade every should-level finding as a failure (as `run --strict`).
    #[arg(long)]
    pub strict: bool,
    /// Print the summary line only, not the table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs the command; an unreadable capture is a harness error (exit 2).
pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let specs = reports::parse(&args.reports)?;
    let opts = Options {
        control_port: args.control_port,
        ..Options::default()
    };
    let mut results: Vec<CaseResult> = Vec::new();
    for file in &args.files {
        let summary = offline::check_file(file, &opts, |r| {
            results.push(if args.strict { r.strict() } else { r })
        })?;
        if let Some(why) = &summary.damaged {
            eprintln!("{}: read up to a damaged record: {why}", file.display());
        }
        eprintln!(
            "{}: {} packets, {} FTP sessions, {} other TCP connections",
            file.display(),
            summary.packets,
            summary.sessions,
            summary.other_connections
        );
    }
    if results.is_empty() {
        bail!("no FTP session found in the captures");
    }
    if !args.quiet {
        print!("{}", report::table::render(&results));
    }
    reports::write(&specs, &results, &Ladders::default())?;
    Ok(ExitCode::from(Summary::of(&results).exit_code() as u8))
}
