//! The fuzz targets' bodies: one `check(data)` per target, which panics
//! when a property breaks. libFuzzer calls them (fuzz/fuzz_targets/), and
//! so does the main crate's `cargo test` over the seed corpora and the
//! crash inputs (tests/fuzz_corpus.rs), on the stable toolchain.
//!
//! They name the harness's modules as `crate::wire`, `crate::suite` and so
//! on: the fuzz library compiles those modules itself (src/lib.rs), and the
//! test crate imports them from `ftpconform` under the same names.

pub mod addr_codecs;
pub mod command_decoder;
pub mod pcap_reader;
pub mod reply_decoder;
pub mod suite_loader;

/// The targets by name, as `cargo fuzz list` names them.
pub const ALL: [(&str, fn(&[u8])); 5] = [
    ("addr_codecs", addr_codecs::check),
    ("command_decoder", command_decoder::check),
    ("pcap_reader", pcap_reader::check),
    ("reply_decoder", reply_decoder::check),
    ("suite_loader", suite_loader::check),
];

/// `data` cut into pieces of `size` bytes (the last one shorter); a size of
/// 0 is taken as 1.
pub fn chunks(data: &[u8], size: usize) -> impl Iterator<Item = &[u8]> {
    data.chunks(size.max(1))
}

/// The line cap of a decoder target: 0 picks the default; small caps reach
/// the over-long paths quickly.
pub fn line_cap(byte: u8) -> usize {
    match byte {
        0 => crate::wire::DEFAULT_LINE_CAP,
        n => usize::from(n) + 3,
    }
}

/// Splits the first byte off as a small parameter (0 for an empty input).
pub fn take_byte(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&b, rest)) => (b, rest),
        None => (0, data),
    }
}
