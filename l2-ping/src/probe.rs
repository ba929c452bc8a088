//! The probe frame: built by l2_ping, rewritten by the echo, checked on return.
//!
//! Ethernet header, then (with `--flows`) IPv4 + UDP headers, then the probe:
//! magic (8), session (4), sequence number (8), send time in ns (8), and a
//! fill pattern up to the frame size. All integers big-endian.

use std::fmt;
use std::str::FromStr;

pub const MAGIC: [u8; 8] = *b"L2PING\x00\x01";
/// IEEE 802 "local experimental" EtherType: never claimed by a real protocol.
pub const ETHERTYPE_PROBE: u16 = 0x88b5;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHER_HDR: usize = 14;
const IPV4_HDR: usize = 20;
const UDP_HDR: usize = 8;
const PROBE_HDR: usize = 8 + 4 + 8 + 8;
/// The shortest Ethernet frame without FCS: shorter ones get padded on the
/// way, and would no longer compare equal.
pub const MIN_FRAME: usize = 60;
/// The largest probe: a 9000-byte jumbo frame.
pub const MAX_FRAME: usize = 9000;
/// RFC 2544's benchmarking range: never routed anywhere.
const IP_SRC: [u8; 4] = [198, 18, 0, 1];
const IP_DST: [u8; 4] = [198, 18, 0, 2];
const UDP_SRC_BASE: u16 = 40000;
const UDP_DST_BASE: u16 = 9000;
/// Most flows `--flows` takes (distinct UDP port pairs).
pub const MAX_FLOWS: u32 = 16384;

/// A 48-bit Ethernet address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mac(pub [u8; 6]);

