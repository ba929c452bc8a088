//! The application options both echo servers share (after `--`). Every number
//! is bounded at parse time to what the run's arithmetic can hold (see
//! cli-values); a bad value is one line naming the option and its range.

use std::ffi::OsString;
use std::net::Ipv4Addr;
use std::sync::OnceLock;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Command, CommandFactory, FromArgMatches, Parser};
use cli_values::{int_in, secs_in};

use crate::dpdk::{MAX_BURST, MAX_PORT_ID};
use crate::echo::{EchoConfig, IdleMode, IdleSleeps, Mode, PortConfig, Rewrite, MAX_MBUFS};
use l2_probe::inet::is_host_address;

/// `--version`: ours, the DPDK compiled against, and the DPDK whose libraries
/// were loaded, which can differ (a bug report needs both).
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{} (built against DPDK {}; running with {})",
            env!("CARGO_PKG_VERSION"),
            crate::DPDK_VERSION,
            crate::dpdk::library_version()
        )
    })
}

/// `--ip` (and l2_load's `--src-ip`, `--dst-ip`): an address a host can have
/// (see [`is_host_address`]).
pub fn host_address(text: &str) -> Result<Ipv4Addr, String> {
    let ip: Ipv4Addr = text.parse().map_err(|_| "not an IPv4 address (e.g. 10.0.0.2)".to_string())?;
    if !is_host_address(ip) {
        return Err("not a unicast address (not 0.0.0.0, broadcast, multicast, loopback or 240/4)".into());
    }
    Ok(ip)
}

/// `--stats` at most once a day.
const MAX_STATS_SECS: u64 = 86_400;
/// `--idle-max-us` and `--idle-deep-us` at most 0.1 s: Ctrl+C still ends a
/// sleeping lcore at once.
const MAX_IDLE_SLEEP_US: u64 = 100_000;
/// `--duration` at most a year: any later instant still fits the clock.
const MAX_DURATION_SECS: f64 = 365.0 * 86_400.0;

/// What each server is, for `--help` and its man page.
pub const L2_ECHO_ABOUT: &str = "Single-core DPDK L2 echo: every frame goes back to its sender.";
pub const L2_MULTI_ECHO_ABOUT: &str =
    "Multi-core DPDK L2 echo: one RX/TX queue pair per lcore, flows spread by RSS.";

const EAL_DOCS: &str = "https://doc.dpdk.org/guides/linux_gsg/linux_eal_parameters.html";

/// After `-h`: the command line's shape in three lines.
fn usage_note(name: &str) -> String {
    format!(
        "EAL options come first (e.g. -l 1, --vdev net_null0, --file-prefix NAME, --no-huge); \
         the options above follow `--`:\n    sudo {name} -l 1 -- --stats 1\nEAL's own options: {EAL_DOCS}"
    )
}

/// After `--help`, and in the man page: the shape, the usual EAL options, the setup.
fn long_note(name: &str) -> String {
    format!(
        "\
EAL options come first, the options above follow `--`:
    sudo {name} -l 1 -- --stats 1
--help and --version need no `--` and do not start DPDK.

EAL options are DPDK's own, documented at
{EAL_DOCS}
The usual ones:
    -l CORES            the lcores to run on, e.g. -l 1 or -l 0-3
    --vdev DEVICE       a virtual device, e.g. net_null0 or net_af_packet0,iface=veth0
    -a PCI_ADDRESS      use only this PCI device
    --file-prefix NAME  a DPDK process of its own beside others (runtime files, hugepages)
    --no-huge -m MB     ordinary memory instead of hugepages (a test run)
    --in-memory         no runtime files at all

Before the first run: reserve hugepages (sudo l2echo-setup-hugepages, or
scripts/setup_env.sh in the source tree) and bind a NIC to a DPDK driver (sudo
l2echo-bind-nic, or scripts/bind_nic.sh). Run as root: EAL keeps its runtime
files in /var/run/dpdk/PREFIX (without root, in $XDG_RUNTIME_DIR/dpdk or
/tmp/dpdk) and needs root for hugepages and devices.

Exit status: 0 a clean stop (Ctrl+C, SIGTERM or --duration), 1 an error (one
line on stderr says what to do), 2 a usage error."
    )
}

