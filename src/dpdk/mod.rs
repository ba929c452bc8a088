//! The safe layer: RAII types over the DPDK objects the echo servers use. It is
//! the only place that touches DPDK pointers.

mod eal;
mod error;
mod lcore;
mod mbuf;
mod mempool;
mod port;
pub mod telemetry;

pub use eal::{library_version, split_args, Eal};
pub use error::{errno_text, rte_errno};
pub use lcore::{report_lcore_usage, run_on_lcores, tsc_hz, ControlCpus, Lcore};
pub use mbuf::{MbufBurst, MAX_BURST};
pub use mempool::Mempool;
pub use port::{MacAddr, Port, PortStats, QueuePair, MAX_PORT_ID};
