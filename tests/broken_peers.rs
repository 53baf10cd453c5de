//! Every rule fires on a broken peer: for each rule of the catalogue, the
//! self-tests whose peer is built to break it (a mock server in
//! `tests/selftest_client/` for a rule that judges servers, a mock client
//! in `tests/selftest_server.rs` for one that judges clients), one row per
//! branch of the rule. The test below fails when a catalogue rule has no
//! row, when a row names a rule the catalogue lacks, or when the named test
//! is gone or no longer asserts that rule's id with its grade.

use ftpconform::verdict::catalogue::CATALOGUE;
use ftpconform::verdict::Role;

/// One broken peer: the rule it breaks (a catalogue id, or `data-expect`,
/// a step judged under its case's rule), which way, and the test.
struct Row {
    rule: &'static str,
    branch: &'static str,
    /// `file::function`, the file relative to `tests/`.
    test: &'static str,
    /// The rule id the test asserts (the case id for `data-expect`).
    fires_as: &'static str,
}

const fn row(rule: &'static str, branch: &'static str, test: &'static str) -> Row {
    Row {
        rule,
        branch,
        test,
        fires_as: rule,
    }
}

const SERVER_SIDE: &str = "selftest_client/";
const CLIENT_SIDE: &str = "selftest_server.rs";

