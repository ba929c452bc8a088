//! l2_echo on net_null (an endless source and sink): the loop's accounting,
//! shutdown on --duration, SIGINT and SIGTERM.

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
    assert_eq!(rx, u(summary, "tx_packets") + u(summary, "tx_dropped") + u(summary, "runt_dropped"));
    assert_eq!(rx, u(summary, "ipackets"), "the port saw what the loop counted");
    assert_eq!(u(summary, "tx_packets"), u(summary, "opackets"));
    let q = &summary["queues"][0];
    assert_eq!(u(q, "rx_packets"), rx);
    assert_eq!(u(q, "tx_packets"), u(summary, "tx_packets"));
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

fn stops_cleanly_on(signal: i32) {
    let eal = null_eal();
    let child = spawn(L2_ECHO, &eal, &["--json"]);
    std::thread::sleep(Duration::from_millis(1500)); // EAL up, port started, echoing
                                                     // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let signalled = Instant::now();
    let run = finish(child, Duration::from_secs(20));
    remove_runtime_dir(&eal);
    run.assert_success();
    assert!(signalled.elapsed() < Duration::from_secs(5), "took {:?} to stop", signalled.elapsed());
    assert_accounted(&run.summary());
}

#[test]
fn sigint_stops_cleanly_with_a_summary() {
    stops_cleanly_on(libc::SIGINT);
}

#[test]
fn sigterm_stops_cleanly_with_a_summary() {
    stops_cleanly_on(libc::SIGTERM);
}
