//! The seed corpora of the fuzz targets, taken from the project's own
//! inputs: the suites and loader fixtures, and the control streams of the
//! golden and real captures. A seed of a target whose input starts with a
//! parameter byte gets it prepended (see each target in src/targets/).
//!
//! Not part of the fuzz library: examples/fuzz_seeds.rs (which writes the
//! seeds for cargo-fuzz) and tests/fuzz_corpus.rs (which replays them)
//! include this file, with `crate::capture` and `crate::timeline` taken
//! from the main crate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::capture::read_pcap;
use crate::timeline::{ConnRole, Event, EventKind, Side};

/// Where the inputs come from, relative to the crate root.
const SUITE_DIRS: [&str; 3] = ["suites", "suites-nat", "tests/fixtures"];
const CAPTURE_DIRS: [&str; 2] = ["captures", "tests/data/captures-real"];

/// The first byte of decoder seeds: 0 picks the default line cap; the
/// second byte is the chunk size the decoder is fed in.
const DECODER_PREFIX: [u8; 2] = [0, 7];

/// Every seed of every target, by target and name, from the inputs under
/// the crate root `root`.
pub fn seeds(root: &Path) -> Result<BTreeMap<(&'static str, String), Vec<u8>>, String> {
    let mut seeds = Seeds::default();
    for dir in SUITE_DIRS {
        for file in files(&root.join(dir), &["yaml", "yml"]) {
            let bytes = std::fs::read(&file).map_err(err)?;
            seeds.add("suite_loader", root, &file, bytes);
        }
    }
    for dir in CAPTURE_DIRS {
        for file in files(&root.join(dir), &["pcap"]) {
            seeds.capture(root, &file)?;
        }
    }
    Ok(seeds.0)
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Files under `dir` (recursively) with one of the extensions, sorted.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files(&path, exts));
        } else if path
            .extension()
            .is_some_and(|e| exts.iter().any(|x| e == *x))
        {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Seeds by target and name.
#[derive(Default)]
struct Seeds(BTreeMap<(&'static str, String), Vec<u8>>);

impl Seeds {
    /// A seed named after the file it comes from (`suites__server__a.yaml`).
    fn add(&mut self, target: &'static str, root: &Path, from: &Path, bytes: Vec<u8>) {
        let rel = from.strip_prefix(root).unwrap_or(from);
        let name = rel.to_string_lossy().replace('/', "__");
        self.0.insert((target, name), bytes);
    }

    fn add_named(&mut self, target: &'static str, name: String, bytes: Vec<u8>) {
        self.0.insert((target, name), bytes);
    }

    /// The capture itself (for the reader), each control stream (for the
    /// decoders) and each control line naming an address (for the codecs).
    fn capture(&mut self, root: &Path, file: &Path) -> Result<(), String> {
        let pcap = std::fs::read(file).map_err(err)?;
        self.add("pcap_reader", root, file, [&[0u8][..], &pcap].concat());
        self.add("capture_sessions", root, file, [&[0u8][..], &pcap].concat());
        let events = read_pcap(file, None).map_err(err)?;
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        for ((conn, from), bytes) in control_streams(&events) {
            let target = match from {
                Side::Client => "command_decoder",
                Side::Server => "reply_decoder",
                Side::Third => continue,
            };
            let seed = [&DECODER_PREFIX[..], &bytes].concat();
            self.add_named(target, format!("{stem}-{conn}"), seed);
            self.address_lines(&format!("{stem}-{conn}"), &bytes);
        }
        Ok(())
    }

    fn address_lines(&mut self, name: &str, stream: &[u8]) {
        let text = String::from_utf8_lossy(stream);
        let lines = text.lines().filter(|l| {
            let upper = l.to_ascii_uppercase();
            ["PORT", "EPRT", "LPRT", "227", "229"]
                .iter()
                .any(|v| upper.starts_with(v))
        });
        for (i, line) in lines.enumerate() {
            // Mode byte 0: the codecs target reads the rest as text.
            let seed = [&[0u8][..], line.as_bytes()].concat();
            self.add_named("addr_codecs", format!("{name}-{i}"), seed);
        }
    }
}

/// The bytes of each control connection, by connection and sender.
fn control_streams(events: &[Event]) -> BTreeMap<(u32, Side), Vec<u8>> {
    let mut control = Vec::new();
    let mut streams: BTreeMap<(u32, Side), Vec<u8>> = BTreeMap::new();
    for event in events {
        match &event.kind {
            EventKind::Opened { conn, role, .. } if *role == ConnRole::Control => {
                control.push(*conn)
            }
            EventKind::Bytes {
                conn, from, bytes, ..
            } if control.contains(conn) => {
                streams.entry((conn.0, *from)).or_default().extend(bytes);
            }
            _ => {}
        }
    }
    streams
}
