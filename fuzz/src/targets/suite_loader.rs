//! The suite loader over arbitrary text: never a panic, and every error
//! is one line naming a position inside the file (a line that exists, a
//! column at most one past its end).

use std::path::Path;

use crate::suite;

/// One input: panics on any broken property.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.yaml");
    let Err(errors) = suite::load_str(path, text) else {
        return;
    };
    assert!(!errors.is_empty(), "an error list is never empty");
    let lines: Vec<&str> = text.split('\n').collect();
    for e in &errors {
        assert_eq!(e.loc.file.as_path(), path, "{e}");
        assert!(e.loc.line >= 1 && e.loc.col >= 1, "{e}");
        let line = lines.get(e.loc.line - 1);
        let line = line.unwrap_or_else(|| panic!("{e}: the text has {} lines", lines.len()));
        assert!(e.loc.col <= line.chars().count() + 1, "{e}: line {line:?}");
        assert!(
            !e.message.is_empty() && !e.message.contains(['\n', '\r']),
            "{e:?}"
        );
    }
    let _ = suite::yaml_to_json(text);
}
