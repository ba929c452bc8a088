//! The probe frame that l2_ping (libpcap) and l2_load (DPDK) send to an echo
//! and check on return: one format, one check, one tally, so the two tools
//! judge a reply the same way.
//!
//! - [`mac`]: Ethernet addresses, parsed and printed.
//! - [`frame`]: the probe's bytes, built and checked.
//! - [`inet`]: the Internet checksum of IPv4, ICMP and UDP; host addresses.
//! - [`tally`]: what became of each probe sent: good, bad, late or lost;
//!   duplicates, unmatched frames and reordering beside; round-trip times in
//!   an HDR histogram.

pub mod frame;
pub mod inet;
pub mod mac;
pub mod tally;

pub use frame::{Expect, ProbeSpec, Verdict};
pub use mac::Mac;
pub use tally::{Classes, Outcome, Percentiles, Tally};

/// A new session id, to tell this run's probes from another's on the same
/// wire: the process id and the clock's nanoseconds.
pub fn new_session() -> u32 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    std::process::id().rotate_left(16) ^ nanos
}
