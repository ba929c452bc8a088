//! The probe frame: built by the sender, rewritten by the echo, checked on
//! return.
//!
//! Ethernet header, then (with flows) IPv4 + UDP headers, or (`--expect
//! icmp`) IPv4 + ICMP echo request headers, then the probe: magic (8),
//! session (4), sequence number (8), send stamp (8), and a fill pattern up to
//! the frame size. All integers big-endian. The stamp is on the
//! sender's own clock (l2_ping: nanoseconds; l2_load: the cycle counter at
//! the frame's scheduled time): only the sender reads it.

use std::str::FromStr;

use crate::inet;
use crate::mac::Mac;

pub const MAGIC: [u8; 8] = *b"L2PING\x00\x01";
/// IEEE 802 "local experimental" EtherType: never claimed by a real protocol.
pub const ETHERTYPE_PROBE: u16 = 0x88b5;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHER_HDR: usize = 14;
const IPV4_HDR: usize = 20;
const UDP_HDR: usize = 8;
const ICMP_HDR: usize = 8;
const IPPROTO_ICMP: u8 = 1;
const IPPROTO_UDP: u8 = 17;
const ICMP_ECHO_REQUEST: u8 = 8;
const ICMP_ECHO_REPLY: u8 = 0;
/// Where the IP header is, and the ICMP header after it.
const IP_AT: usize = ETHER_HDR;
const ICMP_AT: usize = ETHER_HDR + IPV4_HDR;
/// Where a flow's UDP ports are (with flows).
const UDP_PORTS: usize = ETHER_HDR + IPV4_HDR;
/// Magic and session: the same in every probe of a run.
const PROBE_ID: usize = 8 + 4;
/// Sequence number and stamp.
const PROBE_COUNTERS: usize = 8 + 8;
const PROBE_HDR: usize = PROBE_ID + PROBE_COUNTERS;
/// The headers and the probe's id, the longest with flows.
const HEAD_MAX: usize = ETHER_HDR + IPV4_HDR + UDP_HDR + PROBE_ID;
/// The shortest Ethernet frame without FCS: shorter ones get padded on the
/// way, and would no longer compare equal.
pub const MIN_FRAME: usize = 60;
/// The largest probe: a 9000-byte jumbo frame.
pub const MAX_FRAME: usize = 9000;
/// RFC 2544's benchmarking range, never routed anywhere: the sender's and
/// the echo's IPv4 addresses unless [`ProbeSpec::with_ips`] says otherwise.
pub const IP_SRC: [u8; 4] = [198, 18, 0, 1];
pub const IP_DST: [u8; 4] = [198, 18, 0, 2];
const UDP_SRC_BASE: u16 = 40000;
const UDP_DST_BASE: u16 = 9000;
/// Most flows a run takes (distinct UDP port pairs).
pub const MAX_FLOWS: u32 = 16384;

/// The fill pattern: the byte at offset `i` of probe `seq` is `seq + i`
/// (mod 256), so a probe's fill is `FILL[seq % 256 + start..]`: copied and
/// compared whole, not byte by byte.
static FILL: [u8; 256 + MAX_FRAME] = {
    let mut fill = [0u8; 256 + MAX_FRAME];
    let mut i = 0;
    while i < fill.len() {
        fill[i] = i as u8;
        i += 1;
    }
    fill
};

/// How the echo addresses a reply, as its `--mode` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// To us, from the echo port's own (unicast) MAC: `--dst` when that is
    /// unicast, any unicast address when `--dst` is a group address.
    Reply,
    /// To us, from the address we sent to (testpmd's macswap).
    Swap,
    /// Probes are ICMP echo requests: the reply must be an echo reply to us
    /// from the address we sent to, MAC and IP (as `Reply` for MACs), with
    /// identifier, sequence and data as sent and both checksums right. Any
    /// IP host answers them: the kernel, `l2_echo --mode icmp`.
    Icmp,
    /// Probes are UDP datagrams (with flows), each flow from a source port
    /// of its own to one destination port: the reply must come to us from
    /// the address and port we sent to (MAC as `Reply`), with the datagram
    /// as sent and the checksums right (a UDP checksum of 0: none). A UDP
    /// echo over sockets answers them.
    Udp,
}

impl FromStr for Expect {
    type Err = String;
    fn from_str(s: &str) -> Result<Expect, String> {
        match s {
            "reply" => Ok(Expect::Reply),
            "swap" => Ok(Expect::Swap),
            "icmp" => Ok(Expect::Icmp),
            "udp" => Ok(Expect::Udp),
            _ => Err(format!("`{s}`: expected reply, swap, icmp or udp")),
        }
    }
}

/// What a received probe turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Back from the echo, addressed to us, every other byte as sent.
    Good,
    /// Bytes intact, but not sent back to us as expected: (dst, src) seen.
    WrongAddresses(Mac, Mac),
    /// The bytes after the addresses differ from what was sent.
    Corrupt,
}

/// How this run's probes look.
#[derive(Debug, Clone, Copy)]
pub struct ProbeSpec {
    /// Our address: replies must come to it.
    local: Mac,
    /// Where probes go: the echo port, or a group address.
    remote: Mac,
    expect: Expect,
    /// Frame length in bytes, without FCS.
    size: usize,
    /// 0: raw frames of EtherType 0x88b5 (or ICMP echo requests); N:
    /// IPv4/UDP over N port pairs.
    flows: u32,
    /// The IPv4 source and destination of UDP and ICMP probes.
    ips: ([u8; 4], [u8; 4]),
    /// Tells this run's probes from any other's.
    session: u32,
    /// Every probe's first bytes, up to its counters (flow 0's UDP ports).
    head: [u8; HEAD_MAX],
    head_len: usize,
}

