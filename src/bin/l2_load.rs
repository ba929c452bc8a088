//! l2_load: the other half of the echo. Sends probe frames to an echo's port
//! at a fixed rate on an open-loop schedule, checks every frame that comes
//! back and times its round trip; or finds RFC 2544 throughput.
//!
//!     sudo l2_load -l 0 --vdev net_memif0 -- --dst 52:54:00:12:34:56 --rate 1000000

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use dpdk_echo::dpdk::{frame_room, split_args, tsc_hz, Eal};
use dpdk_echo::echo::{bring_up_port, PortConfig};
use dpdk_echo::load::back_to_back::{self, SizeBursts};
use dpdk_echo::load::cli::{Mode, Options};
use dpdk_echo::load::lanes::Lanes;
use dpdk_echo::load::loss_curve::{self, SizeCurve};
use dpdk_echo::load::mix::Probes;
use dpdk_echo::load::progress::{Progress, Sink};
use dpdk_echo::load::report::{self, BackToBackReport, FixedReport, LossCurveReport, SearchReport, Setup};
use dpdk_echo::load::search::{self, SearchConfig, SizeResult};
use dpdk_echo::load::trial::{self, Trial, TrialConfig};
use dpdk_echo::quit;
use l2_plot::{Bar, Series};
use l2_probe::{Expect, Mac, ProbeSpec};

/// The longest warm-up before the first trial.
const WARM_UP_LIMIT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    // Usage and setup errors: exit status 2; frames not back good: 1.
    dpdk_echo::main_with_status("l2_load", run, ExitCode::from(2))
}

