//! l2_load's options (after `--`). Every number is bounded at parse time to
//! what a trial's arithmetic and memory can hold: a trial keeps a bit per
//! frame, so `--rate` times the trial's length is capped too.

use std::ffi::OsString;
use std::net::Ipv4Addr;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Command, CommandFactory, FromArgMatches, Parser};
use cli_values::{int_in, number_in, secs_in};
use l2_probe::frame::MAX_FLOWS;
use l2_probe::{Expect, Mac, ProbeSpec};

use super::mix::{SizeMix, MAX_PATTERN};
use crate::cli::host_address;
use crate::dpdk::{MAX_BURST, MAX_PORT_ID};

/// `--rate` at most 100 million frames a second.
pub const MAX_RATE: u64 = 100_000_000;
/// Most frames in one trial: a bit each (125 MB) to tell replies from duplicates.
pub const MAX_TRIAL_FRAMES: u64 = 1_000_000_000;
/// `--duration`, `--trial` and `--timeout` at most an hour.
const MAX_SECS: f64 = 3600.0;
/// `--rest` at most a minute (RFC 2544 asks for 5 s at least, when one is wanted).
const MAX_REST_SECS: f64 = 60.0;
/// Most sizes in `--size`.
const MAX_SIZES: usize = 32;

pub const ABOUT: &str = "DPDK load generator and checker for an L2 echo: every frame checked, \
                         every frame's round trip timed, RFC 2544 throughput.";

