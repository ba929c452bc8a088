//! The reply check l2_ping and l2_load share, on bytes from the network:
//! whatever arrives, judging it never panics, and the tally stays
//! consistent. Frames are either raw bytes or real probes, echoed, then
//! mutated, so the fuzzer reaches the checks past the magic and the session id.
#![no_main]

use arbitrary::Arbitrary;
use l2_probe::frame::MAX_FLOWS;
use l2_probe::inet;
use l2_probe::{Expect, Mac, Outcome, ProbeSpec, Tally};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Frame {
    Raw(Vec<u8>),
    /// Probe `seq` (stamped `stamp`), as an echo in reply mode (or an IP
    /// host, for ICMP probes) returns it,
    /// with some bytes changed and maybe cut short.
    Probe { seq: u8, stamp: u64, changes: Vec<(u16, u8)>, cut: Option<u16> },
}

#[derive(Debug, Arbitrary)]
struct Input {
    local: [u8; 6],
    remote: [u8; 6],
    /// reply, swap, icmp or udp (ICMP probes are one flow, UDP ones one or more).
    expect: u8,
    flows: u16,
    size: u16,
    session: u32,
    /// Send stamp of each probe (0: not sent yet).
    sent: Vec<u64>,
    timeout: u64,
    frames: Vec<(Frame, u64)>,
}

fuzz_target!(|input: Input| {
    let expect = [Expect::Reply, Expect::Swap, Expect::Icmp, Expect::Udp][usize::from(input.expect % 4)];
    let flows = match expect {
        Expect::Icmp => 0,
        Expect::Udp => 1 + u32::from(input.flows) % MAX_FLOWS,
        _ => u32::from(input.flows) % (MAX_FLOWS + 1),
    };
    let sizes = ProbeSpec::size_range(flows, expect);
    let size = sizes.start() + usize::from(input.size) % (sizes.end() - sizes.start() + 1);
    let (local, remote) = (Mac(input.local), Mac(input.remote));
    let spec = ProbeSpec::new(local, remote, expect, size, flows, input.session).expect("a size in range");
    let sent = |seq: u64| input.sent.get(usize::try_from(seq).ok()?).copied().filter(|&t| t != 0);
    let mut tally = Tally::new(input.sent.len() as u64, flows);
    let (mut frame, mut judged) = (Vec::new(), 0u64);
    for (f, now) in &input.frames {
        match f {
            Frame::Raw(bytes) => frame.clone_from(bytes),
            Frame::Probe { seq, stamp, changes, cut } => {
                spec.build(u64::from(*seq), *stamp, &mut frame);
                frame[..6].copy_from_slice(&local.0);
                frame[6..12].copy_from_slice(&remote.0);
                match expect {
                    Expect::Icmp => as_echo_reply(&mut frame),
                    Expect::Udp => as_udp_reply(&mut frame),
                    _ => {}
                }
                for &(at, byte) in changes {
                    let at = usize::from(at) % frame.len();
                    frame[at] = byte;
                }
                if let Some(cut) = cut {
                    frame.truncate(usize::from(*cut));
                }
            }
        }
        if let Some(reply) = tally.judge(&spec, &frame, sent, *now, input.timeout) {
            judged += 1;
            let was_sent = usize::try_from(reply.seq).is_ok_and(|s| s < input.sent.len());
            assert!(reply.outcome == Outcome::Unmatched || was_sent);
            if reply.outcome == Outcome::Bad {
                let _ = spec.differences(&frame, reply.seq, reply.sent, 8);
            }
        }
    }
    assert_eq!(tally.back() + tally.duplicates + tally.unmatched, judged);
    // Each probe in exactly one class (one never sent has no copy back: lost).
    let probes = input.sent.len() as u64;
    let c = tally.classes(probes);
    assert_eq!(c.good + c.bad + c.late + c.lost, probes);
    assert!(tally.reordered <= tally.good + tally.late);
    let _ = tally.percentiles(1.0);
    let _ = tally.late_max_ns(1.0);
});

/// A probe's IPv4 header as the host it went to answers: the addresses
/// swapped, the checksum redone. Returns what follows it.
fn swap_ips(frame: &mut [u8]) -> &mut [u8] {
    let (ip, rest) = frame[14..].split_at_mut(20);
    let (src, dst) = ip[12..20].split_at_mut(4);
    src.swap_with_slice(dst);
    ip[10..12].fill(0);
    let checksum = inet::checksum(ip);
    ip[10..12].copy_from_slice(&checksum.to_be_bytes());
    rest
}

/// An ICMP probe as a host answers it: an echo reply, both checksums redone.
fn as_echo_reply(frame: &mut [u8]) {
    let icmp = swap_ips(frame);
    icmp[0] = 0;
    icmp[2..4].fill(0);
    let checksum = inet::checksum(icmp);
    icmp[2..4].copy_from_slice(&checksum.to_be_bytes());
}

/// A UDP probe as a socket echo answers it: the ports swapped too, no UDP
/// checksum.
fn as_udp_reply(frame: &mut [u8]) {
    let udp = swap_ips(frame);
    let (sport, dport) = udp[..4].split_at_mut(2);
    sport.swap_with_slice(dport);
}
