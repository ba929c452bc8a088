//! l2_ping's options. Every number is bounded at parse time to what the run's
//! arithmetic can hold (see cli-values): `-c` sizes two arrays, `-i` times
//! `-c` is added to a clock reading, `--rate` becomes an interval.

use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Command, CommandFactory, FromArgMatches, Parser};
use cli_values::{int_in, number_in, secs_in};

use l2_probe::frame::{MAX_FLOWS, MAX_FRAME, MIN_FRAME};
use l2_probe::{Expect, Mac, ProbeSpec};

/// Most probes a run sends: two arrays of this many entries (9 bytes each) are made up front.
pub const MAX_COUNT: u64 = 10_000_000;
/// `-i` and `-W` at most an hour.
const MAX_SECS: f64 = 3600.0;
/// `--rate` from one probe every 1000 s to 10 million per second.
const RATES: (f64, f64) = (0.001, 10_000_000.0);

#[derive(Debug, Parser)]
#[command(name = "l2_ping", version, about, after_help = AFTER_HELP)]
pub struct Options {
    /// Interface to send on and listen to (e.g. the veth or tap facing the echo).
    #[arg(short = 'I', long = "interface", value_name = "IFACE")]
    pub iface: String,

    /// The echo port's MAC: probes go to it, replies must come from it.
    #[arg(long, value_name = "MAC")]
    pub dst: Mac,

    /// How the echo addresses its replies (its --mode): reply (from its
    /// port's MAC) or swap (from the address probes went to, as testpmd's macswap).
    #[arg(long, value_name = "MODE", default_value = "reply",
          value_parser = clap::builder::PossibleValuesParser::new(["reply", "swap"])
              .map(|s| s.parse::<Expect>().expect("a possible value")))]
    pub expect: Expect,

    /// Our MAC, which replies must be addressed to [default: the interface's, from sysfs].
    #[arg(long, value_name = "MAC")]
    pub src: Option<Mac>,

    /// Probes to send.
    #[arg(short = 'c', long, value_name = "COUNT", default_value_t = 10, allow_hyphen_values = true,
          value_parser = int_in(1, MAX_COUNT))]
    pub count: u64,

    /// Seconds between probes; a line is printed per reply.
    #[arg(short = 'i', long, value_name = "SECS", default_value = "1", allow_hyphen_values = true,
          value_parser = secs_in(0.000001, MAX_SECS))]
    pub interval: Duration,

    /// Probes per second instead of -i, with no line per reply.
    #[arg(long, value_name = "PPS", allow_hyphen_values = true, value_parser = number_in(RATES.0, RATES.1))]
    pub rate: Option<f64>,

    /// Frame size in bytes, without FCS [default: the smallest that fits, at least 60].
    #[arg(short = 's', long, value_name = "BYTES", allow_hyphen_values = true,
          value_parser = int_in(MIN_FRAME, MAX_FRAME))]
    pub size: Option<usize>,

    /// Send IPv4/UDP probes over N port pairs, so that RSS (or a tap's flow
    /// hash) spreads them over queues; default: raw frames of EtherType 0x88b5.
    #[arg(long, value_name = "N", default_value_t = 0, allow_hyphen_values = true,
          value_parser = int_in(0, MAX_FLOWS))]
    pub flows: u32,

    /// A reply later than this many seconds is late; after the last probe,
    /// how long to wait for the rest.
    #[arg(short = 'W', long, value_name = "SECS", default_value = "1", allow_hyphen_values = true,
          value_parser = secs_in(0.001, MAX_SECS))]
    pub timeout: Duration,

    /// Print the summary as one JSON object on its own line (and no line per reply).
    #[arg(long)]
    pub json: bool,
}

const AFTER_HELP: &str = "\
Each probe sent is one of: good (back from --dst, addressed to our MAC, its
bytes intact, within --timeout), bad (back otherwise addressed or with other
bytes), late (back good, after --timeout) or lost (never back); its first
copy back decides. Later copies are duplicates, counted apart.
RTT is taken in user space with a monotonic clock, at send and at receive: it
includes both kernels' paths (here and the peer's, if it has one) and libpcap.
Exit status: 0 every probe came back good, 1 some were bad, late or lost,
2 usage or system error.";

impl Options {
    pub fn command() -> Command {
        <Options as CommandFactory>::command()
    }

    /// Parses `args` (program name first), checking the options against each
    /// other too: `--size` must hold the probe that `--flows` asks for.
    pub fn try_parse_from<T: Into<std::ffi::OsString> + Clone>(
        args: impl IntoIterator<Item = T>,
    ) -> Result<Options, clap::Error> {
        let matches = Options::command().try_get_matches_from(args)?;
        let opts = Options::from_arg_matches(&matches)?;
        let sizes = ProbeSpec::size_range(opts.flows, opts.expect);
        if let Some(size) = opts.size.filter(|s| !sizes.contains(s)) {
            let msg = format!(
                "invalid value '{size}' for '--size <BYTES>': must be from {} to {} with --flows {}",
                sizes.start(),
                sizes.end(),
                opts.flows
            );
            return Err(Options::command().error(ErrorKind::ValueValidation, msg));
        }
        Ok(opts)
    }

    /// Time between probes: from `--rate`, else `-i`.
    pub fn probe_interval(&self) -> Duration {
        self.rate.map_or(self.interval, |pps| Duration::from_secs_f64(1.0 / pps))
    }

    /// Frame size: `--size`, else the smallest probe.
    pub fn frame_size(&self) -> usize {
        self.size.unwrap_or(*ProbeSpec::size_range(self.flows, self.expect).start())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        let base = ["l2_ping", "-I", "lo", "--dst", "52:54:00:12:34:56"];
        Options::try_parse_from(base.iter().chain(args).map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_derived_values() {
        let o = parse(&[]).unwrap();
        assert_eq!(
            (o.count, o.interval, o.timeout, o.flows),
            (10, Duration::from_secs(1), Duration::from_secs(1), 0)
        );
        assert_eq!((o.frame_size(), o.probe_interval()), (60, Duration::from_secs(1)));
        let o = parse(&["--rate", "2000", "--flows", "4"]).unwrap();
        assert_eq!((o.frame_size(), o.probe_interval()), (70, Duration::from_micros(500)));
    }

    #[test]
    fn the_slowest_run_still_fits_the_clock() {
        let o = parse(&["-c", "10000000", "-i", "3600"]).unwrap();
        let last = o.probe_interval().checked_mul(o.count as u32).unwrap();
        assert!(std::time::Instant::now().checked_add(last).is_some());
        let o = parse(&["--rate", "0.001"]).unwrap();
        assert_eq!(o.probe_interval(), Duration::from_secs(1000));
    }

    #[test]
    fn a_size_too_small_for_the_flows_is_a_usage_error() {
        let err = parse(&["--size", "60", "--flows", "4"]).unwrap_err();
        assert_eq!(
            cli_values::one_line(&err),
            "error: invalid value '60' for '--size <BYTES>': must be from 70 to 9000 with --flows 4"
        );
    }
}