#[derive(Debug, Clone, Parser)]
pub struct Options {
    /// Port to send on and receive from.
    #[arg(long, value_name = "N", default_value_t = 0, allow_hyphen_values = true,
          value_parser = int_in(0, MAX_PORT_ID))]
    pub port: u16,

    /// The echo port's MAC: frames go to it (a group address reaches any echo
    /// in promiscuous mode).
    #[arg(long, value_name = "MAC")]
    pub dst: Mac,

    /// How the echo addresses its replies (its --mode): reply (from its port's
    /// MAC), swap (from the address frames went to, as testpmd's macswap),
    /// icmp: probes are ICMP echo requests to --dst-ip, answered by any IP
    /// host (the kernel, l2_echo --mode icmp), each reply checked in full, or
    /// udp: UDP datagrams to --dst-ip port 9000 (a port per flow on our side,
    /// --flows default 1), answered by a UDP echo over sockets.
    #[arg(long, value_name = "MODE", default_value = "reply",
          value_parser = clap::builder::PossibleValuesParser::new(["reply", "swap", "icmp", "udp"])
              .map(|s| s.parse::<Expect>().expect("a possible value")))]
    pub expect: Expect,

    /// With --expect icmp: the echo's IPv4 address; with --flows: the UDP
    /// destination [default with --flows: 198.18.0.2].
    #[arg(long, value_name = "ADDRESS", required_if_eq("expect", "icmp"), value_parser = host_address)]
    pub dst_ip: Option<Ipv4Addr>,

    /// Our IPv4 address in ICMP and UDP probes (the echo's host must reach it
    /// at --dst's peer: l2_load answers no ARP).
    #[arg(long, value_name = "ADDRESS", default_value = "198.18.0.1", value_parser = host_address)]
    pub src_ip: Ipv4Addr,

    /// Frames per second, sent on an open-loop schedule; with --search and
    /// --loss-curve, the first trial's rate and the highest tried; with
    /// --back-to-back, the bursts' rate.
    #[arg(long, value_name = "PPS", allow_hyphen_values = true, value_parser = int_in(1, MAX_RATE))]
    pub rate: Option<u64>,

    /// Seconds to send at --rate.
    #[arg(long, value_name = "SECS", default_value = "1", allow_hyphen_values = true,
          value_parser = secs_in(0.001, MAX_SECS))]
    pub duration: Duration,

    /// RFC 2544 throughput: the highest rate at which every frame of a trial
    /// comes back good, none duplicated or reordered, with l2_load on its
    /// schedule throughout, by binary search from --rate down; then the
    /// latency at 10, 50, 90 and 100% of it.
    #[arg(long)]
    pub search: bool,

    /// RFC 2544's frame loss rate: a trial at --rate, then at 90, 80 ... %
    /// of it, until two in a row lose nothing; the share of frames not back
    /// good at each load.
    #[arg(long, conflicts_with = "search")]
    pub loss_curve: bool,

    /// RFC 2544's back-to-back frames (as RFC 9004 updates it): the longest
    /// burst at --rate whose every frame comes back good, by binary search
    /// over its length from --trial's worth of frames down.
    #[arg(long, conflicts_with_all = ["search", "loss_curve"])]
    pub back_to_back: bool,

    /// Seconds per trial of --search and --loss-curve (RFC 2544 says 60);
    /// with --back-to-back, the longest burst's.
    #[arg(long, value_name = "SECS", default_value = "1", allow_hyphen_values = true,
          value_parser = secs_in(0.001, MAX_SECS))]
    pub trial: Duration,

    /// --search (and --back-to-back) stops when the highest passing and
    /// lowest failing rates (lengths) are within this percentage of each
    /// other.
    #[arg(long, value_name = "PCT", default_value_t = 1.0, allow_hyphen_values = true,
          value_parser = number_in(0.01, 50.0))]
    pub resolution: f64,

    /// With --search, also the partial drop rate (PDR): the highest rate at
    /// which at most PCT percent of a trial's frames are not back good (lost,
    /// bad or late), reported beside the zero-loss rate (NDR), as TRex and
    /// FD.io's MLRsearch do.
    #[arg(long, value_name = "PCT", allow_hyphen_values = true, value_parser = number_in(0.001, 50.0))]
    pub pdr: Option<f64>,

    /// With --search (--back-to-back), trials at each rate (length): it
    /// passes when every one of them does, and the JSON says how many did.
    #[arg(long, value_name = "N", default_value_t = 1, allow_hyphen_values = true,
          value_parser = int_in(1usize, 20))]
    pub trials: usize,

    /// Frame sizes in bytes, without FCS, comma-separated, a row each;
    /// `imix`, a row of the simple IMIX (7:4:1 of 60, 590 and 1514 bytes);
    /// SIZE:WEIGHT items, one row mixing them (60:7,590:4,1514:1 is the IMIX)
    /// [default: the smallest probe, 60 bytes, or 70 with --flows].
    #[arg(long, value_name = "BYTES,...", value_delimiter = ',', allow_hyphen_values = true,
          value_parser = size_item)]
    pub size: Vec<SizeItem>,

    /// The rows `--size` asks for: a size or a mix each.
    #[arg(skip)]
    pub rows: Vec<SizeMix>,

    /// IPv4/UDP frames over N port pairs, so that RSS spreads them over an
    /// echo's queues; default: raw frames of EtherType 0x88b5.
    #[arg(long, value_name = "N", default_value_t = 0, allow_hyphen_values = true,
          value_parser = int_in(0, MAX_FLOWS))]
    pub flows: u32,

    /// Most frames sent, and received, per poll.
    #[arg(long, value_name = "N", default_value_t = 32, allow_hyphen_values = true,
          value_parser = int_in(1, MAX_BURST as u16))]
    pub burst: u16,

    /// A reply later than this is counted late, not good; after the last
    /// frame, how long to wait for the rest.
    #[arg(long, value_name = "SECS", default_value = "1", allow_hyphen_values = true,
          value_parser = secs_in(0.000001, MAX_SECS))]
    pub timeout: Duration,

    /// Seconds to pause before each trial's learning frames (RFC 2544's rest,
    /// for an echo that needs it to settle); what comes back meanwhile is
    /// freed.
    #[arg(long, value_name = "SECS", default_value = "0", allow_hyphen_values = true,
          value_parser = secs_in(0.0, MAX_REST_SECS))]
    pub rest: Duration,

    /// Print the results as one JSON object on its own line.
    #[arg(long)]
    pub json: bool,

    /// With --json, also an object a second on its own line while a trial
    /// runs: {"progress": {step, elapsed_s, sent, back, overdue, rate_pps,
    /// p99_ns}}. (On a terminal, without --json, a line updated in place.)
    #[arg(long)]
    pub progress_json: bool,

    /// With a fixed rate or --search: draw the latency percentile
    /// distribution (and with --search the throughput per frame size) into
    /// FILE, an SVG.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<std::path::PathBuf>,
}

