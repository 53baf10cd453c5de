//! The TCP stream under a TLS layer, recording the TLS bytes as they cross
//! the wire (the ciphertext the pcap shows); the [`Conn`](crate::net::Conn)
//! above records the plaintext.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::net::Sides;
use crate::timeline::{ConnId, Timeline};

/// A TCP stream that records every byte read and written as a TLS record.
pub struct Tap {
    pub(super) tcp: TcpStream,
    tl: Timeline,
    conn: ConnId,
    sides: Sides,
}

impl Tap {
    pub fn new(tcp: TcpStream, tl: &Timeline, conn: ConnId, sides: Sides) -> Tap {
        Tap {
            tcp,
            tl: tl.clone(),
            conn,
            sides,
        }
    }
}

impl AsyncRead for Tap {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let res = Pin::new(&mut this.tcp).poll_read(cx, buf);
        let got = &buf.filled()[before..];
        if !got.is_empty() {
            this.tl.tls_record(this.conn, this.sides.theirs, got);
        }
        res
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.tcp).poll_write(cx, bytes);
        if let Poll::Ready(Ok(n)) = res {
            this.tl.tls_record(this.conn, this.sides.ours, &bytes[..n]);
        }
        res
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}
