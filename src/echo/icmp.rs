//! `--mode icmp`: ARP and ICMP echo answered from user space for one IPv4
//! address, as testpmd's `icmpecho` forwarding mode answers them, so the
//! `ping` the kernel answered before the bypass is answered by DPDK after
//! it. Each answer is built in place in the request's mbuf. Nothing else is
//! answered: not an ARP request for another address, not an echo request to
//! another, not a fragment, not a request with a wrong checksum, nor one from
//! a group address (the kernel does not answer those either).

use std::net::Ipv4Addr;

use l2_probe::inet::{self, is_host_address};

use crate::echo::rewrite::{Fate, ETHER_HDR_LEN};

const ETHERTYPE_IPV4: [u8; 2] = [0x08, 0x00];
const ETHERTYPE_ARP: [u8; 2] = [0x08, 0x06];
/// An ARP packet for IPv4 over Ethernet: 28 bytes.
const ARP_LEN: usize = 28;
/// Hardware type Ethernet (1), protocol IPv4, address lengths 6 and 4.
const ARP_ETHER_IPV4: [u8; 6] = [0, 1, 0x08, 0x00, 6, 4];
const ARP_REQUEST: [u8; 2] = [0, 1];
const ARP_REPLY: [u8; 2] = [0, 2];
const IPV4_MIN_HDR: usize = 20;
const IPPROTO_ICMP: u8 = 1;
const ICMP_ECHO_REQUEST: [u8; 2] = [8, 0];
const ICMP_ECHO_REPLY: [u8; 2] = [0, 0];
const ICMP_HDR: usize = 8;
/// The TTL of an answer, Linux's default.
const REPLY_TTL: u8 = 64;

/// Answers for `ip` from the port whose MAC is `mac`.
#[derive(Debug, Clone, Copy)]
pub struct Responder {
    pub mac: [u8; 6],
    pub ip: [u8; 4],
}

impl Responder {
    /// Turns an ARP request for our address into its reply, or an ICMP echo
    /// request to it into its echo reply, in place; leaves anything else
    /// untouched and says why it is not answered.
    #[inline]
    pub fn answer(&self, frame: &mut [u8]) -> Fate {
        let Some((eth, rest)) = frame.split_first_chunk_mut::<ETHER_HDR_LEN>() else {
            return Fate::Runt;
        };
        if is_group(&eth[6..12]) {
            return Fate::Ignored;
        }
        let answered = match [eth[12], eth[13]] {
            ETHERTYPE_ARP => self.arp(rest),
            ETHERTYPE_IPV4 => self.icmp_echo(rest),
            _ => None,
        };
        let Some(fate) = answered else {
            return Fate::Ignored;
        };
        // Back to the requester, from this port.
        eth.copy_within(6..12, 0);
        eth[6..12].copy_from_slice(&self.mac);
        fate
    }

    /// An ARP request for our address becomes our reply.
    fn arp(&self, packet: &mut [u8]) -> Option<Fate> {
        let arp = packet.first_chunk_mut::<ARP_LEN>()?;
        let asks_us = arp[..6] == ARP_ETHER_IPV4 && arp[6..8] == ARP_REQUEST && arp[24..28] == self.ip;
        // A group sender address would make the reply a group frame.
        if !asks_us || is_group(&arp[8..14]) {
            return None;
        }
        arp[6..8].copy_from_slice(&ARP_REPLY);
        // Target <- the requester (its MAC, then its IP); sender <- us.
        arp.copy_within(8..18, 18);
        arp[8..14].copy_from_slice(&self.mac);
        arp[14..18].copy_from_slice(&self.ip);
        Some(Fate::ArpReply)
    }

    /// An ICMP echo request to our address becomes its echo reply: the same
    /// identifier, sequence and data, IP options kept as they came.
    fn icmp_echo(&self, packet: &mut [u8]) -> Option<Fate> {
        let first = *packet.first()?;
        let header_len = usize::from(first & 0x0f) * 4;
        if first >> 4 != 4 || header_len < IPV4_MIN_HDR {
            return None;
        }
        // What follows the IP packet in the frame is Ethernet padding.
        let total_len = usize::from(u16::from_be_bytes(*packet.get(2..4)?.first_chunk()?));
        if total_len < header_len + ICMP_HDR || total_len > packet.len() {
            return None;
        }
        let (ip, rest) = packet[..total_len].split_at_mut(header_len);
        let fragment = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff; // MF and the offset
        let from = [ip[12], ip[13], ip[14], ip[15]];
        if ip[9] != IPPROTO_ICMP
            || ip[16..20] != self.ip
            || fragment != 0
            || !is_host_address(Ipv4Addr::from(from))
            || !inet::is_valid(ip)
        {
            return None;
        }
        let icmp = rest;
        if icmp[..2] != ICMP_ECHO_REQUEST || !inet::is_valid(icmp) {
            return None;
        }
        icmp[..2].copy_from_slice(&ICMP_ECHO_REPLY);
        icmp[2..4].fill(0);
        let icmp_checksum = inet::checksum(icmp);
        icmp[2..4].copy_from_slice(&icmp_checksum.to_be_bytes());
        ip[16..20].copy_from_slice(&from);
        ip[12..16].copy_from_slice(&self.ip);
        ip[8] = REPLY_TTL;
        ip[10..12].fill(0);
        let ip_checksum = inet::checksum(ip);
        ip[10..12].copy_from_slice(&ip_checksum.to_be_bytes());
        Some(Fate::Echo)
    }
}

