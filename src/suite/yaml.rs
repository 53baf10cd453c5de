//! The one module that names the YAML deserializer. serde_yaml is deprecated
//! upstream: switching to a fork with the same API (serde_yaml_ng,
//! serde_norway) is the `use` line below plus Cargo.toml.

use serde::de::DeserializeOwned;
use serde_yaml as yaml;

/// A deserializer error: 1-based line and column when known, and the reason
/// without the trailing ` at line N column M`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line_col: Option<(usize, usize)>,
    pub message: String,
}

impl From<yaml::Error> for YamlError {
    fn from(err: yaml::Error) -> YamlError {
        let mut message = err.to_string();
        let line_col = err.location().map(|l| (l.line(), l.column()));
        if let Some((line, col)) = line_col {
            message = message.replacen(&format!(" at line {line} column {col}"), "", 1);
        }
        YamlError {
            line_col,
            message: plain_types(&message),
        }
    }
}

/// Replaces Rust type names in serde messages with words.
fn plain_types(message: &str) -> String {
    let words = [
        ("expected u16", "expected an integer from 0 to 65535"),
        ("expected u32", "expected a non-negative integer"),
        ("expected u64", "expected a non-negative integer"),
        ("expected usize", "expected a non-negative integer"),
        ("expected i64", "expected an integer"),
    ];
    let mut out = message.replace("expected struct Raw", "expected a map: ");
    for (rust, plain) in words {
        if let Some(rest) = out.strip_suffix(rust) {
            out = format!("{rest}{plain}");
        }
    }
    out
}

/// Deserializes one YAML document into `T` (stage 1 of suite loading).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    Ok(yaml::from_str(text)?)
}

/// Converts one YAML document to JSON (for schema checks of suite files).
pub fn to_json(text: &str) -> Result<serde_json::Value, YamlError> {
    let value: yaml::Value = yaml::from_str(text)?;
    serde_json::to_value(value).map_err(|err| YamlError {
        line_col: None,
        message: format!("not representable as JSON: {err}"),
    })
}
