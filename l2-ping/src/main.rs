//! l2_ping: ping at layer 2. Sends probe frames to an echo port's MAC and
//! checks that each comes back from that MAC, addressed to us, with its
//! payload intact; reports loss and round-trip percentiles.
//!
//!     sudo l2_ping -I veth0 --dst 52:54:00:12:34:56 -c 10

mod link;
mod probe;
mod tally;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Parser;
use serde::Serialize;

use probe::{Mac, ProbeSpec, Verdict, MAX_FLOWS};
use tally::{Outcome, RttSummary, Tally};

#[derive(Debug, Parser)]
#[command(version, about, after_help = AFTER_HELP)]
struct Options {
    /// Interface to send on and listen to (e.g. the veth or tap facing the echo).
    #[arg(short = 'I', long = "interface", value_name = "IFACE")]
    iface: String,

    /// The echo port's MAC: probes go to it, replies must come from it.
    #[arg(long, value_name = "MAC")]
    dst: Mac,

    /// Our MAC, which replies must be addressed to [default: the interface's, from sysfs].
    #[arg(long, value_name = "MAC")]
    src: Option<Mac>,

    /// Probes to send.
    #[arg(short = 'c', long, value_name = "COUNT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    count: u64,

    /// Seconds between probes; a line is printed per reply.
    #[arg(short = 'i', long, value_name = "SECS", default_value_t = 1.0, value_parser = positive_secs)]
    interval: f64,

    /// Probes per second instead of -i, with no line per reply.
    #[arg(long, value_name = "PPS", value_parser = positive_secs)]
    rate: Option<f64>,

    /// Frame size in bytes, without FCS [default: the smallest that fits, at least 60].
    #[arg(short = 's', long, value_name = "BYTES")]
    size: Option<usize>,

    /// Send IPv4/UDP probes over N port pairs, so that RSS (or a tap's flow
    /// hash) spreads them over queues; default: raw frames of EtherType 0x88b5.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=MAX_FLOWS as i64))]
    flows: u32,

    /// Seconds to wait for each reply (and after the last probe).
    #[arg(short = 'W', long, value_name = "SECS", default_value_t = 1.0, value_parser = positive_secs)]
    timeout: f64,

    /// Print the summary as one JSON object on its own line (and no line per reply).
    #[arg(long)]
    json: bool,
}

const AFTER_HELP: &str = "\
A reply counts when it comes back from --dst, addressed to our MAC, with the
probe's bytes intact; anything else carrying one of our probes is bad.
Duplicates, and replies later than --timeout, are reported apart.
RTT is taken in user space with a monotonic clock, at send and at receive: it
includes both kernels' paths (here and the peer's, if it has one) and libpcap.
Exit status: 0 every probe came back correct, 1 some were lost or bad,
2 usage or system error.";

fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("`{s}` is not a positive number")),
    }
}

