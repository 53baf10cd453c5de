//! Unit tests of suite loading: one test per validation rule, each asserting
//! the reported line, column and reason.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::script::{
    Action, Body, Builtin, Case, CaseBody, CodeMatch, Content, Direction, Payload, Step, StepKind,
    TemplatePart,
};
use crate::verdict::Role;

fn load(text: &str) -> Result<Suite, Vec<SuiteError>> {
    load_str(Path::new("dir/t.yaml"), text)
}

/// The errors of `text` as `line:col: reason`.
fn errors(text: &str) -> Vec<String> {
    match load(text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(errs) => errs
            .iter()
            .map(|e| format!("{}:{}: {}", e.loc.line, e.loc.col, e.message))
            .collect(),
    }
}

/// Asserts exactly one error, at `line:col`, whose reason contains `reason`.
fn assert_error(text: &str, line: usize, col: usize, reason: &str) {
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    let prefix = format!("{line}:{col}: ");
    assert!(
        errs[0].starts_with(&prefix) && errs[0].contains(reason),
        "want {prefix}..{reason}.., got {errs:?}"
    );
}

/// The steps of a server-role case.
fn steps_of(case: &Case) -> &[Step] {
    match &case.body {
        CaseBody::Server(steps) => steps,
        CaseBody::Client(_) => panic!("{} is a client-role case", case.id),
    }
}

fn server(steps: &str) -> String {
    format!("role: server\ncases:\n  - id: c\n    title: T\n    steps:\n{steps}")
}

const CLIENT_HEAD: &str =
    "role: client\ncases:\n  - id: c\n    title: T\n    client: {op: get, path: a.txt}\n";

#[test]
fn loads_a_server_suite_with_defaults_and_locations() {
    let text = "role: server\ndefaults:\n  level: should\n  timeout: 2s\n  rfc: RFC 959 4.1.1\ncases:\n  - id: login\n    title: Logs in\n    steps:\n      - login\n      - send: NOOP\n        expect: 200\n        timeout: 500ms\n";
    let suite = load(text).unwrap();
    assert_eq!(suite.name, "t");
    assert_eq!(suite.role, Role::Server);
    let case = &suite.cases[0];
    assert_eq!(
        (case.level, case.timeout),
        (crate::verdict::Level::Should, Duration::from_secs(2))
    );
    assert_eq!(case.rfc, vec!["RFC 959 4.1.1".to_string()]);
    assert_eq!((case.loc.line, case.loc.col), (7, 5));
    assert!(matches!(steps_of(case)[0].kind, StepKind::Login));
    assert_eq!(
        (steps_of(case)[1].loc.line, steps_of(case)[1].loc.col),
        (11, 9)
    );
    assert_eq!(steps_of(case)[1].timeout, Some(Duration::from_millis(500)));
    let StepKind::Send {
        payload: Payload::Line(t),
        expect: Some(e),
    } = &steps_of(case)[1].kind
    else {
        panic!()
    };
    assert_eq!(t.parts, vec![TemplatePart::Lit("NOOP".into())]);
    assert_eq!(e.codes, vec![CodeMatch::Exact(200)]);
}

#[test]
fn case_values_override_defaults_and_suite_name_is_kept() {
    let text = "suite: named\nrole: server\ndefaults: {level: may}\ncases:\n  - {id: a, title: T, level: info, timeout: 1, rfc: [X 1, X 2], steps: [login]}\n";
    let suite = load(text).unwrap();
    assert_eq!(suite.name, "named");
    let case = &suite.cases[0];
    assert_eq!(case.level, crate::verdict::Level::Info);
    assert_eq!(case.timeout, Duration::from_secs(1));
    assert_eq!(case.rfc.len(), 2);
}

