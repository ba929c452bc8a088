//! The echo's header rewrite: pure functions on a frame's bytes.

use clap::ValueEnum;
use serde::Serialize;

use crate::arch;

/// Destination MAC, source MAC, EtherType.
pub const ETHER_HDR_LEN: usize = 14;

/// How a frame is turned back to its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// dst <- the frame's src, src <- the port's MAC: a reply from this port
    /// (the original's intent). Never sends a group source address.
    Reply,
    /// Exchange dst and src, like testpmd's macswap (for benchmarks against it).
    Swap,
    /// Answer ARP requests for --ip and ICMP echo requests to it, like
    /// testpmd's icmpecho; count and free every other frame.
    Icmp,
}

/// What the loop does with a frame once its mode has looked at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Rewritten in place: send it back.
    Echo,
    /// An ARP request for the echo's address, now its reply: send it.
    ArpReply,
    /// Shorter than an Ethernet header: freed unread.
    Runt,
    /// Not for this mode to answer (--mode icmp): counted and freed.
    Ignored,
}

impl Fate {
    /// An L2 rewrite's fate: sent back, or a runt.
    #[inline(always)]
    pub fn echo_unless_runt(rewritten: bool) -> Fate {
        if rewritten {
            Fate::Echo
        } else {
            Fate::Runt
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Reply => "reply",
            Mode::Swap => "swap",
            Mode::Icmp => "icmp",
        })
    }
}

/// Where reply mode's frames come from: the port's MAC, kept at bytes 6-11
/// of 16 (zeros elsewhere), as the vector reply ors it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyFrom([u8; 16]);

impl ReplyFrom {
    pub fn new(port_mac: &[u8; 6]) -> ReplyFrom {
        let mut bytes = [0; 16];
        bytes[6..12].copy_from_slice(port_mac);
        ReplyFrom(bytes)
    }

    fn mac(&self) -> &[u8] {
        &self.0[6..12]
    }
}

/// Reply mode. Returns false, touching nothing, for a frame shorter than an
/// Ethernet header.
#[inline(always)]
pub fn reply(frame: &mut [u8], from: &ReplyFrom) -> bool {
    if let (Some(vector_reply), Some(first16)) = (arch::VECTOR_REPLY, frame.first_chunk_mut::<16>()) {
        vector_reply(first16, &from.0);
        return true;
    }
    let Some(hdr) = frame.first_chunk_mut::<ETHER_HDR_LEN>() else {
        return false;
    };
    reply_header(hdr, from);
    true
}

/// The scalar reply: for frames under 16 bytes, and CPUs without a vector
/// reply.
#[inline(always)]
fn reply_header(hdr: &mut [u8; ETHER_HDR_LEN], from: &ReplyFrom) {
    hdr.copy_within(6..12, 0);
    hdr[6..12].copy_from_slice(from.mac());
}

/// Swap mode. Returns false, touching nothing, for a frame shorter than an
/// Ethernet header.
#[inline(always)]
pub fn swap(frame: &mut [u8]) -> bool {
    if let (Some(vector_swap), Some(first16)) = (arch::VECTOR_SWAP, frame.first_chunk_mut::<16>()) {
        vector_swap(first16);
        return true;
    }
    let Some(hdr) = frame.first_chunk_mut::<ETHER_HDR_LEN>() else {
        return false;
    };
    swap_header(hdr);
    true
}

