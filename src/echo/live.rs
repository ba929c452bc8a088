//! What a run shows while it goes on, to DPDK's own tools: the telemetry
//! command `/l2echo/stats` (for `dpdk-telemetry.py`: each queue's counts and
//! its lcore's load, with the summary's JSON keys) and, on DPDK 23.03 and
//! later, EAL's lcore usage (`/eal/lcore/usage`). Both read the counters the
//! lcores publish, through a registry the run fills when it starts and
//! empties when it ends; neither touches a queue.

use std::ffi::CStr;
use std::sync::{Arc, Once, RwLock};
use std::time::Instant;

use anyhow::{anyhow, Result};
use serde::Serialize;

use crate::dpdk::{report_lcore_usage, telemetry, Lcore};
use crate::echo::counters::{QueueCounters, QueueCounts};
use crate::echo::summary::{total_of, QueueSummary};
use crate::echo::Mode;

/// A run, as the observers see it.
pub struct LiveRun {
    pub port: u16,
    pub mode: Mode,
    pub started: Instant,
    pub tsc_hz: u64,
    pub lcores: Vec<Lcore>,
    pub counters: Arc<[QueueCounters]>,
}

static LIVE: RwLock<Option<Arc<LiveRun>>> = RwLock::new(None);

/// Shows `run` to the observers until the returned guard drops. The first
/// call registers them with DPDK (for the process: DPDK cannot unregister).
pub fn show(run: LiveRun) -> Shown {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        if let Err(e) = telemetry::register::<StatsCommand>() {
            log::warn!("{e:#}");
        }
        if !report_lcore_usage(lcore_usage) {
            log::debug!(
                "this DPDK has no lcore usage callback (23.03 and later have): /eal/lcore/usage is absent"
            );
        }
    });
    *LIVE.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(run));
    Shown
}

/// Withdraws the run from the observers when dropped.
pub struct Shown;

impl Drop for Shown {
    fn drop(&mut self) {
        *LIVE.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

fn live() -> Option<Arc<LiveRun>> {
    LIVE.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The reply to /l2echo/stats.
#[derive(Serialize)]
struct LiveStats {
    port: u16,
    mode: Mode,
    elapsed_s: f64,
    tsc_hz: u64,
    #[serde(flatten)]
    total: QueueCounts,
    queues: Vec<QueueSummary>,
}

struct StatsCommand;

impl telemetry::Command for StatsCommand {
    const NAME: &'static CStr = c"/l2echo/stats";
    const HELP: &'static CStr = c"Echo counts and lcore load per queue. No parameters";

    fn answer(_params: &str, reply: &mut telemetry::TelDict) -> Result<()> {
        let run = live().ok_or_else(|| anyhow!("no echo run is going on"))?;
        let queues: Vec<QueueSummary> = (run.lcores.iter().zip(run.counters.iter()).enumerate())
            .map(|(queue, (lcore, counters))| QueueSummary::read(queue, *lcore, counters, run.tsc_hz, None))
            .collect();
        let stats = LiveStats {
            port: run.port,
            mode: run.mode,
            elapsed_s: run.started.elapsed().as_secs_f64(),
            tsc_hz: run.tsc_hz,
            total: total_of(&queues),
            queues,
        };
        reply.fill(&serde_json::to_value(&stats)?);
        Ok(())
    }
}

/// EAL's question: (total, busy) cycles of `lcore_id`, if it echoes.
fn lcore_usage(lcore_id: u32) -> Option<(u64, u64)> {
    let run = live()?;
    let queue = run.lcores.iter().position(|l| l.id() == lcore_id)?;
    let summary = QueueSummary::read(queue, run.lcores[queue], &run.counters[queue], run.tsc_hz, None);
    Some((summary.total_cycles, summary.counts.busy_cycles))
}
