//! l2_ping's reply handling, on bytes from the network: whatever arrives,
//! judging it never panics, and the tally stays consistent. Frames are
//! either raw bytes or real probes, echoed, then mutated, so the fuzzer
//! reaches the checks past the magic and the session id.
#![no_main]

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use l2_ping::probe::{Mac, ProbeSpec, MAX_FLOWS};
use l2_ping::tally::{Outcome, Tally};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Frame {
    Raw(Vec<u8>),
    /// Probe `seq` (sent at `sent_ns`), as an echo in reply mode returns it,
    /// with some bytes changed and maybe cut short.
    Probe { seq: u8, sent_ns: u64, changes: Vec<(u16, u8)>, cut: Option<u16> },
}

#[derive(Debug, Arbitrary)]
struct Input {
    local: [u8; 6],
    remote: [u8; 6],
    flows: u16,
    size: u16,
    session: u32,
    /// Send time of each probe (0: not sent yet).
    sent: Vec<u64>,
    timeout_ms: u16,
    frames: Vec<(Frame, u64)>,
}

fuzz_target!(|input: Input| {
    let flows = u32::from(input.flows) % (MAX_FLOWS + 1);
    let sizes = ProbeSpec::size_range(flows);
    let size = sizes.start() + usize::from(input.size) % (sizes.end() - sizes.start() + 1);
    let (local, remote) = (Mac(input.local), Mac(input.remote));
    let spec = ProbeSpec::new(local, remote, size, flows, input.session).expect("a size in range");
    let sent_at: Vec<AtomicU64> = input.sent.iter().map(|&t| AtomicU64::new(t)).collect();
    let timeout = Duration::from_millis(u64::from(input.timeout_ms));
    let mut tally = Tally::new(sent_at.len() as u64);
    let (mut scratch, mut frame, mut judged) = (Vec::new(), Vec::new(), 0u64);
    for (f, now_ns) in &input.frames {
        match f {
            Frame::Raw(bytes) => frame.clone_from(bytes),
            Frame::Probe { seq, sent_ns, changes, cut } => {
                spec.build(u64::from(*seq), *sent_ns, &mut frame);
                frame[..6].copy_from_slice(&local.0);
                frame[6..12].copy_from_slice(&remote.0);
                for &(at, byte) in changes {
                    let at = usize::from(at) % frame.len();
                    frame[at] = byte;
                }
                if let Some(cut) = cut {
                    frame.truncate(usize::from(*cut));
                }
            }
        }
        if let Some(reply) = tally.judge(&spec, &frame, &sent_at, *now_ns, timeout, &mut scratch) {
            judged += 1;
            assert!(reply.outcome != Outcome::Received || usize::try_from(reply.seq).is_ok_and(|s| s < sent_at.len()));
        }
    }
    assert_eq!(tally.received + tally.bad + tally.duplicates + tally.late, judged);
    assert!(tally.received + tally.late <= sent_at.len() as u64);
    let _ = tally.rtt();
});