const AFTER_HELP: &str = "\
EAL options come first, l2_load's after `--`:
    sudo l2_load -l 0 --vdev net_memif0 -- --dst 52:54:00:12:34:56 --rate 1000000
--help and --version need no `--` and do not start DPDK.

Each frame carries a session id, a sequence number, its flow and its scheduled
send time (the cycle counter); each frame received is checked: from the echo,
addressed back to us as --expect says, every other byte as sent. Each frame
sent is good, bad, late or lost (never back), its first copy back deciding;
later copies are duplicates, counted apart. Frames leave on an open-loop
schedule: an echo that stalls shows as latency, not as a slower sender.
Round trips go into a histogram of 3 significant digits (min to p99.99).
With several lcores (-l 0-1), each sends every n-th frame of the schedule on
a queue pair of its own (--flows a multiple of them: flows of its own), and
a reply is checked on whichever queue it lands.
Exit status: 0 every frame came back good (--search: a rate was found;
--loss-curve: it ended in two trials without loss; --back-to-back: a burst
came back whole), 1 frames were bad, late, lost, duplicated or reordered
within a flow, 2 a usage or setup error.";

impl Options {
    pub fn command() -> Command {
        <Options as CommandFactory>::command()
            .name("l2_load")
            .bin_name("l2_load")
            .about(ABOUT)
            .version(crate::cli::version())
            .override_usage("l2_load [EAL OPTIONS] -- --dst MAC [OPTIONS]")
            .after_help(AFTER_HELP)
    }

    /// Parses the application's arguments (program name first), checking
    /// the options against each other: every size must hold the probe and
    /// fit an mbuf, and a trial's frames must fit [`MAX_TRIAL_FRAMES`].
    pub fn try_parse_from(args: Vec<OsString>, frame_room: usize) -> Result<Options, clap::Error> {
        let matches = Options::command().try_get_matches_from(args)?;
        let mut opts = Options::from_arg_matches(&matches)?;
        let invalid = |msg: String| Options::command().error(ErrorKind::ValueValidation, msg);
        // UDP probes are one flow unless told otherwise.
        if opts.expect == Expect::Udp && opts.flows == 0 {
            opts.flows = 1;
        }
        let sizes = ProbeSpec::size_range(opts.flows, opts.expect);
        let (min, max) = (*sizes.start(), (*sizes.end()).min(frame_room));
        if opts.size.is_empty() {
            opts.size.push(SizeItem::Size(min));
        }
        if opts.size.len() > MAX_SIZES {
            return Err(invalid(format!("--size: at most {MAX_SIZES} sizes")));
        }
        opts.rows = rows(&opts.size);
        if opts.rows.iter().any(|row| row.total_weight() > u64::from(MAX_PATTERN)) {
            return Err(invalid(format!("--size: a mix's weights add up to at most {MAX_PATTERN}")));
        }
        if let Some(size) = opts.rows.iter().flat_map(SizeMix::sizes).find(|s| !(min..=max).contains(s)) {
            let with = if opts.flows > 0 { format!(" with --flows {}", opts.flows) } else { String::new() };
            return Err(invalid(format!(
                "invalid value '{size}' for '--size <BYTES,...>': must be from {min} to {max}{with} \
                 (a probe, in one mbuf)"
            )));
        }
        if opts.expect == Expect::Icmp && opts.flows > 0 {
            return Err(invalid("--flows: ICMP probes (--expect icmp) are one flow".into()));
        }
        if opts.progress_json && !opts.json {
            return Err(invalid("--progress-json is for --json: add --json".into()));
        }
        let mode = opts.mode();
        if mode != Mode::Search && opts.pdr.is_some() {
            return Err(invalid("--pdr is for --search: add --search".into()));
        }
        if !matches!(mode, Mode::Search | Mode::BackToBack) && opts.trials > 1 {
            return Err(invalid("--trials is for --search or --back-to-back: add one".into()));
        }
        if opts.plot.is_some() && matches!(mode, Mode::LossCurve | Mode::BackToBack) {
            return Err(invalid(format!(
                "--plot draws the latency of a fixed rate or --search, not {}",
                mode.option()
            )));
        }
        if opts.rate.is_none() && mode != Mode::Fixed {
            let what = if mode == Mode::BackToBack { "the bursts' rate" } else { "the highest rate to try" };
            return Err(invalid(format!("{} needs --rate, {what}", mode.option())));
        }
        if let Some(rate) = opts.rate {
            let secs = if mode == Mode::Fixed { opts.duration } else { opts.trial }.as_secs_f64();
            if rate as f64 * secs > MAX_TRIAL_FRAMES as f64 {
                let option = if mode == Mode::Fixed { "--duration" } else { "--trial" };
                return Err(invalid(format!(
                    "--rate {rate} for {secs} s is more than {MAX_TRIAL_FRAMES} frames: shorten {option}"
                )));
            }
        } else {
            return Err(invalid("--rate is needed: the frames per second to send".into()));
        }
        Ok(opts)
    }