const ROWS: &[Row] = &[
    row(
        "tls-handshake",
        "plaintext after 234",
        "selftest_client/ftps.rs::plaintext_after_234_fails_tls_handshake",
    ),
    row(
        "tls-data-handshake",
        "a plaintext download after PROT P",
        "selftest_client/ftps.rs::a_plaintext_download_after_prot_p_fails_tls_data_handshake",
    ),
    row(
        "tls-data-close-notify",
        "TCP closed without close_notify after the download",
        "selftest_client/ftps.rs::a_download_without_close_notify_is_non_strict",
    ),
    row(
        "greeting-220",
        "no greeting",
        "selftest_client/session.rs::silent_server_fails_without_hanging",
    ),
    row(
        "greeting-220",
        "greeted with another code",
        "selftest_client/session.rs::greeting_with_another_code_fails_greeting_220",
    ),
    row(
        "abort-replies",
        "200 then 226 (fail); 226 then 502 (unimplemented)",
        "selftest_client/transfers.rs::abor_answered_out_of_shape_fails_abort_replies",
    ),
    row(
        "transfer-content",
        "wrong bytes (must case); listing not matching (should case)",
        "selftest_client/transfers.rs::wrong_bytes_or_listing_fail_transfer_content",
    ),
    row(
        "preliminary-before-data",
        "no 150",
        "selftest_client/transfers.rs::missing_preliminary_reply_is_flagged",
    ),
    row(
        "download-closed-by-server",
        "closed 1.5 s after 226 (should); never closed (must)",
        "selftest_client/transfers.rs::late_data_close_is_flagged",
    ),
    row(
        "download-closed-by-server",
        "reset instead of closed",
        "selftest_client/transfers.rs::download_ended_by_a_reset_is_flagged",
    ),
    row(
        "upload-closed-by-client",
        "226 before the client's EOF",
        "selftest_client/transfers.rs::upload_confirmed_before_eof_is_flagged",
    ),
    row(
        "upload-closed-by-client",
        "the server closes the data connection first",
        "selftest_client/transfers.rs::data_expect_fails_under_the_case_rule_when_the_server_closes_an_upload",
    ),
    row(
        "active-server-connects",
        "never connects",
        "selftest_client/active.rs::server_that_never_connects_back_fails_in_bounded_time",
    ),
    row(
        "pasv-address-matches-control",
        "227 names another host",
        "selftest_client/passive.rs::wrong_pasv_address_is_non_strict",
    ),
    row(
        "pasv-port-in-range",
        "port outside the configured range",
        "selftest_client/passive.rs::passive_port_outside_the_range_is_flagged",
    ),
    row(
        "bounce-refused",
        "foreign PORT accepted and connected to",
        "selftest_client/security.rs::bounce_is_flagged_only_when_the_server_connects",
    ),
    row(
        "privileged-port-refused",
        "PORT to port 1023 accepted and connected to",
        "selftest_client/security.rs::privileged_port_is_flagged_when_accepted",
    ),
    row(
        "passive-theft-refused",
        "data served to the thief",
        "selftest_client/security.rs::passive_theft_is_flagged_when_served",
    ),
    row(
        "passive-theft-refused",
        "upload taken from the thief",
        "selftest_client/security.rs::upload_taken_from_a_thief_is_flagged",
    ),
    row(
        "passive-theft-refused",
        "legitimate transfer failed",
        "selftest_client/security.rs::refusing_the_thief_and_failing_the_client_too_is_non_strict_theft",
    ),
    row(
        "client-command-sequence",
        "RETR before PASV",
        "selftest_server.rs::wrong_command_order_fails_the_sequence",
    ),
    row(
        "client-forbidden-command",
        "PORT in a passive case",
        "selftest_server.rs::forbidden_command_check_fails_for_an_active_client_in_a_passive_case",
    ),
    row(
        "passive-data-from-control-address",
        "data connection from another host",
        "selftest_server.rs::passive_source_check_fails_for_a_client_connecting_from_elsewhere",
    ),
    row(
        "client-trusts-pasv-address",
        "connects to a foreign 227 address",
        "selftest_server.rs::trusting_a_foreign_227_fails_and_the_embedded_client_ignores_it",
    ),
    row(
        "client-telnet-negotiation",
        "IAC WILL and IAC DO before the login",
        "selftest_server.rs::telnet_option_offers_fail_client_telnet_negotiation",
    ),
    row(
        "client-telnet-controls",
        "IAC NOP and IAC AYT before a command",
        "selftest_server.rs::other_telnet_commands_fail_client_telnet_controls",
    ),
    row(
        "client-verifies-active-source",
        "saves a download that came from another host",
        "selftest_server.rs::saving_data_from_a_foreign_host_fails_client_verifies_active_source",
    ),
    row(
        "client-rest-last",
        "PASV between REST and RETR",
        "selftest_server.rs::rest_before_pasv_fails_client_rest_last",
    ),
    row(
        "client-host-before-user",
        "HOST after USER",
        "selftest_server.rs::host_after_user_fails_client_host_before_user",
    ),
    row(
        "client-host-argument",
        "HOST with a port",
        "selftest_server.rs::host_with_a_port_fails_client_host_argument",
    ),
    row(
        "client-host-names-server",
        "HOST naming another address",
        "selftest_server.rs::host_naming_another_address_is_non_strict_client_host_names_server",
    ),
    row(
        "active-address-parses",
        "malformed PORT; malformed EPRT",
        "selftest_server.rs::malformed_port_and_eprt_fail_active_address_parses",
    ),
    row(
        "active-address-matches-control",
        "PORT names another host",
        "selftest_server.rs::foreign_port_address_fails_and_embedded_active_passes",
    ),
    row(
        "client-bytes-intact",
        "truncated download",
        "selftest_server.rs::truncated_download_fails_intact",
    ),
    row(
        "client-bytes-intact",
        "truncated upload",
        "selftest_server.rs::truncated_upload_fails_intact_and_embedded_put_passes",
    ),
    row(
        "client-bytes-intact",
        "a listing missing a name",
        "selftest_server.rs::a_listing_missing_a_name_fails_intact",
    ),
    row(
        "client-exit-status",
        "success claimed after 550",
        "selftest_server.rs::exit_status_check_fails_for_a_client_claiming_success_after_550",
    ),
    row(
        "client-exit-status",
        "failure claimed after 226",
        "selftest_server.rs::exit_status_check_fails_for_a_client_claiming_failure_after_226",
    ),
    row(
        "client-exit-status",
        "hung client killed at the deadline",
        "selftest_server.rs::a_hung_client_fails_exit_status_at_the_deadline",
    ),
    row(
        "tls-client-auth-first",
        "USER in the clear in an FTPS case",
        "selftest_server.rs::a_client_logging_in_before_auth_tls_fails_tls_client_auth_first",
    ),
    row(
        "tls-client-pbsz-before-prot",
        "PROT P without PBSZ",
        "selftest_server.rs::prot_without_pbsz_fails_tls_client_pbsz_before_prot",
    ),
    row(
        "tls-client-prot-p",
        "RETR with PROT P not in force",
        "selftest_server.rs::a_transfer_without_prot_p_fails_tls_client_prot_p",
    ),
    row(
        "tls-client-data-handshake",
        "a plaintext upload after PROT P",
        "selftest_server.rs::a_plaintext_upload_after_prot_p_fails_tls_client_data_handshake",
    ),
    row(
        "tls-client-no-resume",
        "a data connection with a session of its own",
        "selftest_server.rs::a_data_connection_with_a_fresh_session_is_non_strict_tls_client_no_resume",
    ),
    row(
        "tls-client-close-notify",
        "an upload closed without close_notify",
        "selftest_server.rs::an_upload_ended_without_close_notify_is_non_strict_tls_client_close_notify",
    ),
    row(
        "tls-client-verifies-certificate",
        "a login over a certificate for another name",
        "selftest_server.rs::a_login_over_a_certificate_for_another_name_fails_tls_client_verifies_certificate",
    ),
    Row {
        rule: "data-expect",
        branch: "the server closes an upload's data connection",
        test: "selftest_client/transfers.rs::data_expect_fails_under_the_case_rule_when_the_server_closes_an_upload",
        fires_as: "stor",
    },
];

