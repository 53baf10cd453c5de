//! `ftpconform coverage`: the requirement map checked against the suites,
//! then the share of testable requirement sides that a case tests, per RFC
//! and side (text or JSON), or the list of testable sides without a case.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use ftpconform::coverage::{self, Map};
use ftpconform::suite::{self, SuiteError};

/// Exit status when the map or a suite is invalid, or they disagree.
const EXIT_INVALID: u8 = 2;

#[derive(Args, Debug)]
pub struct CoverageArgs {
    /// The folder of the requirement files (rfc*.yaml).
    #[arg(long, default_value = "requirements")]
    pub requirements: PathBuf,
    /// Suite files or folders whose cases' `covers:` are counted.
    #[arg(default_value = "suites")]
    pub suites: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// List the testable requirement sides that no case tests, with what a
    /// case would need.
    #[arg(long)]
    pub uncovered: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Runs the command: 0 when the map and the suites agree, 2 otherwise.
pub fn coverage(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let map = match load(&args) {
        Ok(map) => map,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "{} error(s) in the requirement map or the suites",
                errors.len()
            );
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let out = match (args.uncovered, args.format) {
        (false, Format::Text) => coverage::summary(&map).text(),
        (false, Format::Json) => format!("{:#}\n", coverage::summary(&map).json()),
        (true, Format::Text) => uncovered_text(&map),
        (true, Format::Json) => format!("{:#}\n", uncovered_json(&map)),
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// The map and the suites, with every error of either and of their
/// cross-check.
fn load(args: &CoverageArgs) -> Result<Map, Vec<SuiteError>> {
    let map = coverage::load_dir(&args.requirements);
    let suites = suite::load_paths(&args.suites);
    match (map, suites) {
        (Ok(map), Ok(suites)) => {
            let errors = coverage::check(&map, &suites);
            if errors.is_empty() {
                Ok(map)
            } else {
                Err(errors)
            }
        }
        (map, suites) => Err([map.err(), suites.err()]
            .into_iter()
            .flatten()
            .flatten()
            .collect()),
    }
}

fn uncovered_text(map: &Map) -> String {
    coverage::uncovered(map)
        .iter()
        .map(|(id, role, section, need)| format!("{id} {} ({section}): {need}\n", role.as_str()))
        .collect()
}

fn uncovered_json(map: &Map) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = coverage::uncovered(map)
        .iter()
        .map(|(id, role, section, need)| {
            serde_json::json!({"id": id, "side": role.as_str(), "section": section, "gap": need})
        })
        .collect();
    serde_json::Value::Array(rows)
}