    /// The IPv4 source and destination of ICMP and UDP probes.
    pub fn ips(&self) -> ([u8; 4], [u8; 4]) {
        (self.src_ip.octets(), self.dst_ip.map_or(l2_probe::frame::IP_DST, |ip| ip.octets()))
    }

    /// The rate asked for (checked present when parsing).
    pub fn rate(&self) -> u64 {
        self.rate.expect("checked when parsing")
    }

    /// Whether these options suit `lanes` lcores, each sending every
    /// `lanes`-th frame: with several, each must send flows of its own (a
    /// flow is its frames' number modulo `--flows`), so that RSS keeps each
    /// flow on one queue and reordering within it means something.
    pub fn check_lanes(&self, lanes: u16) -> Result<(), String> {
        let lanes = u32::from(lanes);
        if lanes > 1 && (self.flows < lanes || !self.flows.is_multiple_of(lanes)) {
            return Err(format!(
                "--flows {} over {lanes} lcores: each lcore sends flows of its own, so --flows must be a \
                 multiple of {lanes} (e.g. --flows {lanes}), or use one lcore (-l)",
                self.flows
            ));
        }
        Ok(())
    }

    /// What the run measures.
    pub fn mode(&self) -> Mode {
        match (self.search, self.loss_curve, self.back_to_back) {
            (true, _, _) => Mode::Search,
            (_, true, _) => Mode::LossCurve,
            (_, _, true) => Mode::BackToBack,
            _ => Mode::Fixed,
        }
    }
}

/// One item of `--size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeItem {
    /// A row of its own.
    Size(usize),
    /// A row of the simple IMIX.
    Imix,
    /// An entry of the one row that mixes every such item.
    Weighted(usize, u32),
}

/// `N`, `imix` or `N:WEIGHT`, N up to 65535 (checked against the probe and
/// the mbuf later), WEIGHT from 1 to [`MAX_PATTERN`].
fn size_item(item: &str) -> Result<SizeItem, String> {
    if item.eq_ignore_ascii_case("imix") {
        return Ok(SizeItem::Imix);
    }
    let bytes = |s: &str| s.parse::<usize>().ok().filter(|n| (1..=65535).contains(n));
    let usage = || format!("a size in bytes (1 to 65535), SIZE:WEIGHT (WEIGHT 1 to {MAX_PATTERN}) or imix");
    match item.split_once(':') {
        None => bytes(item).map(SizeItem::Size).ok_or_else(usage),
        Some((size, weight)) => {
            let weight = weight.parse::<u32>().ok().filter(|w| (1..=MAX_PATTERN).contains(w));
            match (bytes(size), weight) {
                (Some(size), Some(weight)) => Ok(SizeItem::Weighted(size, weight)),
                _ => Err(usage()),
            }
        }
    }
}

/// The rows of `--size`'s items, in order: a row per size and per `imix`,
/// and one for every SIZE:WEIGHT item together, where the first of them is.
fn rows(items: &[SizeItem]) -> Vec<SizeMix> {
    let mut rows = Vec::new();
    let mut mixed: Option<(usize, Vec<(usize, u32)>)> = None;
    for item in items {
        match *item {
            SizeItem::Size(size) => rows.push(SizeMix::one(size)),
            SizeItem::Imix => rows.push(SizeMix::imix()),
            SizeItem::Weighted(size, weight) => {
                mixed.get_or_insert_with(|| (rows.len(), Vec::new())).1.push((size, weight));
            }
        }
    }
    if let Some((at, entries)) = mixed {
        rows.insert(at, SizeMix::of(entries));
    }
    rows
}