impl ProbeSpec {
    /// A spec, if `size` is in [`ProbeSpec::size_range`] and `flows` at most
    /// [`MAX_FLOWS`].
    pub fn new(
        local: Mac,
        remote: Mac,
        expect: Expect,
        size: usize,
        flows: u32,
        session: u32,
    ) -> Result<ProbeSpec, String> {
        if flows > MAX_FLOWS {
            return Err(format!("{flows} flows: at most {MAX_FLOWS}"));
        }
        if expect == Expect::Icmp && flows > 0 {
            return Err(format!("{flows} flows: ICMP probes are one flow"));
        }
        if expect == Expect::Udp && flows == 0 {
            return Err("UDP probes need flows (1 or more)".into());
        }
        let sizes = ProbeSpec::size_range(flows, expect);
        if !sizes.contains(&size) {
            let with = if flows > 0 { format!(" with --flows {flows}") } else { String::new() };
            return Err(format!("{size} bytes: must be from {} to {}{with}", sizes.start(), sizes.end()));
        }
        let mut spec = ProbeSpec {
            local,
            remote,
            expect,
            size,
            flows,
            ips: (IP_SRC, IP_DST),
            session,
            head: [0; HEAD_MAX],
            head_len: 0,
        };
        spec.head_len = payload_offset(flows, expect) + PROBE_ID;
        spec.fill_head();
        Ok(spec)
    }

    /// The frame sizes a probe can have: from the smallest that holds the
    /// headers and the probe to a jumbo frame.
    pub fn size_range(flows: u32, expect: Expect) -> std::ops::RangeInclusive<usize> {
        MIN_FRAME.max(payload_offset(flows, expect) + PROBE_HDR)..=MAX_FRAME
    }

    /// The same probes between other IPv4 addresses (UDP and ICMP probes).
    pub fn with_ips(&self, src: [u8; 4], dst: [u8; 4]) -> ProbeSpec {
        let mut spec = ProbeSpec { ips: (src, dst), ..*self };
        spec.fill_head();
        spec
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

    pub fn flows(&self) -> u32 {
        self.flows
    }

    pub fn session(&self) -> u32 {
        self.session
    }

    /// The same probes under another session id: a new trial's, so that a
    /// straggler from the last is not taken for one of its own.
    pub fn with_session(&self, session: u32) -> ProbeSpec {
        let mut spec = ProbeSpec { session, ..*self };
        spec.fill_head();
        spec
    }

    /// The flow probe `seq` belongs to (0 without flows).
    #[inline(always)]
    pub fn flow_of(&self, seq: u64) -> u32 {
        flow_of(seq, self.flows.max(1))
    }

    fn fill_head(&mut self) {
        let first_ports = self.ports(0);
        let head = &mut self.head;
        head[..6].copy_from_slice(&self.remote.0);
        head[6..12].copy_from_slice(&self.local.0);
        let probe = payload_offset(self.flows, self.expect);
        if probe == ETHER_HDR {
            head[12..14].copy_from_slice(&ETHERTYPE_PROBE.to_be_bytes());
        } else {
            head[12..14].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
            let ip_len = (self.size - ETHER_HDR) as u16;
            let icmp = self.expect == Expect::Icmp;
            let ip = &mut head[IP_AT..ICMP_AT];
            ip[0] = 0x45; // version 4, 5 words
            ip[2..4].copy_from_slice(&ip_len.to_be_bytes());
            ip[6] = 0x40; // don't fragment
            ip[8] = 64; // TTL
            ip[9] = if icmp { IPPROTO_ICMP } else { IPPROTO_UDP };
            ip[12..16].copy_from_slice(&self.ips.0);
            ip[16..20].copy_from_slice(&self.ips.1);
            ip[10..12].fill(0); // a head filled again (another session) has one
            let checksum = inet::checksum(ip);
            ip[10..12].copy_from_slice(&checksum.to_be_bytes());
            if icmp {
                // An echo request whose identifier is the session's low half;
                // its sequence and checksum are each probe's own.
                let icmp = &mut head[ICMP_AT..ICMP_AT + ICMP_HDR];
                icmp[0] = ICMP_ECHO_REQUEST;
                icmp[4..6].copy_from_slice(&(self.session as u16).to_be_bytes());
            } else {
                let udp = &mut head[UDP_PORTS..UDP_PORTS + UDP_HDR];
                udp[..4].copy_from_slice(&first_ports);
                udp[4..6].copy_from_slice(&(ip_len - IPV4_HDR as u16).to_be_bytes());
                // bytes 6..8: no UDP checksum (allowed over IPv4)
            }
        }
        head[probe..probe + 8].copy_from_slice(&MAGIC);
        head[probe + 8..probe + PROBE_ID].copy_from_slice(&self.session.to_be_bytes());
    }

    /// Flow `flow`'s UDP source and destination ports, as on the wire: a
    /// pair of its own, or (`Expect::Udp`, for a socket on one port) a
    /// source port of its own.
    #[inline(always)]
    fn ports(&self, flow: u32) -> [u8; 4] {
        let [a, b] = (UDP_SRC_BASE + flow as u16).to_be_bytes();
        let dst = if self.expect == Expect::Udp { UDP_DST_BASE } else { UDP_DST_BASE + flow as u16 };
        let [c, d] = dst.to_be_bytes();
        [a, b, c, d]
    }

    /// Writes probe `seq`, stamped `stamp`, into the first [`size`](Self::size)
    /// bytes of `frame`, which must hold them.
    #[inline(always)]
    pub fn build_into(&self, seq: u64, stamp: u64, frame: &mut [u8]) {
        let frame = &mut frame[..self.size];
        let (head, rest) = frame.split_at_mut(self.head_len);
        head.copy_from_slice(&self.head[..self.head_len]);
        if self.flows != 0 {
            head[UDP_PORTS..UDP_PORTS + 4].copy_from_slice(&self.ports(self.flow_of(seq)));
        }
        let (counters, fill) = rest.split_at_mut(PROBE_COUNTERS);
        counters[..8].copy_from_slice(&seq.to_be_bytes());
        counters[8..].copy_from_slice(&stamp.to_be_bytes());
        fill.copy_from_slice(self.fill(seq));
        if self.expect == Expect::Icmp {
            let icmp = &mut frame[ICMP_AT..];
            icmp[6..8].copy_from_slice(&(seq as u16).to_be_bytes());
            let checksum = inet::checksum(icmp);
            icmp[2..4].copy_from_slice(&checksum.to_be_bytes());
        }
    }

    /// Probe `seq`'s fill, after its counters.
    #[inline(always)]
    fn fill(&self, seq: u64) -> &'static [u8] {
        let from = usize::from(seq as u8) + self.head_len + PROBE_COUNTERS;
        &FILL[from..from + self.size - self.head_len - PROBE_COUNTERS]
    }