/// The group bit: broadcast and multicast addresses.
fn is_group(mac: &[u8]) -> bool {
    mac[0] & 1 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORT: [u8; 6] = [0x02, 0, 0, 0, 0, 0xaa];
    const PEER: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
    const US: [u8; 4] = [10, 0, 0, 2];
    const THEM: [u8; 4] = [10, 0, 0, 1];
    const RESPONDER: Responder = Responder { mac: PORT, ip: US };

    /// An ARP request from PEER/THEM asking for `target`, padded to 60 bytes.
    fn arp_request(target: [u8; 4]) -> Vec<u8> {
        let mut f = [
            &[0xff; 6][..],
            &PEER,
            &ETHERTYPE_ARP,
            &ARP_ETHER_IPV4,
            &ARP_REQUEST,
            &PEER,
            &THEM,
            &[0; 6],
            &target,
        ]
        .concat();
        f.resize(60, 0);
        f
    }

    /// An ICMP echo request from PEER/THEM to `to`, with `data`, checksums right.
    fn echo_request(to: [u8; 4], data: &[u8]) -> Vec<u8> {
        let total = (IPV4_MIN_HDR + ICMP_HDR + data.len()) as u16;
        let mut ip = [
            &[0x45, 0][..],
            &total.to_be_bytes(),
            &[0x12, 0x34, 0x40, 0, 17, IPPROTO_ICMP, 0, 0],
            &THEM,
            &to,
        ]
        .concat();
        let ip_checksum = inet::checksum(&ip);
        ip[10..12].copy_from_slice(&ip_checksum.to_be_bytes());
        let mut icmp = [&ICMP_ECHO_REQUEST[..], &[0, 0, 0xbe, 0xef, 0, 7], data].concat();
        let icmp_checksum = inet::checksum(&icmp);
        icmp[2..4].copy_from_slice(&icmp_checksum.to_be_bytes());
        [&PORT[..], &PEER, &ETHERTYPE_IPV4, &ip, &icmp].concat()
    }

    #[test]
    fn an_arp_request_for_our_address_gets_our_mac() {
        let mut f = arp_request(US);
        let before = f.clone();
        assert_eq!(RESPONDER.answer(&mut f), Fate::ArpReply);
        assert_eq!((&f[..6], &f[6..12], &f[12..14]), (&PEER[..], &PORT[..], &ETHERTYPE_ARP[..]));
        let arp = &f[14..42];
        assert_eq!(arp[..6], ARP_ETHER_IPV4);
        assert_eq!(arp[6..8], ARP_REPLY);
        assert_eq!((&arp[8..14], &arp[14..18]), (&PORT[..], &US[..]), "sender: us");
        assert_eq!((&arp[18..24], &arp[24..28]), (&PEER[..], &THEM[..]), "target: who asked");
        assert_eq!(f[42..], before[42..], "the padding as it came");
    }

    #[test]
    fn an_echo_request_to_us_gets_its_reply() {
        let data: Vec<u8> = (0..56).collect();
        let mut f = echo_request(US, &data);
        let before = f.clone();
        assert_eq!(RESPONDER.answer(&mut f), Fate::Echo);
        assert_eq!((&f[..6], &f[6..12], &f[12..14]), (&PEER[..], &PORT[..], &ETHERTYPE_IPV4[..]));
        let (ip, icmp) = f[14..].split_at(20);
        assert!(inet::is_valid(ip) && inet::is_valid(icmp), "both checksums right");
        assert_eq!((&ip[12..16], &ip[16..20]), (&US[..], &THEM[..]), "from us to them");
        assert_eq!(ip[8], REPLY_TTL);
        assert_eq!((&ip[..8], ip[9]), (&before[14..22], IPPROTO_ICMP), "length, id and flags as they came");
        assert_eq!(icmp[..2], ICMP_ECHO_REPLY);
        assert_eq!(icmp[4..], before[38..], "identifier, sequence and data as they came");
    }

    #[test]
    fn an_echo_request_needs_its_whole_icmp_header_and_no_more() {
        let mut f = echo_request(US, b"");
        assert_eq!(RESPONDER.answer(&mut f), Fate::Echo, "no data: 28 bytes of IP");
        // 27 bytes: the ICMP header one short. The sequence's low byte is 0
        // (and the frame keeps it, as padding), so the checksums would pass.
        let mut f = echo_request(US, b"");
        f[40..42].copy_from_slice(&[7, 0]);
        f[36..38].fill(0);
        let c = inet::checksum(&f[34..42]);
        f[36..38].copy_from_slice(&c.to_be_bytes());
        f[17] = 27;
        f[24..26].fill(0);
        let c = inet::checksum(&f[14..34]);
        f[24..26].copy_from_slice(&c.to_be_bytes());
        ignored("an IP packet too short for its ICMP header", f);
        for len in 15..18 {
            ignored("an IPv4 frame cut inside its header", echo_request(US, b"")[..len].to_vec());
        }
    }

    #[test]
    fn padding_after_the_ip_packet_is_left_out_of_the_checksums() {
        let mut f = echo_request(US, b"ab");
        f.resize(60, 0xee); // Ethernet padding, not part of the packet
        assert_eq!(RESPONDER.answer(&mut f), Fate::Echo);
        assert!(inet::is_valid(&f[34..44]));
        assert_eq!(f[44..], [0xee; 16]);
    }

    #[test]
    fn ip_options_are_kept_and_covered_by_the_checksum() {
        let mut f = echo_request(US, b"data");
        // Insert a 4-byte option (NOP x4) and fix length and checksum.
        f.splice(34..34, [1, 1, 1, 1]);
        f[14] = 0x46;
        f[17] += 4;
        f[24..26].fill(0);
        let ip_checksum = inet::checksum(&f[14..38]);
        f[24..26].copy_from_slice(&ip_checksum.to_be_bytes());
        assert_eq!(RESPONDER.answer(&mut f), Fate::Echo);
        assert!(inet::is_valid(&f[14..38]) && inet::is_valid(&f[38..]));
        assert_eq!((&f[34..38], &f[38..40]), (&[1, 1, 1, 1][..], &ICMP_ECHO_REPLY[..]));
    }

    /// Each of these is left exactly as it came.
    fn ignored(name: &str, mut f: Vec<u8>) {
        let before = f.clone();
        assert_eq!(RESPONDER.answer(&mut f), Fate::Ignored, "{name}");
        assert_eq!(f, before, "{name}: untouched");
    }

    #[test]
    fn what_is_not_ours_to_answer_is_ignored_untouched() {
        ignored("ARP for another address", arp_request(THEM));
        let mut f = arp_request(US);
        f[20..22].copy_from_slice(&ARP_REPLY);
        ignored("an ARP reply", f);
        let mut f = arp_request(US);
        f.truncate(14 + 27);
        ignored("a truncated ARP request", f);
        let mut f = arp_request(US);
        f[22] = 1;
        ignored("an ARP request from a group address", f);
        ignored("an echo request to another address", echo_request(THEM, b"x"));
        let mut f = echo_request(US, b"x");
        f[6] = 1;
        ignored("a frame from a group address", f);
        let mut f = echo_request(US, b"xy");
        *f.last_mut().unwrap() ^= 1;
        ignored("a wrong ICMP checksum", f);
        let mut f = echo_request(US, b"xy");
        f[22] ^= 1; // TTL: the IP checksum no longer matches
        ignored("a wrong IP checksum", f);
        for (name, at, value) in [
            ("an echo reply", 34, 0),
            ("a UDP packet", 23, 17),
            ("IPv6", 12, 0x86),
            ("IP version 6 in an IPv4 frame", 14, 0x65),
            ("a header length under 20", 14, 0x44),
            ("more fragments", 20, 0x60),
            ("a later fragment", 21, 1),
            ("from a broadcast address", 26, 255),
            ("a total length past the frame", 16, 0x10),
        ] {
            let mut f = echo_request(US, b"xy");
            f[at] = value;
            // Keep the IP checksum right, so only the field itself is wrong.
            f[24..26].fill(0);
            let ip_checksum = inet::checksum(&f[14..34]);
            f[24..26].copy_from_slice(&ip_checksum.to_be_bytes());
            ignored(name, f);
        }
        let mut f = echo_request(US, b"");
        f.truncate(14 + 27);
        ignored("a frame shorter than its IP header and ICMP header", f);
    }

    #[test]
    fn runts_are_runts() {
        for len in 0..ETHER_HDR_LEN {
            assert_eq!(RESPONDER.answer(&mut vec![0; len]), Fate::Runt);
        }
    }

    proptest::proptest! {
        /// Any bytes at all: an answer or a refusal, never a panic, and a
        /// refused frame is left as it came.
        #[test]
        fn any_frame_is_answered_or_left_alone(
            mut frame in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            ethertype in proptest::sample::select(vec![ETHERTYPE_ARP, ETHERTYPE_IPV4, [0x88, 0xb5]]),
        ) {
            if frame.len() >= ETHER_HDR_LEN {
                frame[12..14].copy_from_slice(&ethertype);
            }
            let before = frame.clone();
            match RESPONDER.answer(&mut frame) {
                Fate::Runt | Fate::Ignored => proptest::prop_assert_eq!(frame, before),
                Fate::Echo | Fate::ArpReply => proptest::prop_assert_eq!(&frame[6..12], &PORT[..]),
            }
        }
    }
}
