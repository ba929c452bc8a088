//! l2_ping's options (the probe format and the tally of replies are
//! l2-probe's, shared with l2_load; the bin adds the wire, through libpcap).

pub mod cli;