fn run() -> Result<ExitCode> {
    // EAL options come first, ours after `--`; ours are checked before EAL starts.
    let (eal_args, app_args) = split_args(std::env::args_os());
    let opts =
        Options::try_parse_from(app_args, frame_room()).unwrap_or_else(|e| cli_values::exit_on("l2_load", e));
    log::info!("l2_load {}", dpdk_echo::cli::version());
    let quit = quit::on_signals()?;

    // Initialise the EAL; every lcore of -l sends and receives.
    let eal = Eal::init(&eal_args)?;
    let lcores = u16::try_from(eal.lcores().len()).context("too many lcores")?;
    opts.check_lanes(lcores).map_err(|e| anyhow!(e))?;

    // An RX/TX queue pair per lcore, started; our source address is the port's MAC.
    let config = PortConfig { port: opts.port, rxd: 1024, txd: 1024, mbufs: 8191, burst: opts.burst };
    let port = bring_up_port(&eal, &config, lcores)?;
    let local = Mac(port.mac()?.0);
    let lanes = Lanes::new(&eal, &port);

    // Learning frames until one comes back: the path is up before a trial starts.
    let session = l2_probe::new_session();
    let (src_ip, dst_ip) = opts.ips();
    // A size's probes: every spec alike but for its size.
    let spec_of = |size: usize| {
        ProbeSpec::new(local, opts.dst, opts.expect, size, opts.flows, session)
            .map(|s| s.with_ips(src_ip, dst_ip))
    };
    let first = spec_of(opts.rows[0].sizes().next().expect("a size")).map_err(|e| anyhow!(e))?;
    let warmup = trial::warm_up(&lanes, &first, WARM_UP_LIMIT, quit)?;
    if warmup.received == 0 {
        log::warn!(
            "no frame came back from {} within {} s of warm-up ({} sent): is the echo there, and is --dst its MAC?",
            opts.dst,
            WARM_UP_LIMIT.as_secs(),
            warmup.sent
        );
    }
    let mut setup = Setup {
        port: opts.port,
        src: local.to_string(),
        dst: opts.dst.to_string(),
        expect: match opts.expect {
            Expect::Reply => "reply",
            Expect::Swap => "swap",
            Expect::Icmp => "icmp",
            Expect::Udp => "udp",
        },
        flows: opts.flows,
        warmup,
    };

    // A trial per size at the fixed rate, or an RFC 2544 procedure per size.
    let mut fixed: Vec<Trial> = Vec::new();
    let mut searched: Vec<SizeResult> = Vec::new();
    let mut curves: Vec<SizeCurve> = Vec::new();
    let mut bursts: Vec<SizeBursts> = Vec::new();
    // A line a second while a trial runs: on a terminal, or as JSON if asked.
    let sink = if opts.progress_json {
        Sink::Json
    } else if !opts.json && std::io::stdout().is_terminal() {
        Sink::Terminal
    } else {
        Sink::Nowhere
    };
    let mut live = Progress::new(sink, tsc_hz());
    for row in &opts.rows {
        if quit.is_set() {
            break;
        }
        // Each trial gets a session id of its own from this one.
        let probes = Probes::new(row, spec_of).map_err(|e| anyhow!(e))?;
        let cfg = TrialConfig {
            rate: opts.rate(),
            duration: opts.duration,
            burst: opts.burst,
            timeout: opts.timeout,
            rest: opts.rest,
        };
        let print = |t: &Trial, what: &str| {
            if !opts.json {
                println!("{}", report::trial_lines(t, what));
            }
        };
        let trial_cfg = TrialConfig { duration: opts.trial, ..cfg };
        match opts.mode() {
            Mode::Fixed => {
                let step = format!("{} at {} pps", row.name(), cfg.rate);
                let t = trial::run(&lanes, &probes, &cfg, quit, &mut live, step)?;
                print(&t, "");
                fixed.push(t);
            }
            Mode::Search => {
                let each = |t: &Trial, load: Option<u64>| {
                    print(t, &load.map_or("trial: ".into(), |pct| format!("latency at {pct}%: ")))
                };
                let search = SearchConfig {
                    resolution_pct: opts.resolution,
                    pdr_pct: opts.pdr,
                    trials_per_rate: opts.trials,
                };
                let found = search::throughput(&lanes, &probes, &trial_cfg, &search, quit, &mut live, each)?;
                searched.push(found);
            }
            Mode::LossCurve => {
                let each =
                    |p: &loss_curve::CurvePoint| print(&p.trial, &format!("loss at {}%: ", p.load_pct));
                curves.push(loss_curve::run(&lanes, &probes, &trial_cfg, quit, &mut live, each)?);
            }
            Mode::BackToBack => {
                let each = |t: &Trial| print(t, &format!("burst of {}: ", t.planned));
                bursts.push(back_to_back::run(
                    &lanes,
                    &probes,
                    &trial_cfg,
                    opts.resolution,
                    opts.trials,
                    quit,
                    &mut live,
                    each,
                )?);
            }
        }
    }

    if let Some(path) = &opts.plot {
        // A search of one size: its four latency trials; of more: each at 100%.
        let series: Vec<Series> = if opts.search {
            let shown = |r: &'_ SizeResult| if searched.len() == 1 { r.latency.len() } else { 1 };
            searched
                .iter()
                .flat_map(|r| r.latency.iter().rev().take(shown(r)))
                .map(|l| Series {
                    label: format!(
                        "{} at {}% of {} pps",
                        report::size_name(l.trial.size, &l.trial.mix),
                        l.load_pct,
                        l.trial.rate_asked
                    ),
                    points: l.trial.distribution.clone(),
                })
                .collect()
        } else {
            fixed
                .iter()
                .map(|t| Series {
                    label: format!("{} at {} pps", report::size_name(t.size, &t.mix), t.rate_asked),
                    points: t.distribution.clone(),
                })
                .collect()
        };
        let bars: Vec<Bar> = searched
            .iter()
            .map(|r| Bar { label: report::size_name(r.size, &r.mix), pps: r.throughput_pps })
            .collect();
        l2_plot::draw(path, &series, &bars).with_context(|| format!("--plot {}", path.display()))?;
    }

    // Each trial's learning frames too: the echo counted them.
    let trials = fixed
        .iter()
        .chain(searched.iter().flat_map(|r| r.trials.iter().chain(r.latency.iter().map(|l| &l.trial))))
        .chain(curves.iter().flat_map(|c| c.points.iter().map(|p| &p.trial)))
        .chain(bursts.iter().flat_map(|b| b.trials.iter()));
    for t in trials {
        setup.warmup += t.learning;
    }

    // Exit status 0: every frame back good; a rate found; a curve that ended
    // in two trials without loss; a burst that came back whole.
    let good = match opts.mode() {
        Mode::Fixed => {
            if opts.json {
                let (only, rows) = match fixed.as_slice() {
                    [one] => (Some(one), None),
                    all => (None, Some(all)),
                };
                report::json(&FixedReport { setup: &setup, only, rows })?;
            }
            !fixed.is_empty() && fixed.iter().all(Trial::all_back)
        }
        Mode::Search => {
            if opts.json {
                report::json(&SearchReport {
                    setup: &setup,
                    resolution_pct: opts.resolution,
                    search: &searched,
                })?;
            } else {
                print!("{}", report::search_table(&searched));
            }
            !searched.is_empty() && searched.iter().all(|r| r.throughput_pps > 0)
        }
        Mode::LossCurve => {
            if opts.json {
                report::json(&LossCurveReport { setup: &setup, loss_curve: &curves })?;
            } else {
                print!("{}", report::loss_curve_table(&curves));
            }
            !curves.is_empty() && curves.iter().all(|c| c.ended_lossless)
        }
        Mode::BackToBack => {
            if opts.json {
                report::json(&BackToBackReport {
                    setup: &setup,
                    resolution_pct: opts.resolution,
                    back_to_back: &bursts,
                })?;
            } else {
                print!("{}", report::back_to_back_table(&bursts));
            }
            !bursts.is_empty() && bursts.iter().all(|b| b.frames > 0)
        }
    };
    // The port stops and closes as `lanes` and `port` drop, before the EAL.
    Ok(if good { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
