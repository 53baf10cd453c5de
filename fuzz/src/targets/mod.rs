//! The fuzz targets' bodies: one `check(data)` per target, which panics
//! when a property breaks. libFuzzer calls them (fuzz/fuzz_targets/), and
//! so does the main crate's `cargo test` over the seed corpora and the
//! crash inputs (tests/fuzz_corpus.rs), on the stable toolchain.
//!
//! They name the harness's modules as `crate::wire`, `crate::suite` and so
//! on: the fuzz library compiles those modules itself (src/lib.rs), and the
//! test crate imports them from `ftpconform` under the same names.

use crate::wire::command::{Command, CommandDecoder, CommandError};
use crate::wire::reply::{Reply, ReplyDecoder, ReplyError};

pub mod addr_codecs;
pub mod capture_sessions;
pub mod command_decoder;
pub mod pcap_reader;
pub mod reply_decoder;
pub mod suite_loader;

/// A fuzz target's body: checks one input, panics on a finding.
pub type Body = fn(&[u8]);

/// The targets by name, as `cargo fuzz list` names them.
pub const ALL: [(&str, Body); 6] = [
    ("addr_codecs", addr_codecs::check),
    ("capture_sessions", capture_sessions::check),
    ("command_decoder", command_decoder::check),
    ("pcap_reader", pcap_reader::check),
    ("reply_decoder", reply_decoder::check),
    ("suite_loader", suite_loader::check),
];

/// `data` cut into pieces of `size` bytes (the last one shorter); a size of
/// 0 is taken as 1.
fn chunks(data: &[u8], size: usize) -> impl Iterator<Item = &[u8]> {
    data.chunks(size.max(1))
}

/// The two line decoders, as the decoder targets drive them.
pub trait LineDecoder {
    type Item;
    fn feed(&mut self, bytes: &[u8]);
    fn next(&mut self) -> Option<Self::Item>;
    fn pending(&self) -> &[u8];
}

macro_rules! line_decoder {
    ($decoder:ty, $item:ty) => {
        impl LineDecoder for $decoder {
            type Item = $item;
            fn feed(&mut self, bytes: &[u8]) {
                <$decoder>::feed(self, bytes)
            }
            fn next(&mut self) -> Option<$item> {
                <$decoder>::next(self)
            }
            fn pending(&self) -> &[u8] {
                <$decoder>::pending(self)
            }
        }
    };
}

line_decoder!(CommandDecoder, Result<Command, CommandError>);
line_decoder!(ReplyDecoder, Result<Reply, ReplyError>);

/// Feeds `input` to `decoder` in pieces of `size` bytes and returns every
/// item; panics if the buffer ever holds a whole line of `cap` bytes.
pub fn decode_in_pieces<D: LineDecoder>(
    decoder: &mut D,
    input: &[u8],
    cap: usize,
    size: usize,
) -> Vec<D::Item> {
    let mut out = Vec::new();
    for piece in chunks(input, size) {
        decoder.feed(piece);
        while let Some(item) = decoder.next() {
            out.push(item);
        }
        assert!(
            decoder.pending().len() < cap,
            "the buffer holds a whole line"
        );
    }
    out
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
