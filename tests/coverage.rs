//! The requirement map (`requirements/`) against the suites: the real map
//! and suites agree, and each kind of disagreement is an error at the
//! `file:line` that has to change.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ftpconform::coverage::{self, Map};
use ftpconform::suite::{self, SuiteError};
use ftpconform::verdict::Role;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lines(errors: &[SuiteError]) -> String {
    errors.iter().map(|e| format!("{e}\n")).collect()
}

/// Every error of the map, of the suites and of their cross-check.
fn check_dirs(requirements: &Path, suites: &Path) -> Result<Map, Vec<SuiteError>> {
    let map = coverage::load_dir(requirements)?;
    let suites = suite::load_paths(&[suites.to_path_buf()])?;
    let errors = coverage::check(&map, &suites);
    if errors.is_empty() {
        Ok(map)
    } else {
        Err(errors)
    }
}

#[test]
fn the_map_and_the_suites_agree() {
    let result = check_dirs(&root().join("requirements"), &root().join("suites"));
    if let Err(errors) = result {
        panic!("{} error(s):\n{}", errors.len(), lines(&errors));
    }
}

#[test]
fn every_rfc_of_the_issue_is_mapped_with_both_sides() {
    let map = coverage::load_dir(&root().join("requirements")).unwrap();
    let figures = coverage::summary(&map);
    for rfc in [959, 1123, 2228, 2389, 2428, 2577, 3659, 4217, 7151] {
        for role in [Role::Server, Role::Client] {
            assert!(
                figures.rows.contains_key(&(rfc, role)),
                "RFC {rfc} has no {} side in requirements/",
                role.as_str()
            );
        }
    }
}

// --------------------------------------------------------------- fixtures

/// A fresh folder with `requirements/rfc959.yaml` and `suites/s.yaml`.
struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(requirements: &str, suite: &str) -> Fixture {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("ftpconform-coverage-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("requirements")).unwrap();
        std::fs::create_dir_all(dir.join("suites")).unwrap();
        std::fs::write(dir.join("requirements/rfc959.yaml"), requirements).unwrap();
        std::fs::write(dir.join("suites/s.yaml"), suite).unwrap();
        Fixture { dir }
    }

    fn check(&self) -> Result<Map, Vec<SuiteError>> {
        check_dirs(&self.dir.join("requirements"), &self.dir.join("suites"))
    }

    /// The errors, each as `file-name:line: message`.
    fn errors(&self) -> Vec<String> {
        let errors = self.check().expect_err("the fixture should not check");
        errors
            .iter()
            .map(|e| {
                let name = e
                    .loc
                    .file
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                format!("{name}:{}: {}", e.loc.line, e.message)
            })
            .collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const MAP: &str = r#"rfc: 959
title: "File Transfer Protocol"
requirements:
  - id: rfc959-5.4-noop
    section: "5.4"
    keyword: must
    quote: "These must be strictly adhered to"
    direction: server
    server: {cases: [s::noop]}
  - id: rfc959-4.2-gap
    section: "4.2"
    keyword: should
    quote: "the first and last line codes should be the same"
    direction: both
    server:
      gap: "a case reading a multiline reply"
    client: {untestable: def}
"#;

const SUITE: &str = r#"role: server
cases:
  - id: noop
    title: NOOP is answered 200
    covers: [rfc959-5.4-noop]
    steps:
      - login
      - send: "NOOP"
        expect: 200
"#;

#[test]
fn a_consistent_fixture_gives_its_figures() {
    let map = Fixture::new(MAP, SUITE).check().unwrap();
    let figures = coverage::summary(&map);
    let server = figures.role_total(Role::Server);
    assert_eq!((server.covered, server.gaps, server.untestable), (1, 1, 0));
    let client = figures.role_total(Role::Client);
    assert_eq!((client.covered, client.gaps, client.untestable), (0, 0, 1));
    assert_eq!(figures.total().percent(), 50.0);
    let gaps = coverage::uncovered(&map);
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].0, "rfc959-4.2-gap");
}

#[test]
fn a_case_naming_an_unknown_requirement_fails_at_its_line() {
    let suite = SUITE.replace(
        "covers: [rfc959-5.4-noop]",
        "covers: [rfc959-5.4-noop, rfc959-9.9-nothing]",
    );
    let errors = Fixture::new(MAP, &suite).errors();
    assert_eq!(
        errors,
        ["s.yaml:5: unknown requirement id `rfc959-9.9-nothing` (not in requirements/)"]
    );
}

#[test]
fn a_requirement_naming_a_missing_case_fails_at_its_line() {
    let map = MAP.replace(
        "server: {cases: [s::noop]}",
        "server: {cases: [s::noop, s::gone]}",
    );
    let errors = Fixture::new(&map, SUITE).errors();
    assert_eq!(errors, ["rfc959.yaml:9: no case s::gone in the suites"]);
}

