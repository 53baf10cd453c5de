//! A correct server's script, piece by piece: a test joins the pieces of
//! its case (`[login(), type_i(), pasv(), ...].concat()`) and changes the
//! one piece it breaks.

use std::net::Ipv4Addr;

use crate::support::mock_server::Step::{self, *};

/// The greeting, then USER and PASS.
pub fn login() -> Vec<Step> {
    vec![
        Reply("220 test server ready"),
        Expect("USER"),
        Reply("331 password please"),
        Expect("PASS"),
        Reply("230 logged in"),
    ]
}

/// `TYPE I` answered 200.
pub fn type_i() -> Vec<Step> {
    vec![Expect("TYPE I"), Reply("200 ok")]
}

/// PASV answered 227 with the server's own address.
pub fn pasv() -> Vec<Step> {
    vec![Expect("PASV"), Pasv(Ipv4Addr::LOCALHOST)]
}

/// EPSV answered 229.
pub fn epsv() -> Vec<Step> {
    vec![Expect("EPSV"), Epsv]
}

/// PORT or EPRT (`verb`) accepted.
pub fn active(verb: &'static str) -> Vec<Step> {
    vec![Expect(verb), Reply("200 ok")]
}

/// PORT naming another host or a privileged port, refused; the transfer
/// command that follows is refused too.
pub fn refused_port(command: &'static str) -> Vec<Step> {
    vec![
        Expect("PORT"),
        Reply("504 refused: not your address"),
        Expect(command),
        Reply("425 use PORT or PASV first"),
    ]
}

/// 150, `body` on the open data connection, its close, 226.
pub fn serve(body: &'static [u8]) -> Vec<Step> {
    vec![
        Reply("150 opening data connection"),
        DataSend(body),
        DataClose,
        Reply("226 transfer complete"),
    ]
}

/// 150, the data connection read to its end, 226, its close.
pub fn receive() -> Vec<Step> {
    vec![
        Reply("150 ready to receive"),
        DataRecv,
        Reply("226 received"),
        DataClose,
    ]
}

/// `command` (RETR, LIST) in passive mode: the client's data connection
/// accepted, then `body` served on it.
pub fn passive_download(command: &'static str, body: &'static [u8]) -> Vec<Step> {
    [vec![Expect(command), Accept], serve(body)].concat()
}

/// `command` in active mode: connect to the client, then serve `body`.
pub fn active_download(command: &'static str, body: &'static [u8]) -> Vec<Step> {
    [vec![Expect(command), Connect], serve(body)].concat()
}

/// STOR in passive mode.
pub fn passive_upload(command: &'static str) -> Vec<Step> {
    [vec![Expect(command), Accept], receive()].concat()
}

/// STOR in active mode.
pub fn active_upload(command: &'static str) -> Vec<Step> {
    [vec![Expect(command), Connect], receive()].concat()
}
