//! Command lines of the external clients (flags as measured in
//! REAL-PEERS.md). The driver says which operations it has no command line
//! for ([`operation`], the reason) and what of the task's mode its command
//! line could not ask for ([`Unasked`]); it decides no verdict.

use std::net::IpAddr;

use super::process::Spec;
use super::{dirname, ClientKind, Task, Unasked};
use crate::script::{ClientOp, Family};

/// A command line, and what of the task's mode it could not ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub spec: Spec,
    pub unasked: Vec<Unasked>,
}

impl Command {
    fn of(spec: Spec) -> Command {
        Command {
            spec,
            unasked: Vec::new(),
        }
    }

    fn unasked(mut self, part: Option<Unasked>) -> Command {
        self.unasked.extend(part);
        self
    }
}

/// `Err` (why) when the driver of `kind` has no command line that asks
/// the client for `op`: a property of the driver, not of the client's
/// protocol behaviour (that shows in the timeline).
pub fn operation(kind: ClientKind, op: ClientOp) -> Result<(), String> {
    use ClientOp::*;
    let (client, tools) = match kind {
        ClientKind::Wget if !matches!(op, Get | Resume | List) => {
            ("wget", "wget downloads files and listings only")
        }
        ClientKind::Ncftp if !matches!(op, Get | Resume | Put | List) => {
            ("ncftp", "ncftpget, ncftpput and ncftpls get, put and list")
        }
        ClientKind::Busybox if !matches!(op, Get | Resume | Put) => {
            ("busybox", "ftpget and ftpput download or upload one file")
        }
        _ => return Ok(()),
    };
    Err(format!(
        "the {client} driver has no command line for {}: {tools}",
        op_name(op)
    ))
}

/// The command line for `kind` doing `task`; `Err`: the driver has no
/// command line for the task's operation, and why.
pub fn spec(kind: ClientKind, task: &Task) -> Result<Command, String> {
    operation(kind, task.op)?;
    match kind {
        ClientKind::Curl => Ok(Command::of(curl(task))),
        ClientKind::Wget => Ok(wget(task)),
        ClientKind::Lftp => Ok(lftp(task)),
        ClientKind::Ncftp => Ok(ncftp(task)),
        ClientKind::Tnftp => {
            Ok(Command::of(tnftp(task)).unasked(task.no_ftps("tnftp has no FTPS")))
        }
        ClientKind::InetutilsFtp => {
            Ok(Command::of(inetutils(task)).unasked(task.no_ftps("inetutils-ftp has no FTPS")))
        }
        ClientKind::Ftplib => Ok(ftplib(task)),
        ClientKind::Busybox => Ok(busybox(task)),
        ClientKind::Embedded => Err("the embedded client runs in process".into()),
    }
}

/// The name of an operation, for the reasons a builder gives.
fn op_name(op: ClientOp) -> &'static str {
    match op {
        ClientOp::List => "a listing",
        ClientOp::Get => "a download",
        ClientOp::Resume => "a resumed download",
        ClientOp::Put => "an upload",
        ClientOp::Mkdir => "MKD",
        ClientOp::Delete => "DELE",
    }
}

fn secs(task: &Task) -> String {
    task.timeout.as_secs().max(1).to_string()
}

fn host(task: &Task) -> String {
    task.server.ip().to_string()
}

/// `ftp://host:port/path` (IPv6 host in brackets), the path
/// percent-encoded (RFC 3986: a space, `#`, `%` or a non-ASCII byte of a
/// name is `%XX`; clients decode it back to the name's bytes).
fn url(task: &Task, path: &str) -> String {
    let h = match task.server.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    format!(
        "ftp://{h}:{}/{}",
        task.server.port(),
        percent_encoded(path.trim_start_matches('/'))
    )
}

