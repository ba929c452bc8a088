//! The Internet checksum (RFC 1071) of IPv4, ICMP and UDP: the probe's IPv4
//! header carries one, and the echo's `--mode icmp` checks and rewrites them;
//! and which IPv4 addresses a host can have.

use std::net::Ipv4Addr;

/// Whether `ip` can be a host's own address: not unspecified, broadcast,
/// multicast, loopback or reserved (240/4).
pub fn is_host_address(ip: Ipv4Addr) -> bool {
    !(ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_loopback()
        || ip.octets()[0] >= 240)
}

/// The one's-complement sum of `bytes` read as big-endian 16-bit words (an
/// odd last byte padded with a zero), folded to 16 bits. Not complemented:
/// a header whose checksum field is right sums to 0xffff.
pub fn ones_sum(bytes: &[u8]) -> u16 {
    let mut words = bytes.chunks_exact(2);
    let mut sum: u64 = words.by_ref().map(|w| u64::from(u16::from_be_bytes([w[0], w[1]]))).sum();
    if let [last] = words.remainder() {
        sum += u64::from(*last) << 8;
    }
    fold(sum)
}

/// The checksum of `bytes`, to be written into its field (zeroed first).
pub fn checksum(bytes: &[u8]) -> u16 {
    !ones_sum(bytes)
}

/// Whether `bytes`, checksum field included, carry a right checksum.
pub fn is_valid(bytes: &[u8]) -> bool {
    ones_sum(bytes) == 0xffff
}

/// Whether a UDP datagram's checksum (not 0) is right: over the IPv4
/// pseudo-header (addresses, protocol, UDP length) and `udp`, whose length
/// field must be its length.
pub fn udp_is_valid(ip: &[u8], udp: &[u8]) -> bool {
    let Ok(len) = u16::try_from(udp.len()) else {
        return false;
    };
    if ip.len() < 20 || udp.len() < 8 || udp[4..6] != len.to_be_bytes() {
        return false;
    }
    let pseudo = u64::from(ones_sum(&ip[12..20])) + 17 + u64::from(len);
    fold(pseudo + u64::from(ones_sum(udp))) == 0xffff
}

fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_is_rfc_1071s() {
        // The textbook IPv4 header (its sum carries into the upper half).
        let header =
            [0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7];
        assert_eq!(checksum(&header), 0xb861);
        assert_eq!(checksum(&[0; 20]), 0xffff);
        // RFC 1071's worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        assert_eq!(ones_sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0xddf2);
    }

    #[test]
    fn a_udp_checksum_covers_the_pseudo_header_and_the_length_must_agree() {
        let ip = [0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let mut udp = vec![0x9c, 0x40, 0x23, 0x28, 0, 10, 0, 0, b'h', b'i'];
        // By hand: 0a00+0001+0a00+0002 + 0011 + 000a, then the datagram.
        let sum: u32 =
            [0x0a00, 0x0001, 0x0a00, 0x0002, 0x0011, 0x000a, 0x9c40, 0x2328, 0x000a, 0x6869].iter().sum();
        let checksum = !(((sum & 0xffff) + (sum >> 16)) as u16);
        udp[6..8].copy_from_slice(&checksum.to_be_bytes());
        assert!(udp_is_valid(&ip, &udp));
        let mut other_host = ip;
        other_host[19] = 3;
        assert!(!udp_is_valid(&other_host, &udp), "the pseudo-header counts");
        udp.push(0);
        assert!(!udp_is_valid(&ip, &udp), "a length field that is not the datagram's");
    }

    /// A datagram of `udp` bytes from 10.0.0.1 to 10.0.0.2, its length
    /// field its length and its checksum summed here by hand.
    fn datagram(mut udp: Vec<u8>) -> ([u8; 20], Vec<u8>) {
        let ip = [0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let len = udp.len() as u16;
        udp[4..6].copy_from_slice(&len.to_be_bytes());
        udp[6..8].fill(0);
        let words = udp.chunks(2).map(|w| u32::from(w[0]) << 8 | u32::from(*w.get(1).unwrap_or(&0)));
        let mut sum: u32 = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + u32::from(len) + words.sum::<u32>();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        udp[6..8].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        (ip, udp)
    }

    #[test]
    fn a_udp_datagram_needs_its_whole_header_and_an_ip_header() {
        let (ip, udp) = datagram(vec![0x9c, 0x40, 0x23, 0x28, 0, 0, 0, 0]);
        assert!(udp_is_valid(&ip, &udp), "a header and no data");
        assert!(!udp_is_valid(&ip[..19], &udp), "an IP header cut short");
        // 7 bytes whose source port makes the sum right all the same.
        let rest = ones_sum(&[&ip[12..20], &[0, 17, 0, 7], &[0x23, 0x28, 0, 7, 0]].concat());
        let short = [&(!rest).to_be_bytes()[..], &[0x23, 0x28, 0, 7, 0]].concat();
        assert_eq!(ones_sum(&[&ip[12..20], &[0, 17, 0, 7], &short[..]].concat()), 0xffff);
        assert!(!udp_is_valid(&ip, &short), "7 bytes are no UDP header");
    }

    #[test]
    fn an_odd_last_byte_is_padded_with_zero() {
        assert_eq!(ones_sum(&[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
        assert_eq!(ones_sum(&[0xff]), 0xff00);
    }

    #[test]
    fn a_filled_in_checksum_validates_and_a_flipped_bit_does_not() {
        let mut header =
            [0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7];
        let filled_in = checksum(&header);
        header[10..12].copy_from_slice(&filled_in.to_be_bytes());
        assert!(is_valid(&header));
        header[19] ^= 1;
        assert!(!is_valid(&header));
    }

    #[test]
    fn host_addresses_are_the_unicast_ones() {
        for ok in ["10.0.0.2", "192.168.64.3", "169.254.1.1", "198.18.0.2", "223.255.255.254"] {
            assert!(is_host_address(ok.parse().unwrap()), "{ok}");
        }
        for bad in ["0.0.0.0", "255.255.255.255", "224.0.0.1", "239.1.1.1", "127.0.0.1", "240.0.0.1"] {
            assert!(!is_host_address(bad.parse().unwrap()), "{bad}");
        }
    }
}
