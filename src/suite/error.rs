//! `SuiteError`: one problem in a suite file, located at `file:line:col`.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::verdict::Loc;

/// A problem found while loading a suite, with the position of the node
/// that causes it. Displays as one line: `file:line:col: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteError {
    pub loc: Loc,
    pub message: String,
}

impl SuiteError {
    /// An error at `loc`; newlines in `message` are folded so the error stays
    /// on one line.
    pub fn new(loc: Loc, message: impl Into<String>) -> SuiteError {
        let message = message.into().replace(['\r', '\n'], " ");
        SuiteError { loc, message }
    }

    /// An error about a whole file (not readable, no suite found...), placed
    /// at its first line.
    pub fn at_file(path: &Path, message: impl Into<String>) -> SuiteError {
        let loc = Loc {
            file: Arc::new(path.to_path_buf()),
            line: 1,
            col: 1,
        };
        SuiteError::new(loc, message)
    }
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)
    }
}

impl std::error::Error for SuiteError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_file_line_col_reason_on_one_line() {
        let loc = Loc {
            file: Arc::new("suites/a.yaml".into()),
            line: 3,
            col: 7,
        };
        let err = SuiteError::new(loc, "bad\nthing");
        assert_eq!(err.to_string(), "suites/a.yaml:3:7: bad thing");
    }
}
