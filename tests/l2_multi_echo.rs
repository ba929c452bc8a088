//! l2_multi_echo: one queue pair per lcore, queue = the lcore's index.

mod common;
use common::*;
use std::time::Duration;

const PEER: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const BROADCAST: [u8; 6] = [0xff; 6];

/// Runs l2_multi_echo on net_pcap with one rx/tx capture pair per queue and
/// the given `--lcores` map; checks every queue echoed its own capture.
fn echo_pcap_per_queue(lcores: &str, first_lcore: u64) -> Run {
    let dir = TempDir::new("mq");
    let queues = 4;
    let mut vdev = String::from("net_pcap0");
    let mut inputs = Vec::new();
    for q in 0..queues {
        let frames: Vec<Vec<u8>> =
            (0..10 + q).map(|i| frame(BROADCAST, PEER, 60 + i * 10 + q, q as u8 * 16)).collect();
        let rx = dir.path(&format!("in{q}.pcap"));
        write_pcap(&rx, &frames);
        vdev += &format!(",rx_pcap={},tx_pcap={}", rx.display(), dir.path(&format!("out{q}.pcap")).display());
        inputs.push(frames);
    }
    let mut eal = test_eal_args();
    eal.extend(["--lcores".into(), lcores.into(), "--vdev".into(), vdev]);
    let run = run(L2_MULTI_ECHO, &eal, &["--duration", "1", "--json"]);
    run.assert_success();
    let summary = run.summary();
    let port_mac = parse_mac(summary["port_mac"].as_str().unwrap());
    let per_queue = summary["queues"].as_array().unwrap();
    assert_eq!(per_queue.len(), queues);
    for (q, sent) in inputs.iter().enumerate() {
        let back = read_pcap(&dir.path(&format!("out{q}.pcap")));
        assert_eq!(back.len(), sent.len(), "queue {q} echoes its own capture");
        for (s, b) in sent.iter().zip(&back) {
            assert_eq!(b[..6], s[6..12]);
            assert_eq!(b[6..12], port_mac);
            assert_eq!(b[12..], s[12..], "queue {q}: only the addresses change");
        }
        assert_eq!(u(&per_queue[q], "queue"), q as u64);
        assert_eq!(u(&per_queue[q], "lcore"), first_lcore + q as u64, "queue {q} ran on the right lcore");
        assert_eq!(u(&per_queue[q], "rx_packets"), sent.len() as u64);
        assert_eq!(u(&per_queue[q], "tx_packets"), sent.len() as u64);
    }
    assert!(run.stderr.contains("offers no IP/TCP/UDP RSS"), "pcap has no RSS: said once\n{run}");
    run
}

#[test]
fn four_lcores_on_two_cpus_each_echo_their_own_queue() {
    echo_pcap_per_queue("(0-3)@(0-1)", 0);
}

#[test]
fn a_core_list_not_starting_at_zero_maps_queues_by_lcore_index() {
    echo_pcap_per_queue("(2-5)@(0-1)", 2);
}

#[test]
fn too_few_device_queues_is_explained() {
    let dir = TempDir::new("mq1");
    let rx = dir.path("in.pcap");
    write_pcap(&rx, &[frame(BROADCAST, PEER, 60, 0)]);
    let mut eal = test_eal_args();
    eal.extend(["--lcores".into(), "(0-3)@(0-1)".into(), "--vdev".into()]);
    eal.push(format!("net_pcap0,rx_pcap={},tx_pcap={}", rx.display(), dir.path("out.pcap").display()));
    let run = run(L2_MULTI_ECHO, &eal, &[]);
    run.assert_fails_saying("has 1 RX and 1 TX queues, but 4 lcores need 4 queue pairs");
    assert!(run.stderr.contains("run l2_echo") && run.stderr.contains("mq=on"), "{run}");
}

#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn af_packet_over_a_four_queue_veth_spreads_udp_flows_over_every_queue() {
    require_veth();
    let net = VethPair::new("mq", 4);
    // Four polling lcores taking turns on the CPUs off PEER_CPU (a function
    // test); the UDP sender and the peer's receive work on PEER_CPU.
    let eal = net.af_packet_eal(4);
    let echo = net.start_echo(L2_MULTI_ECHO, &eal, &["--json"]);
    let sent = net.send_udp_flows(64, 8);
    std::thread::sleep(Duration::from_millis(500)); // the last echoes leave
    let run = stop(echo, &eal);
    run.assert_success();
    let summary = run.summary();
    assert_eq!(
        u(&summary, "rx_packets"),
        sent,
        "every datagram reached a queue: {summary}{}",
        net.counters()
    );
    assert_eq!(u(&summary, "tx_packets"), sent, "and went back out: {summary}");
    for q in summary["queues"].as_array().unwrap() {
        assert!(u(q, "rx_packets") > 0, "queue {} received nothing: {summary}", q["queue"]);
        assert_eq!(u(q, "rx_packets"), u(q, "tx_packets"));
    }
}

/// --mode icmp on every lcore of l2_multi_echo too: the peer's ping, after
/// ARP (the peer's neighbour entry removed first, so its kernel must ask and
/// l2_multi_echo must answer), gets every reply; the echo sent exactly the
/// replies and the ARP answers, and ignored nothing it should have answered.
#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn ping_and_arp_are_answered_by_l2_multi_echo_in_icmp_mode() {
    require_veth();
    let net = VethPair::new("mi", 2);
    let eal = net.af_packet_eal(2);
    let echo = net.start_echo(L2_MULTI_ECHO, &eal, &["--json", "--mode", "icmp", "--ip", ECHO_IP]);
    sh(&["ip", "-n", &net.peer_ns, "neigh", "del", ECHO_IP, "dev", PEER_IF]);
    let ping = net.peer_command("ping").args(["-c", "20", "-i", "0.05", "-W", "5", ECHO_IP]).output();
    let ping = Run::from(ping.expect("ping"));
    let run = stop(echo, &eal);
    run.assert_success();
    assert!(ping.stdout.contains("20 packets transmitted, 20 received"), "{ping}\n{run}{}", net.counters());
    let e = run.summary();
    let arp = u(&e, "arp_replies");
    assert!(arp >= 1, "the peer's ARP request was answered: {e}");
    assert_eq!(u(&e, "tx_packets"), 20 + arp, "an echo reply per ping and the ARP answers: {e}");
    assert_eq!(e["queues"].as_array().map(Vec::len), Some(2), "{e}");
}
