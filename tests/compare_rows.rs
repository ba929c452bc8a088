//! make compare's kernel rows, answering l2_load's probes on a veth as root:
//! the kernel's own ICMP echo, udp_echo over the kernel's UDP sockets, and
//! the XDP paper's forwarding program. None of them involves DPDK on the
//! echo side, so they run once, not in every DPDK lane (l2_load.rs has the
//! rows where l2_echo answers).

mod common;
use common::*;
use std::process::Command;
use std::time::Duration;

/// The same probes answered by the kernel: the echo side of a veth owns the
/// address, and its ICMP echo replies pass every check of l2_load's.
#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn icmp_probes_are_answered_by_the_kernel() {
    require_veth();
    let net = VethPair::new("lki", 1);
    sh(&["ip", "-n", &net.echo_ns, "addr", "add", &format!("{ECHO_IP}/24"), "dev", ECHO_IF]);
    let run =
        net.load_from_peer(&["--expect", "icmp", "--src-ip", PEER_IP, "--dst-ip", ECHO_IP, "--rate", "1000"]);
    let s = run.summary();
    assert_eq!(run.status.code(), Some(0), "{run}\n{}", net.counters());
    assert_eq!([u(&s, "sent"), u(&s, "good"), u(&s, "bad"), u(&s, "lost")], [1000, 1000, 0, 0], "{run}");
    rtt_within_the_timeout(&s, 1.0);
}

/// make compare's socket row: the kernel's UDP path, answered by udp_echo
/// (recvmmsg/sendmmsg) on the echo side of a veth; every datagram comes back
/// from the port it went to, checksums right.
#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn udp_probes_are_answered_by_a_socket_echo() {
    require_veth();
    let net = VethPair::new("lku", 1);
    sh(&["ip", "-n", &net.echo_ns, "addr", "add", &format!("{ECHO_IP}/24"), "dev", ECHO_IF]);
    // The kernel computes the UDP checksum itself, as for a NIC without
    // offloads: a veth's is left for hardware that is not there.
    sh(&["ip", "netns", "exec", &net.echo_ns, "ethtool", "-K", ECHO_IF, "tx", "off"]);
    let cpu = lcores_off_peer_cpu(1).split_once('@').expect("0@CPU").1.to_string();
    let mut echo_cmd = Command::new("ip");
    echo_cmd.args(["netns", "exec", &net.echo_ns]).arg(workspace_bin("udp_echo"));
    echo_cmd.args(["--cpu", &cpu, "--json"]);
    let echo = spawn_command(&mut echo_cmd);
    std::thread::sleep(Duration::from_millis(500));
    let run = net.load_from_peer(&[
        "--expect", "udp", "--flows", "4", "--src-ip", PEER_IP, "--dst-ip", ECHO_IP, "--rate", "1000",
    ]);
    echo.signal(libc::SIGINT);
    let echoed = finish(echo, Duration::from_secs(10));
    echoed.assert_success();
    let (s, e) = (run.summary(), echoed.summary());
    assert_eq!(run.status.code(), Some(0), "{run}\n{echoed}\n{}", net.counters());
    assert_eq!([u(&s, "sent"), u(&s, "good"), u(&s, "bad"), u(&s, "lost")], [1000, 1000, 0, 0], "{run}");
    let (warm_sent, _) = warmup(&s);
    assert_eq!([u(&e, "received"), u(&e, "sent")], [1000 + warm_sent; 2], "the echo's own counts: {e}");
}

/// make compare's xdp row: the XDP paper's forwarding program on the echo
/// side swaps each frame's addresses and sends it back (XDP_TX); l2_load's
/// raw probes all come back swapped, every other byte as sent, and the
/// program's own count (the veth's xdp_tx) agrees.
#[test]
#[ignore = "needs root (network namespaces, XDP): sudo make test runs it"]
fn l2_probes_are_answered_by_xdp() {
    require_veth();
    let dir = TempDir::new("xdp");
    let object = dir.path("swap.o");
    let built =
        Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/build_xdp.sh")).arg(&object).output();
    Run::from(built.expect("run scripts/build_xdp.sh")).assert_success();
    let net = VethPair::new("lkd", 1);
    let object = object.to_str().expect("a UTF-8 path");
    let attach = |ns: &str, dev: &str, program: &str| {
        sh(&[
            "ip", "-n", ns, "link", "set", "dev", dev, "xdpdrv", "obj", object, "sec", "xdp", "program",
            program,
        ]);
    };
    attach(&net.echo_ns, ECHO_IF, "xdp_swap");
    // XDP_TX to a veth reaches the other end only if that end runs XDP too.
    attach(&net.peer_ns, PEER_IF, "xdp_pass");
    let run = net.load_from_peer(&["--expect", "swap", "--rate", "1000"]);
    let s = run.summary();
    assert_eq!(run.status.code(), Some(0), "{run}\n{}", net.counters());
    assert_eq!([u(&s, "sent"), u(&s, "good"), u(&s, "bad"), u(&s, "lost")], [1000, 1000, 0, 0], "{run}");
    let stats = Command::new("ip").args(["netns", "exec", &net.echo_ns, "ethtool", "-S", ECHO_IF]).output();
    let stats = String::from_utf8(stats.expect("ethtool -S").stdout).expect("UTF-8");
    let xdp_tx: u64 = stats
        .lines()
        .find_map(|l| l.trim().strip_prefix("rx_queue_0_xdp_tx: "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no rx_queue_0_xdp_tx in ethtool -S:\n{stats}"));
    let (warm_sent, _) = warmup(&s);
    assert_eq!(xdp_tx, 1000 + warm_sent, "the program sent back what l2_load sent: {stats}");
}
