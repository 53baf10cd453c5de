//! Regression tests for the bugs fuzzing found (fuzz/, docs/robustness.md):
//! one test per bug, named after it, with the input reduced by hand.

use std::path::Path;

use ftpconform::suite;

/// Every error of loading `text` lies inside it: a line that exists and a
/// column at most one past that line's end.
fn assert_errors_inside(text: &str) {
    let errors = suite::load_str(Path::new("t.yaml"), text).expect_err("the text is invalid");
    let lines: Vec<&str> = text.split('\n').collect();
    for e in errors {
        let line = lines.get(e.loc.line.wrapping_sub(1));
        let line = line.unwrap_or_else(|| panic!("{e}: the text has {} lines", lines.len()));
        assert!(e.loc.col <= line.chars().count() + 1, "{e}: line {line:?}");
    }
}

#[test]
fn yaml_error_at_the_end_of_a_file_without_final_newline_points_past_the_last_line() {
    let text = "role: server\ncases:\n  - id: a\n    ti";
    assert_errors_inside(text);
    let errors = suite::load_str(Path::new("t.yaml"), text).unwrap_err();
    assert_eq!(
        (errors[0].loc.line, errors[0].loc.col),
        (4, 7),
        "{}",
        errors[0]
    );
}

#[test]
fn empty_value_at_the_end_of_a_file_without_final_newline_points_past_the_last_line() {
    let text = "role: client\ncases:\n  - id: c\n    title: T\n    client: {op: get, path: a.txt}\n    rules:\n      - on: pasv\n        do:";
    assert_errors_inside(text);
}

#[test]
fn a_lone_cr_is_refused_where_it_stands_instead_of_shifting_every_later_line() {
    // YAML counts a CR without LF as a line break; editors do not, so the
    // errors after it named lines 45 too far (found by `suite_loader`).
    let text = "role: server\ncases:\n  - id: a1 f\r\r\rortnight\n  - id:\n";
    assert_errors_inside(text);
    let errors = suite::load_str(Path::new("t.yaml"), text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].loc.line, errors[0].loc.col), (3, 13));
    assert!(errors[0].message.contains("CR without LF"), "{}", errors[0]);
    // CRLF files load as before.
    let crlf = "role: server\r\ncases:\r\n  - id: a\r\n    title: T\r\n    steps: [login]\r\n";
    suite::load_str(Path::new("t.yaml"), crlf).expect("a CRLF suite loads");
}

#[test]
fn a_unicode_line_separator_is_refused_where_it_stands() {
    // The YAML parser's passes disagreed on U+2028 as a line break: an
    // error was placed on a line past the last (found by `suite_loader`).
    for ch in ['\u{2028}', '\u{2029}', '\u{85}'] {
        let text = format!("# a{ch} b\nrole: server\ncases: []\n");
        assert_errors_inside(&text);
        let errors = suite::load_str(Path::new("t.yaml"), &text).unwrap_err();
        assert_eq!((errors[0].loc.line, errors[0].loc.col), (1, 4), "{ch:?}");
        assert!(errors[0].message.contains("line break"), "{}", errors[0]);
    }
}
