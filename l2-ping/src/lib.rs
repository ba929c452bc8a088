//! l2_ping's parts that need no network: its options, the probe format, and
//! the tally of replies (the bin adds the wire, through libpcap).

pub mod cli;
pub mod probe;
pub mod tally;
