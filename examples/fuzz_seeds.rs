//! Writes the seed corpora of the fuzz targets (fuzz/, scripts/fuzz.sh):
//! `cargo run --example fuzz_seeds -- OUT` writes `OUT/TARGET/NAME` for
//! each seed of fuzz/src/seed_corpus.rs.

use std::path::{Path, PathBuf};

use ftpconform::{capture, timeline};

#[path = "../fuzz/src/seed_corpus.rs"]
mod seed_corpus;

fn main() -> Result<(), String> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: fuzz_seeds OUT")?;
    let seeds = seed_corpus::seeds(Path::new(env!("CARGO_MANIFEST_DIR")))?;
    for ((target, name), bytes) in &seeds {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join(name), bytes).map_err(|e| e.to_string())?;
    }
    println!("{} seeds written to {}", seeds.len(), out.display());
    Ok(())
}
