//! The safe layer: RAII types over the DPDK objects the echo servers use. It is
//! the only place that touches DPDK pointers.
//!
//! Lifetimes keep the objects in DPDK's order: a pool and a port borrow the
//! [`Eal`], a [`QueuePair`] its port, an [`MbufBurst`] its queue pair; each is
//! gone before what it borrows is cleaned up. Lcores come from the `Eal`, and
//! only the `Eal`, on its own thread, launches them. Misuse does not compile
//! (see the `compile_fail` examples on each type); what the types cannot say
//! (a port opened twice, a queue claimed twice or before it is set up, a
//! launch that comes back from a job) is refused at run time, once per setup
//! or claim, never per packet. This is the order that compiles:
//!
//! ```no_run
//! use dpdk_echo::dpdk::{Eal, MbufBurst, Mempool, Port};
//! # fn main() -> anyhow::Result<()> {
//! let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
//! let eal = Eal::init(&args)?;
//! let mut port = Port::open(&eal, 0)?;
//! let (rxd, txd) = port.configure(1, 0, 0, 1024, 1024)?;
//! port.setup_queue_pair(0, rxd, txd, Mempool::create(&eal, "mbufs", 8191, 250, -1)?)?;
//! port.start()?;
//! let mut queue = port.claim_queue(0)?;
//! let mut burst = MbufBurst::new(&mut queue);
//! burst.receive(32);
//! burst.transmit();
//! # Ok(()) }
//! ```

mod eal;
mod error;
mod lcore;
mod mbuf;
mod mempool;
mod port;
pub mod telemetry;

pub use eal::{library_version, split_args, Eal};
pub use error::{errno_text, rte_errno};
pub use lcore::{report_lcore_usage, tsc_hz, ControlCpus, Lcore};
pub use mbuf::{frame_room, MbufBurst, MAX_BURST};
pub use mempool::Mempool;
pub use port::{MacAddr, Port, PortStats, QueuePair, RssConfig, MAX_PORT_ID};
