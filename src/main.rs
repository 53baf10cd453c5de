//! The `ftpconform` command line: one `Command` variant and one small
//! function per subcommand.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod cli;

use anyhow::Context;
use clap::{Parser, Subcommand};

use ftpconform::script::Suite;
use ftpconform::suite::{self, SuiteError};
use ftpconform::verdict::catalogue;

/// Exit status when a suite file is invalid.
const EXIT_INVALID_SUITE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "ftpconform",
    version,
    about = "FTP conformance harness with scripted fake peers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate suites and list their cases (suite, id, role, level, rfc, title).
    List {
        /// Suite files or folders (searched recursively for *.yaml, *.yml).
        #[arg(default_value = "suites")]
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of suite files (or, with --report, of the JSON
    /// report).
    Schema {
        /// The schema of the JSON report written by `run --report json=PATH`.
        #[arg(long)]
        report: bool,
    },
    /// Print the catalogue of the rules the harness itself checks (id, RFC
    /// section, level, role, meaning).
    Rules {
        /// As JSON.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// As the Markdown of docs/rules.md.
        #[arg(long)]
        markdown: bool,
    },
    /// Run the suites against a server (default: the embedded libunftp).
    Run(cli::run::RunArgs),
    /// Judge the FTP sessions of capture files (pcap, pcapng) with the
    /// checks of a live run, as server and as client: exits as `run` does
    /// (0 pass, 1 a failure, 2 an unreadable capture).
    Check(cli::check::CheckArgs),
    /// The requirement map (requirements/) against the suites' `covers:`:
    /// per RFC and side, the share of testable requirements with a case;
    /// exits 2 when the map and the suites disagree.
    Coverage(cli::coverage::CoverageArgs),
    /// Write one session of a capture as a suite case: `--role server`
    /// replays the recorded client against servers, `--role client` the
    /// recorded server against clients; data addresses are negotiated
    /// afresh at replay.
    Import(cli::import::ImportArgs),
    /// Replay one side of a captured session against a live peer
    /// (`--server` as in `run`, or `--client`): each place where the peer
    /// departs from the recording fails its step.
    Replay(cli::import::ReplayArgs),
    /// Every suite against every available target (embedded peers, the real
    /// servers on IPv4 and ::1, the installed clients): the matrix as
    /// Markdown and HTML, the HTML report with ladders, a JSON report per
    /// target.
    Matrix(cli::matrix::MatrixArgs),
    /// Run every real server and client through every NAT and firewall
    /// topology in the four data modes and write the table of docs/nat.md.
    NatTable(cli::through::TableArgs),
    /// Compare two captures by their normalized transcripts: prints a
    /// unified diff and exits 1 when they differ, 0 when equal, 2 when a
    /// capture cannot be read.
    Compare {
        /// The reference capture.
        a: PathBuf,
        /// The capture compared with it.
        b: PathBuf,
        /// Server port of the control connections (default: 21 if used,
        /// else the first connection's server port).
        #[arg(long)]
        control_port: Option<u16>,
    },
    /// Draw the ladder diagram (SVG) of a capture: exits 2 when the capture
    /// cannot be read.
    Ladder {
        /// The capture (pcap).
        capture: PathBuf,
        /// Where the SVG goes (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Server port of the control connections (as for `compare`).
        #[arg(long)]
        control_port: Option<u16>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List { paths } => list(&paths),
        Command::Schema { report } => schema(report),
        Command::Rules { json, markdown } => rules(json, markdown),
        Command::Run(args) => run(args),
        Command::Check(args) => cli::check::check(args),
        Command::Coverage(args) => cli::coverage::coverage(args),
        Command::Import(args) => cli::import::import_cmd(args),
        Command::Replay(args) => cli::import::replay(args),
        Command::NatTable(args) => nat_table(args),
        Command::Matrix(args) => matrix(args),
        Command::Compare { a, b, control_port } => compare(&a, &b, control_port),
        Command::Ladder {
            capture,
            output,
            control_port,
        } => ladder(&capture, output.as_deref(), control_port),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ftpconform: {}", one_line(&err));
            ExitCode::from(cli::run::EXIT_HARNESS)
        }
    }
}

