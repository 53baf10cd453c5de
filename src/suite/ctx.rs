//! The validation context of stage 2: the file, where each node is, and
//! the errors collected so far; shared by every stage-2 module.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::error::SuiteError;
use super::locate::{NodePath, Positions};
use super::raw::RawDuration;
use super::values;
use crate::verdict::Loc;

/// Validation state: where nodes are, and the errors found so far.
pub struct Ctx<'a> {
    file: Arc<PathBuf>,
    positions: &'a Positions,
    pub errors: Vec<SuiteError>,
}

impl<'a> Ctx<'a> {
    pub fn new(file: &Path, positions: &'a Positions) -> Ctx<'a> {
        let file = Arc::new(file.to_path_buf());
        Ctx {
            file,
            positions,
            errors: Vec::new(),
        }
    }

    /// The folder of the suite file (relative paths in it start there).
    pub fn dir(&self) -> PathBuf {
        self.file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The position of the node at `at`.
    pub fn loc(&self, at: &NodePath) -> Loc {
        let pos = self.positions.value(at);
        Loc {
            file: self.file.clone(),
            line: pos.line,
            col: pos.col,
        }
    }

    /// The position of the key of the map entry at `at`.
    pub fn key_loc(&self, at: &NodePath) -> Loc {
        let pos = self.positions.key(at);
        Loc {
            file: self.file.clone(),
            line: pos.line,
            col: pos.col,
        }
    }

    /// Records an error at the node `at`.
    pub fn error(&mut self, at: &NodePath, message: impl Into<String>) {
        let err = SuiteError::new(self.loc(at), message);
        self.errors.push(err);
    }

    /// Records an error at the key of the entry `at`.
    pub fn key_error(&mut self, at: &NodePath, message: impl Into<String>) {
        let err = SuiteError::new(self.key_loc(at), message);
        self.errors.push(err);
    }

    /// The value, or `None` after recording the error at `at`.
    pub fn check<T>(&mut self, at: &NodePath, result: Result<T, String>) -> Option<T> {
        result.map_err(|msg| self.error(at, msg)).ok()
    }

    /// Checks an optional value; `Ok(None)` when absent, `Err` when invalid.
    pub fn opt<R, T>(
        &mut self,
        at: &NodePath,
        raw: Option<&R>,
        f: impl FnOnce(&R) -> Result<T, String>,
    ) -> Result<Option<T>, ()> {
        match raw {
            None => Ok(None),
            Some(r) => self.check(at, f(r)).map(Some).ok_or(()),
        }
    }
}

/// A timeout: a duration above zero.
pub fn timeout(ctx: &mut Ctx, raw: Option<&RawDuration>, at: &NodePath) -> Option<Duration> {
    let d = ctx.check(at, values::duration(raw?))?;
    if d.is_zero() {
        ctx.error(at, "a timeout must be longer than zero");
        return None;
    }
    Some(d)
}
