//! l2_ping: ping at layer 2. Sends probe frames to an echo port's MAC and
//! checks that each comes back from that MAC, addressed to us, with its
//! payload intact; reports loss and round-trip percentiles.
//!
//!     sudo l2_ping -I veth0 --dst 52:54:00:12:34:56 -c 10

mod link;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use serde::Serialize;

use l2_ping::cli::Options;
use l2_probe::tally::Judged;
use l2_probe::{Classes, Outcome, Percentiles, ProbeSpec, Tally, Verdict};

#[derive(Debug, Serialize)]
struct Summary {
    iface: String,
    dst: String,
    src: String,
    size: usize,
    flows: u32,
    sent: u64,
    /// Each probe sent is exactly one of good (back correct and in time),
    /// bad (back with wrong addresses or bytes), late (back correct after
    /// --timeout) or lost (never back), its first copy back deciding which.
    good: u64,
    bad: u64,
    late: u64,
    lost: u64,
    /// The longest round trip of a late reply (None: none late).
    late_max_us: Option<f64>,
    /// Later copies of probes already back.
    duplicates: u64,
    /// Good or late replies that came after a later probe of their own flow.
    reordered: u64,
    /// Frames of this run with a sequence number never sent (damaged there).
    unmatched: u64,
    /// Replies the kernel dropped before l2_ping could read them: the
    /// capture's ring was full (pcap_stats' ps_drop) ...
    capture_dropped: u64,
    /// ... or the interface dropped them (ps_ifdrop).
    interface_dropped: u64,
    loss_pct: f64,
    rate_pps: f64,
    elapsed_s: f64,
    /// The good replies' round trips.
    rtt_us: Option<RttSummary>,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

fn main() -> ExitCode {
    // Usage errors: one line, exit status 2.
    let opts =
        Options::try_parse_from(std::env::args_os()).unwrap_or_else(|e| cli_values::exit_on("l2_ping", e));
    match run(&opts) {
        Ok(summary) => {
            if summary.good == summary.sent {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("l2_ping: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(opts: &Options) -> Result<Summary> {
    let size = opts.frame_size();
    let local = match opts.src {
        Some(mac) => mac,
        None => link::interface_mac(&opts.iface)?,
    };
    let spec = ProbeSpec::new(local, opts.dst, opts.expect, size, opts.flows, l2_probe::new_session())
        .map_err(|e| anyhow!(e))?;
    let interval = opts.probe_interval();
    let timeout_ns = opts.timeout.as_nanos() as u64;
    let per_reply_lines = opts.rate.is_none() && !opts.json;

    // Listen before the first probe leaves, so no early reply is missed.
    let mut rx = link::open_receiver(&opts.iface, size)?;
    let mut tx = link::open_sender(&opts.iface)?;
    // SAFETY: the handler only stores to an atomic.
    unsafe { libc::signal(libc::SIGINT, on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t) };

    let epoch = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..opts.count).map(|_| AtomicU64::new(0)).collect());
    // Probes back so far (good, bad or late), each once: the wait for the last ends when all are.
    let back = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    if !opts.json {
        println!("L2PING {} -> {} on {}: {size} bytes, {} probes", local, opts.dst, opts.iface, opts.count);
    }

    let receiver = {
        let (sent_at, back, stop) = (sent_at.clone(), back.clone(), stop.clone());
        thread::spawn(move || {
            let mut tally = Tally::new(sent_at.len() as u64, spec.flows());
            // A probe's send time, in ns since `epoch`; 0 while not sent.
            let sent = |seq: u64| {
                let at = usize::try_from(seq).ok().and_then(|i| sent_at.get(i))?;
                Some(at.load(Ordering::Acquire)).filter(|&ns| ns != 0)
            };
            while !stop.load(Ordering::Relaxed) {
                let Some(frame) = rx.next_frame() else { continue };
                let now_ns = epoch.elapsed().as_nanos() as u64;
                let Some(reply) = tally.judge(&spec, frame, sent, now_ns, timeout_ns) else {
                    continue;
                };
                if matches!(reply.outcome, Outcome::Good | Outcome::Bad | Outcome::Late) {
                    back.fetch_add(1, Ordering::Relaxed);
                }
                if per_reply_lines || matches!(reply.outcome, Outcome::Bad | Outcome::Unmatched) {
                    report(&reply, frame.len(), &spec);
                }
            }
            (tally, rx.drops())
        })
    };

    let mut frame = Vec::with_capacity(size);
    let mut sent = 0u64;
    let started = Instant::now();
    for seq in 0..opts.count {
        let due = started + interval.mul_f64(seq as f64);
        if !wait_until(due) {
            break;
        }
        let now_ns = (epoch.elapsed().as_nanos() as u64).max(1);
        sent_at[seq as usize].store(now_ns, Ordering::Release);
        spec.build(seq, now_ns, &mut frame);
        if let Err(e) = tx.send(&frame) {
            stop.store(true, Ordering::Relaxed);
            let _ = receiver.join();
            return Err(e);
        }
        sent += 1;
    }
    let sending = started.elapsed();
    // The last replies: until all are back, the timeout passes, or Ctrl+C.
    let deadline = Instant::now() + opts.timeout;
    while back.load(Ordering::Relaxed) < sent
        && Instant::now() < deadline
        && !INTERRUPTED.load(Ordering::Relaxed)
    {
        thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    let (tally, drops) = receiver.join().expect("the receiving thread does not panic");
    let drops = drops?;
    let Classes { good, bad, late, lost } = tally.classes(sent);

    let summary = Summary {
        iface: opts.iface.clone(),
        dst: opts.dst.to_string(),
        src: local.to_string(),
        size,
        flows: opts.flows,
        sent,
        good,
        bad,
        late,
        lost,
        late_max_us: tally.late_max_ns(1.0).map(|ns| ns as f64 / 1000.0),
        duplicates: tally.duplicates,
        reordered: tally.reordered,
        unmatched: tally.unmatched,
        capture_dropped: drops.ring,
        interface_dropped: drops.interface,
        loss_pct: if sent == 0 { 0.0 } else { 100.0 * lost as f64 / sent as f64 },
        rate_pps: if sent > 1 { (sent - 1) as f64 / sending.as_secs_f64() } else { 0.0 },
        elapsed_s: started.elapsed().as_secs_f64(),
        rtt_us: tally.percentiles(1.0).map(RttSummary::from),
    };
    print_summary(&summary, opts.json);
    Ok(summary)
}

/// Sleeps (spinning for the last stretch, for precise pacing) until `due`;
/// false when Ctrl+C came first.
fn wait_until(due: Instant) -> bool {
    const SPIN: Duration = Duration::from_micros(200);
    loop {
        if INTERRUPTED.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= due {
            return true;
        }
        let left = due - now;
        if left > SPIN {
            thread::sleep((left - SPIN).min(Duration::from_millis(50)));
        } else {
            std::hint::spin_loop();
        }
    }
}

fn report(reply: &Judged, len: usize, spec: &ProbeSpec) {
    let Judged { seq, stamp, verdict, outcome, rtt, .. } = *reply;
    let ms = rtt as f64 / 1e6;
    let remote = spec.remote();
    match (outcome, verdict) {
        (Outcome::Good, _) => println!("{len} bytes from {remote}: seq={seq} time={ms:.3} ms"),
        (Outcome::Duplicate, _) => println!("{len} bytes from {remote}: seq={seq} time={ms:.3} ms (DUP!)"),
        (Outcome::Late, _) => println!("{len} bytes from {remote}: seq={seq} time={ms:.3} ms (late)"),
        (Outcome::Bad, Verdict::WrongAddresses(dst, src)) => {
            println!("bad reply seq={seq}: to {dst} from {src}, expected to {} from {remote}", spec.local())
        }
        (Outcome::Bad, _) => {
            println!("bad reply seq={seq} (stamp {stamp}): bytes differ from the probe sent")
        }
        (Outcome::Unmatched, _) => {
            println!("unmatched reply seq={seq} (stamp {stamp}): no probe with that number was sent")
        }
    }
}

fn print_summary(s: &Summary, json: bool) {
    if json {
        println!("{}", serde_json::to_string(s).expect("a Summary always serialises"));
        return;
    }
    println!("--- {} l2_ping statistics ---", s.dst);
    println!(
        "{} sent: {} good, {} bad, {} late{}, {} lost ({:.1}% loss); {} duplicates, {} reordered, {} unmatched; \
         {:.1} pps",
        s.sent,
        s.good,
        s.bad,
        s.late,
        s.late_max_us.map_or(String::new(), |us| format!(" (max {us:.1} us)")),
        s.lost,
        s.loss_pct,
        s.duplicates,
        s.reordered,
        s.unmatched,
        s.rate_pps
    );
    if s.capture_dropped + s.interface_dropped > 0 {
        println!(
            "the kernel dropped {} frames for want of room in the capture's ring and the interface {}: \
             replies lost on this side, not by the echo",
            s.capture_dropped, s.interface_dropped
        );
    }
    if let Some(r) = &s.rtt_us {
        println!(
            "rtt of the good replies min/p50/p90/p99/p99.9/max = {:.1}/{:.1}/{:.1}/{:.1}/{:.1}/{:.1} us, \
             mean {:.1} us, jitter {:.1} us",
            r.min, r.p50, r.p90, r.p99, r.p999, r.max, r.mean, r.jitter
        );
    }
}

/// Round-trip times in microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
struct RttSummary {
    mean: f64,
    /// The mean step between consecutive good replies' round trips.
    jitter: f64,
    /// How many good replies took 10 us or less.
    under_10us: u64,
    min: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    p999: f64,
    max: f64,
}

impl From<Percentiles> for RttSummary {
    fn from(p: Percentiles) -> RttSummary {
        let us = |ns: u64| ns as f64 / 1000.0;
        RttSummary {
            mean: p.mean / 1000.0,
            jitter: p.jitter / 1000.0,
            under_10us: p.under_10us,
            min: us(p.min),
            p50: us(p.p50),
            p90: us(p.p90),
            p99: us(p.p99),
            p999: us(p.p999),
            max: us(p.max),
        }
    }
}
