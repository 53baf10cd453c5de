//! Socket options of every TCP connection the harness writes, kept in one
//! place: no Nagle delay on any of them, and (Linux) an immediate ACK after
//! each control read.
//!
//! Without them almost every case sat on a floor of about 40 ms: a reply or
//! command written in two segments (or a data block followed by the close)
//! waited under Nagle for the ACK of the first, which the peer's delayed ACK
//! held back for up to 40 ms.

use tokio::net::TcpStream;

/// Sends small writes at once (TCP_NODELAY). A failure changes only
/// timing, never what is sent: it is ignored.
pub fn no_delay(stream: &TcpStream) {
    let _ = stream.set_nodelay(true);
}

/// Acknowledges what was just read at once instead of delaying the ACK
/// (TCP_QUICKACK, Linux). The kernel may fall back to delayed ACKs after a
/// while, so it is set again after every control read. Elsewhere nothing.
pub fn quick_ack(stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let on: libc::c_int = 1;
        // SAFETY: setsockopt on a descriptor `stream` owns and keeps open
        // for the call, with a pointer to a live c_int and its size.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}
