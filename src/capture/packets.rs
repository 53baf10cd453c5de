//! The packets of a capture file, pcap or pcapng (told apart by the magic
//! number), one at a time: each with its time, its link type and its bytes
//! as captured (a short snap length leaves them shorter than on the wire).

use std::io::{Cursor, Read};
use std::time::Duration;

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;

/// The first four bytes of a pcapng file (a section header block).
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// One captured packet.
pub struct Packet<'a> {
    pub at: Duration,
    pub link: DataLink,
    pub data: &'a [u8],
}

/// How reading the packets ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// At the end of the file.
    Clean,
    /// At a damaged or cut record: what was wrong (the packets before it
    /// were read).
    Damaged(String),
}

/// Why a file has no packets to read.
#[derive(Debug)]
pub enum OpenError {
    Io(std::io::Error),
    /// Neither pcap nor pcapng, or a damaged file header.
    Format(String),
}

impl OpenError {
    /// The same error as a [`CaptureError`] of the file at `path`.
    pub fn at(self, path: &std::path::Path) -> super::CaptureError {
        let path = path.to_path_buf();
        match self {
            OpenError::Io(source) => super::CaptureError::Io { path, source },
            OpenError::Format(detail) => super::CaptureError::Format { path, detail },
        }
    }
}

/// Reads every packet of `input`, in file order, into `each`.
pub fn for_each(mut input: impl Read, mut each: impl FnMut(Packet<'_>)) -> Result<End, OpenError> {
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut input, &mut magic).map_err(OpenError::Io)?;
    let input = Cursor::new(magic[..got].to_vec()).chain(input);
    if got == 4 && magic == PCAPNG_MAGIC {
        pcapng(input, &mut each)
    } else {
        pcap(input, &mut each)
    }
}

fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

fn pcap(input: impl Read, each: &mut impl FnMut(Packet<'_>)) -> Result<End, OpenError> {
    let mut reader = PcapReader::new(input).map_err(|e| OpenError::Format(e.to_string()))?;
    let link = reader.header().datalink;
    while let Some(packet) = reader.next_packet() {
        match packet {
            Ok(p) => each(Packet {
                at: p.timestamp,
                link,
                data: &p.data,
            }),
            Err(e) => return Ok(End::Damaged(e.to_string())),
        }
    }
    Ok(End::Clean)
}

/// An interface of a pcapng section: its link type and how many
/// nanoseconds one timestamp unit is.
struct Interface {
    link: DataLink,
    unit_ns: f64,
}

fn pcapng(input: impl Read, each: &mut impl FnMut(Packet<'_>)) -> Result<End, OpenError> {
    let mut reader = PcapNgReader::new(input).map_err(|e| OpenError::Format(e.to_string()))?;
    let mut interfaces: Vec<Interface> = Vec::new();
    while let Some(block) = reader.next_block() {
        let block = match block {
            Ok(b) => b,
            Err(e) => return Ok(End::Damaged(e.to_string())),
        };
        match block {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(idb) => interfaces.push(Interface {
                link: idb.linktype,
                unit_ns: unit_ns(&idb.options),
            }),
            Block::EnhancedPacket(epb) => {
                let Some(i) = interfaces.get(epb.interface_id as usize) else {
                    return Ok(End::Damaged(format!(
                        "a packet names interface {} of {}",
                        epb.interface_id,
                        interfaces.len()
                    )));
                };
                // The reader reads the raw count as nanoseconds.
                let units = epb.timestamp.as_nanos() as f64;
                let at = Duration::from_nanos((units * i.unit_ns) as u64);
                each(Packet {
                    at,
                    link: i.link,
                    data: &epb.data,
                });
            }
            Block::SimplePacket(spb) => {
                if let Some(i) = interfaces.first() {
                    let (at, link) = (Duration::ZERO, i.link);
                    each(Packet {
                        at,
                        link,
                        data: &spb.data,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(End::Clean)
}

/// Nanoseconds per timestamp unit from `if_tsresol` (default: microseconds).
fn unit_ns(options: &[InterfaceDescriptionOption<'_>]) -> f64 {
    let resol = options.iter().find_map(|o| match o {
        InterfaceDescriptionOption::IfTsResol(r) => Some(*r),
        _ => None,
    });
    match resol {
        None => 1000.0,
        // Most significant bit set: a negative power of two.
        Some(r) if r & 0x80 != 0 => 1e9 / 2f64.powi(i32::from(r & 0x7f)),
        Some(r) => 1e9 / 10f64.powi(i32::from(r)),
    }
}