#[test]
fn expect_shapes_and_transfer_defaults() {
    let steps = "      - data: {mode: epsv, family: ipv6, steal-from: '::1', connect: late}\n      - transfer: {command: RETR a, at-least: 1, match: ['x+']}\n      - expect: {code: [\"2xx\", \"25x\"], accept: [{code: 502, grade: unimplemented}], text: ok, rule: r-1}\n";
    let suite = load(&server(steps)).unwrap();
    let steps = steps_of(&suite.cases[0]);
    let StepKind::Data(d) = &steps[0].kind else {
        panic!()
    };
    assert!(d.connect_late && d.steal_from.is_some());
    let StepKind::Transfer(t) = &steps[1].kind else {
        panic!()
    };
    assert_eq!(
        (t.direction, &t.content),
        (Direction::Download, &Content::AtLeast(1))
    );
    assert_eq!(
        t.preliminary.codes,
        vec![CodeMatch::Exact(125), CodeMatch::Exact(150)]
    );
    assert_eq!(
        t.complete.codes,
        vec![CodeMatch::Exact(226), CodeMatch::Exact(250)]
    );
    let StepKind::Expect(e) = &steps[2].kind else {
        panic!()
    };
    assert_eq!(e.codes, vec![CodeMatch::Class(2), CodeMatch::Group(2, 5)]);
    assert_eq!(
        (e.alternatives.len(), e.text.len(), e.rule.as_deref()),
        (1, 1, Some("r-1"))
    );
}

#[test]
fn bare_and_map_forms_of_parameterless_steps() {
    let steps = "      - login: {}\n      - disconnect:\n      - {disconnect: {abrupt: true}}\n      - expect-no-stray\n      - {expect-no-stray: {grace: 1s}}\n";
    let suite = load(&server(steps)).unwrap();
    let kinds: Vec<_> = steps_of(&suite.cases[0])
        .iter()
        .map(|s| format!("{:?}", s.kind))
        .collect();
    assert_eq!(kinds[0], "Login");
    assert_eq!(kinds[1], "Disconnect { abrupt: false }");
    assert_eq!(kinds[2], "Disconnect { abrupt: true }");
    assert_eq!(kinds[3], "ExpectNoStray { grace: 500ms }");
    assert_eq!(kinds[4], "ExpectNoStray { grace: 1s }");
}

#[test]
fn loads_a_client_suite() {
    let text = format!("{CLIENT_HEAD}    files:\n      a.txt: \"hi\\n\"\n      big.bin: {{size: 10}}\n    rules:\n      - on: pasv\n        nth: 2\n        do: [{{pasv: {{address: 127.0.0.2, shape: trailing-period}}}}, use-125]\n      - on: '*'\n        do: [{{reply: {{code: 500, text: [a, b], style: indented}}}}, {{delay: 10ms}}]\n    expect:\n      commands: [USER, {{verb: [EPSV, PASV], optional: true}}, {{verb: RETR, arg: 'a\\.txt'}}]\n      forbidden: [PORT]\n      success: true\n      intact: true\n");
    let suite = load(&text).unwrap();
    let CaseBody::Client(fake) = &suite.cases[0].body else {
        panic!("a client-role case");
    };
    assert_eq!(fake.files.len(), 2);
    assert_eq!(fake.files[0].path, "a.txt");
    assert_eq!(fake.files[1].content.len(), 10);
    assert_eq!(
        (fake.rules[0].on.as_str(), fake.rules[0].nth),
        ("PASV", Some(2))
    );
    assert!(matches!(fake.rules[0].actions[1], Action::Use125));
    assert!(
        matches!(&fake.rules[1].actions[0], Action::Reply { code: 500, lines, .. } if lines.len() == 2)
    );
    assert_eq!(fake.expect.commands[1].verbs, vec!["EPSV", "PASV"]);
    assert!(fake.expect.commands[1].optional);
    assert_eq!(fake.expect.forbidden, vec!["PORT"]);
    assert!(fake.passive && fake.expect.intact && fake.expect.success == Some(true));
    assert_eq!(fake.expect.commands[2].loc.line, 16);
}

#[test]
fn client_faults_of_the_reply_side_load() {
    let rules = "    rules:\n      - on: GREETING\n        do: [split-replies]\n      - on: RETR\n        do: [connect-from-foreign]\n      - on: PASS\n        do: [{reply: {code: 230, text: [a, b], pad-lines: 3}}]\n";
    let suite = load(&format!("{CLIENT_HEAD}{rules}")).unwrap();
    let CaseBody::Client(fake) = &suite.cases[0].body else {
        panic!("a client-role case");
    };
    assert!(matches!(fake.rules[0].actions[0], Action::SplitReplies));
    assert!(matches!(
        fake.rules[1].actions[0],
        Action::ConnectFromForeign
    ));
    // The padding comes before the last line: a, 3 padding lines, b.
    let Action::Reply { lines, .. } = &fake.rules[2].actions[0] else {
        panic!("a reply");
    };
    assert_eq!(lines.len(), 5);
    let too_many = rules.replace("pad-lines: 3", "pad-lines: 100001");
    let errs = errors(&format!("{CLIENT_HEAD}{too_many}"));
    assert!(
        errs.iter()
            .any(|e| e.contains("`pad-lines` is at most 100000")),
        "{errs:?}"
    );
}

