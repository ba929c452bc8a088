//! make compare's kernel rows, answering l2_load's probes on a veth as root:
//! the kernel's own ICMP echo, udp_echo over the kernel's UDP sockets, and
//! the XDP paper's forwarding program. None of them involves DPDK on the
//! echo side, so they run once, not in every DPDK lane (l2_load.rs has the
//! rows where l2_echo answers).

mod common;
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

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
/// side (xdp_echo) swaps each frame's addresses and sends it back (XDP_TX);
/// l2_load's raw probes all come back swapped, every other byte as sent, the
/// program's own count (the veth's xdp_tx) agrees, and Ctrl+C detaches it.
#[test]
#[ignore = "needs root (network namespaces, XDP): sudo make test runs it"]
fn l2_probes_are_answered_by_xdp() {
    require_veth();
    let net = VethPair::new("lkd", 1);
    let echo = start_xdp_echo(&net.echo_ns, ECHO_IF, "swap");
    // XDP_TX to a veth reaches the other end only if that end runs XDP too.
    let peer_pass = start_xdp_echo(&net.peer_ns, PEER_IF, "pass");
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
    for (proc, ns, dev) in [(echo, &net.echo_ns, ECHO_IF), (peer_pass, &net.peer_ns, PEER_IF)] {
        proc.signal(libc::SIGINT);
        let done = finish(proc, Duration::from_secs(10));
        done.assert_success();
        assert!(done.stdout.contains(&format!("detached from {dev}")), "{done}");
        assert!(xdp_program_on(ns, dev).is_none(), "still attached after Ctrl+C: {done}");
    }
}

/// An interface that already runs an XDP program is refused, naming the
/// option, and the program there stays; and a killed xdp_echo (kill -9: no
/// chance to clean up) leaves nothing attached, its BPF link gone with it.
#[test]
#[ignore = "needs root (network namespaces, XDP): sudo make test runs it"]
fn xdp_echo_refuses_a_busy_interface_and_leaves_nothing_when_killed() {
    require_veth();
    let net = VethPair::new("lkb", 1);
    let first = start_xdp_echo(&net.echo_ns, ECHO_IF, "pass");
    let attached = xdp_program_on(&net.echo_ns, ECHO_IF).expect("attached");
    let second = Command::new("ip")
        .args(["netns", "exec", &net.echo_ns])
        .arg(workspace_bin("xdp_echo"))
        .args(["--interface", ECHO_IF])
        .output();
    let second = Run::from(second.expect("run xdp_echo"));
    assert_eq!(second.status.code(), Some(2), "{second}");
    assert!(
        second.stderr.contains(&format!("{ECHO_IF} already runs an XDP program (--interface)")),
        "{second}"
    );
    assert_eq!(second.stderr.lines().count(), 1, "one line: {second}");
    assert_eq!(xdp_program_on(&net.echo_ns, ECHO_IF), Some(attached), "the first one's program replaced");

    first.signal(libc::SIGKILL);
    let killed = finish(first, Duration::from_secs(10));
    assert_eq!(killed.status.code(), None, "killed: {killed}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while xdp_program_on(&net.echo_ns, ECHO_IF).is_some() {
        assert!(Instant::now() < deadline, "still attached 5 s after kill -9");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// xdp_echo's `program` on `dev` in `ns`, once the kernel shows it attached.
fn start_xdp_echo(ns: &str, dev: &str, program: &str) -> Proc {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns]).arg(workspace_bin("xdp_echo"));
    cmd.args(["--interface", dev, "--program", program]);
    let mut proc = spawn_command(&mut cmd);
    let deadline = Instant::now() + Duration::from_secs(10);
    while xdp_program_on(ns, dev).is_none() {
        if proc.has_exited() {
            panic!("xdp_echo ended before attaching: {}", finish(proc, Duration::from_secs(1)));
        }
        assert!(Instant::now() < deadline, "xdp_echo --program {program} not attached to {dev} after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    proc
}

/// The id of the XDP program on `dev` in `ns`, as the kernel reports it.
fn xdp_program_on(ns: &str, dev: &str) -> Option<u64> {
    let out = Command::new("ip").args(["-n", ns, "-d", "link", "show", "dev", dev]).output();
    let out = String::from_utf8(out.expect("ip link show").stdout).expect("UTF-8");
    let id = out.split_once("prog/xdp id ")?.1.split_whitespace().next()?;
    Some(id.parse().unwrap_or_else(|_| panic!("prog/xdp id {id}? {out}")))
}
