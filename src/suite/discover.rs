//! Finds suite files: each path is a file, or a folder searched recursively
//! for `*.yaml` / `*.yml`; the result is sorted and without duplicates.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::SuiteError;

/// The deepest folder nesting searched (a guard against link loops).
const MAX_DEPTH: usize = 32;

/// The suite files named by `paths`; a path that names none is an error.
pub fn suite_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<SuiteError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let before = files.len();
        if let Err(msg) = collect(path, 0, &mut files) {
            errors.push(SuiteError::at_file(path, msg));
        } else if files.len() == before {
            errors.push(SuiteError::at_file(
                path,
                "no suite files (*.yaml, *.yml) here",
            ));
        }
    }
    files.sort();
    files.dedup();
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

fn is_suite(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn collect(path: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if depth > MAX_DEPTH {
        return Err(format!("folders nested deeper than {MAX_DEPTH}"));
    }
    let entries = fs::read_dir(path).map_err(|e| format!("cannot read folder: {e}"))?;
    for entry in entries {
        let entry = entry
            .map_err(|e| format!("cannot read folder: {e}"))?
            .path();
        if entry.is_dir() {
            collect(&entry, depth + 1, out)?;
        } else if is_suite(&entry) {
            out.push(entry);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_yaml_files_recursively_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/c")).unwrap();
        for f in ["b/c/z.yml", "a.yaml", "b/y.yaml", "b/notes.txt"] {
            fs::write(root.join(f), "x").unwrap();
        }
        let files = suite_files(&[root.to_path_buf(), root.join("a.yaml")]).unwrap();
        let rel: Vec<_> = files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        let want: Vec<PathBuf> = ["a.yaml", "b/c/z.yml", "b/y.yaml"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(rel, want);
    }

    #[test]
    fn a_path_without_suites_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let errs = suite_files(&[dir.path().to_path_buf(), missing]).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs[0].message.contains("no suite files"), "{}", errs[0]);
        assert!(errs[1].message.contains("cannot read"), "{}", errs[1]);
    }
}
