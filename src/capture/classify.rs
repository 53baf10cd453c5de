//! Tells an FTP control connection by its content, whatever its port: one
//! side sends reply lines (`220 ...`, `331-...`), the other FTP commands.
//! An SMTP or HTTP connection, or an FTP data connection nobody
//! negotiated, is not taken for one.

/// Bytes looked at before a connection is judged not to be FTP control.
pub const LOOK_CAP: usize = 4096;

/// Verbs of RFC 959 and its extensions that a control connection's client
/// sends.
const VERBS: &[&str] = &[
    "USER", "PASS", "ACCT", "CWD", "CDUP", "SMNT", "QUIT", "REIN", "PORT", "PASV", "TYPE", "STRU",
    "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR", "RNTO", "ABOR", "DELE", "RMD",
    "MKD", "PWD", "LIST", "NLST", "SITE", "SYST", "STAT", "HELP", "NOOP", "FEAT", "OPTS", "AUTH",
    "PBSZ", "PROT", "CCC", "EPRT", "EPSV", "LPRT", "LPSV", "MDTM", "SIZE", "MLSD", "MLST", "LANG",
    "HOST", "CLNT", "XPWD", "XCWD", "XMKD", "XRMD", "XCUP",
];

/// What the lines seen so far in one direction look like.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Looks {
    pub replies: bool,
    pub commands: bool,
    /// A complete line that is neither.
    pub foreign: bool,
}

/// The complete lines of `bytes` (the first skipped when the stream was
/// joined in the middle), judged.
pub fn looks(bytes: &[u8], from_middle: bool) -> Looks {
    let mut out = Looks::default();
    let mut lines = bytes.split(|b| *b == b'\n');
    let complete = bytes.iter().filter(|b| **b == b'\n').count();
    if from_middle && complete > 0 {
        lines.next();
    }
    let take = complete.saturating_sub(usize::from(from_middle));
    for line in lines.take(take) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if is_reply(line) {
            out.replies = true;
        } else if is_command(line) {
            out.commands = true;
        } else if !from_middle || !is_continuation(line) {
            out.foreign = true;
        }
    }
    // A line not ended yet (a long one, or cut by the snap length) counts
    // by its start, when the stream's start is known.
    let rest = &bytes[bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)..];
    if !from_middle && rest.len() >= 4 {
        out.replies |= is_reply(&rest[..4]);
        out.commands |=
            is_command(&rest[..rest.iter().position(|b| *b == b' ').unwrap_or(4).min(5)]);
    }
    out
}

/// `ddd` then a space, a hyphen or the end, the first digit 1 to 5.
fn is_reply(line: &[u8]) -> bool {
    let code = line.get(..3).unwrap_or(&[]);
    code.len() == 3
        && (b'1'..=b'5').contains(&code[0])
        && code[1..].iter().all(u8::is_ascii_digit)
        && matches!(line.get(3), None | Some(b' ') | Some(b'-'))
}

/// A known verb, in any case, then a space or the end.
fn is_command(line: &[u8]) -> bool {
    let end = line.iter().position(|b| *b == b' ').unwrap_or(line.len());
    let verb = String::from_utf8_lossy(&line[..end]).to_ascii_uppercase();
    VERBS.contains(&verb.as_str())
}

/// A line inside a multiline reply (`211-` ... `211 End`): text.
fn is_continuation(line: &[u8]) -> bool {
    line.iter().all(|b| !b.is_ascii_control() || *b == b'\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ftp_lines_are_told_from_others() {
        assert!(looks(b"220 (vsFTPd 3.0.3)\r\n", false).replies);
        assert!(looks(b"230-Welcome\r\n230 ok\r\n", false).replies);
        assert!(looks(b"user anonymous\r\n", false).commands);
        let smtp = looks(b"EHLO mail.example\r\n", false);
        assert!(smtp.foreign && !smtp.commands);
        assert!(looks(b"GET / HTTP/1.1\r\n", false).foreign);
        assert!(looks(b"220 no line end", false).replies);
        assert!(looks(b"USER xxxxxxxx", false).commands);
        assert_eq!(looks(b"220", false), Looks::default());
        // Joined in the middle: the first, partial line is not judged.
        let mid = looks(b"rd\r\n230 in\r\n", true);
        assert!(mid.replies && !mid.foreign);
    }
}
