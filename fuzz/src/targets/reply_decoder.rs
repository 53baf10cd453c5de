//! The reply decoder over arbitrary bytes: no panic, the same replies
//! whatever the chunking, a bounded buffer, and every reply it returns
//! parses back from its own raw bytes.

use super::{decode_in_pieces, line_cap, take_byte};
use crate::wire::reply::{parse_complete, Reply, ReplyDecoder, ReplyError};

/// Every result of decoding `input` fed in pieces of `size` bytes, and
/// the end-of-stream error.
fn decode(
    input: &[u8],
    cap: usize,
    size: usize,
) -> (Vec<Result<Reply, ReplyError>>, Option<ReplyError>) {
    let mut decoder = ReplyDecoder::new(cap);
    let out = decode_in_pieces(&mut decoder, input, cap, size);
    (out, decoder.finish())
}

/// One input: panics on any broken property.
pub fn check(data: &[u8]) {
    let (cap_byte, data) = take_byte(data);
    let (size, input) = take_byte(data);
    let cap = line_cap(cap_byte);
    let whole = decode(input, cap, input.len());
    let pieces = decode(input, cap, usize::from(size));
    assert_eq!(whole, pieces, "chunking changed the replies");
    for reply in whole.0.iter().flatten() {
        assert!((100..=999).contains(&reply.code), "{}", reply.code);
        assert_eq!(parse_complete(&reply.raw).as_ref(), Ok(reply));
    }
    let _ = parse_complete(input);
}