    /// Probe `seq`, stamped `stamp`, into `frame` (resized to the probe).
    pub fn build(&self, seq: u64, stamp: u64, frame: &mut Vec<u8>) {
        frame.resize(self.size, 0);
        self.build_into(seq, stamp, frame);
    }

    /// `(seq, stamp)` if `frame` carries one of this run's probes, whatever
    /// its addresses and the rest of its bytes; None for any other frame.
    #[inline(always)]
    pub fn identify(&self, frame: &[u8]) -> Option<(u64, u64)> {
        // The EtherType, and the probe's id just before the counters: fixed
        // lengths, compared inline rather than by memcmp.
        let id_at = self.head_len - PROBE_ID;
        let ether: &[u8; 2] = frame.get(12..)?.first_chunk()?;
        let id: &[u8; PROBE_ID] = frame.get(id_at..)?.first_chunk()?;
        if ether != &self.head[12..14] || Some(id) != self.head[id_at..].first_chunk() {
            return None;
        }
        let counters = frame.get(self.head_len..self.head_len + PROBE_COUNTERS)?;
        let seq = u64::from_be_bytes(counters[..8].try_into().ok()?);
        let stamp = u64::from_be_bytes(counters[8..].try_into().ok()?);
        Some((seq, stamp))
    }

    /// Checks a reply against probe `seq` as sent, stamped `stamp`: every
    /// byte after the addresses as sent, and the addresses as `expect` says.
    #[inline(always)]
    pub fn check(&self, frame: &[u8], seq: u64, stamp: u64) -> Verdict {
        if frame.len() != self.size || !self.payload_matches(frame, seq, stamp) {
            return Verdict::Corrupt;
        }
        self.addressed(frame)
    }

    /// A frame whose bytes after the addresses are right: Good if it is
    /// addressed back to us as `expect` says.
    #[inline(always)]
    fn addressed(&self, frame: &[u8]) -> Verdict {
        let dst = Mac(frame[..6].try_into().expect("6 bytes"));
        let src = Mac(frame[6..12].try_into().expect("6 bytes"));
        if dst == self.local && self.source_ok(src) {
            Verdict::Good
        } else {
            Verdict::WrongAddresses(dst, src)
        }
    }

    /// [`check`](Self::check) of a frame that [`identify`](Self::identify)
    /// took for probe `seq`: what identify compared is not compared again.
    /// For raw probes that is every byte from the EtherType to the sequence
    /// number, so what is left is the length, the stamp, the fill and the
    /// addresses; other probes are checked whole.
    #[inline(always)]
    pub fn check_identified(&self, frame: &[u8], seq: u64, stamp: u64) -> Verdict {
        if payload_offset(self.flows, self.expect) != ETHER_HDR {
            return self.check(frame, seq, stamp);
        }
        let hl = self.head_len;
        if frame.len() != self.size
            || frame[hl + 8..hl + PROBE_COUNTERS] != stamp.to_be_bytes()
            || !same_bytes(&frame[hl + PROBE_COUNTERS..], self.fill(seq))
        {
            return Verdict::Corrupt;
        }
        self.addressed(frame)
    }

    /// Bytes 12 on of a frame of the right length, against probe `seq`.
    #[inline(always)]
    fn payload_matches(&self, frame: &[u8], seq: u64, stamp: u64) -> bool {
        let hl = self.head_len;
        if self.expect == Expect::Icmp {
            if !self.icmp_reply_headers_match(frame, seq) {
                return false;
            }
        } else if self.expect == Expect::Udp {
            if !self.udp_reply_headers_match(frame, seq) {
                return false;
            }
        } else if self.flows == 0 {
            if frame[12..hl] != self.head[12..hl] {
                return false;
            }
        } else if frame[12..UDP_PORTS] != self.head[12..UDP_PORTS]
            || frame[UDP_PORTS..UDP_PORTS + 4] != self.ports(self.flow_of(seq))
            || frame[UDP_PORTS + 4..hl] != self.head[UDP_PORTS + 4..hl]
        {
            return false;
        }
        if frame[hl..hl + 8] != seq.to_be_bytes() || frame[hl + 8..hl + PROBE_COUNTERS] != stamp.to_be_bytes()
        {
            return false;
        }
        same_bytes(&frame[hl + PROBE_COUNTERS..], self.fill(seq))
    }

    /// An ICMP echo reply's headers, against the request for probe `seq`:
    /// IPv4 from the address asked to us, unfragmented, its header checksum
    /// right (the replier picks its own TOS, id, DF and TTL); an echo reply
    /// with our identifier and `seq`'s sequence, its checksum right over the
    /// whole message; the probe's id after them.
    #[inline(always)]
    fn icmp_reply_headers_match(&self, frame: &[u8], seq: u64) -> bool {
        let icmp = &frame[ICMP_AT..];
        self.ip_reply_header_matches(frame, IPPROTO_ICMP)
            && icmp[..2] == [ICMP_ECHO_REPLY, 0]
            && icmp[4..6] == self.head[ICMP_AT + 4..ICMP_AT + 6]
            && icmp[6..8] == (seq as u16).to_be_bytes()
            && icmp[ICMP_HDR..ICMP_HDR + PROBE_ID] == self.head[ICMP_AT + ICMP_HDR..self.head_len]
            && inet::is_valid(icmp)
    }