/// Rules that are not in the catalogue but are named in the table: steps
/// judged under their case's rule.
const STEP_RULES: &[&str] = &["data-expect"];

#[test]
fn every_catalogue_rule_has_a_broken_peer_self_test() {
    let mut problems = Vec::new();
    for e in CATALOGUE {
        if !ROWS.iter().any(|r| r.rule == e.id) {
            problems.push(format!("{}: no broken-peer self-test", e.id));
        }
    }
    for r in ROWS {
        if let Err(why) = check_row(r) {
            problems.push(format!("{} ({}): {why}", r.rule, r.branch));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The row's rule is known, its test lives on the side that judges the
/// rule's role, and the test's body asserts the rule with a grade.
fn check_row(r: &Row) -> Result<(), String> {
    let side = match CATALOGUE.iter().find(|e| e.id == r.rule) {
        Some(e) if e.role == Role::Server => SERVER_SIDE,
        Some(_) => CLIENT_SIDE,
        None if STEP_RULES.contains(&r.rule) => SERVER_SIDE,
        None => return Err("not a rule of the catalogue".into()),
    };
    let (file, function) = r
        .test
        .split_once("::")
        .ok_or("test is not file::function")?;
    if !file.starts_with(side) {
        return Err(format!("{file} is not where {side} self-tests live"));
    }
    let body = test_body(file, function)?;
    let quoted = format!("\"{}\"", r.fires_as);
    if !body.contains(&quoted) {
        return Err(format!("{function} does not name {quoted}"));
    }
    if !(body.contains("assert_fires(") || body.contains("assert_broken(")) {
        return Err(format!(
            "{function} asserts no grade (assert_fires or assert_broken)"
        ));
    }
    Ok(())
}

/// The text of test `function` in `tests/file`, from its `fn` line to the
/// first line that closes it.
fn test_body(file: &str, function: &str) -> Result<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/").to_string() + file;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let start = text
        .find(&format!("async fn {function}()"))
        .ok_or(format!("no test {function} in {file}"))?;
    let rest = &text[start..];
    let end = rest.find("\n}\n").map_or(rest.len(), |i| i + 3);
    Ok(rest[..end].to_string())
}