#[derive(Debug, Clone, Parser)]
pub struct Options {
    /// Port to echo on.
    #[arg(long, value_name = "N", default_value_t = 0, allow_hyphen_values = true,
          value_parser = int_in(0, MAX_PORT_ID))]
    pub port: u16,

    /// Most frames received (and sent) per poll.
    #[arg(long, value_name = "N", default_value_t = 32, allow_hyphen_values = true,
          value_parser = int_in(1, MAX_BURST as u16))]
    pub burst: u16,

    /// RX ring size per queue (the driver may adjust it).
    #[arg(long, value_name = "N", default_value_t = 1024, allow_hyphen_values = true,
          value_parser = int_in(1, u16::MAX))]
    pub rxd: u16,

    /// TX ring size per queue (the driver may adjust it).
    #[arg(long, value_name = "N", default_value_t = 1024, allow_hyphen_values = true,
          value_parser = int_in(1, u16::MAX))]
    pub txd: u16,

    /// Mbufs per queue; raised to what the rings, burst and cache need.
    #[arg(long, value_name = "N", default_value_t = 8191, allow_hyphen_values = true,
          value_parser = int_in(1, MAX_MBUFS))]
    pub mbufs: u32,

    /// How frames go back: reply (dst <- src, src <- port MAC), swap (dst <->
    /// src), or icmp (answer ARP and ping for --ip, drop the rest).
    #[arg(long, value_enum, default_value_t = Mode::Reply)]
    pub mode: Mode,

    /// With --mode icmp: the IPv4 address answered for (ARP and ICMP echo).
    #[arg(long, value_name = "ADDRESS", required_if_eq("mode", "icmp"), value_parser = host_address)]
    pub ip: Option<Ipv4Addr>,

    /// Print rates every SECS seconds (0 = never).
    #[arg(long, value_name = "SECS", default_value_t = 0, allow_hyphen_values = true,
          value_parser = int_in(0, MAX_STATS_SECS))]
    pub stats: u64,

    /// Stop cleanly after SECS seconds (fractions allowed); default: run until Ctrl+C.
    #[arg(long, value_name = "SECS", allow_hyphen_values = true,
          value_parser = secs_in(0.001, MAX_DURATION_SECS))]
    pub duration: Option<Duration>,

    /// At exit, also print the summary as one JSON object on its own line.
    #[arg(long)]
    pub json: bool,

    /// At exit, add the port's non-zero extended statistics to the summary.
    #[arg(long)]
    pub xstats: bool,

    /// When a queue is empty: poll again at once (poll), or back off with
    /// growing sleeps after a run of empty polls (adaptive).
    #[arg(long, value_enum, default_value_t = IdleMode::Poll)]
    pub idle: IdleMode,

    /// With --idle adaptive, the longest sleep while the queue is in use, in
    /// microseconds.
    #[arg(long, value_name = "US", default_value_t = 50, allow_hyphen_values = true,
          value_parser = int_in(1, MAX_IDLE_SLEEP_US))]
    pub idle_max_us: u64,

    /// With --idle adaptive, each sleep once the queue has been quiet for
    /// 100 ms, in microseconds (0, or at most --idle-max-us: no deep sleeps).
    #[arg(long, value_name = "US", default_value_t = 1000, allow_hyphen_values = true,
          value_parser = int_in(0, MAX_IDLE_SLEEP_US))]
    pub idle_deep_us: u64,
}

impl Options {
    /// The command line of the binary `name`, as --help and the man page show it.
    pub fn command_for(name: &'static str, about: &'static str) -> Command {
        Options::command()
            .name(name)
            .bin_name(name)
            .about(about)
            .version(version())
            .override_usage(format!("{name} [EAL OPTIONS] [-- OPTIONS]"))
            .after_help(usage_note(name))
            .after_long_help(long_note(name))
    }

    /// Parses the application's arguments (program name first).
    pub fn try_parse_for(
        name: &'static str,
        about: &'static str,
        args: Vec<OsString>,
    ) -> Result<Options, clap::Error> {
        let matches = Options::command_for(name, about).try_get_matches_from(args)?;
        let opts = Options::from_arg_matches(&matches)?;
        if opts.ip.is_some() && opts.mode != Mode::Icmp {
            let mut cmd = Options::command_for(name, about);
            return Err(cmd.error(ErrorKind::ArgumentConflict, "--ip is only used with --mode icmp"));
        }
        Ok(opts)
    }

    /// As [`Options::try_parse_for`]; prints help, version or a one-line
    /// usage error (exit status 2) and exits when there is one.
    pub fn parse_for(name: &'static str, about: &'static str, args: Vec<OsString>) -> Options {
        let opts = Options::try_parse_for(name, about, args).unwrap_or_else(|e| cli_values::exit_on(name, e));
        log::info!("{name} {}", version());
        opts
    }