/// The scalar swap: the 12 address bytes as one 8- and one 4-byte word
/// (little-endian shifts), two loads and two stores instead of a byte-wise
/// swap. For frames under 16 bytes, and CPUs without a vector swap.
#[inline(always)]
fn swap_header(hdr: &mut [u8; ETHER_HDR_LEN]) {
    let (words, _) = hdr.split_at_mut(12);
    let (lo, hi) = words.split_at_mut(8);
    let a = u64::from_le_bytes(lo.try_into().unwrap()); // d0..d5 s0 s1
    let b = u32::from_le_bytes(hi.try_into().unwrap()); // s2..s5
    let new_a = (a >> 48) | (u64::from(b) << 16) | (a << 48); // s0..s5 d0 d1
    let new_b = (a >> 16) as u32; // d2..d5
    lo.copy_from_slice(&new_a.to_le_bytes());
    hi.copy_from_slice(&new_b.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_print_as_typed() {
        let printed = [Mode::Reply, Mode::Swap, Mode::Icmp].map(|m| m.to_string());
        assert_eq!(printed, ["reply", "swap", "icmp"]);
    }

    const PORT: [u8; 6] = [0x02, 0, 0, 0, 0, 0xaa];
    const PEER: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
    const BROADCAST: [u8; 6] = [0xff; 6];

    fn frame(dst: [u8; 6], src: [u8; 6], len: usize) -> Vec<u8> {
        let mut f: Vec<u8> = (0..len).map(|i| i as u8).collect();
        f[..6].copy_from_slice(&dst);
        f[6..12].copy_from_slice(&src);
        f
    }

    #[test]
    fn reply_goes_back_to_the_sender_from_the_port() {
        let mut f = frame(BROADCAST, PEER, 60);
        let before = f.clone();
        assert!(reply(&mut f, &ReplyFrom::new(&PORT)));
        assert_eq!(f[..6], PEER);
        assert_eq!(f[6..12], PORT);
        assert_eq!(f[12..], before[12..], "only the 12 address bytes change");
    }

    #[test]
    fn reply_never_carries_a_group_source_address() {
        for dst in [BROADCAST, [0x01, 0x00, 0x5e, 0, 0, 1], [0x33, 0x33, 0, 0, 0, 1], PORT] {
            let mut f = frame(dst, PEER, 64);
            assert!(reply(&mut f, &ReplyFrom::new(&PORT)));
            assert_eq!(f[6] & 1, 0, "group bit set in the source of a reply to {dst:02x?}");
        }
    }

    #[test]
    fn swap_exchanges_the_addresses_like_macswap() {
        let mut f = frame(PORT, PEER, 60);
        let before = f.clone();
        assert!(swap(&mut f));
        assert_eq!(f[..6], PEER);
        assert_eq!(f[6..12], PORT);
        assert_eq!(f[12..], before[12..]);
        assert!(swap(&mut f));
        assert_eq!(f, before, "swapping twice restores the frame");
    }

    #[test]
    fn swap_is_exact_at_every_length_around_its_16_byte_path() {
        for len in ETHER_HDR_LEN..=40 {
            let mut f = frame(PORT, PEER, len);
            let before = f.clone();
            assert!(swap(&mut f));
            assert_eq!((&f[..6], &f[6..12], &f[12..]), (&PEER[..], &PORT[..], &before[12..]), "{len} bytes");
        }
    }

    #[test]
    fn the_scalar_swap_agrees_with_the_vector_swap_this_cpu_has() {
        let mut scalar = frame(PORT, PEER, ETHER_HDR_LEN).try_into().unwrap();
        swap_header(&mut scalar);
        assert_eq!((&scalar[..6], &scalar[6..12]), (&PEER[..], &PORT[..]));
        if let Some(vector_swap) = arch::VECTOR_SWAP {
            let mut vector: [u8; 16] = frame(PORT, PEER, 16).try_into().unwrap();
            vector_swap(&mut vector);
            assert_eq!(vector[..ETHER_HDR_LEN], scalar);
        }
    }

    #[test]
    fn reply_is_exact_at_every_length_around_its_16_byte_path() {
        for len in ETHER_HDR_LEN..=40 {
            let mut f = frame(BROADCAST, PEER, len);
            let before = f.clone();
            assert!(reply(&mut f, &ReplyFrom::new(&PORT)));
            assert_eq!((&f[..6], &f[6..12], &f[12..]), (&PEER[..], &PORT[..], &before[12..]), "{len} bytes");
        }
    }

    #[test]
    fn the_scalar_reply_agrees_with_the_vector_reply_this_cpu_has() {
        let from = ReplyFrom::new(&PORT);
        let mut scalar = frame(BROADCAST, PEER, ETHER_HDR_LEN).try_into().unwrap();
        reply_header(&mut scalar, &from);
        assert_eq!((&scalar[..6], &scalar[6..12]), (&PEER[..], &PORT[..]));
        if let Some(vector_reply) = arch::VECTOR_REPLY {
            let mut vector: [u8; 16] = frame(BROADCAST, PEER, 16).try_into().unwrap();
            vector_reply(&mut vector, &from.0);
            assert_eq!(vector[..ETHER_HDR_LEN], scalar);
        }
    }

    #[test]
    fn a_bare_header_is_rewritten() {
        let mut f = frame(PORT, PEER, ETHER_HDR_LEN);
        assert!(reply(&mut f, &ReplyFrom::new(&PORT)));
        assert_eq!(f[..6], PEER);
    }

    proptest::proptest! {
        /// Any bytes at all: a frame of 14 bytes or more changes in its 12
        /// address bytes only, exactly as the mode says; a shorter one is
        /// refused untouched. (Slices make a read past the end a panic.)
        #[test]
        fn any_frame_is_rewritten_exactly_or_refused(
            frame in proptest::collection::vec(proptest::num::u8::ANY, 0..2048),
            mac in proptest::array::uniform6(proptest::num::u8::ANY),
        ) {
            let mut replied = frame.clone();
            let mut swapped = frame.clone();
            let ok_reply = reply(&mut replied, &ReplyFrom::new(&mac));
            let ok_swap = swap(&mut swapped);
            proptest::prop_assert_eq!(ok_reply, frame.len() >= ETHER_HDR_LEN);
            proptest::prop_assert_eq!(ok_swap, frame.len() >= ETHER_HDR_LEN);
            if frame.len() < ETHER_HDR_LEN {
                proptest::prop_assert_eq!(&replied, &frame);
                proptest::prop_assert_eq!(&swapped, &frame);
            } else {
                proptest::prop_assert_eq!(&replied[..6], &frame[6..12]);
                proptest::prop_assert_eq!(&replied[6..12], &mac[..]);
                proptest::prop_assert_eq!(&swapped[..6], &frame[6..12]);
                proptest::prop_assert_eq!(&swapped[6..12], &frame[..6]);
                proptest::prop_assert_eq!(&replied[12..], &frame[12..]);
                proptest::prop_assert_eq!(&swapped[12..], &frame[12..]);
            }
        }
    }

    #[test]
    fn runts_are_refused_and_left_alone() {
        for len in 0..ETHER_HDR_LEN {
            let mut f: Vec<u8> = (0..len as u8).collect();
            let before = f.clone();
            assert!(!reply(&mut f, &ReplyFrom::new(&PORT)), "reply accepted a {len}-byte frame");
            assert!(!swap(&mut f), "swap accepted a {len}-byte frame");
            assert_eq!(f, before);
        }
    }
}