// ------------------------------------------------------------- stage 1 errors

#[test]
fn yaml_syntax_error_is_located() {
    assert_error("role: server\ncases: [\n  - id: a\n", 3, 3, "");
}

#[test]
fn unknown_key_points_at_the_key() {
    assert_error(
        &server("      - login\n").replace("    title: T\n", "    title: T\n    titel: x\n"),
        5,
        5,
        "unknown field `titel`",
    );
}

#[test]
fn wrong_type_points_at_the_value() {
    assert_error(
        &server("      - {data: {mode: port, port: lots}}\n"),
        6,
        35,
        "invalid type",
    );
}

#[test]
fn unknown_step_word_is_located() {
    assert_error(
        &server("      - login\n      - logn\n"),
        7,
        9,
        "unknown variant `logn`",
    );
}

#[test]
fn unknown_key_inside_a_nested_multi_shape_node_is_located() {
    assert_error(
        &server("      - expect: {code: 200, texts: x}\n"),
        6,
        29,
        "unknown field `texts`",
    );
}

#[test]
fn empty_file_is_an_error() {
    assert_error("\n  \n", 1, 1, "empty file");
    assert_error("# only a comment\n", 2, 1, "missing field `role`");
}

// ------------------------------------------------------------- stage 2 errors

#[test]
fn reply_code_out_of_range() {
    assert_error(
        &server("      - send: NOOP\n        expect: [200, 999]\n"),
        7,
        23,
        "999 out of range",
    );
    assert_error(
        &server("      - expect: \"6xx\"\n"),
        6,
        17,
        "bad reply code `6xx`",
    );
    assert_error(
        &format!(
            "{CLIENT_HEAD}    rules: [{{on: USER, do: [{{reply: {{code: 60, text: x}}}}]}}]\n"
        ),
        6,
        44,
        "60 out of range",
    );
}

#[test]
fn undefined_variable_is_located() {
    assert_error(
        &server("      - send: \"CWD ${nope}\"\n"),
        6,
        15,
        "undefined variable `${nope}`",
    );
}

#[test]
fn variables_are_defined_by_captures_and_set_in_order() {
    let ok = "      - {send: PASV, expect: {code: 227, capture: [{var: addr, from: pasv-addr}]}}\n      - {set: {var: x, value: \"${addr}-${user}\"}}\n      - send: \"X ${x}\"\n";
    assert!(load(&server(ok)).is_ok());
    let early = "      - send: \"X ${x}\"\n      - {set: {var: x, value: y}}\n";
    assert_error(&server(early), 6, 15, "undefined variable `${x}`");
    let self_ref = "      - {set: {var: x, value: \"${x}\"}}\n";
    assert_error(&server(self_ref), 6, 31, "undefined variable");
}

#[test]
fn builtins_cannot_be_redefined() {
    assert_error(
        &server("      - {set: {var: user, value: x}}\n"),
        6,
        21,
        "built-in",
    );
}

#[test]
fn duplicate_case_ids() {
    let text = "role: server\ncases:\n  - {id: a, title: T, steps: [login]}\n  - {id: a, title: U, steps: [login]}\n";
    assert_error(text, 4, 10, "duplicate case id `a` (first at line 3)");
}

#[test]
fn bad_case_id() {
    assert_error(
        "role: server\ncases:\n  - {id: Bad_Id, title: T, steps: [login]}\n",
        3,
        10,
        "bad id",
    );
}

#[test]
fn capabilities_are_known_names() {
    let text = "role: server\ndefaults: {requires: [upload]}\ncases:\n  - {id: a, title: T, requires: [ipv6, epsv-all], steps: [login]}\n  - {id: b, title: T, steps: [login]}\n";
    let suite = load(text).unwrap();
    use crate::script::Capability::*;
    assert_eq!(suite.cases[0].requires, vec![Ipv6, EpsvAll]);
    assert_eq!(suite.cases[1].requires, vec![Upload]);
    let typo =
        "role: server\ncases:\n  - {id: a, title: T, requires: [upload, ipv7], steps: [login]}\n";
    assert_error(typo, 3, 42, "unknown capability `ipv7`: use one of active,");
}