    /// A UDP reply's headers, against the datagram of probe `seq`: IPv4 as
    /// for ICMP; from the port it went to, to the port it came from, as long
    /// as sent, its checksum right or none (0); the probe's id after them.
    #[inline(always)]
    fn udp_reply_headers_match(&self, frame: &[u8], seq: u64) -> bool {
        let (ip, udp) = (&frame[IP_AT..UDP_PORTS], &frame[UDP_PORTS..]);
        let sent = self.ports(self.flow_of(seq));
        self.ip_reply_header_matches(frame, IPPROTO_UDP)
            && udp[..2] == sent[2..]
            && udp[2..4] == sent[..2]
            && udp[4..6] == self.head[UDP_PORTS + 4..UDP_PORTS + 6]
            && udp[UDP_HDR..UDP_HDR + PROBE_ID] == self.head[UDP_PORTS + UDP_HDR..self.head_len]
            && (udp[6..8] == [0, 0] || inet::udp_is_valid(ip, udp))
    }

    /// The IPv4 header of a reply: of `protocol`, as long as the request,
    /// from the address asked to us, unfragmented, its checksum right (the
    /// replier picks its own TOS, id, DF and TTL).
    #[inline(always)]
    fn ip_reply_header_matches(&self, frame: &[u8], protocol: u8) -> bool {
        let ip = &frame[IP_AT..ICMP_AT];
        let head_ip = &self.head[IP_AT..ICMP_AT];
        let fragment = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff;
        frame[12..14] == self.head[12..14]
            && ip[0] == head_ip[0]
            && ip[2..4] == head_ip[2..4]
            && fragment == 0
            && ip[9] == protocol
            && ip[12..16] == self.ips.1
            && ip[16..20] == self.ips.0
            && inet::is_valid(ip)
    }

    #[inline(always)]
    fn source_ok(&self, src: Mac) -> bool {
        match self.expect {
            Expect::Swap => src == self.remote,
            Expect::Reply | Expect::Icmp | Expect::Udp if self.remote.is_group() => !src.is_group(),
            Expect::Reply | Expect::Icmp | Expect::Udp => src == self.remote,
        }
    }

    /// Where `frame` differs from the reply to probe `seq` stamped `stamp`:
    /// byte offsets, the first `limit` of them (a byte missing or extra
    /// counts). For reporting a bad frame; not for the fast path.
    pub fn differences(&self, frame: &[u8], seq: u64, stamp: u64, limit: usize) -> Vec<usize> {
        let mut expected = Vec::new();
        self.build(seq, stamp, &mut expected);
        expected[..6].copy_from_slice(&self.local.0);
        expected[6..12].copy_from_slice(&self.remote.0);
        if matches!(self.expect, Expect::Icmp | Expect::Udp) {
            // A reply: the addresses swapped, checksums redone, with the
            // replier's own TOS, id, DF and TTL.
            let whole = frame.len() == expected.len();
            let (ip, rest) = expected[IP_AT..].split_at_mut(IPV4_HDR);
            for at in [1, 4, 5, 8] {
                ip[at] = frame.get(IP_AT + at).copied().unwrap_or(ip[at]);
            }
            // Our probes set don't-fragment; the replier may clear it.
            if frame.get(IP_AT + 6).is_some_and(|flags| flags & 0x40 == 0) {
                ip[6] &= !0x40;
            }
            ip.copy_within(12..16, 16);
            ip[12..16].copy_from_slice(&self.ips.1);
            ip[10..12].fill(0);
            let checksum = inet::checksum(ip);
            ip[10..12].copy_from_slice(&checksum.to_be_bytes());
            if self.expect == Expect::Icmp {
                rest[0] = ICMP_ECHO_REPLY;
                rest[2..4].fill(0);
                let checksum = inet::checksum(rest);
                rest[2..4].copy_from_slice(&checksum.to_be_bytes());
            } else {
                // The ports swapped; no checksum (ours), or the frame's when right.
                let ports = [rest[2], rest[3], rest[0], rest[1]];
                rest[..4].copy_from_slice(&ports);
                if whole && inet::udp_is_valid(&frame[IP_AT..UDP_PORTS], &frame[UDP_PORTS..]) {
                    rest[6..8].copy_from_slice(&frame[UDP_PORTS + 6..UDP_PORTS + 8]);
                }
            }
        }
        // The source as `expect` says; a reply to a group address may come
        // from any unicast address, so a wrong one is wrong in all 6 bytes.
        let source_ok = frame.len() >= 12 && self.source_ok(Mac(frame[6..12].try_into().expect("6 bytes")));
        let any_source = self.expect != Expect::Swap && self.remote.is_group();
        let differs = |i: usize| frame.get(i) != expected.get(i);
        (0..frame.len().max(expected.len()))
            .filter(|&i| match i {
                6..12 => !source_ok && (any_source || differs(i)),
                _ => differs(i),
            })
            .take(limit)
            .collect()
    }
}

/// `seq % flows` for `flows` of at least 1; a mask when it is a power of two
/// (no division per frame).
#[inline(always)]
pub fn flow_of(seq: u64, flows: u32) -> u32 {
    let flows = u64::from(flows);
    if flows.is_power_of_two() {
        (seq & (flows - 1)) as u32
    } else {
        (seq % flows) as u32
    }
}

/// `a == b`, a short pair (a small probe's fill: 18 bytes at 60) compared
/// by overlapping 8-byte words inline rather than by a call to memcmp.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() || !(8..=32).contains(&n) {
        return a == b;
    }
    // The first and the last 8 (16) bytes, overlapping: all of 8 to 16 (32).
    if n < 16 {
        let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().expect("8 bytes"));
        (word(a, 0) ^ word(b, 0)) | (word(a, n - 8) ^ word(b, n - 8)) == 0
    } else {
        let word = |s: &[u8], at: usize| u128::from_ne_bytes(s[at..at + 16].try_into().expect("16 bytes"));
        (word(a, 0) ^ word(b, 0)) | (word(a, n - 16) ^ word(b, n - 16)) == 0
    }
}

