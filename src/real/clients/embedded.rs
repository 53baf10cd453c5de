//! The embedded client: suppaftp in process, a well-behaved reference
//! client (it ignores the 227 address and names its control address).

use std::time::Duration;

use suppaftp::tokio::AsyncFtpStream;
use suppaftp::types::FileType;
use suppaftp::Mode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

use super::{ClientRun, Task, Unasked};
use crate::script::ClientOp;

/// What of the task's mode suppaftp cannot be asked for: its active mode
/// sends PORT over IPv4 (EPRT only over IPv6); FTPS needs its TLS
/// feature, which the harness does not build.
fn unasked(task: &Task) -> Vec<Unasked> {
    let extended = match task.passive {
        false => task.no_option_for_extended(
            "suppaftp's active mode sends PORT over IPv4, it has no EPRT mode",
        ),
        true => None,
    };
    let tls = task.no_ftps(
        "the embedded suppaftp is built without its TLS feature: it has no FTPS mode here",
    );
    extended.into_iter().chain(tls).collect()
}

/// Runs the task with suppaftp; never panics, bounded by the deadline.
pub async fn run(task: &Task) -> ClientRun {
    let outcome = timeout(task.deadline, session(task)).await;
    let (success, stdout, stderr, timed_out) = match outcome {
        Ok(Ok(out)) => (true, out, String::new(), false),
        Ok(Err(e)) => (false, String::new(), e, false),
        Err(_) => (false, String::new(), "timed out".to_string(), true),
    };
    ClientRun {
        success,
        status_meaningful: true,
        exit_code: Some(if success { 0 } else { 1 }),
        timed_out,
        stdout,
        stderr,
        unasked: unasked(task),
        ..ClientRun::default()
    }
}

async fn session(task: &Task) -> Result<String, String> {
    let text = |e: suppaftp::FtpError| e.to_string();
    let mut ftp = AsyncFtpStream::connect_timeout(task.server, task.timeout)
        .await
        .map_err(text)?;
    ftp.set_passive_nat_workaround(true);
    ftp = match (task.passive, task.asks_extended()) {
        (false, _) => ftp.active_mode(task.timeout),
        (true, true) => {
            ftp.set_mode(Mode::ExtendedPassive);
            ftp
        }
        (true, false) => ftp,
    };
    ftp.login(task.user.as_str(), task.pass.as_str())
        .await
        .map_err(text)?;
    ftp.transfer_type(FileType::Binary).await.map_err(text)?;
    let out = operate(&mut ftp, task).await?;
    ftp.quit().await.map_err(text)?;
    Ok(out)
}

async fn operate(ftp: &mut AsyncFtpStream, task: &Task) -> Result<String, String> {
    let text = |e: suppaftp::FtpError| e.to_string();
    let path = task.path.as_str();
    match task.op {
        ClientOp::Get => download(ftp, task, Vec::new()).await,
        ClientOp::Resume => {
            let have = tokio::fs::read(&task.local)
                .await
                .map_err(|e| e.to_string())?;
            ftp.resume_transfer(have.len()).await.map_err(text)?;
            download(ftp, task, have).await
        }
        ClientOp::List => {
            let arg = if path.is_empty() { None } else { Some(path) };
            let lines = ftp.list(arg).await.map_err(text)?;
            let listing = lines.join("\n");
            write_local(task, listing.as_bytes()).await?;
            Ok(listing)
        }
        ClientOp::Put => {
            let data = tokio::fs::read(&task.local)
                .await
                .map_err(|e| e.to_string())?;
            let mut stream = ftp.put_with_stream(path).await.map_err(text)?;
            stream.write_all(&data).await.map_err(|e| e.to_string())?;
            stream.finish().await.map_err(text)?;
            Ok(String::new())
        }
        ClientOp::Mkdir => ftp.mkdir(path).await.map(|_| String::new()).map_err(text),
        ClientOp::Delete => ftp.rm(path).await.map(|_| String::new()).map_err(text),
    }
}

/// RETR of the task's path, its bytes after `buf` (what a resumed download
/// already holds), written to the local file.
async fn download(
    ftp: &mut AsyncFtpStream,
    task: &Task,
    mut buf: Vec<u8>,
) -> Result<String, String> {
    let text = |e: suppaftp::FtpError| e.to_string();
    let mut stream = ftp.retr_as_stream(task.path.as_str()).await.map_err(text)?;
    stream
        .read_to_end(&mut buf)
        .await
        .map_err(|e| e.to_string())?;
    stream.finish().await.map_err(text)?;
    write_local(task, &buf).await
}

async fn write_local(task: &Task, bytes: &[u8]) -> Result<String, String> {
    let write = tokio::fs::write(&task.local, bytes);
    match timeout(Duration::from_secs(5), write).await {
        Ok(Ok(())) => Ok(String::new()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("writing the local file timed out".into()),
    }
}