#[test]
fn builtin_variables_fit_the_role() {
    let port = format!("{CLIENT_HEAD}    rules: [{{on: PASV, do: [{{reply: {{code: 200, text: \"at ${{server_port}}\"}}}}]}}]\n");
    assert!(load(&port).is_ok());
    assert_error(
        &server("      - send: \"NOOP ${server_port}\"\n"),
        6,
        15,
        "`${server_port}` (the fake server's control port) is not a built-in of server-role cases",
    );
}

#[test]
fn the_docs_list_exactly_the_builtin_variables() {
    let doc = include_str!("../../docs/suite-format.md");
    let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `${")).collect();
    let want: Vec<String> = Builtin::ALL
        .iter()
        .map(|b| {
            let roles: Vec<&str> = b.roles().iter().map(|r| r.as_str()).collect();
            format!(
                "| `${{{}}}` | {} | {} |",
                b.name(),
                b.meaning(),
                roles.join(", ")
            )
        })
        .collect();
    assert_eq!(rows, want);
}

#[test]
fn bad_regex() {
    assert_error(
        &server("      - expect: {code: 200, text: [ok, \"(\"]}\n"),
        6,
        40,
        "bad regex",
    );
}

#[test]
fn bad_duration() {
    assert_error(&server("      - sleep: 5 parsecs\n"), 6, 16, "bad duration");
    assert_error(
        &server("      - {send: NOOP, timeout: 0s}\n"),
        6,
        31,
        "longer than zero",
    );
}

#[test]
fn empty_cases_list() {
    assert_error("role: server\ncases: []\n", 2, 1, "`cases` is empty");
}

#[test]
fn steps_in_a_client_case() {
    assert_error(
        &format!("{CLIENT_HEAD}    steps: [login]\n"),
        6,
        5,
        "`steps` is not allowed in a client-role case",
    );
}

#[test]
fn rules_in_a_server_case() {
    let text = server("      - login\n") + "    rules: [{on: PASV, do: [default]}]\n";
    assert_error(&text, 7, 5, "`rules` is not allowed in a server-role case");
}

#[test]
fn server_case_needs_steps_and_client_case_needs_client() {
    assert_error(
        "role: server\ncases:\n  - {id: a, title: T}\n",
        3,
        5,
        "needs `steps`",
    );
    assert_error(
        "role: client\ncases:\n  - {id: a, title: T}\n",
        3,
        5,
        "needs `client",
    );
}

#[test]
fn non_loopback_addresses_are_rejected() {
    assert_error(
        &server("      - data: {mode: port, address: 10.1.2.3}\n"),
        6,
        37,
        "not loopback",
    );
    assert_error(
        &server("      - data: {mode: pasv, steal-from: 192.168.0.9}\n"),
        6,
        40,
        "not loopback",
    );
    assert_error(
        &server("      - send: PORT 10,0,0,1,0,21\n"),
        6,
        15,
        "not loopback",
    );
    assert_error(
        &server("      - raw: \"EPRT |1|8.8.8.8|21|\\r\\n\"\n"),
        6,
        14,
        "not loopback",
    );
    let pasv =
        format!("{CLIENT_HEAD}    rules: [{{on: PASV, do: [{{pasv: {{address: 10.0.0.1}}}}]}}]\n");
    assert_error(&pasv, 6, 46, "not loopback");
    let reply = format!("{CLIENT_HEAD}    rules: [{{on: PASV, do: [{{reply: {{code: 227, text: \"ok (10,0,0,1,4,1)\"}}}}]}}]\n");
    assert_error(&reply, 6, 55, "not loopback");
}

#[test]
fn data_keys_must_fit_the_mode() {
    assert_error(
        &server("      - data: {mode: pasv, port: 21}\n"),
        6,
        28,
        "`port` is only for active modes",
    );
    assert_error(
        &server("      - data: {mode: pasv, family: ipv6}\n"),
        6,
        28,
        "`family` is only for extended",
    );
    assert_error(
        &server("      - data: {mode: port, address: '::1'}\n"),
        6,
        37,
        "IPv4",
    );
    let mismatch = "      - data: {mode: eprt, family: ipv4, address: '::1'}\n";
    assert_error(&server(mismatch), 6, 51, "does not match the given family");
}

