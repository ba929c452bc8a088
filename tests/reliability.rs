//! Reliability: overload, peer loss, hostile frames, and kill -9. Durations
//! come from SOAK_SECS (default 3; `make soak` sets 30).

mod common;
use common::*;
use std::process::Command;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

/// The memif test runs alone, the others side by side. DPDK's memif PMD (every
/// release to date) unmaps a departing client's memory from its interrupt
/// thread while an lcore may be inside rte_eth_rx_burst on it: an lcore
/// preempted there, by anything sharing its CPU, faults. testpmd as the
/// server does the same; see docs/reliability.md.
static CPUS: RwLock<()> = RwLock::new(());

fn share_cpus() -> RwLockReadGuard<'static, ()> {
    CPUS.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn own_cpus() -> RwLockWriteGuard<'static, ()> {
    CPUS.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn soak() -> Duration {
    let secs = std::env::var("SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    Duration::from_secs(secs)
}

/// The last value testpmd printed for `field` (e.g. "RX-packets"), from its
/// periodic port statistics.
fn testpmd_last(stdout: &str, field: &str) -> u64 {
    stdout
        .lines()
        .filter_map(|l| l.split(&format!("{field}:")).nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .next_back()
        .unwrap_or_else(|| panic!("testpmd printed no {field}:\n{stdout}"))
}

/// A testpmd flowgen client overloads l2_echo, the memif server, then is
/// killed mid-flood (SIGKILL) and restarted, three times; the fourth ends with
/// SIGTERM so that testpmd prints its totals. The echo keeps running and
/// echoes each new client; at the end the clients got back no more than the
/// echo sent, and the pools hold as many mbufs as after start.
///
/// The echo takes at most 4 frames a poll while flowgen sends 32 a burst, so
/// the generator outruns it whatever the machine (under qemu-user the two
/// programs run at about the same speed at equal bursts).
#[test]
fn overload_and_three_killed_clients_lose_nothing_and_leak_nothing() {
    let _alone = own_cpus();
    let dir = TempDir::new("memif");
    let socket = dir.path("memif.sock");
    let memif = |role: &str| format!("net_memif0,role={role},socket={},socket-abstract=no", socket.display());
    let mut eal = test_eal_args();
    eal.extend(["--lcores".into(), "0@0".into(), "--vdev".into(), memif("server")]);
    let mut echo = spawn(L2_ECHO, &eal, &["--burst", "4", "--stats", "1", "--json"]);
    std::thread::sleep(Duration::from_secs(2)); // the server listens before the client starts

    let (mut generator_dropped, mut echoed_to_clients) = (0, 0);
    for round in 1..=4 {
        let last = round == 4;
        // A memif client connects once, at start, and never retries: if the
        // server has not yet seen the last client go, this one sends nothing.
        // Start it again then, as a real client would reconnect.
        let run = (1..=5)
            .map(|_| {
                let mut client_eal = test_eal_args();
                client_eal.extend(["--lcores".into(), "0@1,1@1".into(), "--vdev".into(), memif("client")]);
                // All of the client on CPU 1, its EAL threads too, so nothing
                // preempts the echo's lcore (see CPUS); stdout line-buffered so
                // that a SIGKILL loses none of its statistics.
                let client = spawn_command(
                    Command::new("taskset")
                        .args(["-c", "1", "stdbuf", "-oL"])
                        .arg(dpdk_tool("dpdk-testpmd"))
                        .args(&client_eal)
                        .args(["--", "--forward-mode=flowgen", "--stats-period=1", "--total-num-mbufs=8192"]),
                );
                std::thread::sleep(soak() + Duration::from_millis(1500));
                client.signal(if last { libc::SIGTERM } else { libc::SIGKILL });
                let run = finish(client, Duration::from_secs(10));
                remove_runtime_dir(&client_eal);
                std::thread::sleep(Duration::from_secs(1)); // the server notices the disconnect
                run
            })
            // A killed client's last figures are up to a second old: under
            // qemu-user a client killed a second after connecting may show
            // frames sent and none back yet, and is started again too.
            .find(|run| {
                // A client killed before its first statistics printed none.
                let echoed =
                    run.stdout.contains("RX-packets:") && testpmd_last(&run.stdout, "RX-packets") > 0;
                echoed || echo.has_exited()
            })
            .unwrap_or_else(|| panic!("round {round}: no client got an echo back in 5 tries"));
        if echo.has_exited() {
            panic!("round {round}: the echo died:\n{}", finish(echo, Duration::ZERO));
        }
        // A lower bound, as the figures are up to a second old.
        let echoed_back = testpmd_last(&run.stdout, "RX-packets");
        echoed_to_clients += echoed_back;
        if last {
            generator_dropped = testpmd_last(&run.stdout, "TX-dropped");
            assert!(generator_dropped > 0, "the generator never outran the echo:\n{run}");
        }
    }

    let run = stop(echo, &eal);
    run.assert_success();
    let s = run.summary();
    // memif reports port counters only while a client is connected (its
    // stats_get sums the connected rings), so here the clients' counts are
    // the independent ones; the other tests compare the loop's with the port's.
    let (rx, tx) = (u(&s, "rx_packets"), u(&s, "tx_packets"));
    assert!(tx >= echoed_to_clients, "the clients got {echoed_to_clients} echoes, the echo sent {tx}: {s}");
    assert_eq!(u(&s, "mbufs_in_use"), u(&s, "mbufs_baseline"), "mbufs leaked: {s}");
    assert!(run.stdout.contains("mbufs:"), "periodic stats report the pools:\n{run}");
    println!(
        "overload: 4 memif clients x {:?}, 3 killed mid-flood (SIGKILL) and restarted; echo rx {rx} tx {tx} \
         tx_dropped {}; clients got back at least {echoed_to_clients}; generator could not send \
         {generator_dropped} in the last round; mbufs in use {} (baseline {})",
        soak(),
        u(&s, "tx_dropped"),
        u(&s, "mbufs_in_use"),
        u(&s, "mbufs_baseline"),
    );
}

/// The veth peer's link goes down and up three times; l2_ping gets every
/// probe back after each.
#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn the_echo_survives_the_peer_link_going_down_and_up() {
    require_veth();
    let _shared = share_cpus();
    let net = VethPair::new("rl", 1);
    // The polling lcore off PEER_CPU, l2_ping and the peer's receive work on it.
    let eal = net.af_packet_eal(1);
    let echo = net.start_echo(L2_ECHO, &eal, &["--json"]);
    let l2_ping = l2_ping_bin();
    let ping = || {
        let out = net
            .peer_command(&l2_ping)
            .args(["-I", PEER_IF, "--dst", &net.echo_mac, "-c", "20", "-i", "0.01", "--json"])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    for round in 0..=3 {
        if round > 0 {
            sh(&["ip", "-n", &net.peer_ns, "link", "set", PEER_IF, "down"]);
            std::thread::sleep(Duration::from_millis(500));
            sh(&["ip", "-n", &net.peer_ns, "link", "set", PEER_IF, "up"]);
            std::thread::sleep(Duration::from_millis(500));
        }
        let (code, out) = ping();
        assert_eq!(code, Some(0), "round {round}: not every probe came back: {out}{}", net.counters());
    }
    let run = stop(echo, &eal);
    run.assert_success();
    assert_eq!(u(&run.summary(), "tx_packets"), 80, "{run}");
}

/// VLAN and QinQ tags, frames at 1514 bytes, jumbo frames that arrive as
/// multi-segment mbufs (or that the driver drops and counts), runts, and
/// random bytes of random lengths: each frame of 14 bytes or more that the
/// port delivers comes back with only its 12 address bytes changed.
#[test]
fn hostile_frames_are_echoed_exactly_or_dropped_and_counted() {
    let _shared = share_cpus();
    const PEER: [u8; 6] = [0x02, 0, 0, 0, 0, 7];
    let mut frames = Vec::new();
    let mut vlan = frame([0xff; 6], PEER, 64, 1);
    vlan[12..18].copy_from_slice(&[0x81, 0x00, 0x00, 0x64, 0x88, 0xb5]);
    frames.push(vlan);
    let mut qinq = frame([0xff; 6], PEER, 68, 2);
    qinq[12..22].copy_from_slice(&[0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00]);
    frames.push(qinq);
    frames.push(frame(PEER, PEER, 1514, 3));
    frames.push(frame([0x01, 0x80, 0xc2, 0, 0, 0], PEER, 4000, 4)); // 2 segments
    frames.push(frame([0xff; 6], PEER, 9000, 5)); // 5 segments

    // Random bytes: a fixed xorshift sequence, so a failure can be replayed.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..300 {
        let len = (next() % 1600) as usize;
        frames.push((0..len).map(|_| next() as u8).collect());
    }
    let runts = frames.iter().filter(|f| f.len() < 14).count() as u64;
    assert!(runts > 0, "the random frames include runts");

    let dir = TempDir::new("hostile");
    let (rx, tx) = (dir.path("in.pcap"), dir.path("out.pcap"));
    write_pcap(&rx, &frames);
    let mut eal = test_eal_args();
    eal.extend(["-l".into(), "0".into(), "--vdev".into()]);
    eal.push(format!("net_pcap0,rx_pcap={},tx_pcap={}", rx.display(), tx.display()));
    let run = run(L2_ECHO, &eal, &["--mode", "swap", "--duration", "1", "--json"]);
    run.assert_success();
    let s = run.summary();
    // Frames longer than an mbuf's data room arrive in several segments where
    // the driver scatters them (net_pcap up to 26.03); where it does not
    // (26.07's net_pcap, as a NIC without RX scatter, which the echo does not
    // ask for), the port drops every one of them, counted in its ierrors,
    // before the echo sees it.
    const DATA_ROOM: usize = 2048;
    let jumbo = frames.iter().filter(|f| f.len() > DATA_ROOM).count() as u64;
    let port_dropped = u(&s, "ierrors");
    assert!(port_dropped == 0 || port_dropped == jumbo, "the port dropped {port_dropped} frames: {s}");
    let sent: Vec<&Vec<u8>> =
        frames.iter().filter(|f| f.len() >= 14 && (port_dropped == 0 || f.len() <= DATA_ROOM)).collect();
    let back = read_pcap(&tx);
    assert_eq!(back.len(), sent.len(), "{s}");
    for (i, (s, b)) in sent.iter().zip(&back).enumerate() {
        assert_eq!(b.len(), s.len(), "frame {i}");
        assert_eq!(b[..6], s[6..12], "frame {i}");
        assert_eq!(b[6..12], s[..6], "frame {i}");
        assert_eq!(b[12..], s[12..], "frame {i}: bytes past the addresses changed");
    }
    assert_eq!(u(&s, "rx_packets"), frames.len() as u64 - port_dropped);
    assert_eq!(u(&s, "ipackets"), u(&s, "rx_packets"), "the port's count and the loop's: {s}");
    assert_eq!(u(&s, "runt_dropped"), runts);
    assert_eq!(u(&s, "tx_packets"), sent.len() as u64);
    assert_eq!(u(&s, "mbufs_in_use"), u(&s, "mbufs_baseline"), "{s}");
}

/// After kill -9 (no cleanup at all), a new process on the same --file-prefix
/// starts and runs.
#[test]
fn a_restart_after_sigkill_on_the_same_file_prefix_works() {
    let _shared = share_cpus();
    let prefix = format!("l2t{}_kill9", std::process::id());
    // Shared config (no --no-shconf): what a crashed primary would leave behind.
    let eal: Vec<String> =
        ["--no-pci", "--no-huge", "-m", "256", "--no-telemetry", "--file-prefix", &prefix, "-l", "0"]
            .iter()
            .map(|s| s.to_string())
            .chain(["--vdev".into(), "net_null0".into()])
            .collect();
    let first = spawn(L2_ECHO, &eal, &[]);
    std::thread::sleep(Duration::from_millis(1500));
    first.signal(libc::SIGKILL);
    finish(first, Duration::from_secs(10));
    let second = run(L2_ECHO, &eal, &["--duration", "0.5", "--json"]);
    second.assert_success();
    assert!(u(&second.summary(), "rx_packets") > 0);
}
