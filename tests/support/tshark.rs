//! Wireshark's command-line reader, a development dependency
//! (scripts/install-peers.sh installs it): the tests that use it fail,
//! never skip, without it.

use std::process::Command;

/// Runs tshark with `args` and returns its output; fails the test when
/// tshark is missing, fails, or reports a damaged ("cut short") file.
pub fn tshark(args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("tshark is not installed ({e}): run scripts/install-peers.sh"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tshark {args:?} failed: {stderr}");
    assert!(!stderr.contains("cut short"), "tshark {args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
