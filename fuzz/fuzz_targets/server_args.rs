//! The echo servers' command line: the split at `--` and the option parser,
//! on any bytes at all. Whatever is given, parsing never panics, and whatever
//! it accepts, the run's later arithmetic can hold (port and pool sizing,
//! durations and statistics periods added to a clock reading).
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::time::Instant;

use dpdk_echo::cli::Options;
use dpdk_echo::dpdk::split_args;
use dpdk_echo::echo::pool_size;
use libfuzzer_sys::fuzz_target;

// The arguments, separated by spaces (any other byte, NUL and non-UTF-8
// included, is part of an argument), so that the dictionary's tokens
// (fuzz/server_args.dict) splice in whole.
fuzz_target!(|data: &[u8]| {
    let args = data.split(|&b| b == b' ').map(|a| OsString::from_vec(a.to_vec()));
    let args = std::iter::once(OsString::from("l2_echo")).chain(args);
    let (eal, app) = split_args(args);
    assert!(!eal.is_empty() && !app.is_empty(), "both start with the program name");
    let Ok(opts) = Options::try_parse_for("l2_echo", "", app) else { return };
    let port = opts.port_config();
    let (mbufs, cache) = pool_size(port.mbufs, port.rxd, port.txd, port.burst);
    assert!(mbufs >= port.mbufs && f64::from(cache) * 1.5 <= f64::from(mbufs));
    let echo = opts.echo_config();
    let now = Instant::now();
    if let Some(d) = echo.duration {
        assert!(now.checked_add(d).is_some());
    }
    if let Some(every) = echo.stats_every {
        assert!(now.checked_add(every * 1000).is_some(), "a thousand periods still fit the clock");
    }
});