/// What a run measures: one trial a size at --rate, or one of RFC 2544's
/// procedures (the options exclude one another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Fixed,
    Search,
    LossCurve,
    BackToBack,
}

impl Mode {
    /// The option that asks for it.
    pub fn option(self) -> &'static str {
        match self {
            Mode::Fixed => "--rate",
            Mode::Search => "--search",
            Mode::LossCurve => "--loss-curve",
            Mode::BackToBack => "--back-to-back",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_lcores_need_flows_a_multiple_of_them() {
        let o = |flows: &str| parse(&["--rate", "1", "--flows", flows]).unwrap();
        assert_eq!((o("0").check_lanes(1), o("3").check_lanes(1)), (Ok(()), Ok(())), "one lcore: any");
        assert_eq!(
            (o("2").check_lanes(2), o("8").check_lanes(4), o("6").check_lanes(3)),
            (Ok(()), Ok(()), Ok(()))
        );
        for (flows, lanes) in [("0", 2), ("1", 2), ("3", 2), ("2", 4), ("4", 3)] {
            let err = o(flows).check_lanes(lanes).unwrap_err();
            assert!(err.contains(&format!("--flows {flows} over {lanes} lcores")), "{err}");
        }
    }

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        let base = ["l2_load", "--dst", "52:54:00:12:34:56"];
        Options::try_parse_from(base.iter().chain(args).map(OsString::from).collect(), 2048)
    }

    #[test]
    fn defaults() {
        let o = parse(&["--rate", "1000"]).unwrap();
        assert_eq!(
            (o.port, o.rate(), o.duration, o.burst, o.flows),
            (0, 1000, Duration::from_secs(1), 32, 0)
        );
        assert_eq!((o.rows.clone(), o.expect, o.search), (vec![SizeMix::one(60)], Expect::Reply, false));
        assert_eq!(parse(&["--rate", "1", "--flows", "4"]).unwrap().rows, [SizeMix::one(70)]);
    }

    #[test]
    fn sizes_are_a_list_each_checked() {
        let o = parse(&["--rate", "1", "--size", "64,128,1518", "--expect", "swap"]).unwrap();
        assert_eq!(
            (o.rows, o.expect),
            (vec![SizeMix::one(64), SizeMix::one(128), SizeMix::one(1518)], Expect::Swap)
        );
        let err = parse(&["--rate", "1", "--size", "64,2049"]).unwrap_err();
        assert_eq!(
            cli_values::one_line(&err),
            "error: invalid value '2049' for '--size <BYTES,...>': must be from 60 to 2048 (a probe, in one mbuf)"
        );
        let err = parse(&["--rate", "1", "--size", "64", "--flows", "2"]).unwrap_err();
        assert!(cli_values::one_line(&err).contains("must be from 70 to 2048 with --flows 2"));
        assert!(parse(&["--rate", "1", "--size", "2048"]).is_ok());
    }