/// `path` with every byte but the unreserved ones of RFC 3986 and `/`
/// written `%XX`.
fn percent_encoded(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A word of an lftp or BSD-ftp command line: as it is, or in double
/// quotes when it holds a space or a character the command parser would
/// take for syntax (both parsers group a quoted word and take `\"` and
/// `\\` inside it).
fn word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~/+,=@:".contains(c));
    match plain {
        true => s.to_string(),
        false => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// The folder URL for a listing (ends with `/`).
fn dir_path(path: &str) -> String {
    match path.trim_matches('/') {
        "" => String::new(),
        p => format!("{p}/"),
    }
}

fn local(task: &Task) -> String {
    task.local.display().to_string()
}

fn plain(program: &str, args: Vec<String>) -> Spec {
    Spec {
        program: program.into(),
        args,
        stdin: None,
        netrc: None,
        status_meaningful: true,
    }
}

fn curl(t: &Task) -> Spec {
    let mut a: Vec<String> = vec!["-sS".into(), "-g".into(), "--max-time".into(), secs(t)];
    if t.tls {
        // Explicit FTPS on the control and data connections, trusting
        // the test CA only.
        let ca = t.ca_file().display().to_string();
        a.extend(["--ssl-reqd".into(), "--cacert".into(), ca]);
    }
    a.extend([
        "--connect-timeout".into(),
        secs(t),
        "-u".into(),
        format!("{}:{}", t.user, t.pass),
    ]);
    match (t.passive, t.asks_extended()) {
        (true, false) => a.push("--disable-epsv".into()),
        (false, ext) => {
            // `-`: the control connection's own address (loopback here, the
            // client's address inside a topology).
            a.extend(["-P".into(), "-".into()]);
            if !ext {
                a.push("--disable-eprt".into());
            }
        }
        (true, true) => {}
    }
    match t.op {
        ClientOp::Get => a.extend(["-o".into(), local(t), url(t, &t.path)]),
        // `-C -`: resume from the local file's size.
        ClientOp::Resume => a.extend(
            ["-C", "-", "-o"]
                .map(String::from)
                .into_iter()
                .chain([local(t), url(t, &t.path)]),
        ),
        ClientOp::List => a.extend(["-o".into(), local(t), url(t, &dir_path(&t.path))]),
        ClientOp::Put => a.extend(["-T".into(), local(t), url(t, &t.path)]),
        ClientOp::Mkdir => a.extend([
            "-I".into(),
            "-Q".into(),
            format!("MKD {}", t.path),
            url(t, ""),
        ]),
        ClientOp::Delete => a.extend([
            "-I".into(),
            "-Q".into(),
            format!("DELE {}", t.path),
            url(t, ""),
        ]),
    }
    plain("curl", a)
}

fn wget(t: &Task) -> Command {
    let mut a: Vec<String> = vec![
        "-q".into(),
        "--tries=1".into(),
        format!("--timeout={}", secs(t)),
    ];
    a.extend([
        format!("--user={}", t.user),
        format!("--password={}", t.pass),
    ]);
    if t.op == ClientOp::Resume {
        a.push("--continue".into());
    }
    if !t.passive {
        a.push("--no-passive-ftp".into());
    }
    if t.tls {
        a.push(format!("--ca-certificate={}", t.ca_file().display()));
    }
    let path = match t.op {
        ClientOp::List => {
            a.push("--no-remove-listing".into());
            dir_path(&t.path)
        }
        _ => t.path.clone(),
    };
    let url = match t.tls {
        // wget's ftps:// is explicit FTPS (AUTH TLS; --ftps-implicit
        // would be implicit).
        true => url(t, &path).replacen("ftp://", "ftps://", 1),
        false => url(t, &path),
    };
    a.extend(["-O".into(), local(t), url]);
    let why = "wget has no option to choose EPSV/EPRT or PASV/PORT over IPv4";
    Command::of(plain("wget", a)).unasked(t.no_option_for_extended(why))
}

fn lftp(t: &Task) -> Command {
    let onoff = |b: bool| if b { "on" } else { "off" };
    let yesno = |b: bool| if b { "yes" } else { "no" };
    let ssl = match t.tls {
        true => format!(
            "set ftp:ssl-allow yes; set ftp:ssl-force true; set ftp:ssl-protect-data true; \
             set ftp:ssl-protect-list true; set ssl:verify-certificate yes; set ssl:ca-file {}",
            t.ca_file().display()
        ),
        false => "set ftp:ssl-allow no".into(),
    };
    let settings = format!(
        "{ssl}; set net:max-retries 2; set net:timeout {}; \
         set net:reconnect-interval-base 1; set net:reconnect-interval-max 1; \
         set cmd:fail-exit yes; set xfer:clobber on; set ftp:passive-mode {}; set ftp:prefer-epsv {}",
        secs(t),
        onoff(t.passive),
        yesno(t.asks_extended())
    );
    let open = format!(
        "open -u {},{} -p {} {}",
        t.user,
        t.pass,
        t.server.port(),
        host(t)
    );
    let (path, here) = (word(&t.path), word(&local(t)));
    let op = match t.op {
        ClientOp::Get => format!("get {path} -o {here}"),
        ClientOp::Resume => format!("get -c {path} -o {here}"),
        ClientOp::List if t.path.is_empty() => "ls".to_string(),
        ClientOp::List => format!("ls {path}"),
        ClientOp::Put => format!("put {here} -o {path}"),
        ClientOp::Mkdir => format!("mkdir {path}"),
        ClientOp::Delete => format!("rm {path}"),
    };
    let spec = plain(
        "lftp",
        vec!["-c".into(), format!("{settings}; {open}; {op}")],
    );
    let why = "lftp has no setting to choose EPRT or PORT over IPv4 (ftp:prefer-epsv is for passive mode)";
    let unasked = match t.passive {
        false => t.no_option_for_extended(why),
        true => None,
    };
    Command::of(spec).unasked(unasked)
}

fn ncftp(t: &Task) -> Command {
    let mode = if t.passive { "-F" } else { "-E" };
    let mut a: Vec<String> = vec!["-u".into(), t.user.clone(), "-p".into(), t.pass.clone()];
    a.extend([
        "-P".into(),
        t.server.port().to_string(),
        "-t".into(),
        secs(t),
        mode.into(),
    ]);
    // No redials: ncftp otherwise sleeps, then redials after 421 or 530.
    a.extend(["-r".into(), "0".into()]);
    let workdir = t.workdir.display().to_string();
    let program = match t.op {
        ClientOp::List => {
            a.extend(["-l".into(), url(t, &dir_path(&t.path))]);
            "ncftpls"
        }
        ClientOp::Put => {
            let dir = format!("/{}", dirname(&t.path));
            a.extend([host(t), dir, local(t)]);
            "ncftpput"
        }
        _ => {
            a.extend([host(t), workdir, t.path.clone()]);
            "ncftpget"
        }
    };
    let why = "the ncftp tools have no option to choose EPSV/EPRT or PASV/PORT";
    Command::of(plain(program, a))
        .unasked(t.no_option_for_extended(why))
        .unasked(t.no_ftps("the ncftp tools have no FTPS"))
}

/// The operation line of the BSD-style interactive clients.
fn interactive_op(t: &Task) -> String {
    let path = if t.path.is_empty() {
        ".".to_string()
    } else {
        word(&t.path)
    };
    let here = word(&local(t));
    match t.op {
        ClientOp::Get => format!("get {path} {here}"),
        ClientOp::Resume => format!("reget {path} {here}"),
        ClientOp::List => format!("ls {path} {here}"),
        ClientOp::Put => format!("put {here} {path}"),
        ClientOp::Mkdir => format!("mkdir {path}"),
        ClientOp::Delete => format!("delete {path}"),
    }
}

fn tnftp(t: &Task) -> Spec {
    let onoff = |b: bool| if b { "on" } else { "off" };
    let epsv = if t.family == Family::V4 {
        "epsv4"
    } else {
        "epsv6"
    };
    let commands = [
        format!("passive {}", onoff(t.passive)),
        format!("{epsv} {}", onoff(t.asks_extended())),
        "binary".to_string(),
        interactive_op(t),
    ];
    let port = t.server.port().to_string();
    bsd_client(
        "tnftp",
        vec!["-i".into(), "-v".into(), host(t), port],
        t,
        &commands,
    )
}

fn inetutils(t: &Task) -> Spec {
    let mode = if t.passive { "-p" } else { "-A" };
    let family = if t.family == Family::V4 { "-4" } else { "-6" };
    // `epsv4` toggles (default off); `passive` would toggle `-p` off again.
    let mut commands = Vec::new();
    if t.asks_extended() && t.family == Family::V4 {
        commands.push("epsv4".to_string());
    }
    commands.extend(["binary".to_string(), interactive_op(t)]);
    let port = t.server.port().to_string();
    let args = vec!["-v".into(), mode.into(), family.into(), host(t), port];
    bsd_client("inetutils-ftp", args, t, &commands)
}

/// tnftp and inetutils-ftp, driven as a user would drive them: they log
/// in by themselves from `.netrc` and run its `macdef init` (the operation)
/// only when the login succeeds. After a refused login they read stdin,
/// where the user who saw the 530 types `quit`. (A script on stdin would
/// go on with the operation after a 530, which no user would type.)
/// Their exit status is 0 whatever happens.
fn bsd_client(program: &str, args: Vec<String>, t: &Task, commands: &[String]) -> Spec {
    let mut netrc = format!("default login {} password {} macdef init\n", t.user, t.pass);
    for line in commands {
        netrc.push_str(line);
        netrc.push('\n');
    }
    // The macro ends the session; a blank line ends the macro.
    netrc.push_str("quit\n\n");
    Spec {
        program: program.into(),
        args,
        stdin: Some("quit\n".into()),
        netrc: Some(netrc),
        status_meaningful: false,
    }
}

/// Where `scripts/ftplib_client.py` is: next to the crate, or in the
/// current folder.
fn ftplib_script() -> String {
    let here = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ftplib_client.py");
    match std::path::Path::new(here).is_file() {
        true => here.into(),
        false => "scripts/ftplib_client.py".into(),
    }
}

fn ftplib(t: &Task) -> Command {
    let op = match t.op {
        ClientOp::Get => "get",
        ClientOp::Resume => "resume",
        ClientOp::List => "list",
        ClientOp::Put => "put",
        ClientOp::Mkdir => "mkdir",
        ClientOp::Delete => "delete",
    };
    let mode = if t.passive { "passive" } else { "active" };
    let a = vec![
        ftplib_script(),
        format!("--host={}", host(t)),
        format!("--port={}", t.server.port()),
        format!("--user={}", t.user),
        format!("--password={}", t.pass),
        format!("--op={op}"),
        format!("--path={}", t.path),
        format!("--local={}", local(t)),
        format!("--mode={mode}"),
        format!("--timeout={}", secs(t)),
    ];
    let mut a = a;
    if t.tls {
        a.push(format!("--tls-ca={}", t.ca_file().display()));
    }
    let why = "stock ftplib has no switch for EPSV or EPRT over IPv4";
    Command::of(plain("python3", a)).unasked(t.no_option_for_extended(why))
}

fn busybox(t: &Task) -> Command {
    let mut a: Vec<String> = vec![];
    let tool = if t.op == ClientOp::Put {
        "ftpput"
    } else {
        "ftpget"
    };
    a.extend([
        tool.into(),
        "-u".into(),
        t.user.clone(),
        "-p".into(),
        t.pass.clone(),
    ]);
    if t.op == ClientOp::Resume {
        a.push("-c".into());
    }
    a.extend(["-P".into(), t.server.port().to_string(), host(t)]);
    match t.op {
        ClientOp::Put => a.extend([t.path.clone(), local(t)]),
        _ => a.extend([local(t), t.path.clone()]),
    }
    let direction = "busybox ftpget/ftpput have no option for passive or active mode";
    let extended = "busybox ftpget/ftpput have no option to choose EPSV or PASV";
    Command::of(plain("busybox", a))
        .unasked(Some(Unasked::Direction(direction.into())))
        .unasked(t.no_option_for_extended(extended))
        .unasked(t.no_ftps("busybox ftpget/ftpput have no FTPS"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    fn task(op: ClientOp, passive: bool, extended: bool) -> Task {
        Task {
            op,
            path: "dir/hello.txt".into(),
            passive,
            extended: Some(extended),
            family: Family::V4,
            server: "127.0.0.1:2121".parse().unwrap(),
            user: "u".into(),
            pass: "p".into(),
            workdir: PathBuf::from("/tmp/w"),
            local: PathBuf::from("/tmp/w/hello.txt"),
            timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(10),
            tls: false,
        }
    }

    #[test]
    fn names_with_spaces_and_utf8_are_encoded_or_quoted() {
        let mut t = task(ClientOp::Get, true, false);
        t.path = "my folder/a file #1 (copy).txt".into();
        let args = curl(&t).args.join(" ");
        assert!(
            args.ends_with("/my%20folder/a%20file%20%231%20%28copy%29.txt"),
            "{args}"
        );
        t.path = "résumé.txt".into();
        assert!(curl(&t).args.join(" ").ends_with("/r%C3%A9sum%C3%A9.txt"));
        assert_eq!(word("dir/hello.txt"), "dir/hello.txt");
        assert_eq!(word("a \"b\"\\c"), "\"a \\\"b\\\"\\\\c\"");
        t.path = "my folder/a b.txt".into();
        assert!(interactive_op(&t).starts_with("get \"my folder/a b.txt\" "));
    }

    #[test]
    fn curl_active_names_loopback_and_disables_eprt() {
        let s = curl(&task(ClientOp::Get, false, false));
        let args = s.args.join(" ");
        assert!(args.contains("-P - --disable-eprt"), "{args}");
        assert!(args.ends_with("-o /tmp/w/hello.txt ftp://127.0.0.1:2121/dir/hello.txt"));
    }

    #[test]
    fn the_driver_names_the_operations_it_has_no_command_line_for() {
        let why = operation(ClientKind::Wget, ClientOp::Put).unwrap_err();
        assert_eq!(
            why,
            "the wget driver has no command line for an upload: wget downloads files and listings only"
        );
        assert!(operation(ClientKind::Busybox, ClientOp::List).is_err());
        assert!(operation(ClientKind::Ncftp, ClientOp::Delete).is_err());
        assert!(operation(ClientKind::Busybox, ClientOp::Put).is_ok());
        assert!(operation(ClientKind::Curl, ClientOp::Delete).is_ok());
    }

    #[test]
    fn a_mode_the_command_line_cannot_ask_for_is_named() {
        let b = busybox(&task(ClientOp::Get, false, false));
        assert!(matches!(
            b.unasked[..],
            [Unasked::Direction(_), Unasked::Extended(_)]
        ));
        assert_eq!(lftp(&task(ClientOp::Get, true, true)).unasked, vec![]);
        assert_eq!(lftp(&task(ClientOp::Get, false, true)).unasked.len(), 1);
        let mut any = task(ClientOp::Get, true, false);
        any.extended = None;
        assert_eq!(wget(&any).unasked, vec![]);
        any.family = Family::V6;
        assert_eq!(ftplib(&any).unasked, vec![]);
    }

    #[test]
    fn bsd_clients_run_the_operation_only_after_a_login() {
        let s = tnftp(&task(ClientOp::Get, true, false));
        assert_eq!(s.args.join(" "), "-i -v 127.0.0.1 2121");
        let netrc = "default login u password p macdef init\npassive on\nepsv4 off\nbinary\n\
                     get dir/hello.txt /tmp/w/hello.txt\nquit\n\n";
        assert_eq!(s.netrc.as_deref(), Some(netrc));
        assert_eq!(s.stdin.as_deref(), Some("quit\n"));
        let s = inetutils(&task(ClientOp::Mkdir, false, true));
        assert_eq!(s.args.join(" "), "-v -A -4 127.0.0.1 2121");
        let netrc =
            "default login u password p macdef init\nepsv4\nbinary\nmkdir dir/hello.txt\nquit\n\n";
        assert_eq!(s.netrc.as_deref(), Some(netrc));
    }

    #[test]
    fn ncftpput_uploads_into_the_folder_of_the_path() {
        let s = ncftp(&task(ClientOp::Put, true, false)).spec;
        assert_eq!(s.program, "ncftpput");
        assert!(s
            .args
            .join(" ")
            .ends_with("-F -r 0 127.0.0.1 /dir /tmp/w/hello.txt"));
    }
}