    pub fn port_config(&self) -> PortConfig {
        PortConfig { port: self.port, rxd: self.rxd, txd: self.txd, mbufs: self.mbufs, burst: self.burst }
    }

    pub fn echo_config(&self) -> EchoConfig {
        let rewrite = match (self.mode, self.ip) {
            (Mode::Reply, _) => Rewrite::Reply,
            (Mode::Swap, _) => Rewrite::Swap,
            (Mode::Icmp, Some(ip)) => Rewrite::Icmp(ip),
            (Mode::Icmp, None) => unreachable!("clap requires --ip with --mode icmp"),
        };
        EchoConfig {
            rewrite,
            burst: self.burst,
            stats_every: (self.stats > 0).then(|| Duration::from_secs(self.stats)),
            duration: self.duration,
            xstats: self.xstats,
            idle: self.idle,
            idle_sleeps: IdleSleeps {
                max: Duration::from_micros(self.idle_max_us),
                deep: Duration::from_micros(self.idle_deep_us),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_and_notes_say_what_a_user_needs() {
        let v = version();
        assert!(v.starts_with(env!("CARGO_PKG_VERSION")), "{v}");
        assert!(v.contains(&format!("built against DPDK {}", crate::DPDK_VERSION)), "{v}");
        assert!(v.contains("; running with DPDK "), "{v}");
        for note in [usage_note("l2_x"), long_note("l2_x")] {
            assert!(note.contains("sudo l2_x -l 1 -- --stats 1"), "{note}");
            assert!(note.contains(EAL_DOCS), "{note}");
        }
    }

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        let args = std::iter::once("l2_echo").chain(args.iter().copied()).map(OsString::from).collect();
        Options::try_parse_for("l2_echo", "", args)
    }

    #[test]
    fn defaults_are_the_originals() {
        let o = parse(&[]).unwrap();
        assert_eq!((o.port, o.burst, o.rxd, o.txd, o.mbufs), (0, 32, 1024, 1024, 8191));
        assert_eq!(o.mode, Mode::Reply);
        let echo = o.echo_config();
        assert_eq!(echo.rewrite, Rewrite::Reply);
        assert_eq!((echo.stats_every, echo.duration, o.json), (None, None, false));
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
        let port = o.port_config();
        assert_eq!((port.port, port.burst, port.rxd, port.txd, port.mbufs), (2, 64, 512, 256, 4096));
        let echo = o.echo_config();
        assert_eq!((echo.rewrite, echo.burst), (Rewrite::Swap, 64));
        assert_eq!(echo.stats_every, Some(Duration::from_secs(2)));
        assert_eq!(echo.duration, Some(Duration::from_millis(500)));
        assert!(o.json);
    }

    #[test]
    fn icmp_mode_answers_for_its_ip() {
        let o = parse(&["--mode", "icmp", "--ip", "10.0.0.2"]).unwrap();
        assert_eq!(o.echo_config().rewrite, Rewrite::Icmp(Ipv4Addr::new(10, 0, 0, 2)));
    }

    #[test]
    fn the_bounds_are_inclusive() {
        for ok in [
            &["--burst", "1"][..],
            &["--burst", "512"],
            &["--port", "31"],
            &["--mbufs", "16777215"],
            &["--stats", "86400"],
            &["--duration", "0.001"],
            &["--duration", "31536000"],
        ] {
            assert!(parse(ok).is_ok(), "refused {ok:?}");
        }
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            &["--burst", "0"][..],
            &["--burst", "513"],
            &["--port", "32"],
            &["--rxd", "0"],
            &["--txd", "70000"],
            &["--mbufs", "0"],
            &["--mbufs", "16777216"],
            &["--mode", "flip"],
            &["--stats", "-1"],
            &["--stats", "86401"],
            &["--duration", "0"],
            &["--duration", "-1"],
            &["--duration", "soon"],
            &["--duration", "1e300"],
            &["--duration", "inf"],
            &["--port", "x"],
            &["--mode", "icmp"],
            &["--mode", "icmp", "--ip", "10.0.0"],
            &["--mode", "icmp", "--ip", "0.0.0.0"],
            &["--mode", "icmp", "--ip", "255.255.255.255"],
            &["--mode", "icmp", "--ip", "224.0.0.1"],
            &["--mode", "icmp", "--ip", "127.0.0.1"],
            &["--mode", "icmp", "--ip", "fe80::1"],
            &["--ip", "10.0.0.2"],
            &["--mode", "swap", "--ip", "10.0.0.2"],
            &["--unknown"],
            &["stray"],
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