#[derive(Debug, Serialize)]
struct Summary {
    iface: String,
    dst: String,
    src: String,
    size: usize,
    flows: u32,
    sent: u64,
    received: u64,
    lost: u64,
    bad: u64,
    duplicates: u64,
    late: u64,
    loss_pct: f64,
    rate_pps: f64,
    elapsed_s: f64,
    rtt_us: Option<RttSummary>,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

fn main() -> ExitCode {
    let opts = Options::parse(); // usage errors exit 2
    match run(&opts) {
        Ok(summary) => {
            let all_back = summary.received == summary.sent && summary.bad == 0;
            if all_back {
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
    let min = ProbeSpec::min_size(opts.flows);
    let size = opts.size.unwrap_or(min);
    if size < min || size > 9000 {
        bail!(
            "--size {size} is out of range: {min} to 9000 bytes (the probe needs {min} with --flows {})",
            opts.flows
        );
    }
    let local = match opts.src {
        Some(mac) => mac,
        None => link::interface_mac(&opts.iface)?,
    };
    let spec = ProbeSpec { local, remote: opts.dst, size, flows: opts.flows, session: session_id() };
    let interval = Duration::from_secs_f64(opts.rate.map_or(opts.interval, |pps| 1.0 / pps));
    let timeout = Duration::from_secs_f64(opts.timeout);
    let per_reply_lines = opts.rate.is_none() && !opts.json;

    // Listen before the first probe leaves, so no early reply is missed.
    let mut rx = link::open_receiver(&opts.iface)?;
    let mut tx = link::open_sender(&opts.iface)?;
    // SAFETY: the handler only stores to an atomic.
    unsafe { libc::signal(libc::SIGINT, on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t) };

    let epoch = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..opts.count).map(|_| AtomicU64::new(0)).collect());
    let received = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    if !opts.json {
        println!("L2PING {} -> {} on {}: {size} bytes, {} probes", local, opts.dst, opts.iface, opts.count);
    }

    let receiver = {
        let (sent_at, received, stop) = (sent_at.clone(), received.clone(), stop.clone());
        thread::spawn(move || {
            let mut tally = Tally::new(sent_at.len() as u64);
            let mut scratch = Vec::with_capacity(spec.size);
            while !stop.load(Ordering::Relaxed) {
                let Some(frame) = rx.next_frame() else { continue };
                let now_ns = epoch.elapsed().as_nanos() as u64;
                let Some((seq, stamped_ns)) = spec.identify(frame) else { continue };
                let sent_ns = sent_at.get(seq as usize).map_or(0, |t| t.load(Ordering::Acquire));
                let verdict = if sent_ns == 0 {
                    Verdict::Corrupt // a sequence number we never sent
                } else {
                    spec.check_reply(frame, seq, sent_ns, &mut scratch)
                };
                let rtt = Duration::from_nanos(now_ns.saturating_sub(sent_ns));
                let outcome = tally.record(seq, verdict, rtt, timeout);
                if outcome == Outcome::Received {
                    received.fetch_add(1, Ordering::Relaxed);
                }
                if per_reply_lines || outcome == Outcome::Bad {
                    report(outcome, verdict, seq, stamped_ns, frame.len(), rtt, &spec);
                }
            }
            tally
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
    let deadline = Instant::now() + timeout;
    while received.load(Ordering::Relaxed) < sent
        && Instant::now() < deadline
        && !INTERRUPTED.load(Ordering::Relaxed)
    {
        thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    let tally = receiver.join().expect("the receiving thread does not panic");

    let summary = Summary {
        iface: opts.iface.clone(),
        dst: opts.dst.to_string(),
        src: local.to_string(),
        size,
        flows: opts.flows,
        sent,
        received: tally.received,
        lost: sent - tally.received,
        bad: tally.bad,
        duplicates: tally.duplicates,
        late: tally.late,
        loss_pct: if sent == 0 { 0.0 } else { 100.0 * (sent - tally.received) as f64 / sent as f64 },
        rate_pps: if sent > 1 { (sent - 1) as f64 / sending.as_secs_f64() } else { 0.0 },
        elapsed_s: started.elapsed().as_secs_f64(),
        rtt_us: tally.rtt(),
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

fn report(
    outcome: Outcome,
    verdict: Verdict,
    seq: u64,
    stamped_ns: u64,
    len: usize,
    rtt: Duration,
    spec: &ProbeSpec,
) {
    let ms = rtt.as_secs_f64() * 1e3;
    match (outcome, verdict) {
        (Outcome::Received, _) => println!("{len} bytes from {}: seq={seq} time={ms:.3} ms", spec.remote),
        (Outcome::Duplicate, _) => {
            println!("{len} bytes from {}: seq={seq} time={ms:.3} ms (DUP!)", spec.remote)
        }
        (Outcome::Late, _) => println!("{len} bytes from {}: seq={seq} time={ms:.3} ms (late)", spec.remote),
        (Outcome::Bad, Verdict::WrongAddresses(dst, src)) => println!(
            "bad reply seq={seq}: to {dst} from {src}, expected to {} from {}",
            spec.local, spec.remote
        ),
        (Outcome::Bad, _) => {
            println!("bad reply seq={seq} (stamp {stamped_ns}): bytes differ from the probe sent")
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
        "{} sent, {} received, {} lost, {} bad, {} duplicates, {} late, {:.1}% loss, {:.1} pps",
        s.sent, s.received, s.lost, s.bad, s.duplicates, s.late, s.loss_pct, s.rate_pps
    );
    if let Some(r) = &s.rtt_us {
        println!(
            "rtt min/p50/p90/p99/p99.9/max = {:.1}/{:.1}/{:.1}/{:.1}/{:.1}/{:.1} us",
            r.min, r.p50, r.p90, r.p99, r.p999, r.max
        );
    }
}

/// Tells this run's probes from another l2_ping's on the same wire.
fn session_id() -> u32 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    std::process::id().rotate_left(16) ^ nanos
}