#[test]
fn a_requirement_side_with_neither_case_nor_reason_fails_at_its_line() {
    let map = MAP.replace("    client: {untestable: def}\n", "    client: {}\n");
    let errors = Fixture::new(&map, SUITE).errors();
    assert_eq!(
        errors,
        ["rfc959.yaml:17: a side needs exactly one of `cases`, `untestable` or `gap`"]
    );
}

#[test]
fn a_side_the_direction_needs_but_the_entry_lacks_fails() {
    let map = MAP.replace("    client: {untestable: def}\n", "");
    let errors = Fixture::new(&map, SUITE).errors();
    assert_eq!(
        errors,
        ["rfc959.yaml:14: direction binds the client: a `client:` side is needed"]
    );
}

#[test]
fn a_covered_requirement_must_list_the_case_back() {
    let map = MAP.replace(
        "server: {cases: [s::noop]}",
        "server: {gap: \"nothing yet\"}",
    );
    let errors = Fixture::new(&map, SUITE).errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .starts_with("s.yaml:5: `rfc959-5.4-noop` does not list s::noop on its server side"),
        "{errors:?}"
    );
}

#[test]
fn a_listed_case_must_cover_the_requirement_back() {
    let suite = SUITE.replace("    covers: [rfc959-5.4-noop]\n", "");
    let errors = Fixture::new(MAP, &suite).errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .starts_with("rfc959.yaml:9: s::noop does not name `rfc959-5.4-noop` in its covers"),
        "{errors:?}"
    );
}

#[test]
fn a_client_side_cannot_list_a_server_case() {
    let map = MAP.replace(
        "    client: {untestable: def}\n",
        "    client: {cases: [s::noop]}\n",
    );
    let errors = Fixture::new(&map, SUITE).errors();
    assert_eq!(
        errors,
        ["rfc959.yaml:17: s::noop tests the server, not the client"]
    );
}

#[test]
fn an_unknown_untestable_kind_fails_with_the_known_ones() {
    let map = MAP.replace("{untestable: def}", "{untestable: hard}");
    let errors = Fixture::new(&map, SUITE).errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("rfc959.yaml:17: unknown kind `hard`: one of def,"),
        "{errors:?}"
    );
}

#[test]
fn an_unknown_key_in_a_requirement_is_a_stage_one_error() {
    let map = MAP.replace(
        "    keyword: must\n",
        "    keyword: must\n    level: must\n",
    );
    let errors = Fixture::new(&map, SUITE).errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("rfc959.yaml:7: requirements[0]: unknown field `level`"),
        "{errors:?}"
    );
}

#[test]
fn a_duplicate_requirement_id_fails_at_the_second() {
    let dup = "  - id: rfc959-5.4-noop\n    section: \"5.4\"\n    keyword: must\n    quote: \"x\"\n    direction: server\n    server: {gap: \"g\"}\n";
    let map = format!("{MAP}{dup}");
    let errors = Fixture::new(&map, SUITE).errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .starts_with("rfc959.yaml:18: duplicate requirement id `rfc959-5.4-noop` (first at"),
        "{errors:?}"
    );
}

#[test]
fn a_malformed_or_repeated_cover_is_a_suite_error_at_its_line() {
    let suite = SUITE.replace(
        "covers: [rfc959-5.4-noop]",
        "covers: [rfc959-5.4-noop, RFC959, rfc959-5.4-noop]",
    );
    let errors = Fixture::new(MAP, &suite).errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("s.yaml:5: bad requirement id `RFC959`"),
        "{errors:?}"
    );
    assert!(
        errors[1]
            .starts_with("s.yaml:5: `rfc959-5.4-noop` is named twice in covers (first at line 5)"),
        "{errors:?}"
    );
}

#[test]
fn docs_coverage_md_shows_the_current_figures_and_every_kind() {
    let map = coverage::load_dir(&root().join("requirements")).unwrap();
    let doc = std::fs::read_to_string(root().join("docs/coverage.md")).unwrap();
    let table = coverage::summary(&map).text();
    assert!(
        doc.contains(&table),
        "docs/coverage.md does not hold the figures of `ftpconform coverage`; they are now:\n{table}"
    );
    for kind in coverage::Kind::ALL {
        let row = format!("| `{}` | {} |", kind.name(), kind.why());
        assert!(doc.contains(&row), "docs/coverage.md lacks the row {row}");
    }
}

#[test]
fn a_map_id_of_another_rfc_or_malformed_fails_at_its_line() {
    let other = MAP.replace("id: rfc959-4.2-gap", "id: rfc2428-4.2-gap");
    let errors = Fixture::new(&other, SUITE).errors();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("rfc959.yaml:10: ") && e.contains("write rfc959-")),
        "{errors:?}"
    );
    let bad = MAP.replace("id: rfc959-4.2-gap", "id: rfc959-4.2_Gap");
    let errors = Fixture::new(&bad, SUITE).errors();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("rfc959.yaml:10: ") && e.contains("bad requirement id")),
        "{errors:?}"
    );
}
