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
/// Data Mark, the end of a Synch, and Interrupt Process.
const DM: u8 = 0xf2;
const IP: u8 = 0xf4;

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

/// A Telnet command found in a control-connection line (RFC 854): the byte
/// after IAC, and for WILL, WONT, DO and DONT the option byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelnetCommand {
    pub command: u8,
    pub option: Option<u8>,
}

impl TelnetCommand {
    /// WILL, WONT, DO or DONT: an option negotiation.
    pub fn negotiates(&self) -> bool {
        (WILL..=DONT).contains(&self.command)
    }

    /// Interrupt Process or Data Mark (the Synch): the two Telnet signals
    /// a user-FTP may send (RFC 1123 4.1.2.12, RFC 959 4.1.3 ABOR).
    pub fn is_ip_or_synch(&self) -> bool {
        matches!(self.command, IP | DM)
    }

    /// Its name in RFC 854 (`IAC WILL 1`, `IAC IP`, `IAC 17`).
    pub fn name(&self) -> String {
        let name = match self.command {
            240 => "SE",
            241 => "NOP",
            242 => "DM",
            243 => "BRK",
            244 => "IP",
            245 => "AO",
            246 => "AYT",
            247 => "EC",
            248 => "EL",
            249 => "GA",
            250 => "SB",
            251 => "WILL",
            252 => "WONT",
            253 => "DO",
            254 => "DONT",
            _ => "",
        };
        let head = match name {
            "" => format!("IAC {}", self.command),
            n => format!("IAC {n}"),
        };
        match self.option {
            Some(o) => format!("{head} {o}"),
            None => head,
        }
    }
}

/// Every Telnet command in `raw` (bytes of the control connection): IAC
/// and what follows it. IAC IAC is the data byte 255 (RFC 3659 2.2: how an
/// IAC in a path name is escaped), not a command. An IAC followed by no
/// command byte (none, or a byte below 240) is the Synch whose Data Mark
/// went as TCP urgent data, out of band (RFC 854: "IAC DM" with the DM
/// urgent; lftp sends `IAC IP IAC` and the DM so, before ABOR or QUIT): it
/// is reported as DM.
pub fn telnet_commands(raw: &[u8]) -> Vec<TelnetCommand> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != IAC {
            i += 1;
            continue;
        }
        let command = raw.get(i + 1).copied();
        match command {
            Some(IAC) => i += 2,
            Some(c @ WILL..=DONT) => {
                let option = raw.get(i + 2).copied();
                out.push(TelnetCommand { command: c, option });
                i += 3;
            }
            Some(c @ SE..) => {
                out.push(TelnetCommand {
                    command: c,
                    option: None,
                });
                i += 2;
            }
            _ => {
                out.push(TelnetCommand {
                    command: DM,
                    option: None,
                });
                i += 1;
            }
        }
    }
    out
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

    #[test]
    fn telnet_commands_in_a_line() {
        // IAC IP IAC DM before ABOR: the two signals a user-FTP may send.
        let abor = telnet_commands(b"\xff\xf4\xff\xf2ABOR\r\n");
        assert_eq!(abor.len(), 2);
        assert!(abor.iter().all(|t| t.is_ip_or_synch() && !t.negotiates()));
        // IAC IAC is a data byte, not a command.
        assert!(telnet_commands(b"RETR a\xff\xffb\r\n").is_empty());
        // An option offer carries its option byte.
        let will = telnet_commands(b"\xff\xfb\x01USER a\r\n");
        assert_eq!(
            will,
            vec![TelnetCommand {
                command: 251,
                option: Some(1)
            }]
        );
        assert!(will[0].negotiates());
        assert_eq!(will[0].name(), "IAC WILL 1");
        assert_eq!(telnet_commands(b"NOOP\xff\xf1\r\n")[0].name(), "IAC NOP");
        // An IAC whose DM went out of band (urgent data), at the end or
        // before the next command: the Synch.
        assert!(telnet_commands(b"\xff\xf4\xff")[1].is_ip_or_synch());
        assert!(telnet_commands(b"\xff\xf4\xffABOR\r\n")[1].is_ip_or_synch());
    }
}