#[test]
fn an_ipv6_client_case_cannot_ask_for_pasv_and_port() {
    let text = "role: client\ncases:\n  - id: c\n    title: T\n    client: {op: get, path: a.txt, extended: false, family: ipv6}\n";
    assert_error(text, 5, 46, "cannot carry an IPv6 address");
    let asks = |extended: &str| {
        let text = format!("role: client\ncases:\n  - id: c\n    title: T\n    client: {{op: get, path: a.txt{extended}}}\n");
        match &load(&text).unwrap().cases[0].body {
            CaseBody::Client(fs) => fs.extended,
            CaseBody::Server(_) => panic!("a client-role case"),
        }
    };
    assert_eq!(asks(""), None);
    assert_eq!(asks(", extended: false"), Some(false));
    assert_eq!(asks(", extended: true, family: ipv6"), Some(true));
}

#[test]
fn a_step_has_exactly_one_action() {
    assert_error(
        &server("      - {send: NOOP, sleep: 1s}\n"),
        6,
        22,
        "found `send` and `sleep`",
    );
    assert_error(&server("      - {timeout: 1s}\n"), 6, 9, "needs one action");
    assert_error(
        &server("      - {sleep: 1s, expect: 200}\n"),
        6,
        21,
        "`expect` goes with `send` or `raw`",
    );
}

#[test]
fn transfer_rules() {
    assert_error(
        &server("      - transfer: {command: RETR a}\n"),
        6,
        19,
        "needs a `data` step",
    );
    let data = "      - data: {mode: pasv}\n";
    assert_error(
        &server(&format!("{data}      - transfer: {{command: SITE X}}\n")),
        7,
        29,
        "direction",
    );
    assert_error(
        &server(&format!("{data}      - transfer: {{command: STOR a}}\n")),
        7,
        19,
        "upload needs",
    );
    let both = format!("{data}      - transfer: {{command: STOR a, content: x, size: 3}}\n");
    assert_error(&server(&both), 7, 49, "not `content` and `size`");
    let stor = format!("{data}      - transfer: {{command: STOR a, size: 3}}\n");
    let suite = load(&server(&stor)).unwrap();
    let StepKind::Transfer(t) = &steps_of(&suite.cases[0])[1].kind else {
        panic!()
    };
    assert_eq!(
        (t.direction, &t.content),
        (Direction::Upload, &Content::Size(3))
    );
}

#[test]
fn capture_rules() {
    let both = "      - expect: {code: 200, capture: [{var: a, from: text, regex: x}]}\n";
    assert_error(&server(both), 6, 39, "not both");
    let group = "      - expect: {code: 200, capture: [{var: a, regex: 'x(y)', group: 2}]}\n";
    assert_error(&server(group), 6, 70, "no group 2");
}

#[test]
fn bad_escape_in_raw() {
    assert_error(&server("      - raw: 'NOOP\\q'\n"), 6, 14, "bad escape");
}

#[test]
fn client_rule_checks() {
    let nth = format!("{CLIENT_HEAD}    rules: [{{on: PASV, nth: 0, do: [default]}}]\n");
    assert_error(&nth, 6, 29, "counts from 1");
    let verb = format!("{CLIENT_HEAD}    rules: [{{on: 'PA SV', do: [default]}}]\n");
    assert_error(&verb, 6, 18, "bad verb");
    let two = format!("{CLIENT_HEAD}    rules: [{{on: PASV, do: [{{raw: x, delay: 1s}}]}}]\n");
    assert_error(&two, 6, 29, "exactly one key");
    let up = format!("{CLIENT_HEAD}    files: {{../x: a}}\n");
    assert_error(&up, 6, 13, "bad file path");
}

#[test]
fn all_errors_of_a_file_are_collected() {
    let text = "role: server\ncases:\n  - {id: a, title: T, steps: [{sleep: 1x}]}\n  - {id: a, title: T, steps: [{send: \"${v}\"}]}\n";
    let errs = errors(text);
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(errs[0].starts_with("3:39: bad duration"), "{errs:?}");
    assert!(errs[1].starts_with("4:10: duplicate"), "{errs:?}");
    assert!(errs[2].starts_with("4:38: undefined"), "{errs:?}");
}

