//! Both servers on net_null (an endless source and sink): the loop's
//! accounting, shutdown on --duration, SIGINT and SIGTERM under full load.

mod common;
use common::*;
use std::time::{Duration, Instant};

fn null_eal() -> Vec<String> {
    let mut eal = test_eal_args();
    eal.extend(["-l", "0", "--vdev", "net_null0"].map(String::from));
    eal
}

fn assert_accounted(summary: &Value) {
    let rx = u(summary, "rx_packets");
    assert!(rx > 0, "nothing received: {summary}");
    assert_eq!(rx, u(summary, "ipackets"), "the port saw what the loop counted: {summary}");
    assert_eq!(u(summary, "tx_packets"), u(summary, "opackets"), "{summary}");
    // net_null takes every frame, and each loop ends with a whole burst sent.
    assert_eq!(u(summary, "opackets"), u(summary, "ipackets"), "the port sent what it received: {summary}");
    // The totals are the queues' sums by construction: what each queue shows is its own work.
    let queues = summary["queues"].as_array().unwrap();
    assert!(queues.iter().all(|q| u(q, "rx_packets") > 0), "every queue echoed: {summary}");
}

#[test]
fn duration_ends_the_run_with_every_packet_accounted_for() {
    let started = Instant::now();
    let run = run(
        L2_ECHO,
        &null_eal(),
        &["--duration", "1", "--stats", "1", "--burst", "64", "--mode", "swap", "--json"],
    );
    run.assert_success();
    let summary = run.summary();
    assert_accounted(&summary);
    assert!(summary["elapsed_s"].as_f64().unwrap() >= 1.0);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(run.stdout.contains("Summary: port 0"), "human summary printed:\n{run}");
}

/// Under full load (net_null never runs dry), a signal ends the run within
/// 1 s: exit 0, the summary printed, every packet accounted for.
fn stops_cleanly_on(bin: &str, lcores: &str, signal: i32) {
    let mut eal = test_eal_args();
    eal.extend(["--lcores", lcores, "--vdev", "net_null0"].map(String::from));
    let child = spawn(bin, &eal, &["--json"]);
    std::thread::sleep(Duration::from_millis(1500)); // EAL up, port started, echoing
    child.signal(signal);
    let signalled = Instant::now();
    let run = finish(child, Duration::from_secs(20));
    let took = signalled.elapsed();
    remove_runtime_dir(&eal);
    run.assert_success();
    assert!(took < Duration::from_secs(1), "took {took:?} to stop");
    let summary = run.summary();
    assert_accounted(&summary);
    assert!(run.stdout.contains("Summary: port 0"), "{run}");
}

#[test]
fn sigint_stops_l2_echo_cleanly_with_a_summary() {
    stops_cleanly_on(L2_ECHO, "0@0", libc::SIGINT);
}

#[test]
fn sigterm_stops_l2_echo_cleanly_with_a_summary() {
    stops_cleanly_on(L2_ECHO, "0@0", libc::SIGTERM);
}

#[test]
fn sigint_stops_every_lcore_of_l2_multi_echo() {
    stops_cleanly_on(L2_MULTI_ECHO, "(0-1)@(0-1)", libc::SIGINT);
}

#[test]
fn sigterm_stops_every_lcore_of_l2_multi_echo() {
    stops_cleanly_on(L2_MULTI_ECHO, "(0-1)@(0-1)", libc::SIGTERM);
}
