//! The command decoder and line parser over arbitrary bytes: no panic, the
//! same commands whatever the chunking, a bounded buffer, and every
//! command it returns parses back from its raw bytes and from its text.

use super::{decode_in_pieces, line_cap, take_byte};
use crate::wire::command::{parse_line, Command, CommandDecoder, CommandError};

fn decode(input: &[u8], cap: usize, size: usize) -> Vec<Result<Command, CommandError>> {
    decode_in_pieces(&mut CommandDecoder::new(cap), input, cap, size)
}

/// One input: panics on any broken property.
pub fn check(data: &[u8]) {
    let (cap_byte, data) = take_byte(data);
    let (size, input) = take_byte(data);
    let cap = line_cap(cap_byte);
    let whole = decode(input, cap, input.len());
    assert_eq!(
        whole,
        decode(input, cap, usize::from(size)),
        "chunking changed the commands"
    );
    for cmd in whole.iter().flatten() {
        assert!(!cmd.verb.is_empty());
        assert!(
            cmd.verb.bytes().all(|b| b.is_ascii_uppercase()),
            "{:?}",
            cmd.verb
        );
        assert_eq!(parse_line(&cmd.raw).as_ref(), Ok(cmd));
        let again = parse_line(format!("{cmd}\r\n").as_bytes()).expect("its text parses");
        assert_eq!((&again.verb, &again.arg), (&cmd.verb, &cmd.arg));
    }
    let _ = parse_line(input);
}