#[test]
fn errors_display_as_file_line_col_reason() {
    let errs = load("role: server\ncases: []\n").unwrap_err();
    assert_eq!(
        errs[0].to_string(),
        "dir/t.yaml:2:1: `cases` is empty: a suite needs at least one case"
    );
}

#[test]
fn yaml_to_json_converts_documents() {
    let json = yaml_to_json("a: [1, x]\n").unwrap();
    assert_eq!(json, serde_json::json!({"a": [1, "x"]}));
    assert!(yaml_to_json("a: [").is_err());
}

#[test]
fn schema_names_the_top_level_keys() {
    let schema = json_schema();
    let props = schema["properties"].as_object().unwrap();
    for key in ["suite", "role", "defaults", "cases"] {
        assert!(props.contains_key(key), "{key}");
    }
    assert_eq!(schema["additionalProperties"], serde_json::json!(false));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const VALID: &str = "role: server\ncases:\n  - id: a\n    title: T\n    steps:\n      - login\n      - {send: \"PASV\", expect: {code: 227, capture: [{var: p, from: pasv-addr}]}}\n      - data: {mode: pasv}\n      - transfer: {command: RETR x, content: \"hi\"}\n";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn on_arbitrary_text(text in "\\PC{0,200}") {
            let _ = load(&text);
        }

        #[test]
        fn on_mutated_suites(pos in 0usize..VALID.len(), junk in "[-:{}\\[\\], \"'a-z0-9\\n$]{0,6}") {
            let mut text = VALID.to_string();
            let pos = (0..=pos).rev().find(|p| text.is_char_boundary(*p)).unwrap_or(0);
            text.insert_str(pos, &junk);
            if let Err(errs) = load(&text) {
                prop_assert!(!errs.is_empty());
                for e in errs {
                    prop_assert!(e.loc.line >= 1 && e.loc.col >= 1);
                    prop_assert!(!e.to_string().contains('\n'));
                }
            }
        }
    }
}

#[test]
fn type_errors_name_no_rust_types() {
    assert_error(
        "role: server\ncases: [[login]]\n",
        2,
        9,
        "expected a map: Case",
    );
    assert_error(
        &server("      - {data: {mode: port, port: -1}}\n"),
        6,
        35,
        "integer from 0 to 65535",
    );
}

#[test]
fn file_bodies_are_generators_of_any_size() {
    let files = "    files:\n      z.bin: {size: 5368709120, fill: zeros}\n      s.bin: {size: 9, fill: seeded, seed: 3}\n      r.txt: {size: 5, repeat: ab}\n";
    let suite = load(&format!("{CLIENT_HEAD}{files}")).unwrap();
    let CaseBody::Client(fake) = &suite.cases[0].body else {
        panic!("a client-role case");
    };
    // In name order.
    let bodies: Vec<&Body> = fake.files.iter().map(|f| &f.content).collect();
    assert_eq!(bodies[0].head(9).unwrap(), b"ababa");
    assert_eq!(bodies[1], &Body::Seeded { seed: 3, len: 9 });
    assert_eq!(bodies[2], &Body::repeat(&[0], 5 << 30));
    for (bad, why) in [
        ("{fill: zeros}", "needs `size`"),
        ("{size: 1, seed: 2}", "`seed` goes with `fill: seeded`"),
        ("{size: 1, fill: zeros, repeat: a}", "not both"),
        ("{file: no-such-file.bin}", "no-such-file.bin"),
        ("{file: x, size: 3}", "`file` takes no `size`"),
    ] {
        let text = format!("{CLIENT_HEAD}    files:\n      f: {bad}\n");
        let errs = errors(&text);
        assert!(errs.iter().any(|e| e.contains(why)), "{bad}: {errs:?}");
    }
}

