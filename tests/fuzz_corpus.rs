//! The short fuzz run of `cargo test`, on the stable toolchain: each fuzz
//! target's body (fuzz/src/targets/) over its seed corpus (taken from the
//! suites and captures, fuzz/src/seed_corpus.rs), the crash inputs fuzzing
//! found (fuzz/regressions/TARGET/), and the corpus a local libFuzzer run
//! grew (fuzz/corpus/TARGET/, when present). Every failing input is
//! reported, not just the first. The libFuzzer runs are scripts/fuzz.sh
//! (docs/robustness.md).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use ftpconform::{capture, suite, timeline, wire};

#[path = "../fuzz/src/seed_corpus.rs"]
mod seed_corpus;
#[path = "../fuzz/src/targets/mod.rs"]
mod targets;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `dir`, by name (none when it does not exist).
fn inputs_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    let files = entries.flatten().map(|e| e.path()).filter(|p| p.is_file());
    files
        .map(|p: PathBuf| {
            let name = p.strip_prefix(root()).unwrap_or(&p).display().to_string();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, bytes)
        })
        .collect()
}

/// Runs `target` over every input it has; fails naming each input whose
/// check panicked.
fn replay(target: &str) {
    let (_, check) = targets::ALL
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a known target");
    let seeds = seed_corpus::seeds(root()).expect("the seeds load");
    let mut inputs: BTreeMap<String, Vec<u8>> = seeds
        .into_iter()
        .filter(|((t, _), _)| *t == target)
        .map(|((_, name), bytes)| (format!("seed {name}"), bytes))
        .collect();
    assert!(!inputs.is_empty(), "{target}: no seed found");
    let fuzz = root().join("fuzz");
    inputs.extend(inputs_in(&fuzz.join("regressions").join(target)));
    inputs.extend(inputs_in(&fuzz.join("corpus").join(target)));
    let failed: Vec<&String> = inputs
        .iter()
        .filter(|(_, bytes)| catch_unwind(AssertUnwindSafe(|| check(bytes))).is_err())
        .map(|(name, _)| name)
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs failed: {failed:#?}",
        failed.len(),
        inputs.len()
    );
    eprintln!("{target}: {} inputs pass", inputs.len());
}

#[test]
fn addr_codecs() {
    replay("addr_codecs");
}

#[test]
fn capture_sessions() {
    replay("capture_sessions");
}

#[test]
fn command_decoder() {
    replay("command_decoder");
}

#[test]
fn pcap_reader() {
    replay("pcap_reader");
}

#[test]
fn reply_decoder() {
    replay("reply_decoder");
}

#[test]
fn suite_loader() {
    replay("suite_loader");
}

#[test]
fn every_target_is_replayed_here_and_built_by_cargo_fuzz() {
    let manifest = std::fs::read_to_string(root().join("fuzz/Cargo.toml")).unwrap();
    for (name, _) in targets::ALL {
        let entry = format!("path = \"fuzz_targets/{name}.rs\"");
        assert!(manifest.contains(&entry), "fuzz/Cargo.toml lacks {name}");
    }
    let here = std::fs::read_to_string(root().join(file!())).unwrap();
    for (name, _) in targets::ALL {
        let call = format!("replay(\"{name}\")");
        assert!(here.contains(&call), "no test replays {name}");
    }
}