/// Where the probe's magic starts, after the headers.
fn payload_offset(flows: u32, expect: Expect) -> usize {
    if expect == Expect::Icmp {
        ICMP_AT + ICMP_HDR
    } else if flows == 0 && expect != Expect::Udp {
        ETHER_HDR
    } else {
        UDP_PORTS + UDP_HDR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_byte_runs_compare_as_slices_do() {
        let a: Vec<u8> = (0..48u8).map(|i| i.wrapping_mul(37)).collect();
        for n in 0..=48 {
            let mut b = a[..n].to_vec();
            assert!(same_bytes(&a[..n], &b), "{n} bytes alike");
            for i in 0..n {
                b[i] ^= 0x10;
                assert!(!same_bytes(&a[..n], &b), "{n} bytes, byte {i} differs");
                b[i] ^= 0x10;
            }
            assert!(n == 0 || !same_bytes(&a[..n], &b[..n - 1]), "{n} against {} bytes", n - 1);
        }
    }

    const US: Mac = Mac([0x02, 0, 0, 0, 0, 0x01]);
    const ECHO: Mac = Mac([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    const BROADCAST: Mac = Mac([0xff; 6]);

    fn spec(flows: u32, size: usize) -> ProbeSpec {
        ProbeSpec::new(US, ECHO, Expect::Reply, size, flows, 0xabcd).unwrap()
    }

    /// What an echo in reply mode on port `port` sends back.
    fn replied(frame: &[u8], port: Mac) -> Vec<u8> {
        let mut f = frame.to_vec();
        f.copy_within(6..12, 0);
        f[6..12].copy_from_slice(&port.0);
        f
    }

    /// What an echo in swap mode sends back.
    fn swapped(frame: &[u8]) -> Vec<u8> {
        let mut f = frame.to_vec();
        f[..6].copy_from_slice(&frame[6..12]);
        f[6..12].copy_from_slice(&frame[..6]);
        f
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
            assert_eq!(s.identify(&f[..40]), None, "truncated");
            let other_run = ProbeSpec::new(US, ECHO, Expect::Reply, 128, flows, 1).unwrap();
            assert_eq!(other_run.identify(&f), None, "another run's probe");
            let next = s.with_session(1);
            assert_eq!((next.session(), next.identify(&f)), (1, None), "another trial's probe");
            let mut g = Vec::new();
            next.build(7, 123_456, &mut g);
            assert_eq!((g[..12] == f[..12], g.len()), (true, 128), "only the session differs...");
            assert_ne!(g, f, "... and it does");
            assert_eq!(other_run.identify(&g), Some((7, 123_456)));
        }
    }

    #[test]
    fn build_into_writes_exactly_the_probe() {
        let s = spec(4, 80);
        let (mut a, mut b) = (Vec::new(), vec![0xee; 100]);
        s.build(9, 77, &mut a);
        s.build_into(9, 77, &mut b);
        assert_eq!(b[..80], a[..]);
        assert!(b[80..].iter().all(|&x| x == 0xee), "nothing past the probe");
        s.build(10, 77, &mut a);
        assert_ne!(b[..80], a[..], "another seq, another probe");
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
            assert!(inet::is_valid(&ip), "a valid header");
            ports.insert((f[34..36].to_vec(), f[36..38].to_vec()));
            assert_eq!(s.flow_of(seq), (seq % 4) as u32);
        }
        for (seq, flows) in [(7, 1), (7, 3), (1 << 40, 5), (u64::MAX, 16384), (u64::MAX, 16383), (12, 6)] {
            assert_eq!(u64::from(flow_of(seq, flows)), seq % u64::from(flows), "{seq} % {flows}");
        }
        assert_eq!(ports.len(), 4);
        assert_eq!(spec(0, 60).flow_of(5), 0);
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
        assert_eq!(f[42..50], MAGIC);
        assert_eq!(f[50..54], 0xabcdu32.to_be_bytes());
        assert_eq!(f[54..62], 37u64.to_be_bytes());
        assert_eq!(f[62..70], 1u64.to_be_bytes());
        assert_eq!(f[70], 37u8.wrapping_add(70));
        assert_eq!(f[127], 37u8.wrapping_add(127));
        let mut long = Vec::new();
        ProbeSpec::new(US, ECHO, Expect::Reply, MAX_FRAME, 0, 1).unwrap().build(255, 0, &mut long);
        assert!(
            long[42..].iter().enumerate().all(|(i, &b)| b == 255u8.wrapping_add((42 + i) as u8)),
            "the fill wraps"
        );
    }

    #[test]
    fn a_spec_keeps_what_it_was_given_and_its_head_buffer_fits_the_longest_head() {
        let s = ProbeSpec::new(US, ECHO, Expect::Swap, 80, 3, 0xfeed).unwrap();
        assert_eq!((s.local(), s.remote(), s.size(), s.flows(), s.session()), (US, ECHO, 80, 3, 0xfeed));
        assert_eq!(s.head_len, HEAD_MAX, "UDP's head is the longest");
        assert_eq!(icmp_spec(70).head_len, HEAD_MAX, "ICMP's header is as long as UDP's");
    }

    #[test]
    fn a_frame_shorter_than_its_addresses_differs_everywhere_it_is_missing() {
        let s = spec(0, 64);
        let mut f = Vec::new();
        s.build(3, 9, &mut f);
        let reply = replied(&f, ECHO);
        assert_eq!(s.differences(&reply[..5], 3, 9, 4), vec![5, 6, 7, 8], "no panic on a 5-byte frame");
    }

    #[test]
    fn a_new_session_s_ip_header_still_sums_right() {
        let mut f = Vec::new();
        spec(4, 70).with_session(0xdead_beef).build(1, 2, &mut f);
        assert!(inet::is_valid(&f[14..34]), "a session's head filled again: {:02x?}", &f[14..34]);
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
            no_magic[payload_offset(flows, Expect::Reply)] ^= 1;
            assert_eq!(s.identify(&no_magic), None, "no magic");
            let mut other_session = f.clone();
            other_session[payload_offset(flows, Expect::Reply) + 11] ^= 1;
            assert_eq!(s.identify(&other_session), None, "another session");
        }
    }

    #[test]
    fn a_reply_needs_both_addresses_right() {
        let s = spec(0, 64);
        let mut f = Vec::new();
        s.build(3, 99, &mut f);
        let mut to_echo = replied(&f, ECHO);
        to_echo[..6].copy_from_slice(&ECHO.0);
        assert_eq!(s.check(&to_echo, 3, 99), Verdict::WrongAddresses(ECHO, ECHO));
        let mut from_us = replied(&f, ECHO);
        from_us[6..12].copy_from_slice(&US.0);
        assert_eq!(s.check(&from_us, 3, 99), Verdict::WrongAddresses(US, US));
    }

    #[test]
    fn an_echoed_probe_is_good_in_either_mode_to_a_unicast_port() {
        for flows in [0, 16] {
            for expect in [Expect::Reply, Expect::Swap] {
                let s = ProbeSpec::new(US, ECHO, expect, 100, flows, 1).unwrap();
                let mut f = Vec::new();
                s.build(3, 99, &mut f);
                assert_eq!(s.check(&replied(&f, ECHO), 3, 99), Verdict::Good);
                assert_eq!(s.check(&swapped(&f), 3, 99), Verdict::Good);
            }
        }
    }

    #[test]
    fn to_a_group_address_the_modes_differ() {
        let other_port = Mac([0x52, 0x54, 0, 0, 0, 9]);
        let mut f = Vec::new();
        let reply = ProbeSpec::new(US, BROADCAST, Expect::Reply, 64, 0, 1).unwrap();
        reply.build(1, 2, &mut f);
        assert_eq!(reply.check(&replied(&f, other_port), 1, 2), Verdict::Good, "from the echo's own MAC");
        assert_eq!(reply.check(&swapped(&f), 1, 2), Verdict::WrongAddresses(US, BROADCAST));
        let swap = ProbeSpec::new(US, BROADCAST, Expect::Swap, 64, 0, 1).unwrap();
        assert_eq!(swap.check(&swapped(&f), 1, 2), Verdict::Good);
        assert_eq!(swap.check(&replied(&f, other_port), 1, 2), Verdict::WrongAddresses(US, other_port));
    }

    #[test]
    fn an_unchanged_probe_has_wrong_addresses() {
        let s = spec(0, 64);
        let mut f = Vec::new();
        s.build(3, 99, &mut f);
        assert_eq!(s.check(&f, 3, 99), Verdict::WrongAddresses(ECHO, US));
    }

    #[test]
    fn any_changed_byte_after_the_addresses_is_corrupt() {
        for flows in [0, 8] {
            let s = spec(flows, 80);
            let mut f = Vec::new();
            s.build(5, 42, &mut f);
            let good = replied(&f, ECHO);
            assert_eq!(s.check(&good, 5, 42), Verdict::Good);
            for at in 12..80 {
                let mut flipped = good.clone();
                flipped[at] ^= 1;
                assert_eq!(s.check(&flipped, 5, 42), Verdict::Corrupt, "byte {at}, {flows} flows");
            }
            assert_eq!(s.check(&good[..79], 5, 42), Verdict::Corrupt);
            assert_eq!(s.check(&good, 5, 43), Verdict::Corrupt, "another stamp");
            assert_eq!(s.check(&good, 6, 42), Verdict::Corrupt, "another seq");
        }
    }

    #[test]
    fn differences_name_the_offsets() {
        let s = spec(0, 64);
        let mut f = Vec::new();
        s.build(5, 42, &mut f);
        let mut bad = replied(&f, ECHO);
        assert!(s.differences(&bad, 5, 42, 8).is_empty());
        bad[20] ^= 1;
        bad[63] ^= 1;
        bad[0] ^= 1;
        assert_eq!(s.differences(&bad, 5, 42, 8), vec![0, 20, 63]);
        assert_eq!(s.differences(&bad, 5, 42, 2), vec![0, 20]);
        assert_eq!(s.differences(&bad[..62], 5, 42, 8), vec![0, 20, 62, 63], "missing bytes count");
        let to_group = ProbeSpec::new(US, BROADCAST, Expect::Reply, 64, 0, 1).unwrap();
        to_group.build(1, 2, &mut f);
        assert!(to_group.differences(&replied(&f, ECHO), 1, 2, 8).is_empty(), "from any unicast port");
        assert_eq!(to_group.differences(&swapped(&f), 1, 2, 8), (6..12).collect::<Vec<_>>());
    }

    #[test]
    fn sizes_hold_the_probe_and_flows_are_bounded() {
        assert_eq!(ProbeSpec::size_range(0, Expect::Reply), 60..=9000);
        assert_eq!(ProbeSpec::size_range(1, Expect::Swap), 14 + 20 + 8 + 28..=9000);
        assert_eq!(ProbeSpec::size_range(0, Expect::Icmp), 14 + 20 + 8 + 28..=9000);
        assert!(ProbeSpec::new(US, ECHO, Expect::Icmp, 70, 1, 0).is_err(), "ICMP probes are one flow");
        for (size, flows) in [(59, 0), (69, 1), (9001, 0), (100, MAX_FLOWS + 1)] {
            assert!(
                ProbeSpec::new(US, ECHO, Expect::Reply, size, flows, 0).is_err(),
                "{size} bytes, {flows} flows"
            );
        }
        assert!(ProbeSpec::new(US, ECHO, Expect::Reply, 9000, MAX_FLOWS, 0).is_ok());
    }

    #[test]
    fn expect_parses() {
        assert_eq!("reply".parse::<Expect>(), Ok(Expect::Reply));
        assert_eq!("swap".parse::<Expect>(), Ok(Expect::Swap));
        assert_eq!("icmp".parse::<Expect>(), Ok(Expect::Icmp));
        assert_eq!("udp".parse::<Expect>(), Ok(Expect::Udp));
        assert!("macswap".parse::<Expect>().is_err());
    }

    const ME: [u8; 4] = [192, 0, 2, 1];
    const HOST: [u8; 4] = [192, 0, 2, 9];

    /// The Internet checksum, written here apart from inet's.
    fn sum16(bytes: &[u8]) -> u16 {
        let mut sum: u32 =
            bytes.chunks(2).map(|w| u32::from(w[0]) << 8 | u32::from(*w.get(1).unwrap_or(&0))).sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    /// What a host (the kernel) makes of an echo request: an echo reply from
    /// it to us, with its own IP id, TTL and flags.
    fn kernel_reply(request: &[u8]) -> Vec<u8> {
        let mut f = request.to_vec();
        f[..6].copy_from_slice(&US.0);
        f[6..12].copy_from_slice(&ECHO.0);
        let (ip, icmp) = f[14..].split_at_mut(20);
        ip[4..6].copy_from_slice(&[0xab, 0xcd]); // its own id
        ip[6] = 0; // no DF
        ip[8] = 255; // its own TTL
        ip.copy_within(12..16, 16);
        ip[12..16].copy_from_slice(&HOST);
        ip[10..12].fill(0);
        let c = sum16(ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        icmp[0] = 0;
        icmp[2..4].fill(0);
        let c = sum16(icmp);
        icmp[2..4].copy_from_slice(&c.to_be_bytes());
        f
    }

    /// A reply spoiled one way: its name, how, and whether the checksums are
    /// made right again after.
    type Spoil = (&'static str, fn(&mut Vec<u8>), bool);

    fn icmp_spec(size: usize) -> ProbeSpec {
        ProbeSpec::new(US, ECHO, Expect::Icmp, size, 0, 0x1234_5678).unwrap().with_ips(ME, HOST)
    }

    #[test]
    fn an_icmp_probe_is_an_echo_request_any_host_answers() {
        let s = icmp_spec(98);
        let mut f = Vec::new();
        s.build(0x1_0002, 77, &mut f);
        assert_eq!(f.len(), 98);
        assert_eq!((&f[..6], &f[6..12], &f[12..14]), (&ECHO.0[..], &US.0[..], &[8, 0][..]));
        let (ip, icmp) = f[14..].split_at(20);
        assert_eq!((ip[0], u16::from_be_bytes([ip[2], ip[3]]), ip[9]), (0x45, 84, 1));
        assert_eq!((&ip[12..16], &ip[16..20]), (&ME[..], &HOST[..]));
        assert_eq!((sum16(ip), sum16(icmp)), (0, 0), "both checksums right");
        assert_eq!(icmp[..2], [8, 0], "an echo request");
        assert_eq!(icmp[4..8], [0x56, 0x78, 0, 2], "identifier: the session's low half; sequence: seq's");
        assert_eq!(icmp[8..16], MAGIC);
        assert_eq!(s.identify(&f), Some((0x1_0002, 77)));
        let reply = kernel_reply(&f);
        assert_eq!(s.identify(&reply), Some((0x1_0002, 77)), "the reply carries the probe");
        assert_eq!(s.check(&reply, 0x1_0002, 77), Verdict::Good);
        assert!(s.differences(&reply, 0x1_0002, 77, 8).is_empty(), "the replier's own id, TTL, flags");
    }

    #[test]
    fn a_reply_that_keeps_don_t_fragment_or_drops_it_shows_no_difference() {
        let s = icmp_spec(70);
        let mut f = Vec::new();
        s.build(4, 8, &mut f);
        let mut keeps = kernel_reply(&f);
        keeps[20] = 0x40; // DF, as the request had it (l2_echo --mode icmp)
        keeps[24..26].fill(0);
        let c = sum16(&keeps[14..34]);
        keeps[24..26].copy_from_slice(&c.to_be_bytes());
        for reply in [kernel_reply(&f), keeps] {
            assert_eq!(s.check(&reply, 4, 8), Verdict::Good);
            assert!(s.differences(&reply, 4, 8, 8).is_empty(), "flags {:02x}", reply[20]);
        }
    }

    #[test]
    fn a_wrong_source_shows_only_its_wrong_bytes() {
        let s = spec(0, 64);
        let mut f = Vec::new();
        s.build(3, 99, &mut f);
        let mut almost = ECHO;
        almost.0[5] ^= 1;
        assert_eq!(s.differences(&replied(&f, almost), 3, 99, 8), vec![11]);
    }

    #[test]
    fn an_icmp_reply_must_be_right_in_every_field_the_request_fixed() {
        let s = icmp_spec(70);
        let mut f = Vec::new();
        s.build(9, 1000, &mut f);
        let good = kernel_reply(&f);
        assert_eq!(s.check(&good, 9, 1000), Verdict::Good);
        // Each spoils one thing and keeps both checksums right (unless the
        // checksum is the thing), so only that thing can fail the check.
        let fix = |f: &mut Vec<u8>| {
            let (ip, icmp) = f[14..].split_at_mut(20);
            ip[10..12].fill(0);
            let c = sum16(ip);
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            icmp[2..4].fill(0);
            let c = sum16(icmp);
            icmp[2..4].copy_from_slice(&c.to_be_bytes());
        };
        let cases: [Spoil; 11] = [
            ("still a request", |f| f[34] = 8, true),
            ("another code", |f| f[35] = 1, true),
            ("another identifier", |f| f[38] ^= 1, true),
            ("another sequence", |f| f[41] ^= 1, true),
            ("other data", |f| f[69] ^= 1, true),
            ("from another host", |f| f[29] ^= 1, true),
            ("to another host", |f| f[33] ^= 1, true),
            ("a fragment", |f| f[20] |= 0x20, true),
            ("not ICMP", |f| f[23] = 17, true),
            ("a wrong IP checksum", |f| f[24] ^= 1, false),
            ("a wrong ICMP checksum", |f| f[36] ^= 1, false),
        ];
        for (name, spoil, refix) in cases {
            let mut bad = good.clone();
            spoil(&mut bad);
            if refix {
                fix(&mut bad);
            }
            assert_eq!(s.check(&bad, 9, 1000), Verdict::Corrupt, "{name}");
            assert!(!s.differences(&bad, 9, 1000, 64).is_empty(), "{name}: no difference shown");
        }
        let mut from_elsewhere = good.clone();
        from_elsewhere[6..12].copy_from_slice(&US.0);
        assert_eq!(s.check(&from_elsewhere, 9, 1000), Verdict::WrongAddresses(US, US));
    }

    /// What a UDP echo over sockets sends back: the addresses and ports
    /// swapped, the datagram as it came, a checksum of its own kernel's.
    fn socket_reply(request: &[u8]) -> Vec<u8> {
        let mut f = kernel_reply(request); // MACs and IPs swapped, IP checksum redone
        f[34..38].copy_from_slice(&[request[36], request[37], request[34], request[35]]);
        f[40..42].fill(0);
        let udp_len = (f.len() - 34) as u16;
        let pseudo = [&f[26..34], &[0, 17], &udp_len.to_be_bytes()[..], &f[34..]].concat();
        let c = sum16(&pseudo);
        f[40..42].copy_from_slice(&c.to_be_bytes());
        f
    }

    fn udp_spec(size: usize, flows: u32) -> ProbeSpec {
        ProbeSpec::new(US, ECHO, Expect::Udp, size, flows, 0x1234_5678).unwrap().with_ips(ME, HOST)
    }

    #[test]
    fn udp_probes_go_from_a_port_per_flow_to_one_port() {
        let s = udp_spec(80, 4);
        let mut f = Vec::new();
        for seq in 0..8u64 {
            s.build(seq, 5, &mut f);
            let ports = [u16::from_be_bytes([f[34], f[35]]), u16::from_be_bytes([f[36], f[37]])];
            assert_eq!(ports, [40000 + (seq % 4) as u16, 9000], "seq {seq}");
            assert_eq!((&f[26..30], &f[30..34], f[23]), (&ME[..], &HOST[..], 17));
            assert_eq!(s.check(&socket_reply(&f), seq, 5), Verdict::Good, "seq {seq}");
            assert!(s.differences(&socket_reply(&f), seq, 5, 8).is_empty());
        }
        assert!(ProbeSpec::new(US, ECHO, Expect::Udp, 80, 0, 1).is_err(), "UDP probes need flows");
    }

    #[test]
    fn a_udp_reply_must_be_right_in_every_field_the_request_fixed() {
        let s = udp_spec(90, 2);
        let mut f = Vec::new();
        s.build(3, 77, &mut f);
        let good = socket_reply(&f);
        let mut no_checksum = good.clone();
        no_checksum[40..42].fill(0);
        assert_eq!(s.check(&no_checksum, 3, 77), Verdict::Good, "0: no UDP checksum, allowed");
        let fix = |f: &mut Vec<u8>| {
            f[24..26].fill(0);
            let c = sum16(&f[14..34]);
            f[24..26].copy_from_slice(&c.to_be_bytes());
            *f = socket_reply_of_reply(f);
        };
        let cases: [Spoil; 8] = [
            ("from another port", |f| f[35] ^= 1, true),
            ("to another port", |f| f[37] ^= 1, true),
            ("another length", |f| f[39] ^= 1, true),
            ("other data", |f| f[89] ^= 1, true),
            ("from another host", |f| f[29] ^= 1, true),
            ("not UDP", |f| f[23] = 6, true),
            ("a wrong UDP checksum", |f| f[41] ^= 1, false),
            ("a wrong IP checksum", |f| f[24] ^= 1, false),
        ];
        for (name, spoil, refix) in cases {
            let mut bad = good.clone();
            spoil(&mut bad);
            if refix {
                fix(&mut bad);
            }
            assert_eq!(s.check(&bad, 3, 77), Verdict::Corrupt, "{name}");
            assert!(!s.differences(&bad, 3, 77, 64).is_empty(), "{name}: no difference shown");
        }
    }

    /// A reply's UDP checksum computed again over what it now holds.
    fn socket_reply_of_reply(f: &[u8]) -> Vec<u8> {
        let mut f = f.to_vec();
        f[40..42].fill(0);
        let udp_len = (f.len() - 34) as u16;
        let pseudo = [&f[26..34], &[0, f[23]], &udp_len.to_be_bytes()[..], &f[34..]].concat();
        let c = sum16(&pseudo);
        f[40..42].copy_from_slice(&c.to_be_bytes());
        f
    }

    /// check_identified skips what identify compared: on every frame identify
    /// takes for a probe (every byte flipped in turn, a byte short or long,
    /// the wrong stamp, the addresses of each kind of reply), it says what
    /// check says, for every kind of probe.
    #[test]
    fn an_identified_frame_is_judged_as_check_judges_it() {
        let specs = [
            spec(0, 80),
            ProbeSpec::new(US, ECHO, Expect::Swap, 60, 0, 7).unwrap(),
            ProbeSpec::new(US, BROADCAST, Expect::Reply, 64, 0, 7).unwrap(),
            spec(8, 80),
            icmp_spec(80),
            udp_spec(80, 2),
        ];
        for s in &specs {
            let mut f = Vec::new();
            s.build(5, 42, &mut f);
            let replies = [replied(&f, ECHO), swapped(&f), f.clone(), kernel_reply(&f), socket_reply(&f)];
            for reply in &replies {
                let mut frames =
                    vec![reply.clone(), reply[..reply.len() - 1].to_vec(), [&reply[..], &[0]].concat()];
                for at in 0..reply.len() {
                    let mut flipped = reply.clone();
                    flipped[at] ^= 0x10;
                    frames.push(flipped);
                }
                for frame in &frames {
                    let Some((seq, _)) = s.identify(frame) else { continue };
                    for sent in [42, 43] {
                        assert_eq!(
                            s.check_identified(frame, seq, sent),
                            s.check(frame, seq, sent),
                            "{:?} {:?}, sent {sent}",
                            s.expect,
                            frame
                        );
                    }
                }
            }
        }
        let s = spec(0, 80);
        let mut f = Vec::new();
        s.build(5, 42, &mut f);
        let good = replied(&f, ECHO);
        assert_eq!(s.check_identified(&good, 5, 42), Verdict::Good, "the raw probe's own path");
        let mut bad_fill = good.clone();
        bad_fill[79] ^= 1;
        assert_eq!(s.check_identified(&bad_fill, 5, 42), Verdict::Corrupt);
    }
}
