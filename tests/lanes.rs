//! l2_load over several lcores, a queue pair each, against l2_multi_echo
//! with as many queues: every queue of both sides carries frames, and a
//! reply is judged on whichever of l2_load's queues it lands. Outside the
//! DPDK lanes: the trial under it is tested there (tests/l2_load.rs).

mod common;
use common::memif::*;
use common::*;
use serde_json::Value;
use std::time::Duration;

/// The `lanes` of a trial's JSON: (lcore, sent, received) each.
fn lanes_of(s: &Value) -> Vec<(u64, u64, u64)> {
    let lanes = s["lanes"].as_array().unwrap_or_else(|| panic!("no lanes in {s}"));
    lanes.iter().map(|l| (u(l, "lcore"), u(l, "sent"), u(l, "received"))).collect()
}

/// Over memif, queue i of one side is queue i of the other: each of
/// l2_load's two lcores sends its half of the schedule on its own queue, the
/// echo's lcore on that queue answers it, and it comes back where it left.
/// Every frame back good, and the counts of both sides agree, lane by lane
/// and in all.
#[test]
fn two_lcores_load_every_queue_of_a_two_queue_l2_multi_echo_over_memif() {
    let link = Memif::new("lanes-memif");
    let echo_eal = with_lcores(link.echo_eal(), &lcores_off_peer_cpu(2));
    // Adaptive: once l2_load stops sending, the echo's two lcores sleep
    // rather than preempt each other inside memif's receive, where l2_load's
    // leaving (memif unmapping its rings) would fault the one preempted
    // (docs/reliability.md's "memif and shared CPUs": under qemu-user it did).
    let echo = link.start(L2_MULTI_ECHO, &echo_eal, &["--json", "--idle", "adaptive"]);
    let load_eal = with_lcores(link.load_eal(""), &format!("(0-1)@{PEER_CPU}"));
    // Four pollers on two CPUs take turns: a low rate, and a timeout of a
    // few of the scheduler's slices.
    let (code, s, out) = load(
        &load_eal,
        &["--dst", ECHO_MAC, "--flows", "4", "--rate", "20000", "--duration", "1", "--timeout", "0.5"],
    );
    let echoed = stop(echo, &echo_eal);
    echoed.assert_success();
    let e = echoed.summary();
    assert_eq!(code, Some(0), "every frame back good: {out}\n{e}");
    assert_eq!((u(&s, "sent"), u(&s, "good")), (20_000, 20_000), "{out}");
    let lanes = lanes_of(&s);
    assert_eq!(lanes.iter().map(|l| l.0).collect::<Vec<_>>(), [0, 1], "a lane per lcore: {out}");
    for (lcore, sent, received) in &lanes {
        assert_eq!((*sent, *received), (10_000, 10_000), "lcore {lcore}: half each way, its own back: {out}");
    }
    let queues = e["queues"].as_array().expect("the echo's queues");
    assert_eq!(queues.len(), 2, "{e}");
    let (warm_sent, warm_back) = warmup(&s);
    for q in queues {
        assert!(
            u(q, "rx_packets") >= 10_000,
            "queue {} of the echo carried a lane's frames: {e}",
            q["queue"]
        );
    }
    assert_eq!(u(&e, "rx_packets"), 20_000 + warm_sent, "{out}\n{e}");
    assert_eq!(u(&e, "tx_packets"), 20_000 + warm_back + u(&s, "other"), "{out}\n{e}");
    assert_losses_are_the_echo_s_drops(&[&s], &s, &e, &out);
}

/// Over a veth, net_af_packet's queues are sockets in one fanout group, and
/// the kernel hands each frame to one of them by its flow's hash: a reply
/// comes back on whichever of l2_load's queues its flow hashes to, not the
/// one that sent it. With 16 flows, 8 a lane, some come back on the other
/// lane (all landing where they left: 1 chance in 65,536), and each is still
/// judged once: every frame good, none twice, none unmatched, and what the
/// lanes received adds up to what they sent.
#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn a_reply_is_judged_on_whichever_lane_it_lands() {
    require_veth();
    let net = VethPair::new("lanes", 2);
    let echo_eal = net.af_packet_eal(2);
    let echo = net.start_echo(L2_MULTI_ECHO, &echo_eal, &["--json"]);
    let mut load_eal = test_eal_args();
    load_eal.extend([
        "--lcores".into(),
        format!("(0-1)@{PEER_CPU}"),
        "--vdev".into(),
        format!("net_af_packet0,iface={PEER_IF},qpairs=2{AF_PACKET_RING}"),
    ]);
    let mut load = net.peer_command(L2_LOAD);
    load.args(&load_eal).arg("--").args([
        "--json",
        "--dst",
        &net.echo_mac,
        "--flows",
        "16",
        "--rate",
        "5000",
        "--duration",
        "1",
        "--timeout",
        "0.5",
    ]);
    let out = finish(spawn_command(&mut load), Duration::from_secs(60));
    remove_runtime_dir(&load_eal);
    let echoed = stop(echo, &echo_eal);
    echoed.assert_success();
    let (s, e) = (out.summary(), echoed.summary());
    assert_eq!(out.status.code(), Some(0), "every frame back good: {out}\n{e}{}", net.counters());
    assert_eq!(
        (u(&s, "sent"), u(&s, "good"), u(&s, "duplicates"), u(&s, "unmatched")),
        (5000, 5000, 0, 0),
        "{out}"
    );
    let lanes = lanes_of(&s);
    assert_eq!(lanes.len(), 2, "{out}");
    assert!(lanes.iter().all(|&(_, sent, _)| sent == 2500), "half each: {out}");
    assert_eq!(lanes.iter().map(|l| l.2).sum::<u64>(), 5000, "each reply received once, somewhere: {out}");
    assert!(
        lanes.iter().any(|&(_, sent, received)| received != sent),
        "every reply came back on the lane that sent it, so this proves nothing: {out}"
    );
    for q in e["queues"].as_array().expect("the echo's queues") {
        assert!(u(q, "rx_packets") > 0, "queue {} of the echo carried frames: {e}", q["queue"]);
    }
}

/// One lcore per flow group: several lcores with a --flows they cannot
/// share out evenly are refused before a frame is sent, saying what to give.
#[test]
fn several_lcores_with_flows_they_cannot_share_are_refused() {
    let link = Memif::new("lanes-flows");
    let load_eal = with_lcores(link.load_eal(""), &format!("(0-1)@{PEER_CPU}"));
    let out = finish(
        spawn_load(&load_eal, &["--dst", ECHO_MAC, "--flows", "3", "--rate", "1000"]),
        Duration::from_secs(30),
    );
    remove_runtime_dir(&load_eal);
    assert_eq!(out.status.code(), Some(2), "{out}");
    out.assert_fails_saying("--flows 3 over 2 lcores");
    assert!(out.stderr.contains("a multiple of 2"), "{out}");
}
