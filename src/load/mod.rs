//! l2_load, the other half of the echo: a DPDK generator and checker. It sends
//! probe frames (l2-probe's format, shared with l2_ping) on an open-loop
//! schedule, checks every reply and times every round trip ([`trial`]), and
//! runs RFC 2544's procedures: throughput by binary search ([`search`]),
//! the frame loss rate ([`loss_curve`]) and back-to-back frames
//! ([`back_to_back`]).
//!
//! - [`cli`]: its options.
//! - [`mix`]: the frames' sizes, one or a mix (IMIX), by sequence number.
//! - [`schedule`]: when each frame is due, on the cycle counter.
//! - [`trial`]: the loop: send what is due, receive, judge, drain.
//! - [`lanes`]: a trial over several lcores, a queue pair each.
//! - [`search`]: the throughput search and the latency trials after it.
//! - [`loss_curve`]: the loss at 100, 90 ... % of the rate.
//! - [`back_to_back`]: the longest burst that comes back whole.
//! - [`report`]: lines for people, or JSON.
//! - [`progress`]: a line (or JSON object) a second while a trial runs.

pub mod back_to_back;
pub mod cli;
pub mod lanes;
pub mod loss_curve;
pub mod mix;
pub mod progress;
pub mod report;
pub mod schedule;
pub mod search;
pub mod trial;
