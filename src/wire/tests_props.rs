//! Property tests for the decoders: chunking never changes the result,
//! encode then decode gives back the value, and no input panics or grows
//! a buffer without bound.

use proptest::prelude::*;

use super::command::{parse_line, CommandDecoder};
use super::reply::{Reply, ReplyDecoder};

/// Text for one line: printable, no CR or LF.
const LINE_TEXT: &str = "[ -~]{0,30}";

/// Feeds `input` in chunks cut at `cuts` and collects every reply result.
fn replies_in_chunks(input: &[u8], cuts: &[usize]) -> Vec<Result<Reply, super::reply::ReplyError>> {
    let mut decoder = ReplyDecoder::new(64);
    let mut out = Vec::new();
    let mut from = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.sort_unstable();
    points.push(input.len());
    for to in points {
        decoder.feed(&input[from..to.max(from)]);
        from = to.max(from);
        out.extend(std::iter::from_fn(|| decoder.next()).take(1000));
    }
    out
}

proptest! {
    #[test]
    fn reply_roundtrip(code in 100u16..600, lines in proptest::collection::vec(LINE_TEXT, 1..6)) {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let reply = Reply::new(code, &refs);
        let mut decoder = ReplyDecoder::new(8192);
        decoder.feed(&reply.raw);
        prop_assert_eq!(decoder.next(), Some(Ok(reply)));
        prop_assert_eq!(decoder.next(), None);
        prop_assert!(!decoder.in_multiline());
    }

    #[test]
    fn reply_chunking_does_not_matter(input in proptest::collection::vec(any::<u8>(), 0..200), cuts in proptest::collection::vec(any::<usize>(), 0..10)) {
        let whole = replies_in_chunks(&input, &[]);
        prop_assert_eq!(replies_in_chunks(&input, &cuts), whole);
    }

    #[test]
    fn reply_decoder_buffer_stays_bounded(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..50), 0..40)) {
        let mut decoder = ReplyDecoder::new(32);
        for chunk in &chunks {
            decoder.feed(chunk);
            while decoder.next().is_some() {}
            prop_assert!(decoder.pending().len() < 32);
        }
        let _ = decoder.finish();
        prop_assert!(decoder.pending().is_empty());
    }

    #[test]
    fn command_line_parses_back(verb in "[A-Za-z]{1,6}", arg in proptest::option::of(LINE_TEXT)) {
        let line = match &arg {
            Some(arg) => format!("{verb} {arg}\r\n"),
            None => format!("{verb}\r\n"),
        };
        let cmd = parse_line(line.as_bytes()).unwrap();
        prop_assert_eq!(&cmd.verb, &verb.to_ascii_uppercase());
        prop_assert_eq!(cmd.arg, arg);
        prop_assert_eq!(cmd.raw, line.into_bytes());
    }

    #[test]
    fn command_decoder_bounded_and_chunking_free(input in proptest::collection::vec(any::<u8>(), 0..300), split in any::<usize>()) {
        let mut whole = CommandDecoder::new(24);
        whole.feed(&input);
        let expected: Vec<_> = std::iter::from_fn(|| whole.next()).take(1000).collect();
        let split = split % (input.len() + 1);
        let mut parts = CommandDecoder::new(24);
        let mut got = Vec::new();
        for part in [&input[..split], &input[split..]] {
            parts.feed(part);
            got.extend(std::iter::from_fn(|| parts.next()).take(1000));
            prop_assert!(parts.pending().len() < 24);
        }
        prop_assert_eq!(got, expected);
    }
}
