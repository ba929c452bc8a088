//! Hostile values for every numeric or time option of l2_echo, l2_multi_echo
//! and l2_ping, as a table: zero, negative, non-numeric, non-finite, too large
//! for the type, too large for the arithmetic done with them later, and one
//! past each end of the range. Each one that is out of range is refused
//! before anything starts: exit status 2, one line on stderr naming the
//! option and the accepted range, no panic, no backtrace.

mod common;
use common::*;
use std::process::Command;

/// An option's accepted values: integers or seconds/numbers from..=to.
#[derive(Clone, Copy)]
enum Range {
    Int(i128, i128),
    Real(f64, f64),
}

impl Range {
    fn accepts(self, value: &str) -> bool {
        match self {
            Range::Int(lo, hi) => value.parse::<i128>().is_ok_and(|v| lo <= v && v <= hi),
            Range::Real(lo, hi) => value.parse::<f64>().is_ok_and(|v| lo <= v && v <= hi),
        }
    }

    /// How the error names the range.
    fn text(self) -> String {
        match self {
            Range::Int(lo, hi) => format!("from {lo} to {hi}"),
            Range::Real(lo, hi) => format!("from {lo} to {hi}"),
        }
    }

    /// One step outside each end.
    fn just_outside(self) -> [String; 2] {
        match self {
            Range::Int(lo, hi) => [(lo - 1).to_string(), (hi + 1).to_string()],
            Range::Real(lo, hi) => [(lo / 2.0).to_string(), (hi * 2.0).to_string()],
        }
    }
}

const HOSTILE: &[&str] = &[
    "0",
    "-1",
    "-0.5",
    "0.5",
    "x",
    "",
    "NaN",
    "inf",
    "-inf",
    "1e300",
    "1e-300",
    "65536",
    "4294967296",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
];

/// (binary, option, its range); the servers take theirs after `--`.
fn options() -> Vec<(&'static str, &'static str, Range)> {
    let year = 365.0 * 86400.0;
    let mut table = Vec::new();
    for server in [L2_ECHO, L2_MULTI_ECHO] {
        table.extend([
            (server, "--port", Range::Int(0, 31)),
            (server, "--burst", Range::Int(1, 512)),
            (server, "--rxd", Range::Int(1, 65535)),
            (server, "--txd", Range::Int(1, 65535)),
            (server, "--mbufs", Range::Int(1, (1 << 24) - 1)),
            (server, "--stats", Range::Int(0, 86400)),
            (server, "--duration", Range::Real(0.001, year)),
            (server, "--idle-max-us", Range::Int(1, 100_000)),
            (server, "--idle-deep-us", Range::Int(0, 100_000)),
        ]);
    }
    let ping = l2_ping_bin();
    table.extend([
        (ping, "--count", Range::Int(1, 10_000_000)),
        (ping, "--interval", Range::Real(0.000001, 3600.0)),
        (ping, "--rate", Range::Real(0.001, 10_000_000.0)),
        (ping, "--size", Range::Int(60, 9000)),
        (ping, "--flows", Range::Int(0, 16384)),
        (ping, "--timeout", Range::Real(0.001, 3600.0)),
    ]);
    table
}

fn l2_ping_bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| common::l2_ping_bin().display().to_string())
}

#[test]
fn every_out_of_range_value_of_every_option_is_refused_in_one_line() {
    let mut tried = 0;
    for (bin, option, range) in options() {
        let values = HOSTILE.iter().map(|v| v.to_string()).chain(range.just_outside());
        for value in values.filter(|v| !range.accepts(v)) {
            let mut cmd = Command::new(bin);
            cmd.env_remove("RUST_BACKTRACE");
            if bin == l2_ping_bin() {
                cmd.args(["-I", "lo", "--dst", "02:00:00:00:00:01"]);
            } else {
                cmd.args(["--no-pci", "--no-huge", "--vdev", "net_null0", "--"]);
            }
            let run = Run::from(cmd.args([option, &value]).output().unwrap());
            let what = format!("{bin} {option} {value:?}");
            assert_eq!(run.status.code(), Some(2), "{what}:\n{run}");
            let lines: Vec<&str> = run.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{what}: not one line:\n{run}");
            assert!(
                lines[0].contains(&format!("for '{option} <")) && lines[0].contains(&range.text()),
                "{what}: the line does not name {option} and {}:\n{run}",
                range.text()
            );
            assert!(run.stdout.is_empty(), "{what}:\n{run}");
            tried += 1;
        }
    }
    println!("{tried} hostile values refused");
    assert!(tried > 300, "only {tried} values tried");
}

#[test]
fn values_at_the_ends_of_each_range_are_accepted() {
    // --help after them: parsing succeeds, nothing starts.
    for (bin, option, range) in options() {
        let ends = match range {
            Range::Int(lo, hi) => [lo.to_string(), hi.to_string()],
            Range::Real(lo, hi) => [lo.to_string(), hi.to_string()],
        };
        for value in ends {
            let mut cmd = Command::new(bin);
            if bin == l2_ping_bin() {
                cmd.args(["-I", "lo", "--dst", "02:00:00:00:00:01"]);
            } else {
                cmd.arg("--");
            }
            // --size 60 needs no flows; the largest --flows needs a larger frame.
            if option == "--flows" {
                cmd.args(["--size", "9000"]);
            }
            let run = Run::from(cmd.args([option, &value, "--help"]).output().unwrap());
            assert_eq!(run.status.code(), Some(0), "{bin} {option} {value}:\n{run}");
        }
    }
}
