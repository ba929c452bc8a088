//! The probe frame that l2_ping (libpcap) and l2_load (DPDK) send to an echo
//! and check on return: one format, one check, one tally, so the two tools
//! judge a reply the same way.
//!
//! - [`mac`]: Ethernet addresses, parsed and printed.
//! - [`frame`]: the probe's bytes, built and checked.
//! - [`inet`]: the Internet checksum of IPv4, ICMP and UDP; host addresses.
//! - [`tally`]: what became of each probe sent: good, bad, late or lost;
//!   duplicates, unmatched frames and reordering beside; round-trip times in
//!   a [`histogram`].
//! - [`histogram`]: log-linear buckets of three significant digits, a few
//!   instructions a value.

#![forbid(unsafe_code)]

pub mod frame;
pub mod histogram;
pub mod inet;
pub mod mac;
pub mod tally;

pub use frame::{Expect, ProbeSpec, Verdict};
pub use mac::Mac;
pub use tally::{Classes, Outcome, Percentiles, SharedBits, Tally};

/// A new session id, to tell this run's probes from another's on the same
/// wire: the process id and the clock's nanoseconds.
pub fn new_session() -> u32 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    session_of(std::process::id(), nanos)
}

/// The process id's halves swapped, mixed with the clock: either alone tells
/// two runs apart.
fn session_of(pid: u32, nanos: u32) -> u32 {
    pid.rotate_left(16) ^ nanos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_changes_with_the_process_and_with_the_clock() {
        let by_pid: std::collections::HashSet<u32> = (0..1000).map(|pid| session_of(pid, 0)).collect();
        let by_clock: std::collections::HashSet<u32> = (0..1000).map(|ns| session_of(u32::MAX, ns)).collect();
        assert_eq!((by_pid.len(), by_clock.len()), (1000, 1000));
        assert_ne!(session_of(7, 1), session_of(7, 2));
        let first = new_session();
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert_ne!(first, new_session(), "a millisecond later");
    }
}