/// Loads suites, or prints every error and gives the exit status to use.
fn load(paths: &[PathBuf]) -> Result<Vec<Suite>, ExitCode> {
    suite::load_paths(paths).map_err(|errors| {
        print_suite_errors(&errors);
        ExitCode::from(EXIT_INVALID_SUITE)
    })
}

fn print_suite_errors(errors: &[SuiteError]) {
    for err in errors {
        eprintln!("{err}");
    }
}

fn list(paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let suites = match load(paths) {
        Ok(suites) => suites,
        Err(code) => return Ok(code),
    };
    let mut rows: Vec<[String; 6]> = suites
        .iter()
        .flat_map(|s| s.cases.iter().map(move |c| (s, c)))
        .map(|(s, c)| {
            let rfc = c.rfc.join(", ");
            [
                s.name.clone(),
                c.id.clone(),
                c.role().as_str().into(),
                c.level.as_str().into(),
                rfc,
                c.title.clone(),
            ]
        })
        .collect();
    rows.sort();
    let mut out = std::io::stdout().lock();
    out.write_all(columns(&rows).as_bytes())
        .context("writing the list")?;
    Ok(ExitCode::SUCCESS)
}

/// Rows as aligned columns (two spaces apart; the last column unpadded).
fn columns<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// An error and its causes on one line.
fn one_line(err: &anyhow::Error) -> String {
    format!("{err:#}").replace('\n', " ")
}

fn run(args: cli::run::RunArgs) -> anyhow::Result<ExitCode> {
    match load(&cli::run::suite_paths(&args)) {
        Ok(suites) => cli::run::run(args, suites),
        Err(code) => Ok(code),
    }
}

fn matrix(args: cli::matrix::MatrixArgs) -> anyhow::Result<ExitCode> {
    match load(&cli::matrix::suite_paths(&args)) {
        Ok(suites) => cli::matrix::run(args, suites),
        Err(code) => Ok(code),
    }
}

fn nat_table(args: cli::through::TableArgs) -> anyhow::Result<ExitCode> {
    match load(&cli::through::default_suites()) {
        Ok(suites) => cli::through::table(args, suites).map(|()| ExitCode::SUCCESS),
        Err(code) => Ok(code),
    }
}

/// Exit status when two captures differ.
const EXIT_CAPTURES_DIFFER: u8 = 1;

fn compare(a: &Path, b: &Path, control_port: Option<u16>) -> anyhow::Result<ExitCode> {
    match ftpconform::transcript::compare(a, b, control_port)? {
        None => Ok(ExitCode::SUCCESS),
        Some(diff) => {
            print!("{diff}");
            Ok(ExitCode::from(EXIT_CAPTURES_DIFFER))
        }
    }
}

fn ladder(
    capture: &Path,
    output: Option<&Path>,
    control_port: Option<u16>,
) -> anyhow::Result<ExitCode> {
    let events = ftpconform::capture::read_pcap(capture, control_port)?;
    let title = capture
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let svg = ftpconform::ladder::from_events(&title, &events);
    match output {
        Some(path) => {
            std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout()
            .lock()
            .write_all(svg.as_bytes())
            .context("writing the ladder")?,
    }
    Ok(ExitCode::SUCCESS)
}

fn rules(json: bool, markdown: bool) -> anyhow::Result<ExitCode> {
    let text = if json {
        let value = catalogue::json();
        serde_json::to_string_pretty(&value).context("encoding the rules")? + "\n"
    } else if markdown {
        catalogue::markdown()
    } else {
        catalogue::text()
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing the rules")?;
    Ok(ExitCode::SUCCESS)
}

fn schema(report: bool) -> anyhow::Result<ExitCode> {
    let schema = if report {
        ftpconform::report::json::json_schema()
    } else {
        suite::json_schema()
    };
    let text = serde_json::to_string_pretty(&schema).context("encoding the schema")?;
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_trim() {
        let rows = [
            ["a".to_string(), "long".to_string(), "x".to_string()],
            ["bbb".into(), "s".into(), "".into()],
        ];
        assert_eq!(columns(&rows), "a    long  x\nbbb  s\n");
    }
}
