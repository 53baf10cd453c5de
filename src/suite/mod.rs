//! Suite loading in two stages: `raw` (serde structs mirroring the YAML,
//! unknown keys rejected) then `validate` (checks, building the serde-free
//! `crate::script` types with the position of every case and step). Errors
//! are `SuiteError`s, `file:line:col: reason`. Also the suite JSON Schema.
//!
//! Modules: `yaml` (the only user of the YAML deserializer), `shape`
//! (multi-shape nodes), `locate` (node positions), `values`, `expect`,
//! `steps`, `client` (stage-2 checks), `discover` (finding files),
//! `schema`.

mod body;
mod client;
mod ctx;
mod discover;
mod error;
mod expect;
mod locate;
pub mod raw;
mod schema;
mod shape;
mod steps;
mod validate;
mod values;
mod yaml;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use discover::suite_files;
pub use error::SuiteError;
pub use locate::{NodePath, Positions};
pub use schema::json_schema;
pub use validate::DEFAULT_TIMEOUT;
pub use values::requirement_id;

use crate::script::Suite;

use crate::verdict::Loc;

/// The largest suite file read (suites are small; this bounds memory).
const MAX_FILE_SIZE: u64 = 4 << 20;

/// Loads one suite file, with every error found in it.
pub fn load_file(path: &Path) -> Result<Suite, Vec<SuiteError>> {
    let text = read(path).map_err(|msg| vec![SuiteError::at_file(path, msg)])?;
    load_str(path, &text)
}

/// Loads the suites named by `paths` (files, or folders searched recursively
/// for `*.yaml` / `*.yml`), sorted by path; errors of every file are
/// collected.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Suite>, Vec<SuiteError>> {
    let files = suite_files(paths)?;
    let mut suites = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        match load_file(file) {
            Ok(suite) => suites.push(suite),
            Err(errs) => errors.extend(errs),
        }
    }
    if errors.is_empty() {
        Ok(suites)
    } else {
        Err(errors)
    }
}

/// Loads a suite from `text`, reporting positions in `path`.
pub fn load_str(path: &Path, text: &str) -> Result<Suite, Vec<SuiteError>> {
    if text.trim().is_empty() {
        return Err(vec![SuiteError::at_file(
            path,
            "empty file: a suite needs `role` and `cases`",
        )]);
    }
    if let Some(err) = odd_line_break(path, text) {
        return Err(vec![err]);
    }
    let loaded = yaml::from_str(text)
        .map_err(|e| vec![stage1_error(path, e)])
        .and_then(|raw: raw::RawSuite| validate::suite(&raw, path, text));
    loaded.map_err(|errors| errors.into_iter().map(|e| inside(text, e)).collect())
}

/// Stage 1 for the project's other YAML data (the requirement map): `text`
/// deserialized into `T`, an error placed at `path:line:col`.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, SuiteError> {
    yaml::from_str(text).map_err(|e| inside(text, stage1_error(path, e)))
}

/// Converts a YAML document to JSON (to check suite files against the
/// schema without naming the YAML crate outside this module).
pub fn yaml_to_json(text: &str) -> Result<serde_json::Value, String> {
    yaml::to_json(text).map_err(|e| e.message)
}

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > MAX_FILE_SIZE {
        return Err(format!("file larger than {MAX_FILE_SIZE} bytes"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))
}

fn stage1_error(path: &Path, err: yaml::YamlError) -> SuiteError {
    let (line, col) = err.line_col.unwrap_or((1, 1));
    let loc = Loc {
        file: Arc::new(path.to_path_buf()),
        line,
        col,
    };
    SuiteError::new(loc, err.message)
}

/// A line break other than LF or CRLF (a CR alone, NEL, U+2028, U+2029):
/// the YAML parser counts some of these as line breaks where editors and
/// the position finder do not, so the positions after one would be off.
/// Inside a double-quoted string they can still be written as escapes.
fn odd_line_break(path: &Path, text: &str) -> Option<SuiteError> {
    let (at, c) = text.char_indices().find(|&(i, c)| match c {
        '\r' => text.as_bytes().get(i + 1) != Some(&b'\n'),
        '\u{85}' | '\u{2028}' | '\u{2029}' => true,
        _ => false,
    })?;
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let loc = Loc {
        file: Arc::new(path.to_path_buf()),
        line,
        col,
    };
    let what = match c {
        '\r' => "a CR without LF".to_string(),
        c => format!("U+{:04X}, a line break", u32::from(c)),
    };
    Some(SuiteError::new(
        loc,
        format!("{what}: end lines with LF or CRLF (write it as an escape inside a double-quoted string)"),
    ))
}

/// An error kept inside `text`: the YAML scanner places the end of a file
/// that has no final newline on the line after the last one; it is moved
/// to the end of the last line.
fn inside(text: &str, mut err: SuiteError) -> SuiteError {
    let lines = text.split('\n').count();
    if err.loc.line > lines {
        let last = text.rsplit('\n').next().unwrap_or("");
        err.loc.line = lines;
        err.loc.col = last.chars().count() + 1;
    }
    err
}

#[cfg(test)]
mod tests;
