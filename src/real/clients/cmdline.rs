//! Command lines of the external clients (flags as measured in
//! REAL-PEERS.md) and what each supports.

use std::net::IpAddr;

use super::process::Spec;
use super::{dirname, ClientKind, Task};
use crate::script::{ClientOp, Family};

/// `Ok` when `kind` can do `op` in this mode; else why not.
pub fn supports(
    kind: ClientKind,
    op: ClientOp,
    passive: bool,
    extended: bool,
    family: Family,
) -> Result<(), String> {
    use ClientKind::*;
    use ClientOp::*;
    let v4 = family == Family::V4;
    match kind {
        Wget if !matches!(op, Get | List) => Err("wget only downloads".into()),
        Wget if v4 && extended => Err("wget uses PASV and PORT over IPv4".into()),
        Ncftp if !matches!(op, Get | List | Put) => {
            Err("ncftp tools only get, put and list".into())
        }
        Ncftp if extended || !v4 => Err("ncftp uses PASV and PORT only, IPv4 only".into()),
        Lftp if v4 && extended && !passive => Err("lftp uses PORT (not EPRT) over IPv4".into()),
        Ftplib if v4 && extended => {
            Err("ftplib uses PASV and PORT over IPv4 (EPSV and EPRT over IPv6 only)".into())
        }
        Busybox if !matches!(op, Get | Put) => Err("busybox ftpget/ftpput only get and put".into()),
        Busybox if !passive => Err("busybox ftpget/ftpput are passive only".into()),
        Busybox if !extended => Err("busybox always tries EPSV first".into()),
        Embedded if v4 && extended && !passive => {
            Err("suppaftp sends PORT (not EPRT) over IPv4".into())
        }
        Ftplib | Curl | Tnftp | InetutilsFtp | Lftp | Wget | Ncftp | Busybox | Embedded => Ok(()),
    }
}

/// The command line for `kind` doing `task`.
pub fn spec(kind: ClientKind, task: &Task) -> Result<Spec, String> {
    let spec = match kind {
        ClientKind::Curl => curl(task),
        ClientKind::Wget => wget(task),
        ClientKind::Lftp => lftp(task),
        ClientKind::Ncftp => ncftp(task),
        ClientKind::Tnftp => tnftp(task),
        ClientKind::InetutilsFtp => inetutils(task),
        ClientKind::Ftplib => ftplib(task),
        ClientKind::Busybox => busybox(task),
        ClientKind::Embedded => return Err("the embedded client runs in process".into()),
    };
    Ok(spec)
}

fn secs(task: &Task) -> String {
    task.timeout.as_secs().max(1).to_string()
}

fn host(task: &Task) -> String {
    task.server.ip().to_string()
}