    #[test]
    fn icmp_probes_need_the_echo_s_address_and_are_one_flow() {
        let o = parse(&["--rate", "1", "--expect", "icmp", "--dst-ip", "10.0.0.2"]).unwrap();
        assert_eq!(
            (o.expect, o.rows.clone()),
            (Expect::Icmp, vec![SizeMix::one(70)]),
            "the smallest ICMP probe"
        );
        assert_eq!(o.ips(), ([198, 18, 0, 1], [10, 0, 0, 2]));
        let o = parse(&["--rate", "1", "--flows", "2", "--src-ip", "10.1.0.1"]).unwrap();
        assert_eq!(o.ips(), ([10, 1, 0, 1], [198, 18, 0, 2]), "UDP flows' default destination");
        let err = parse(&["--rate", "1", "--expect", "icmp"]).unwrap_err();
        assert!(cli_values::one_line(&err).contains("--dst-ip <ADDRESS>"), "{err}");
        let err =
            parse(&["--rate", "1", "--expect", "icmp", "--dst-ip", "10.0.0.2", "--flows", "2"]).unwrap_err();
        assert!(cli_values::one_line(&err).contains("ICMP probes (--expect icmp) are one flow"), "{err}");
        for bad in ["224.0.0.1", "0.0.0.0", "10.0.0", "::1"] {
            assert!(parse(&["--rate", "1", "--expect", "icmp", "--dst-ip", bad]).is_err(), "{bad}");
            assert!(parse(&["--rate", "1", "--src-ip", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn udp_probes_are_one_flow_unless_told() {
        let o = parse(&["--rate", "1", "--expect", "udp", "--dst-ip", "10.0.0.2"]).unwrap();
        assert_eq!((o.expect, o.flows, o.rows.clone()), (Expect::Udp, 1, vec![SizeMix::one(70)]));
        let o = parse(&["--rate", "1", "--expect", "udp", "--flows", "8"]).unwrap();
        assert_eq!((o.flows, o.ips().1), (8, [198, 18, 0, 2]));
    }

    #[test]
    fn imix_and_weighted_sizes_make_a_row_each_mix() {
        let rows = |sizes: &str| parse(&["--rate", "1", "--size", sizes]).map(|o| o.rows);
        assert_eq!(rows("imix").unwrap(), [SizeMix::imix()]);
        assert_eq!(rows("IMIX,60").unwrap(), [SizeMix::imix(), SizeMix::one(60)]);
        assert_eq!(
            rows("128,64:7,594:4,1024,1518:1").unwrap(),
            [SizeMix::one(128), SizeMix::of(vec![(64, 7), (594, 4), (1518, 1)]), SizeMix::one(1024)],
            "the weighted items, one row where the first was"
        );
        assert_eq!(rows("64:4096").unwrap(), [SizeMix::of(vec![(64, 4096)])]);
        let err = rows("64:4000,128:97").unwrap_err();
        assert_eq!(cli_values::one_line(&err), "error: --size: a mix's weights add up to at most 4096");
        let err = rows("64:7,2049:1").unwrap_err();
        assert!(cli_values::one_line(&err).contains("invalid value '2049'"), "{err}");
        assert!(
            rows("imix").is_ok() && parse(&["--rate", "1", "--size", "imix", "--flows", "2"]).is_err(),
            "60 < 70"
        );
        for bad in
            ["64:0", "64:4097", "0:1", "65536", "64:", ":7", "64:7:1", "imax", "-64", "64:-1", "1e3", ""]
        {
            let err = rows(bad).unwrap_err();
            assert!(
                cli_values::one_line(&err)
                    .contains("a size in bytes (1 to 65535), SIZE:WEIGHT (WEIGHT 1 to 4096) or imix"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn at_most_max_sizes_sizes() {
        let sizes = |n: usize| vec!["64"; n].join(",");
        assert_eq!(parse(&["--rate", "1", "--size", &sizes(MAX_SIZES)]).unwrap().rows.len(), MAX_SIZES);
        let err = parse(&["--rate", "1", "--size", &sizes(MAX_SIZES + 1)]).unwrap_err();
        assert_eq!(cli_values::one_line(&err), format!("error: --size: at most {MAX_SIZES} sizes"));
    }

    #[test]
    fn a_trial_must_fit_its_bitset() {
        assert!(parse(&["--rate", "100000000", "--duration", "10"]).is_ok());
        let err = parse(&["--rate", "100000000", "--duration", "11"]).unwrap_err();
        assert!(cli_values::one_line(&err).contains("shorten --duration"), "{err}");
        let err =
            parse(&["--rate", "100000000", "--search", "--trial", "11", "--duration", "1"]).unwrap_err();
        assert!(cli_values::one_line(&err).contains("shorten --trial"), "{err}");
    }

    #[test]
    fn no_rest_unless_asked_and_at_most_a_minute() {
        assert_eq!(parse(&["--rate", "1"]).unwrap().rest, Duration::ZERO);
        assert_eq!(parse(&["--rate", "1", "--rest", "60"]).unwrap().rest, Duration::from_secs(60));
        assert_eq!(parse(&["--rate", "1", "--rest", "0.25"]).unwrap().rest, Duration::from_millis(250));
    }

    #[test]
    fn progress_json_goes_with_json() {
        assert!(parse(&["--rate", "1000", "--json", "--progress-json"]).unwrap().progress_json);
        let err = parse(&["--rate", "1000", "--progress-json"]).unwrap_err();
        assert!(cli_values::one_line(&err).contains("--progress-json is for --json"), "{err}");
    }

    #[test]
    fn pdr_and_trials_go_with_search() {
        let o = parse(&["--rate", "1000", "--search", "--pdr", "0.1", "--trials", "3"]).unwrap();
        assert_eq!((o.pdr, o.trials), (Some(0.1), 3));
        let o = parse(&["--rate", "1000", "--search"]).unwrap();
        assert_eq!((o.pdr, o.trials), (None, 1), "NDR only, one trial a rate, by default");
        for (args, says) in [
            (&["--rate", "1000", "--pdr", "0.1"][..], "--pdr is for --search"),
            (&["--rate", "1000", "--trials", "2"][..], "--trials is for --search"),
        ] {
            assert!(cli_values::one_line(&parse(args).unwrap_err()).contains(says), "{args:?}");
        }
        assert!(parse(&["--rate", "1000", "--trials", "1"]).is_ok(), "the default, said aloud");
    }

    #[test]
    fn the_rfc_2544_procedures_exclude_one_another_and_take_their_own_options() {
        let mode = |args: &[&str]| parse(args).map(|o| o.mode());
        assert_eq!(mode(&["--rate", "1000"]).unwrap(), Mode::Fixed);
        assert_eq!(mode(&["--rate", "1000", "--search"]).unwrap(), Mode::Search);
        assert_eq!(mode(&["--rate", "1000", "--loss-curve"]).unwrap(), Mode::LossCurve);
        assert_eq!(mode(&["--rate", "1000", "--back-to-back", "--trials", "3"]).unwrap(), Mode::BackToBack);
        for two in
            [["--search", "--loss-curve"], ["--search", "--back-to-back"], ["--loss-curve", "--back-to-back"]]
        {
            let err = parse(&["--rate", "1000", two[0], two[1]]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ArgumentConflict, "{two:?}");
        }
        for (args, says) in [
            (&["--loss-curve"][..], "--loss-curve needs --rate"),
            (&["--back-to-back"], "--back-to-back needs --rate"),
            (
                &["--rate", "1000", "--loss-curve", "--trials", "2"],
                "--trials is for --search or --back-to-back",
            ),
            (&["--rate", "1000", "--back-to-back", "--pdr", "1"], "--pdr is for --search"),
            (&["--rate", "1000", "--loss-curve", "--plot", "x.svg"], "not --loss-curve"),
            (&["--rate", "1000", "--back-to-back", "--plot", "x.svg"], "not --back-to-back"),
            (&["--rate", "100000000", "--loss-curve", "--trial", "11"], "shorten --trial"),
            (&["--rate", "100000000", "--back-to-back", "--trial", "11"], "shorten --trial"),
        ] {
            assert!(cli_values::one_line(&parse(args).unwrap_err()).contains(says), "{args:?}");
        }
    }

    #[test]
    fn the_rate_is_needed_and_bounded() {
        assert!(cli_values::one_line(&parse(&[]).unwrap_err()).contains("--rate is needed"));
        assert!(cli_values::one_line(&parse(&["--search"]).unwrap_err()).contains("--search needs --rate"));
        for bad in [
            &["--rate", "0"][..],
            &["--rate", "100000001"],
            &["--rate", "1", "--burst", "0"],
            &["--rate", "1", "--resolution", "0"],
            &["--rate", "1", "--resolution", "51"],
            &["--rate", "1", "--timeout", "0"],
            &["--rate", "1", "--flows", "16385"],
            &["--rate", "1", "--expect", "flip"],
            &["--rate", "1", "--duration", "3601"],
            &["--rate", "1", "--search", "--pdr", "0"],
            &["--rate", "1", "--search", "--pdr", "50.1"],
            &["--rate", "1", "--search", "--trials", "0"],
            &["--rate", "1", "--search", "--trials", "21"],
            &["--rate", "1", "--rest", "-0.1"],
            &["--rate", "1", "--rest", "60.5"],
            &["--rate", "1", "--rest", "NaN"],
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
        let long: Vec<String> = std::iter::repeat_n("64", 33).map(String::from).collect();
        assert!(parse(&["--rate", "1", "--size", &long.join(",")]).is_err());
    }
}
