//! --idle adaptive: the lcore sleeps while its queue is empty, and still
//! answers every probe, the first after a long quiet spell included; the
//! counters balance; Ctrl+C ends it within a second while it sleeps.

mod common;
use common::*;
use std::time::{Duration, Instant};

fn l2_ping(net: &VethPair, args: &[&str]) -> Value {
    let out = net
        .peer_command(l2_ping_bin())
        .args(["-I", PEER_IF, "--dst", &net.echo_mac, "--json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("no JSON: {stdout}"));
    serde_json::from_str(line).unwrap()
}

#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn adaptive_idle_answers_every_probe_even_after_a_quiet_spell() {
    require_veth();
    let net = VethPair::new("id", 1);
    // The lcore off PEER_CPU, l2_ping on it: it sleeps, but even polling it could not starve l2_ping.
    let eal = net.af_packet_eal(1);
    let echo = net.start_echo(L2_ECHO, &eal, &["--idle", "adaptive", "--json"]);
    // Quiet for 3 s: the lcore has backed off to its longest sleeps.
    std::thread::sleep(Duration::from_secs(3));
    let first = l2_ping(&net, &["-c", "1", "-W", "1"]);
    let burst = l2_ping(&net, &["-c", "200", "--rate", "1000"]);
    std::thread::sleep(Duration::from_secs(2));
    let after_quiet = l2_ping(&net, &["-c", "1", "-W", "1"]);
    // Ctrl+C while it sleeps.
    std::thread::sleep(Duration::from_millis(500));
    echo.signal(libc::SIGINT);
    let signalled = Instant::now();
    let run = finish(echo, Duration::from_secs(20));
    let took = signalled.elapsed();
    remove_runtime_dir(&eal);
    run.assert_success();
    assert!(took < Duration::from_secs(1), "took {took:?} to stop");

    for (what, s, n) in
        [("the first probe", &first, 1), ("200 at 1000/s", &burst, 200), ("after 2 s", &after_quiet, 1)]
    {
        assert_eq!((u(s, "good"), u(s, "bad")), (n, 0), "{what}: {s}\n{run}{}", net.counters());
    }
    let s = run.summary();
    assert_eq!(s["idle"], "adaptive");
    // l2_ping's 202 probes, as the loop and the port counted them each way.
    let counts = ["rx_packets", "ipackets", "tx_packets", "opackets"].map(|k| u(&s, k));
    assert_eq!(counts, [202; 4], "{s}");
    let q = &s["queues"][0];
    let (slept, elapsed) = (q["slept_s"].as_f64().unwrap(), s["elapsed_s"].as_f64().unwrap());
    assert!(slept > 0.5 * elapsed, "the lcore slept {slept} s of {elapsed} s: {q}");
}

/// l2_multi_echo: each lcore backs off on its own queue, from deep sleep too,
/// and wakes for the flows RSS (af_packet's fanout) gives it.
#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn adaptive_idle_on_every_queue_of_l2_multi_echo() {
    require_veth();
    let net = VethPair::new("idm", 4);
    // Four lcores taking turns on the CPUs off PEER_CPU; the UDP sender on PEER_CPU.
    let eal = net.af_packet_eal(4);
    let echo = net.start_echo(L2_MULTI_ECHO, &eal, &["--idle", "adaptive", "--json"]);
    // Longer than the 100 ms before deep sleeps, on every queue.
    std::thread::sleep(Duration::from_secs(1));
    let sent = net.send_udp_flows(64, 8);
    std::thread::sleep(Duration::from_millis(500)); // the last echoes leave
    let run = stop(echo, &eal);
    run.assert_success();
    let s = run.summary();
    assert_eq!(
        (u(&s, "rx_packets"), u(&s, "tx_packets")),
        (sent, sent),
        "every datagram echoed: {s}{}",
        net.counters()
    );
    for q in s["queues"].as_array().unwrap() {
        assert!(u(q, "rx_packets") > 0, "queue {} received nothing: {s}", q["queue"]);
        assert_eq!(u(q, "rx_packets"), u(q, "tx_packets"), "{q}");
        assert!(q["slept_s"].as_f64().unwrap() > 0.5, "queue {} hardly slept: {q}", q["queue"]);
    }
}

/// Under full load the back-off never engages: nothing slept, nothing lost.
#[test]
fn adaptive_idle_never_sleeps_under_load() {
    let mut eal = test_eal_args();
    eal.extend(["-l", "0", "--vdev", "net_null0"].map(String::from));
    let s = run(L2_ECHO, &eal, &["--idle", "adaptive", "--duration", "1", "--json"]).summary();
    let q = &s["queues"][0];
    assert_eq!(q["slept_s"].as_f64(), Some(0.0), "{q}");
    assert!(u(&s, "rx_packets") > 0);
    // The loop's counts against the port's: a frame the loop lost track of shows.
    assert_eq!(u(&s, "rx_packets"), u(&s, "ipackets"), "{s}");
    assert_eq!(u(&s, "tx_packets"), u(&s, "opackets"), "{s}");
}

/// poll, the default, never sleeps either, even with nothing to do.
#[test]
fn poll_is_the_default_and_never_sleeps() {
    let dir = TempDir::new("idle");
    let rx = dir.path("in.pcap");
    write_pcap(&rx, &[frame([0xff; 6], [2, 0, 0, 0, 0, 1], 60, 0)]);
    let mut eal = test_eal_args();
    eal.extend(["-l".into(), "0".into(), "--vdev".into()]);
    eal.push(format!("net_pcap0,rx_pcap={},tx_pcap={}", rx.display(), dir.path("out.pcap").display()));
    let s = run(L2_ECHO, &eal, &["--duration", "1", "--json"]).summary();
    assert_eq!(s["idle"], "poll");
    assert_eq!(s["queues"][0]["slept_s"].as_f64(), Some(0.0), "{s}");
}
