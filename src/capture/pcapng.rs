//! Rewrites a finished pcap as pcapng with a Decryption Secrets Block (the
//! TLS key log of the case) ahead of the packets, so that `tshark -r` and
//! Wireshark show the FTP inside FTPS without being told where the keys
//! are. Little-endian blocks, microsecond timestamps, one Ethernet
//! interface, as in the pcapng specification.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::Path;

use pcap_file::pcap::PcapReader;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const EPB: u32 = 0x0000_0006;
const DSB: u32 = 0x0000_000A;
/// Secrets type of a TLS key log ("TLSK").
const TLS_KEY_LOG: u32 = 0x544C_534B;
const LINKTYPE_ETHERNET: u16 = 1;

/// Replaces the pcap at `path` with a pcapng carrying `key_log` (NSS key
/// log lines) and the same packets.
pub fn add_secrets(path: &Path, key_log: &str) -> io::Result<()> {
    let tmp = path.with_extension("pcapng.part");
    {
        let mut reader =
            PcapReader::new(BufReader::new(File::open(path)?)).map_err(io::Error::other)?;
        let mut out = BufWriter::new(File::create(&tmp)?);
        block(&mut out, SHB, &shb_body())?;
        block(&mut out, IDB, &idb_body())?;
        block(&mut out, DSB, &dsb_body(key_log.as_bytes()))?;
        while let Some(packet) = reader.next_packet() {
            let p = packet.map_err(io::Error::other)?;
            let micros = p.timestamp.as_micros() as u64;
            block(&mut out, EPB, &epb_body(micros, p.orig_len, &p.data))?;
        }
        out.flush()?;
    }
    std::fs::rename(&tmp, path)
}

fn shb_body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&(-1i64).to_le_bytes());
    b
}

fn idb_body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b
}

fn dsb_body(secrets: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&TLS_KEY_LOG.to_le_bytes());
    b.extend_from_slice(&(secrets.len() as u32).to_le_bytes());
    b.extend_from_slice(secrets);
    pad(&mut b);
    b
}

fn epb_body(micros: u64, orig_len: u32, data: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(20 + data.len() + 3);
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&((micros >> 32) as u32).to_le_bytes());
    b.extend_from_slice(&(micros as u32).to_le_bytes());
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&orig_len.to_le_bytes());
    b.extend_from_slice(data);
    pad(&mut b);
    b
}

fn pad(b: &mut Vec<u8>) {
    while !b.len().is_multiple_of(4) {
        b.push(0);
    }
}

/// Type, total length, body, total length again.
fn block(out: &mut impl Write, kind: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}
