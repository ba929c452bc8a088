//! The safe layer: RAII types over the DPDK objects the echo servers use. It is
//! the only place that touches DPDK pointers.

mod eal;
mod error;
mod lcore;
mod mbuf;
mod mempool;
mod port;

pub use eal::{split_args, Eal};
pub use error::{errno_text, rte_errno};
pub use lcore::{run_on_lcores, ControlCpus, Lcore};
pub use mbuf::{MbufBurst, MAX_BURST};
pub use mempool::Mempool;
pub use port::{MacAddr, Port, PortStats, QueuePair};
