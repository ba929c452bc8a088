//! The echo itself: the header rewrite (or ARP and ICMP answered), the
//! per-queue loop, its counters, the port bring-up and the run that ties
//! them to the lcores. Shared by both binaries: l2_echo runs it on one
//! lcore, l2_multi_echo on all of them.

mod counters;
mod icmp;
mod idle;
mod live;
mod monitor;
mod queue_loop;
pub mod rewrite;
mod setup;
mod summary;

use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};

use counters::QueueCounters;
pub use counters::QueueCounts;
pub use idle::{IdleMode, Sleeps as IdleSleeps};
pub use rewrite::Mode;
pub use setup::{bring_up_port, pool_size, PortConfig, MAX_MBUFS};
pub use summary::{MbufUse, QueueSummary, Summary};

use crate::arch;
use crate::dpdk::{tsc_hz, Eal, Lcore, Port};
use crate::fault::Fault;
use crate::panic;
use crate::quit::QuitFlag;
use queue_loop::echo_queue;

/// What the echo does to a frame: `--mode`, with `--ip` for icmp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    Reply,
    Swap,
    /// ARP and ICMP echo answered for this address.
    Icmp(Ipv4Addr),
}

impl Rewrite {
    pub fn mode(self) -> Mode {
        match self {
            Rewrite::Reply => Mode::Reply,
            Rewrite::Swap => Mode::Swap,
            Rewrite::Icmp(_) => Mode::Icmp,
        }
    }

    /// The address answered for (`--mode icmp`).
    pub fn ip(self) -> Option<Ipv4Addr> {
        match self {
            Rewrite::Icmp(ip) => Some(ip),
            Rewrite::Reply | Rewrite::Swap => None,
        }
    }
}

/// How the echo runs, from the command line.
#[derive(Debug, Clone)]
pub struct EchoConfig {
    pub rewrite: Rewrite,
    /// Most frames per poll.
    pub burst: u16,
    /// Print rates this often.
    pub stats_every: Option<Duration>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Add the port's extended statistics to the summary.
    pub xstats: bool,
    /// What an lcore does when its queue is empty.
    pub idle: IdleMode,
    /// `--idle adaptive`: how long it sleeps.
    pub idle_sleeps: IdleSleeps,
}

/// What a run did, and which of its threads failed (none, normally).
pub struct EchoRun {
    pub summary: Summary,
    pub failures: Vec<anyhow::Error>,
}

impl EchoRun {
    /// Prints the summary (with `json`, also as one JSON line); then an error
    /// naming every thread that failed, and why, or failing that, why the
    /// summary could not be printed.
    pub fn report(&self, json: bool) -> Result<()> {
        let printed = self.summary.print(json).context("cannot print the summary");
        match self.failures.as_slice() {
            [] => printed,
            failures => {
                let each: Vec<String> = failures.iter().map(|e| format!("{e:#}")).collect();
                Err(anyhow!("{}", each.join("; ")))
            }
        }
    }
}

/// Echoes on `port` with one queue pair per lcore (queue i on `lcores[i]`,
/// the calling main lcore among them) until `quit` is set, then returns the
/// run's summary. The port must have been brought up with that many queues.
/// The monitor thread runs on the EAL's control CPUs, so it never preempts a
/// loop.
///
/// If any thread fails, by error or panic, it sets `quit`: every loop stops
/// within a burst, and the run comes back with the failure and the summary
/// of what was counted until then.
pub fn serve(
    eal: &Eal,
    port: &Port<'_>,
    lcores: &[Lcore],
    config: &EchoConfig,
    quit: &QuitFlag,
) -> Result<EchoRun> {
    let fault = Fault::from_env()?;
    let control_cpus = eal.control_cpus();
    let mac = port.mac()?;
    let counters: Arc<[QueueCounters]> = lcores.iter().map(|_| QueueCounters::default()).collect();
    let mut out = io::stdout().lock();
    for (queue, lcore) in lcores.iter().enumerate() {
        writeln!(out, "Core {} echoing port {} queue {queue}. [Ctrl+C to quit]", lcore.id(), port.id())
            .and_then(|()| out.flush())
            .context("cannot write to stdout")?;
    }
    drop(out);

    let mbufs_baseline = port.mbufs_in_use();
    let started = Instant::now();
    let tsc_hz = tsc_hz();
    // dpdk-telemetry.py's /l2echo/stats and EAL's lcore usage read the counters from now on.
    let shown = live::show(live::LiveRun {
        port: port.id(),
        mode: config.rewrite.mode(),
        started,
        tsc_hz,
        lcores: lcores.to_vec(),
        counters: counters.clone(),
    });
    let (lcore_results, monitor_result) = thread::scope(|s| {
        let monitor = thread::Builder::new()
            .name("echo-monitor".into())
            .spawn_scoped(s, || {
                if let Err(e) = control_cpus.pin_this_thread() {
                    log::warn!("the monitor thread stays on the main lcore's CPU ({control_cpus:?}: {e})");
                }
                let fault = Fault::for_thread(&fault, "monitor");
                let result = panic::catch(|| {
                    monitor::watch(port, lcores, &counters, config, started, fault.as_ref(), quit)
                })
                .and_then(|watched| watched);
                if result.is_err() {
                    quit.set(); // --duration and the statistics die with it: stop the run
                }
                result
            })
            .context("cannot start the monitor thread")?;
        let lcore_results = eal.run_on_lcores(lcores, quit, |queue, _lcore| {
            if let Some(fault) = Fault::for_thread(&fault, &format!("queue{queue}")) {
                while !fault.is_due(started) && !quit.is_set() {
                    thread::sleep(Duration::from_millis(1));
                }
                fault.strike()?;
            }
            let queue_pair = port.claim_queue(queue as u16)?;
            echo_queue(queue_pair, config, mac, &counters[queue], quit);
            Ok(())
        });
        quit.set(); // every loop has returned (or none started): release the monitor
        let monitor_result = monitor.join().unwrap_or_else(|_| Err(anyhow!("panicked")));
        anyhow::Ok((lcore_results?, monitor_result))
    })?;
    let elapsed = started.elapsed();
    let stopped = arch::cycles();
    drop(shown);

    let mut failures = Vec::new();
    for (queue, (lcore, result)) in lcore_results.iter().enumerate() {
        if let Err(e) = result {
            failures.push(anyhow!("lcore {} (queue {queue}) failed: {e:#}", lcore.id()));
        }
    }
    if let Err(e) = monitor_result {
        failures.push(anyhow!("the monitor thread (echo-monitor) failed: {e:#}"));
    }
    // The counts each loop published last: all of them for a loop that
    // returned, everything up to its last burst for one that failed.
    let queues = (lcores.iter().zip(counters.iter()).enumerate())
        .map(|(queue, (lcore, c))| QueueSummary::read(queue, *lcore, c, tsc_hz, Some(stopped)))
        .collect();
    let stats = port.stats()?;
    let mbufs = MbufUse { total: port.mbufs_total(), baseline: mbufs_baseline, in_use: port.mbufs_in_use() };
    let xstats = config.xstats.then(|| port.xstats()).transpose()?;
    let summary = Summary::new(port.id(), mac, config, elapsed, tsc_hz, stats, mbufs, queues, xstats);
    Ok(EchoRun { summary, failures })
}
