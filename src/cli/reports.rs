//! `--report KIND=PATH`: the report files a run writes (JSON, JUnit XML,
//! HTML, Markdown), and writing them.

use std::path::PathBuf;

use anyhow::{bail, Context};

use ftpconform::report::{html, json, junit, markdown};
use ftpconform::verdict::CaseResult;

/// The kinds `--report` takes, as written before the `=`.
pub const KINDS: &[&str] = &["json", "junit", "html", "markdown"];

/// One requested report file.
pub struct ReportSpec {
    kind: &'static str,
    path: PathBuf,
}

/// Parses `KIND=PATH` arguments.
pub fn parse(specs: &[String]) -> anyhow::Result<Vec<ReportSpec>> {
    specs
        .iter()
        .map(|s| {
            let (kind, path) = s.split_once('=').unwrap_or((s, ""));
            match KINDS.iter().find(|k| **k == kind) {
                Some(kind) if !path.is_empty() => Ok(ReportSpec {
                    kind,
                    path: path.into(),
                }),
                _ => bail!(
                    "bad --report `{s}`: use KIND=PATH with KIND one of {}",
                    KINDS.join(", ")
                ),
            }
        })
        .collect()
}

/// Whether a report draws ladders (the run keeps each case's transcript).
pub fn wants_ladders(specs: &[ReportSpec]) -> bool {
    specs.iter().any(|s| s.kind == "html")
}

/// Writes every requested report.
pub fn write(
    specs: &[ReportSpec],
    results: &[CaseResult],
    ladders: &html::Ladders,
) -> anyhow::Result<()> {
    for spec in specs {
        let text = match spec.kind {
            "json" => serde_json::to_string_pretty(&json::render(results))? + "\n",
            "junit" => junit::render(results).context("encoding the JUnit report")?,
            "html" => html::render(results, ladders),
            _ => markdown::render(results),
        };
        std::fs::write(&spec.path, text)
            .with_context(|| format!("writing {}", spec.path.display()))?;
    }
    Ok(())
}
