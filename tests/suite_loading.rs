//! Suite loading end to end: every broken fixture is reported at the
//! expected `file:line:col` by `ftpconform list` (exit 2, no panic), every
//! file under suites/ satisfies the schema printed by `ftpconform schema`,
//! and the suites load.
//!
//! A broken fixture states its expected errors in its first lines:
//! `# expect: LINE:COL: part of the reason` (one line per error, in order).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ftpconform::script::CaseBody;
use ftpconform::suite;
use ftpconform::verdict::Role;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ftpconform(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run ftpconform");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "ftpconform {args:?} panicked:\n{stderr}"
    );
    out
}

/// Files under `dir` (recursively) ending in .yaml or .yml, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The `# expect: LINE:COL: reason` lines at the top of a fixture.
fn expected_errors(text: &str) -> Vec<(usize, usize, String)> {
    let parse = |l: &str| {
        let rest = l.strip_prefix("# expect: ")?;
        let mut parts = rest.splitn(3, ':');
        let line = parts.next()?.parse().ok()?;
        let col = parts.next()?.parse().ok()?;
        Some((line, col, parts.next()?.trim().to_string()))
    };
    text.lines().map_while(parse).collect()
}

#[test]
fn every_broken_fixture_reports_its_errors_at_file_line_col() {
    let fixtures = yaml_files(&root().join("tests/fixtures/broken"));
    assert!(fixtures.len() >= 15, "fixtures missing: {fixtures:?}");
    for fixture in fixtures {
        let rel = fixture
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let expected = expected_errors(&fs::read_to_string(&fixture).unwrap());
        assert!(!expected.is_empty(), "{rel}: no `# expect:` line");
        let out = ftpconform(&["list", &rel]);
        assert_eq!(out.status.code(), Some(2), "{rel}: exit status");
        assert!(out.stdout.is_empty(), "{rel}: printed a list");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), expected.len(), "{rel}: errors\n{stderr}");
        for (got, (line, col, reason)) in lines.iter().zip(&expected) {
            let prefix = format!("{rel}:{line}:{col}: ");
            assert!(
                got.starts_with(&prefix),
                "{rel}: want {prefix}..., got {got}"
            );
            assert!(
                got.contains(reason.as_str()),
                "{rel}: want `{reason}` in {got}"
            );
        }
    }
}

#[test]
fn library_reports_the_same_errors_as_the_cli() {
    let fixture = root().join("tests/fixtures/broken/two-errors.yaml");
    let errors = suite::load_file(&fixture).unwrap_err();
    let at: Vec<_> = errors.iter().map(|e| (e.loc.line, e.loc.col)).collect();
    assert_eq!(at, vec![(9, 16), (13, 30)]);
    assert_eq!(*errors[0].loc.file, fixture);
}

