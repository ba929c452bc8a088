//! The echo itself: the header rewrite, the per-queue loop, its counters, the
//! port bring-up and the run that ties them to the lcores. Shared by both
//! binaries: l2_echo runs it on one lcore, l2_multi_echo on all of them.

mod counters;
mod monitor;
mod queue_loop;
pub mod rewrite;
mod setup;
mod summary;

use std::thread;
use std::time::Instant;

use anyhow::{Context, Result};

use counters::QueueCounters;
pub use counters::QueueCounts;
pub use rewrite::Mode;
pub use setup::bring_up_port;
pub use summary::{MbufUse, QueueSummary, Summary};

use crate::cli::Options;
use crate::dpdk::{run_on_lcores, ControlCpus, Lcore, Port};
use crate::quit::QuitFlag;
use queue_loop::echo_queue;

/// Echoes on `port` with one queue pair per lcore (queue i on `lcores[i]`,
/// the calling main lcore among them) until `quit` is set, then returns the
/// run's summary. The port must have been brought up with that many queues.
/// The monitor thread runs on `control_cpus`, so it never preempts a loop.
pub fn serve(
    port: &Port<'_>,
    lcores: &[Lcore],
    control_cpus: ControlCpus,
    opts: &Options,
    quit: &QuitFlag,
) -> Result<Summary> {
    let mac = port.mac()?;
    let counters: Vec<QueueCounters> = lcores.iter().map(|_| QueueCounters::default()).collect();
    for (queue, lcore) in lcores.iter().enumerate() {
        println!("Core {} echoing port {} queue {queue}. [Ctrl+C to quit]", lcore.id, port.id());
    }

    let mbufs_baseline = port.mbufs_in_use();
    let started = Instant::now();
    let results = thread::scope(|s| {
        thread::Builder::new()
            .name("echo-monitor".into())
            .spawn_scoped(s, || {
                if let Err(e) = control_cpus.pin_this_thread() {
                    log::warn!("the monitor thread stays on the main lcore's CPU ({control_cpus:?}: {e})");
                }
                monitor::watch(port, lcores, &counters, opts.stats_interval(), opts.duration, quit)
            })
            .context("cannot start the monitor thread")?;
        let results = run_on_lcores(lcores, quit, |queue, _lcore| -> Result<QueueCounts> {
            let queue_pair = port.claim_queue(queue as u16).inspect_err(|_| quit.set())?;
            Ok(echo_queue(queue_pair, opts.mode, mac, opts.burst, &counters[queue], quit))
        });
        quit.set(); // every loop has returned: release the monitor
        anyhow::Ok(results)
    })?;
    let elapsed = started.elapsed();

    let mut queues = Vec::with_capacity(results.len());
    for (queue, (lcore, result)) in results.into_iter().enumerate() {
        let counts = result
            .and_then(|counts| counts)
            .with_context(|| format!("queue {queue} on lcore {}", lcore.id))?;
        queues.push(QueueSummary { queue: queue as u16, lcore: lcore.id, counts });
    }
    let stats = port.stats()?;
    let mbufs = MbufUse { total: port.mbufs_total(), baseline: mbufs_baseline, in_use: port.mbufs_in_use() };
    Ok(Summary::new(port.id(), mac, opts.mode, elapsed, stats, mbufs, queues))
}
