//! The application options both echo servers share (after `--`).

use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::dpdk::MAX_BURST;
use crate::echo::Mode;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (built against DPDK ", env!("DPDK_VERSION"), ")");

const USAGE_NOTE: &str = "\
EAL options come first (e.g. -l 1, --vdev net_null0, --file-prefix NAME, --no-huge); \
the options above follow `--`:
    sudo l2_echo -l 1 -- --stats 1
EAL's own options: https://doc.dpdk.org/guides/linux_gsg/linux_eal_parameters.html";

#[derive(Debug, Clone, Parser)]
#[command(version = VERSION, after_help = USAGE_NOTE)]
pub struct Options {
    /// Port to echo on.
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Most frames received (and sent) per poll.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=MAX_BURST as i64))]
    pub burst: u16,

    /// RX ring size per queue (the driver may adjust it).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u16).range(1..))]
    pub rxd: u16,

    /// TX ring size per queue (the driver may adjust it).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u16).range(1..))]
    pub txd: u16,

    /// Mbufs per queue; raised to what the rings, burst and cache need.
    #[arg(long, default_value_t = 8191, value_parser = clap::value_parser!(u32).range(1..))]
    pub mbufs: u32,

    /// How frames go back: reply (dst <- src, src <- port MAC) or swap (dst <-> src).
    #[arg(long, value_enum, default_value_t = Mode::Reply)]
    pub mode: Mode,

    /// Print rates every SECS seconds (0 = never).
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub stats: u64,

    /// Stop cleanly after SECS seconds (fractions allowed); default: run until Ctrl+C.
    #[arg(long, value_name = "SECS", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// At exit, also print the summary as one JSON object on its own line.
    #[arg(long)]
    pub json: bool,
}

impl Options {
    /// Parses the application's arguments (program name first) for the binary
    /// `name`; prints help, version or a usage error and exits like clap does.
    pub fn parse_for(name: &'static str, about: &'static str, args: Vec<String>) -> Options {
        let matches = Options::command()
            .name(name)
            .bin_name(name)
            .about(about)
            .override_usage(format!("{name} [EAL OPTIONS] [-- OPTIONS]"))
            .get_matches_from(args);
        let opts = Options::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        log::info!("{name} {VERSION}");
        opts
    }

    pub fn stats_interval(&self) -> Option<Duration> {
        (self.stats > 0).then(|| Duration::from_secs(self.stats))
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.parse().map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(format!("`{s}`: the duration must be a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        let args = std::iter::once("l2_echo").chain(args.iter().copied());
        Options::try_parse_from(args)
    }

    #[test]
    fn defaults_are_the_originals() {
        let o = parse(&[]).unwrap();
        assert_eq!((o.port, o.burst, o.rxd, o.txd, o.mbufs), (0, 32, 1024, 1024, 8191));
        assert_eq!(o.mode, Mode::Reply);
        assert_eq!((o.stats_interval(), o.duration, o.json), (None, None, false));
    }

    #[test]
    fn every_option_parses() {
        let o = parse(&[
            "--port",
            "2",
            "--burst",
            "64",
            "--rxd",
            "512",
            "--txd",
            "256",
            "--mbufs",
            "4096",
            "--mode",
            "swap",
            "--stats",
            "2",
            "--duration",
            "0.5",
            "--json",
        ])
        .unwrap();
        assert_eq!((o.port, o.burst, o.rxd, o.txd, o.mbufs), (2, 64, 512, 256, 4096));
        assert_eq!(o.mode, Mode::Swap);
        assert_eq!(o.stats_interval(), Some(Duration::from_secs(2)));
        assert_eq!(o.duration, Some(Duration::from_millis(500)));
        assert!(o.json);
    }

    #[test]
    fn burst_is_bounded() {
        assert!(parse(&["--burst", "0"]).is_err());
        assert!(parse(&["--burst", "512"]).is_ok());
        assert!(parse(&["--burst", "513"]).is_err());
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            &["--rxd", "0"][..],
            &["--txd", "70000"],
            &["--mbufs", "0"],
            &["--mode", "flip"],
            &["--duration", "0"],
            &["--duration", "-1"],
            &["--duration", "soon"],
            &["--port", "x"],
            &["--stats", "-1"],
            &["--unknown"],
            &["stray"],
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