#[test]
fn errors_of_every_file_are_printed_together() {
    let out = ftpconform(&[
        "list",
        "tests/fixtures/broken/code-999.yaml",
        "tests/fixtures/broken/syntax.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("code-999.yaml:10:23:") && stderr.contains("syntax.yaml:8:1:"),
        "{stderr}"
    );
}

#[test]
fn a_path_without_suites_is_an_error() {
    let out = ftpconform(&["list", "tests/no-such-folder"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("tests/no-such-folder:1:1: cannot read"),
        "{stderr}"
    );
}

fn schema_validator() -> jsonschema::Validator {
    let out = ftpconform(&["schema"]);
    assert!(out.status.success(), "schema failed");
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn every_suite_file_validates_against_the_schema() {
    let validator = schema_validator();
    let files = yaml_files(&root().join("suites"));
    assert!(
        !files.is_empty(),
        "suites/ holds no *.yaml: nothing was checked"
    );
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let json = suite::yaml_to_json(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} does not match the schema:\n{}",
            file.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn the_schema_rejects_what_the_loader_rejects_by_shape() {
    let validator = schema_validator();
    for name in [
        "unknown-key",
        "wrong-type",
        "code-999",
        "code-class",
        "bad-duration",
        "server-rules",
    ] {
        let fixture = root().join(format!("tests/fixtures/broken/{name}.yaml"));
        let json = suite::yaml_to_json(&fs::read_to_string(&fixture).unwrap()).unwrap();
        if name == "server-rules" {
            // The role/key pairing is checked by the loader only.
            assert!(validator.is_valid(&json), "{name}");
        } else {
            assert!(!validator.is_valid(&json), "{name} passed the schema");
        }
    }
}

#[test]
fn every_suite_in_suites_loads() {
    let suites = suite::load_paths(&[root().join("suites")]).unwrap_or_else(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        panic!("suites/ does not load:\n{}", lines.join("\n"))
    });
    assert!(!suites.is_empty());
}

#[test]
fn the_sample_suites_load() {
    let server = suite::load_file(&root().join("suites/server/smoke.yaml")).expect("server smoke");
    assert_eq!(
        (server.name.as_str(), server.role, server.cases.len()),
        ("server-smoke", Role::Server, 5)
    );
    assert!(server
        .cases
        .iter()
        .all(|c| matches!(&c.body, CaseBody::Server(steps) if !steps.is_empty())));
    let client = suite::load_file(&root().join("suites/client/smoke.yaml")).expect("client smoke");
    assert_eq!(
        (client.name.as_str(), client.role, client.cases.len()),
        ("client-smoke", Role::Client, 3)
    );
    assert!(client
        .cases
        .iter()
        .all(|c| matches!(c.body, CaseBody::Client(_))));
}

#[test]
fn list_prints_sorted_aligned_rows() {
    let out = ftpconform(&[
        "list",
        "suites/server/smoke.yaml",
        "suites/client/smoke.yaml",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 8, "{stdout}");
    assert!(
        lines[0].starts_with("client-smoke  multiline-331 "),
        "{stdout}"
    );
    let fields: Vec<&str> = lines[7]
        .split("  ")
        .filter(|f| !f.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(
        fields[..4],
        ["server-smoke", "user-pass-login", "server", "must"],
        "{stdout}"
    );
    assert_eq!(fields[4], "RFC 959 4.1.1, RFC 959 5.4");
    let rfc_col: Vec<Option<usize>> = lines.iter().map(|l| l.find("RFC")).collect();
    assert!(
        rfc_col.iter().all(|c| c.is_some() && *c == rfc_col[0]),
        "not aligned:\n{stdout}"
    );
}

#[test]
fn list_defaults_to_the_suites_folder() {
    let out = ftpconform(&["list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Columns are as wide as the longest name, so compare words, not spaces.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().any(|l| l
            .split_whitespace()
            .take(2)
            .eq(["server-smoke", "greeting-then-quit"])),
        "{stdout}"
    );
}

#[test]
fn every_shape_of_the_format_loads_and_matches_the_schema() {
    let validator = schema_validator();
    let files = yaml_files(&root().join("tests/fixtures/valid"));
    assert_eq!(files.len(), 2, "{files:?}");
    for file in &files {
        suite::load_file(file).unwrap_or_else(|errs| panic!("{}: {errs:?}", file.display()));
        let json = suite::yaml_to_json(&fs::read_to_string(file).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            file.display(),
            errors.join("\n")
        );
    }
}

/// For durations and codes written as text, the schema and the loader agree.
#[test]
fn schema_and_loader_agree_on_duration_and_code_text() {
    let validator = schema_validator();
    let durations = [
        "5s",
        "500ms",
        "2m",
        "1.5",
        "1.5s",
        ".5s",
        "5.",
        " 5 s ",
        "5 parsecs",
        "1e3",
        "-1s",
        "s",
        "1.2.3s",
    ];
    let codes = [
        "226", "2xx", "2XX", "25x", "6xx", "2x5", "22", "0xx", "abc", "5xx",
    ];
    let cases = durations
        .iter()
        .map(|d| format!("      - sleep: \"{d}\"\n"))
        .chain(codes.iter().map(|c| format!("      - expect: \"{c}\"\n")));
    for step in cases {
        let text = format!("role: server\ncases:\n  - id: a\n    title: T\n    steps:\n{step}");
        let loads = suite::load_str(Path::new("t.yaml"), &text).is_ok();
        let fits = validator.is_valid(&suite::yaml_to_json(&text).unwrap());
        assert_eq!(loads, fits, "loader and schema disagree on {}", step.trim());
    }
}
