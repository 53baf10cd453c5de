//! Telnet commands on the control connection (sans-IO): RFC 959 5.2 has
//! both sides "follow the conventions of the Telnet protocol", and RFC 1123
//! 4.1.2.12 has a server-FTP accept and refuse Telnet negotiations (send
//! DONT/WONT). A server answering a Telnet option offer puts `IAC WONT x`
//! or `IAC DONT x` among its replies; [`TelnetFilter`] takes such commands
//! out of the byte stream, so that the reply decoder sees the replies
//! alone, and counts what it took out.

/// Interpret As Command.
pub const IAC: u8 = 0xff;
/// The option negotiation commands WILL, WONT, DO, DONT (251 to 254).
const WILL: u8 = 0xfb;
const DONT: u8 = 0xfe;
/// Subnegotiation begin and end.
const SB: u8 = 0xfa;
const SE: u8 = 0xf0;

/// Where the filter is in a Telnet command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Data,
    /// After an IAC.
    Iac,
    /// After IAC WILL/WONT/DO/DONT: the option byte comes next.
    Option,
    /// Inside a subnegotiation, until IAC SE.
    Sub,
    /// An IAC inside a subnegotiation.
    SubIac,
}

/// Removes Telnet commands from a byte stream fed in any pieces: `IAC IAC`
/// becomes one 0xFF data byte; option negotiations (`IAC WILL|WONT|DO|DONT
/// x`), subnegotiations (`IAC SB ... IAC SE`) and the two-byte commands
/// (`IAC NOP`, `IAC IP`, `IAC DM`, ...) are dropped.
///
/// A run of dropped bytes longer than `limit` is no Telnet a peer would
/// send but a flood: the rest of that line passes through as data, so that
/// the line cap of the decoder behind sees it.
#[derive(Debug, Clone, Default)]
pub struct TelnetFilter {
    state: State,
    /// The most bytes dropped in a row (0: no bound).
    limit: usize,
    /// Bytes dropped since the last data byte.
    run: usize,
    /// Past `limit`: bytes pass through until the next LF.
    flooded: bool,
    /// Option negotiations taken out so far.
    negotiations: u32,
    /// Other commands taken out (subnegotiations and two-byte commands).
    commands: u32,
}

impl TelnetFilter {
    /// A filter that drops at most `limit` bytes in a row (0: no bound).
    pub fn new(limit: usize) -> TelnetFilter {
        TelnetFilter {
            limit,
            ..TelnetFilter::default()
        }
    }

    /// Appends the data bytes of `bytes` to `out`.
    pub fn filter(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.state == State::Data && !self.flooded && !bytes.contains(&IAC) {
            self.run = 0;
            out.extend_from_slice(bytes);
            return;
        }
        for &b in bytes {
            if self.flooded {
                out.push(b);
                self.flooded = b != b'\n';
                continue;
            }
            let before = out.len();
            self.state = match (self.state, b) {
                (State::Data, IAC) => State::Iac,
                (State::Data, _) => {
                    out.push(b);
                    State::Data
                }
                (State::Iac, IAC) => {
                    out.push(IAC);
                    State::Data
                }
                (State::Iac, WILL..=DONT) => State::Option,
                (State::Iac, SB) => State::Sub,
                (State::Iac, _) => {
                    self.commands += 1;
                    State::Data
                }
                (State::Option, _) => {
                    self.negotiations += 1;
                    State::Data
                }
                (State::Sub, IAC) => State::SubIac,
                (State::Sub, _) => State::Sub,
                (State::SubIac, SE) => {
                    self.commands += 1;
                    State::Data
                }
                (State::SubIac, _) => State::Sub,
            };
            self.run = if out.len() > before { 0 } else { self.run + 1 };
            if self.limit > 0 && self.run > self.limit {
                self.flooded = true;
                self.state = State::Data;
                self.run = 0;
            }
        }
    }

    /// How many option negotiations (`IAC WILL|WONT|DO|DONT x`) were taken
    /// out.
    pub fn negotiations(&self) -> u32 {
        self.negotiations
    }

    /// How many other Telnet commands were taken out.
    pub fn commands(&self) -> u32 {
        self.commands
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pieces: &[&[u8]]) -> (Vec<u8>, TelnetFilter) {
        let mut f = TelnetFilter::default();
        let mut out = Vec::new();
        for p in pieces {
            f.filter(p, &mut out);
        }
        (out, f)
    }

    #[test]
    fn plain_bytes_pass_unchanged() {
        let (out, f) = run(&[b"200 NOOP ok.\r\n"]);
        assert_eq!(out, b"200 NOOP ok.\r\n");
        assert_eq!((f.negotiations(), f.commands()), (0, 0));
    }

    #[test]
    fn a_refusal_before_a_reply_is_taken_out() {
        // proftpd's answer to IAC DO SUPPRESS-GO-AHEAD, then the reply.
        let (out, f) = run(&[b"\xff\xfc\x03200 NOOP command successful\r\n"]);
        assert_eq!(out, b"200 NOOP command successful\r\n");
        assert_eq!(f.negotiations(), 1);
    }

    #[test]
    fn a_doubled_iac_is_one_data_byte() {
        let (out, _) = run(&[b"257 \"/a\xff\xffb\" created\r\n"]);
        assert_eq!(out, b"257 \"/a\xffb\" created\r\n");
    }

    #[test]
    fn commands_split_across_pieces_are_still_taken_out() {
        let (out, f) = run(&[b"2", b"\xff", b"\xfe", b"\x01", b"00 ok\r", b"\n"]);
        assert_eq!(out, b"200 ok\r\n");
        assert_eq!(f.negotiations(), 1);
        let (out, _) = run(&[b"a\xff", b"\xffb"]);
        assert_eq!(out, b"a\xffb");
    }

    #[test]
    fn a_flood_of_commands_passes_through_to_the_end_of_its_line() {
        let mut f = TelnetFilter::new(6);
        let mut out = Vec::new();
        f.filter(b"\xff\xfb\x01\xff\xfb\x01\xff\xfb\x01", &mut out);
        f.filter(b"\xff\xfb\x01\r\n\xff\xf1220 ok\r\n", &mut out);
        assert_eq!(out, b"\xfb\x01\xff\xfb\x01\r\n220 ok\r\n");
    }

    #[test]
    fn two_byte_commands_and_subnegotiations_are_dropped() {
        let (out, f) = run(&[b"\xff\xf1220 \xff\xfa\x18\x01\xff\xffx\xff\xf0ready\r\n"]);
        assert_eq!(out, b"220 ready\r\n");
        assert_eq!((f.negotiations(), f.commands()), (0, 2));
    }
}
