//! From a captured frame to its TCP segment: Ethernet (with VLAN tags),
//! Linux cooked capture (SLL and SLL2), raw IP and BSD loopback, over IPv4
//! or IPv6. A frame cut by the snap length still gives the payload bytes it
//! holds, with the count of those it lost.

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};
use pcap_file::DataLink;

/// The TCP facts of one packet.
#[derive(Debug)]
pub struct Seg<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
    /// Payload bytes the IP header counts but the capture did not keep.
    pub missing: u32,
}

/// Whether the reader decodes frames of `link`.
pub fn supported(link: DataLink) -> bool {
    matches!(
        link,
        DataLink::ETHERNET
            | DataLink::LINUX_SLL
            | DataLink::LINUX_SLL2
            | DataLink::RAW
            | DataLink::IPV4
            | DataLink::IPV6
            | DataLink::NULL
            | DataLink::LOOP
    )
}

/// Linux cooked header lengths and where their protocol field is.
const SLL_LEN: usize = 16;
const SLL2_LEN: usize = 20;

/// The TCP segment in `data`, if it carries one.
pub fn decode(link: DataLink, data: &[u8]) -> Option<Seg<'_>> {
    let sliced = match link {
        DataLink::ETHERNET => LaxSlicedPacket::from_ethernet(data).ok()?,
        DataLink::LINUX_SLL => cooked(data, SLL_LEN, 14)?,
        DataLink::LINUX_SLL2 => cooked(data, SLL2_LEN, 0)?,
        DataLink::NULL | DataLink::LOOP => LaxSlicedPacket::from_ip(data.get(4..)?).ok()?,
        _ => LaxSlicedPacket::from_ip(data).ok()?,
    };
    let (src_ip, dst_ip, ip_payload_len): (IpAddr, IpAddr, Option<usize>) =
        match sliced.net.as_ref()? {
            LaxNetSlice::Ipv4(v4) => {
                let h = v4.header();
                let total = usize::from(h.total_len());
                let declared = (total > 0).then(|| total.saturating_sub(h.slice().len()));
                (
                    h.source_addr().into(),
                    h.destination_addr().into(),
                    declared,
                )
            }
            LaxNetSlice::Ipv6(v6) => {
                let h = v6.header();
                let ext = v6.extensions().slice().len();
                let declared = usize::from(h.payload_length()).checked_sub(ext);
                let declared = declared.filter(|_| h.payload_length() > 0);
                (
                    h.source_addr().into(),
                    h.destination_addr().into(),
                    declared,
                )
            }
            LaxNetSlice::Arp(_) => return None,
        };
    let TransportSlice::Tcp(tcp) = sliced.transport? else {
        return None;
    };
    let header = tcp.slice().len() - tcp.payload().len();
    let kept = tcp.payload().len();
    let on_wire = ip_payload_len.map_or(kept, |l| l.saturating_sub(header));
    // Ethernet padding after a short IP packet is not payload.
    let payload = &tcp.payload()[..kept.min(on_wire)];
    Some(Seg {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.ack().then(|| tcp.acknowledgment_number()),
        syn: tcp.syn(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload,
        missing: on_wire.saturating_sub(kept) as u32,
    })
}

/// A Linux cooked frame: a header of `len` bytes with the EtherType of the
/// payload at `proto`.
fn cooked(data: &[u8], len: usize, proto: usize) -> Option<LaxSlicedPacket<'_>> {
    let kind = u16::from_be_bytes([*data.get(proto)?, *data.get(proto + 1)?]);
    Some(LaxSlicedPacket::from_ether_type(
        EtherType(kind),
        data.get(len..)?,
    ))
}