impl FromStr for Mac {
    type Err = String;
    fn from_str(s: &str) -> Result<Mac, String> {
        let bad = || format!("`{s}` is not a MAC address (expected six hex bytes like 52:54:00:12:34:56)");
        let parts: Vec<&str> = s.split([':', '-']).collect();
        if parts.len() != 6 {
            return Err(bad());
        }
        let mut mac = [0u8; 6];
        for (byte, part) in mac.iter_mut().zip(parts) {
            // from_str_radix alone would take "052" and "+5".
            if !(1..=2).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        Ok(Mac(mac))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// What a received probe turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Back from the echo, addressed to us, payload intact.
    Good,
    /// Payload intact, but not sent back to us by the echo: (dst, src) seen.
    WrongAddresses(Mac, Mac),
    /// The bytes after the addresses differ from what was sent.
    Corrupt,
}

/// How this run's probes look.
#[derive(Debug, Clone, Copy)]
pub struct ProbeSpec {
    /// Our address: replies must come to it.
    local: Mac,
    /// The echo port: probes go to it and replies must come from it.
    remote: Mac,
    /// Frame length in bytes, without FCS.
    size: usize,
    /// 0: raw frames of EtherType 0x88b5; N: IPv4/UDP over N port pairs.
    flows: u32,
    /// Tells this run's probes from any other's.
    session: u32,
}

impl ProbeSpec {
    /// A spec, if `size` is in [`ProbeSpec::size_range`] and `flows` at most
    /// [`MAX_FLOWS`].
    pub fn new(local: Mac, remote: Mac, size: usize, flows: u32, session: u32) -> Result<ProbeSpec, String> {
        if flows > MAX_FLOWS {
            return Err(format!("{flows} flows: at most {MAX_FLOWS}"));
        }
        let sizes = ProbeSpec::size_range(flows);
        if !sizes.contains(&size) {
            let with = if flows > 0 { format!(" with --flows {flows}") } else { String::new() };
            return Err(format!("{size} bytes: must be from {} to {}{with}", sizes.start(), sizes.end()));
        }
        Ok(ProbeSpec { local, remote, size, flows, session })
    }

    /// The frame sizes a probe can have: from the smallest that holds the
    /// headers and the probe to a jumbo frame.
    pub fn size_range(flows: u32) -> std::ops::RangeInclusive<usize> {
        MIN_FRAME.max(payload_offset(flows) + PROBE_HDR)..=MAX_FRAME
    }

    pub fn local(&self) -> Mac {
        self.local
    }

    pub fn remote(&self) -> Mac {
        self.remote
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// The probe with sequence number `seq`, stamped `sent_ns`, into `frame`.
    pub fn build(&self, seq: u64, sent_ns: u64, frame: &mut Vec<u8>) {
        frame.clear();
        frame.extend_from_slice(&self.remote.0);
        frame.extend_from_slice(&self.local.0);
        if self.flows == 0 {
            frame.extend_from_slice(&ETHERTYPE_PROBE.to_be_bytes());
        } else {
            frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
            let flow = (seq % u64::from(self.flows)) as u16;
            self.push_ipv4_udp(flow, frame);
        }
        frame.extend_from_slice(&MAGIC);
        frame.extend_from_slice(&self.session.to_be_bytes());
        frame.extend_from_slice(&seq.to_be_bytes());
        frame.extend_from_slice(&sent_ns.to_be_bytes());
        let start = frame.len();
        frame.extend((start..self.size).map(|i| (seq as u8).wrapping_add(i as u8)));
    }

    fn push_ipv4_udp(&self, flow: u16, frame: &mut Vec<u8>) {
        let ip_len = (self.size - ETHER_HDR) as u16;
        let mut ip = [0u8; IPV4_HDR];
        ip[0] = 0x45; // version 4, 5 words
        ip[2..4].copy_from_slice(&ip_len.to_be_bytes());
        ip[6] = 0x40; // don't fragment
        ip[8] = 64; // TTL
        ip[9] = 17; // UDP
        ip[12..16].copy_from_slice(&IP_SRC);
        ip[16..20].copy_from_slice(&IP_DST);
        let checksum = ipv4_checksum(&ip);
        ip[10..12].copy_from_slice(&checksum.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&(UDP_SRC_BASE + flow).to_be_bytes());
        frame.extend_from_slice(&(UDP_DST_BASE + flow).to_be_bytes());
        frame.extend_from_slice(&(ip_len - IPV4_HDR as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0]); // no UDP checksum (allowed over IPv4)
    }

    /// `(seq, sent_ns)` if `frame` carries one of this run's probes, whatever
    /// its addresses; None for any other frame.
    pub fn identify(&self, frame: &[u8]) -> Option<(u64, u64)> {
        let probe = frame.get(payload_offset(self.flows)..)?;
        let ethertype = u16::from_be_bytes(frame.get(12..14)?.try_into().ok()?);
        let expected = if self.flows == 0 { ETHERTYPE_PROBE } else { ETHERTYPE_IPV4 };
        if ethertype != expected || probe.get(..8)? != MAGIC {
            return None;
        }
        if u32::from_be_bytes(probe.get(8..12)?.try_into().ok()?) != self.session {
            return None;
        }
        let seq = u64::from_be_bytes(probe.get(12..20)?.try_into().ok()?);
        let sent_ns = u64::from_be_bytes(probe.get(20..28)?.try_into().ok()?);
        Some((seq, sent_ns))
    }

    /// Checks a reply against the probe `seq` that was sent at `sent_ns`:
    /// only the 12 address bytes may differ, and they must say "from the echo
    /// port, to us".
    pub fn check_reply(&self, frame: &[u8], seq: u64, sent_ns: u64, scratch: &mut Vec<u8>) -> Verdict {
        self.build(seq, sent_ns, scratch);
        if frame.len() != scratch.len() || frame[12..] != scratch[12..] {
            return Verdict::Corrupt;
        }
        let dst = Mac(frame[..6].try_into().unwrap());
        let src = Mac(frame[6..12].try_into().unwrap());
        if dst == self.local && src == self.remote {
            Verdict::Good
        } else {
            Verdict::WrongAddresses(dst, src)
        }
    }
}

fn payload_offset(flows: u32) -> usize {
    if flows == 0 {
        ETHER_HDR
    } else {
        ETHER_HDR + IPV4_HDR + UDP_HDR
    }
}

fn ipv4_checksum(header: &[u8; IPV4_HDR]) -> u16 {
    let mut sum: u32 = header.chunks(2).map(|w| u32::from(u16::from_be_bytes([w[0], w[1]]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: Mac = Mac([0x02, 0, 0, 0, 0, 0x01]);
    const ECHO: Mac = Mac([0x52, 0x54, 0, 0x12, 0x34, 0x56]);

    fn spec(flows: u32, size: usize) -> ProbeSpec {
        ProbeSpec::new(US, ECHO, size, flows, 0xabcd).unwrap()
    }

    /// What an echo in reply mode sends back.
    fn echoed(frame: &[u8]) -> Vec<u8> {
        let mut f = frame.to_vec();
        f[..6].copy_from_slice(&US.0);
        f[6..12].copy_from_slice(&ECHO.0);
        f
    }

    #[test]
    fn macs_parse_and_print() {
        assert_eq!("52:54:00:12:34:56".parse::<Mac>().unwrap(), ECHO);
        assert_eq!("52-54-00-12-34-56".parse::<Mac>().unwrap(), ECHO);
        assert_eq!(ECHO.to_string(), "52:54:00:12:34:56");
        let bad_macs = [
            "",
            "52:54:00:12:34",
            "52:54:00:12:34:56:78",
            "52:54:00:12:34:zz",
            "525:4:00:12:34:56",
            "052:54:00:12:34:56",
            "+5:54:00:12:34:56",
            "52::00:12:34:56",
        ];
        for bad in bad_macs {
            assert!(bad.parse::<Mac>().is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn a_probe_has_the_asked_size_and_identifies_itself() {
        for flows in [0, 32] {
            let s = spec(flows, 128);
            let mut f = Vec::new();
            s.build(7, 123_456, &mut f);
            assert_eq!(f.len(), 128);
            assert_eq!(f[..6], ECHO.0);
            assert_eq!(f[6..12], US.0);
            assert_eq!(s.identify(&f), Some((7, 123_456)));
            assert_eq!(spec(flows, 128).identify(&f[..40]), None, "truncated");
            let other_run = ProbeSpec::new(US, ECHO, 128, flows, 1).unwrap();
            assert_eq!(other_run.identify(&f), None, "another run's probe");
        }
    }

    #[test]
    fn flows_vary_the_udp_ports_and_keep_a_valid_ip_header() {
        let s = spec(4, 70);
        let mut ports = std::collections::HashSet::new();
        let mut f = Vec::new();
        for seq in 0..8 {
            s.build(seq, 1, &mut f);
            assert_eq!(f[12..14], [0x08, 0x00]);
            let ip: [u8; 20] = f[14..34].try_into().unwrap();
            assert_eq!(ipv4_checksum(&ip), 0, "the checksum of a valid header sums to zero");
            ports.insert((f[34..36].to_vec(), f[36..38].to_vec()));
        }
        assert_eq!(ports.len(), 4);
    }

    #[test]
    fn the_ip_and_udp_headers_are_exact() {
        let s = spec(32, 128);
        assert_eq!(s.size(), 128);
        let mut f = Vec::new();
        s.build(37, 1, &mut f); // flow 37 % 32 = 5
        let ip = [0x45, 0, 0, 114, 0, 0, 0x40, 0, 64, 17, 0xae, 0x53, 198, 18, 0, 1, 198, 18, 0, 2];
        assert_eq!(f[14..34], ip, "the checksum 0xae53 computed by hand");
        let udp = [0x9c, 0x45, 0x23, 0x2d, 0, 94, 0, 0]; // 40005 -> 9005, 94 bytes, no checksum
        assert_eq!(f[34..42], udp);
    }

    #[test]
    fn the_ipv4_checksum_is_rfc_1071s() {
        // The textbook header (its sum carries into the upper half): 0xb861.
        let header =
            [0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7];
        assert_eq!(ipv4_checksum(&header), 0xb861);
        assert_eq!(ipv4_checksum(&[0; 20]), 0xffff);
    }

    #[test]
    fn only_this_runs_probes_are_identified() {
        for flows in [0, 8] {
            let s = spec(flows, 96);
            let mut f = Vec::new();
            s.build(2, 5, &mut f);
            let mut other_type = f.clone();
            other_type[13] ^= 1;
            assert_eq!(s.identify(&other_type), None, "another ethertype");
            let mut no_magic = f.clone();
            no_magic[payload_offset(flows)] ^= 1;
            assert_eq!(s.identify(&no_magic), None, "no magic");
        }
    }

    #[test]
    fn a_reply_needs_both_addresses_right() {
        let s = spec(0, 64);
        let (mut f, mut scratch) = (Vec::new(), Vec::new());
        s.build(3, 99, &mut f);
        let mut to_echo = echoed(&f);
        to_echo[..6].copy_from_slice(&ECHO.0);
        assert_eq!(s.check_reply(&to_echo, 3, 99, &mut scratch), Verdict::WrongAddresses(ECHO, ECHO));
        let mut from_us = echoed(&f);
        from_us[6..12].copy_from_slice(&US.0);
        assert_eq!(s.check_reply(&from_us, 3, 99, &mut scratch), Verdict::WrongAddresses(US, US));
    }

    #[test]
    fn an_echoed_probe_is_good() {
        let s = spec(0, 64);
        let (mut f, mut scratch) = (Vec::new(), Vec::new());
        s.build(3, 99, &mut f);
        assert_eq!(s.check_reply(&echoed(&f), 3, 99, &mut scratch), Verdict::Good);
    }

    #[test]
    fn an_unchanged_probe_has_wrong_addresses() {
        let s = spec(0, 64);
        let (mut f, mut scratch) = (Vec::new(), Vec::new());
        s.build(3, 99, &mut f);
        assert_eq!(s.check_reply(&f, 3, 99, &mut scratch), Verdict::WrongAddresses(ECHO, US));
    }

    #[test]
    fn a_changed_payload_is_corrupt() {
        let s = spec(8, 80);
        let (mut f, mut scratch) = (Vec::new(), Vec::new());
        s.build(5, 42, &mut f);
        let good = echoed(&f);
        let mut flipped = good.clone();
        flipped[70] ^= 1;
        assert_eq!(s.check_reply(&flipped, 5, 42, &mut scratch), Verdict::Corrupt);
        assert_eq!(s.check_reply(&good[..79], 5, 42, &mut scratch), Verdict::Corrupt);
        assert_eq!(s.check_reply(&good, 5, 43, &mut scratch), Verdict::Corrupt, "wrong send time");
    }

    #[test]
    fn sizes_hold_the_probe_and_flows_are_bounded() {
        assert_eq!(ProbeSpec::size_range(0), 60..=9000);
        assert_eq!(ProbeSpec::size_range(1), 14 + 20 + 8 + 28..=9000);
        for (size, flows) in [(59, 0), (69, 1), (9001, 0), (100, MAX_FLOWS + 1)] {
            assert!(ProbeSpec::new(US, ECHO, size, flows, 0).is_err(), "{size} bytes, {flows} flows");
        }
        assert!(ProbeSpec::new(US, ECHO, 9000, MAX_FLOWS, 0).is_ok());
    }
}