/// `ftp://host:port/path` (IPv6 host in brackets).
fn url(task: &Task, path: &str) -> String {
    let h = match task.server.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    format!(
        "ftp://{h}:{}/{}",
        task.server.port(),
        path.trim_start_matches('/')
    )
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
    a.extend([
        "--connect-timeout".into(),
        secs(t),
        "-u".into(),
        format!("{}:{}", t.user, t.pass),
    ]);
    match (t.passive, t.extended) {
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

fn wget(t: &Task) -> Spec {
    let mut a: Vec<String> = vec![
        "-q".into(),
        "--tries=1".into(),
        format!("--timeout={}", secs(t)),
    ];
    a.extend([
        format!("--user={}", t.user),
        format!("--password={}", t.pass),
    ]);
    if !t.passive {
        a.push("--no-passive-ftp".into());
    }
    let path = match t.op {
        ClientOp::List => {
            a.push("--no-remove-listing".into());
            dir_path(&t.path)
        }
        _ => t.path.clone(),
    };
    a.extend(["-O".into(), local(t), url(t, &path)]);
    plain("wget", a)
}

fn lftp(t: &Task) -> Spec {
    let onoff = |b: bool| if b { "on" } else { "off" };
    let yesno = |b: bool| if b { "yes" } else { "no" };
    let settings = format!(
        "set ftp:ssl-allow no; set net:max-retries 2; set net:timeout {}; \
         set net:reconnect-interval-base 1; set net:reconnect-interval-max 1; \
         set cmd:fail-exit yes; set xfer:clobber on; set ftp:passive-mode {}; set ftp:prefer-epsv {}",
        secs(t),
        onoff(t.passive),
        yesno(t.extended)
    );
    let open = format!(
        "open -u {},{} -p {} {}",
        t.user,
        t.pass,
        t.server.port(),
        host(t)
    );
    let op = match t.op {
        ClientOp::Get => format!("get {} -o {}", t.path, local(t)),
        ClientOp::List => format!("ls {}", t.path),
        ClientOp::Put => format!("put {} -o {}", local(t), t.path),
        ClientOp::Mkdir => format!("mkdir {}", t.path),
        ClientOp::Delete => format!("rm {}", t.path),
    };
    plain(
        "lftp",
        vec!["-c".into(), format!("{settings}; {open}; {op}")],
    )
}

fn ncftp(t: &Task) -> Spec {
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
    plain(program, a)
}

/// The operation line of the BSD-style interactive clients.
fn interactive_op(t: &Task) -> String {
    let path = if t.path.is_empty() {
        "."
    } else {
        t.path.as_str()
    };
    match t.op {
        ClientOp::Get => format!("get {path} {}", local(t)),
        ClientOp::List => format!("ls {path} {}", local(t)),
        ClientOp::Put => format!("put {} {path}", local(t)),
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
        format!("{epsv} {}", onoff(t.extended)),
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
    if t.extended && t.family == Family::V4 {
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

fn ftplib(t: &Task) -> Spec {
    let op = match t.op {
        ClientOp::Get => "get",
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
    plain("python3", a)
}

fn busybox(t: &Task) -> Spec {
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
    a.extend(["-P".into(), t.server.port().to_string(), host(t)]);
    match t.op {
        ClientOp::Put => a.extend([t.path.clone(), local(t)]),
        _ => a.extend([local(t), t.path.clone()]),
    }
    plain("busybox", a)
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
            extended,
            family: Family::V4,
            server: "127.0.0.1:2121".parse().unwrap(),
            user: "u".into(),
            pass: "p".into(),
            workdir: PathBuf::from("/tmp/w"),
            local: PathBuf::from("/tmp/w/hello.txt"),
            timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(10),
        }
    }

    #[test]
    fn curl_active_names_loopback_and_disables_eprt() {
        let s = curl(&task(ClientOp::Get, false, false));
        let args = s.args.join(" ");
        assert!(args.contains("-P - --disable-eprt"), "{args}");
        assert!(args.ends_with("-o /tmp/w/hello.txt ftp://127.0.0.1:2121/dir/hello.txt"));
    }

    #[test]
    fn support_matrix_refuses_what_clients_cannot_do() {
        let v4 = Family::V4;
        assert!(supports(ClientKind::Wget, ClientOp::Put, true, false, v4).is_err());
        assert!(supports(ClientKind::Busybox, ClientOp::Get, false, true, v4).is_err());
        assert!(supports(ClientKind::Ncftp, ClientOp::Get, true, true, v4).is_err());
        assert!(supports(ClientKind::Ftplib, ClientOp::Get, true, true, v4).is_err());
        assert!(supports(ClientKind::Ftplib, ClientOp::Get, false, true, Family::V6).is_ok());
        assert!(supports(ClientKind::Curl, ClientOp::Delete, false, true, Family::V6).is_ok());
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
        let s = ncftp(&task(ClientOp::Put, true, false));
        assert_eq!(s.program, "ncftpput");
        assert!(s
            .args
            .join(" ")
            .ends_with("-F -r 0 127.0.0.1 /dir /tmp/w/hello.txt"));
    }
}