#[test]
fn a_transfer_names_a_file_beside_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("up.bin"), b"12345").unwrap();
    let step = |content: &str| {
        server(&format!(
            "      - login\n      - data: {{mode: pasv}}\n      - transfer: {{command: STOR x, {content}}}\n"
        ))
    };
    let suite = load_str(&dir.path().join("t.yaml"), &step("file: up.bin")).unwrap();
    let StepKind::Transfer(t) = &steps_of(&suite.cases[0])[2].kind else {
        panic!("a transfer step");
    };
    let path = dir.path().join("up.bin");
    assert!(matches!(&t.content, Content::Body(Body::File { path: p, len: 5 }) if *p == path));
    assert_error(&step("file: missing.bin"), 8, 43, "missing.bin");
    let both = load_str(&dir.path().join("t.yaml"), &step("file: up.bin, size: 3"));
    let errs: Vec<String> = both.unwrap_err().iter().map(|e| e.to_string()).collect();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains(":8:") && errs[0].contains("not `size` and `file`"),
        "{errs:?}"
    );
}

#[test]
fn ftps_options_of_a_client_case_need_tls() {
    let case = |task: &str| {
        format!("role: client\ncases:\n  - id: c\n    title: T\n    client: {{op: get, path: a.txt{task}}}\n")
    };
    let tls = |task: &str| match &load(&case(task)).unwrap().cases[0].body {
        CaseBody::Client(fs) => fs.tls,
        CaseBody::Server(_) => panic!("a client-role case"),
    };
    use crate::script::{Certificate, ClientTls};
    assert_eq!(tls(""), None);
    let good = ClientTls {
        certificate: Certificate::Good,
        resume: true,
    };
    assert_eq!(tls(", tls: true"), Some(good));
    let other = ClientTls {
        certificate: Certificate::OtherName,
        resume: false,
    };
    assert_eq!(
        tls(", tls: true, certificate: other-name, resume: false"),
        Some(other)
    );
    assert_error(
        &case(", certificate: untrusted"),
        5,
        49,
        "`certificate` needs `tls: true`",
    );
    assert_error(
        &case(", tls: false, resume: false"),
        5,
        56,
        "`resume` needs `tls: true`",
    );
}

#[test]
fn ftps_step_options_load_and_close_notify_is_for_uploads() {
    let steps = "      - data: {mode: epsv, tls-session: fresh}\n      - transfer: {command: STOR a, content: x, close-notify: false}\n";
    let suite = load(&server(steps)).unwrap();
    let steps = steps_of(&suite.cases[0]);
    let StepKind::Data(d) = &steps[0].kind else {
        panic!()
    };
    assert!(d.fresh_tls_session);
    let StepKind::Transfer(t) = &steps[1].kind else {
        panic!()
    };
    assert!(!t.close_notify);
    let defaults = load(&server(
        "      - data: {mode: pasv}\n      - transfer: {command: STOR a, content: x}\n",
    ))
    .unwrap();
    let StepKind::Data(d) = &steps_of(&defaults.cases[0])[0].kind else {
        panic!()
    };
    assert!(!d.fresh_tls_session);
    let errs = errors(&server(
        "      - data: {mode: pasv}\n      - transfer: {command: RETR a, close-notify: false}\n",
    ));
    assert!(
        errs.iter()
            .any(|e| e.contains("`close-notify: false` is for uploads")),
        "{errs:?}"
    );
}

#[test]
fn ends_and_compare_load_where_they_belong() {
    let ok = server(concat!(
        "      - send: \"PASS x\"\n",
        "        expect: {code: [530, 421], ends: 421, capture: [{var: a, from: text}]}\n",
        "      - compare: {values: [\"${a}\", \"x\"], same: false, rule: r}\n",
    ));
    let suite = load(&ok).unwrap();
    let steps = steps_of(&suite.cases[0]);
    match &steps[0].kind {
        StepKind::Send {
            expect: Some(e), ..
        } => assert!(e.ends_case(421) && !e.ends_case(530)),
        k => panic!("{k:?}"),
    }
    assert!(matches!(
        &steps[1].kind,
        StepKind::Compare { same: false, .. }
    ));
    let data = server("      - data: {mode: pasv, expect: {code: 227, ends: 227}}\n");
    assert!(
        errors(&data)[0].contains("`ends` is allowed only"),
        "{:?}",
        errors(&data)
    );
    let one = server("      - compare: {values: [\"x\"], same: true}\n");
    assert!(
        errors(&one)[0].contains("exactly two"),
        "{:?}",
        errors(&one)
    );
    let undefined = server("      - compare: {values: [\"${b}\", \"x\"], same: true}\n");
    assert!(
        errors(&undefined)[0].contains("undefined variable"),
        "{:?}",
        errors(&undefined)
    );
}
