//! A failing thread stops the run: when any thread of a server fails, by
//! panic or by error, every loop stops within a second, the port is stopped
//! and closed, the summary is printed as far as it is known, and the process
//! exits 1 with one line naming the thread and the reason. The failures are
//! made on purpose with the test-only hook L2ECHO_TEST_FAULT (src/fault.rs).

mod common;
use common::*;
use std::process::Command;
use std::time::Duration;

/// Runs `bin` with `fault` injected, RUST_BACKTRACE unset (as a user has it).
fn run_with_fault(bin: &str, eal: &[String], app: &[&str], fault: &str) -> Run {
    let mut cmd = Command::new(bin);
    cmd.env("L2ECHO_TEST_FAULT", fault).env_remove("RUST_BACKTRACE").args(eal).arg("--").args(app);
    let run = finish(spawn_command(&mut cmd), Duration::from_secs(60));
    remove_runtime_dir(eal);
    run
}

/// Exit status 1, the summary printed, and the last line of stderr, the only
/// one to mention the failure, names `thread` and says `why`.
fn assert_failed_cleanly(run: &Run, thread: &str, why: &str) -> Value {
    assert_eq!(run.status.code(), Some(1), "{run}");
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains(thread) && last.contains(why),
        "last line should name {thread:?} and {why:?}:\n{run}"
    );
    assert_eq!(run.stderr.matches("injected fault").count(), 1, "one line about the failure:\n{run}");
    assert!(!run.stderr.contains("backtrace"), "{run}");
    assert!(run.stdout.contains("Summary: port 0"), "{run}");
    run.summary()
}

fn assert_stopped_within_a_second_of(summary: &Value, fault_at: f64) {
    let elapsed = summary["elapsed_s"].as_f64().unwrap();
    assert!(
        elapsed >= fault_at && elapsed < fault_at + 1.0,
        "loops stopped {elapsed} s into the run: {summary}"
    );
}

fn null_eal() -> Vec<String> {
    let mut eal = test_eal_args();
    eal.extend(["-l", "0", "--vdev", "net_null0"].map(String::from));
    eal
}

/// The monitor thread (statistics, --duration) panics under full load: the
/// echo does not run on to --duration, nor until Ctrl+C.
#[test]
fn a_panicking_monitor_stops_the_run() {
    let app = ["--duration", "30", "--stats", "1", "--json"];
    let run = run_with_fault(L2_ECHO, &null_eal(), &app, "monitor:panic@1.5");
    let s = assert_failed_cleanly(
        &run,
        "the monitor thread (echo-monitor) failed: panicked at src/",
        "injected fault",
    );
    assert_stopped_within_a_second_of(&s, 1.5);
    let rx = u(&s, "rx_packets");
    assert!(rx > 0);
    // Every loop had stopped when the summary was made: its counts are the port's.
    assert_eq!(rx, u(&s, "ipackets"), "{s}");
    assert_eq!(u(&s, "tx_packets"), u(&s, "opackets"), "{s}");
}

#[test]
fn a_monitor_error_stops_the_run() {
    let run = run_with_fault(L2_ECHO, &null_eal(), &["--duration", "30", "--json"], "monitor:error@1");
    let s = assert_failed_cleanly(&run, "the monitor thread (echo-monitor) failed", "injected fault");
    assert_stopped_within_a_second_of(&s, 1.0);
}

/// Two queues on net_pcap; the lcore of queue 1 fails, by panic or by error.
/// Queue 0's lcore stops too, its capture is echoed whole (the port was
/// stopped and closed: net_pcap completes its TX file then), and the summary
/// has what queue 0 counted.
fn a_failing_lcore_stops_the_others(kind: &str) {
    const PEER: [u8; 6] = [0x02, 0, 0, 0, 0, 0x09];
    let dir = TempDir::new("fail");
    let frames: Vec<Vec<u8>> = (0..20).map(|i| frame([0xff; 6], PEER, 60 + i, i as u8)).collect();
    let mut vdev = String::from("net_pcap0");
    for q in 0..2 {
        let rx = dir.path(&format!("in{q}.pcap"));
        write_pcap(&rx, &frames);
        vdev += &format!(",rx_pcap={},tx_pcap={}", rx.display(), dir.path(&format!("out{q}.pcap")).display());
    }
    let mut eal = test_eal_args();
    eal.extend(["--lcores".into(), "(0-1)@(0-1)".into(), "--vdev".into(), vdev]);
    let run =
        run_with_fault(L2_MULTI_ECHO, &eal, &["--duration", "30", "--json"], &format!("queue1:{kind}@1"));
    let why = if kind == "panic" { "panicked at src/" } else { "injected fault" };
    let s = assert_failed_cleanly(&run, "lcore 1 (queue 1) failed", why);
    assert_stopped_within_a_second_of(&s, 1.0);
    assert_eq!(read_pcap(&dir.path("out0.pcap")).len(), frames.len(), "queue 0's capture is complete");
    let queues = s["queues"].as_array().unwrap();
    assert_eq!((u(&queues[0], "rx_packets"), u(&queues[0], "tx_packets")), (20, 20), "{s}");
    assert_eq!(u(&queues[1], "rx_packets"), 0, "{s}");
}

#[test]
fn a_panicking_lcore_stops_the_others() {
    a_failing_lcore_stops_the_others("panic");
}

#[test]
fn an_lcore_error_stops_the_others() {
    a_failing_lcore_stops_the_others("error");
}

/// A consumer that goes away (`l2_echo ... | head`) is a failure of the
/// monitor, which cannot print: the run stops, the port is closed, exit 1.
#[test]
fn stdout_closed_under_the_statistics_stops_the_run() {
    let eal = null_eal();
    let script = format!("{L2_ECHO} {} -- --stats 1 --duration 30 | head -n 3 >/dev/null", eal.join(" "));
    let started = std::time::Instant::now();
    let out = Command::new("bash").args(["-o", "pipefail", "-c", &script]).output().unwrap();
    remove_runtime_dir(&eal);
    let run = Run::from(out);
    let took = started.elapsed();
    assert_eq!(run.status.code(), Some(1), "{run}");
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap_or_default()
            .contains("(echo-monitor) failed: cannot write the statistics to stdout"),
        "{run}"
    );
    assert!(!run.stderr.contains("panicked"), "{run}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}
