//! l2_ping against real peers over a veth pair in namespaces the test makes:
//! l2_echo (every probe back, rewritten), nobody (all lost), and testpmd in io
//! mode (frames back unchanged: bad, and so not lost).

mod common;
use common::*;
use std::time::{Duration, Instant};

fn ping(net: &VethPair, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = net
        .peer_command(l2_ping_bin())
        .args(["-I", PEER_IF, "--dst", &net.echo_mac])
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line =
        stdout.lines().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("no JSON: {stdout}{stderr}"));
    (out.status.code(), serde_json::from_str(line).unwrap(), format!("{stdout}{stderr}"))
}

#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn every_probe_comes_back_from_l2_echo() {
    require_veth();
    let net = VethPair::new("pe", 1);
    // The polling lcore off PEER_CPU, l2_ping and the peer's receive work on it.
    let eal = net.af_packet_eal(1);
    let echo = net.start_echo(L2_ECHO, &eal, &["--json"]);
    let (code, s, out) = ping(&net, &["-c", "50", "-i", "0.005"]);
    let (code_flows, s_flows, out_flows) = ping(&net, &["-c", "200", "--rate", "2000", "--flows", "16"]);
    let run = stop(echo, &eal);
    run.assert_success();

    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        (u(&s, "sent"), u(&s, "good"), u(&s, "lost"), u(&s, "bad")),
        (50, 50, 0, 0),
        "{out}{run}{}",
        net.counters()
    );
    assert_eq!(u(&s, "good") + u(&s, "bad") + u(&s, "late") + u(&s, "lost"), u(&s, "sent"));
    assert_eq!(s["dst"].as_str(), Some(net.echo_mac.as_str()));
    let rtt = &s["rtt_us"];
    for p in ["min", "p50", "p90", "p99", "p999", "max"] {
        assert!(rtt[p].as_f64().is_some_and(|v| v > 0.0), "rtt {p} in {s}");
    }
    assert!(rtt["min"].as_f64() <= rtt["p50"].as_f64() && rtt["p99"].as_f64() <= rtt["max"].as_f64());
    let (jitter, range) =
        (rtt["jitter"].as_f64().unwrap(), rtt["max"].as_f64().unwrap() - rtt["min"].as_f64().unwrap());
    assert!(
        (0.0..=range * 1.002).contains(&jitter),
        "the mean step between round trips, in their range: {rtt}"
    );

    assert_eq!(code_flows, Some(0), "{out_flows}{run}{}", net.counters());
    assert_eq!((u(&s_flows, "good"), u(&s_flows, "bad")), (200, 0), "{out_flows}");
    let echoed = run.summary();
    assert_eq!(u(&echoed, "rx_packets"), 250, "the echo saw exactly the probes: {echoed}");
}

#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn a_silent_peer_loses_everything_within_the_timeout() {
    require_veth();
    let net = VethPair::new("ps", 1);
    let started = Instant::now();
    let (code, s, out) = ping(&net, &["-c", "5", "-i", "0.05", "-W", "0.5"]);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!((u(&s, "sent"), u(&s, "good"), u(&s, "lost")), (5, 0, 5), "{out}");
    assert_eq!(s["loss_pct"].as_f64(), Some(100.0));
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn frames_returned_unchanged_are_bad() {
    require_veth();
    let net = VethPair::new("pt", 1);
    // testpmd's two lcores off PEER_CPU, l2_ping on it.
    let eal = net.af_packet_eal(2);
    // testpmd's io mode sends each frame back out of the port it came in on, untouched.
    let testpmd = net.start_echo(
        "dpdk-testpmd",
        &eal,
        &["--forward-mode=io", "--port-topology=loop", "--stats-period=1", "--total-num-mbufs=4096"],
    );
    let (code, s, out) = ping(&net, &["-c", "10", "-i", "0.01", "-W", "0.5"]);
    stop(testpmd, &eal);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!((u(&s, "good"), u(&s, "bad"), u(&s, "lost")), (0, 10, 0), "{out}");
}
