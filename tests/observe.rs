//! Watching a running server with DPDK's own tools, and the lcore load:
//! dpdk-telemetry.py (/ethdev/* and the app's /l2echo/stats, and on DPDK
//! 23.03+ EAL's /eal/lcore/usage), dpdk-proc-info and dpdk-dumpcap (secondary
//! processes: real hugepages, shared config), --xstats, and the load figures
//! in the summary.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

/// The dumpcap test runs alone, the others side by side. When dumpcap stops,
/// DPDK's pdump removes its callbacks and frees the capture's buffers without
/// waiting for the lcores; an lcore preempted inside a callback then faults
/// (docs/watching.md). Nothing may share the server's lcore CPU then.
static CPUS: RwLock<()> = RwLock::new(());

fn share_cpus() -> RwLockReadGuard<'static, ()> {
    CPUS.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn own_cpus() -> RwLockWriteGuard<'static, ()> {
    CPUS.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// EAL options with telemetry on (test_eal_args turns it off).
fn telemetry_eal(lcores: &str) -> Vec<String> {
    let mut eal: Vec<String> = test_eal_args().into_iter().filter(|a| a != "--no-telemetry").collect();
    eal.extend(["--lcores", lcores, "--vdev", "net_null0"].map(String::from));
    eal
}

fn prefix_of(eal: &[String]) -> String {
    eal[eal.iter().position(|a| a == "--file-prefix").unwrap() + 1].clone()
}

/// The telemetry socket of the DPDK process started with `eal`.
fn telemetry_socket(eal: &[String]) -> std::path::PathBuf {
    let base = if is_root() {
        std::path::PathBuf::from("/var/run/dpdk")
    } else {
        std::env::var_os("XDG_RUNTIME_DIR")
            .map_or_else(|| "/tmp".into(), std::path::PathBuf::from)
            .join("dpdk")
    };
    base.join(prefix_of(eal)).join("dpdk_telemetry.v2")
}

/// Waits until the process started with `eal` serves telemetry (EAL is up;
/// slow under emulation), then a moment more for its port to carry traffic.
fn await_telemetry(eal: &[String]) {
    let socket = telemetry_socket(eal);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !socket.exists() {
        assert!(std::time::Instant::now() < deadline, "no {} after 30 s", socket.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1000));
}

/// Sends `commands` to the process's telemetry socket; one JSON reply each.
fn telemetry(prefix: &str, commands: &[&str]) -> Vec<Value> {
    let mut child = Command::new("dpdk-telemetry.py")
        .args(["-f", prefix])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dpdk-telemetry.py (Debian: dpdk)");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(commands.join("\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let replies: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l.trim()).ok()).collect();
    let replies: Vec<Value> = replies
        .into_iter()
        .filter(|v| commands.iter().any(|c| v.get(c.split(',').next().unwrap()).is_some()))
        .collect();
    assert_eq!(replies.len(), commands.len(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    replies
}

fn telemetry_answers_for(bin: &str, lcores: &str, queues: usize) {
    let _shared = share_cpus();
    let eal = telemetry_eal(lcores);
    let echo = spawn(bin, &eal, &["--duration", "5", "--json", "--xstats"]);
    await_telemetry(&eal);
    let replies = telemetry(
        &prefix_of(&eal),
        &["/ethdev/list", "/ethdev/stats,0", "/ethdev/xstats,0", "/l2echo/stats"],
    );
    let run = finish(echo, Duration::from_secs(30));
    remove_runtime_dir(&eal);
    run.assert_success();

    assert_eq!(replies[0]["/ethdev/list"], serde_json::json!([0]));
    assert!(u(&replies[1]["/ethdev/stats"], "ipackets") > 0, "{}", replies[1]);
    assert!(u(&replies[2]["/ethdev/xstats"], "rx_good_packets") > 0, "{}", replies[2]);
    let live = &replies[3]["/l2echo/stats"];
    assert!(u(live, "rx_packets") > 0, "{live}");
    assert!(u(live, "tsc_hz") > 0, "{live}");
    let summary = run.summary();
    let final_queue = &summary["queues"][0];
    for q in 0..queues {
        let queue = &live["queues"][q.to_string()];
        assert_eq!(u(queue, "queue"), q as u64, "{live}");
        // The summary's keys, with the live values.
        for key in final_queue.as_object().unwrap().keys() {
            assert!(queue.get(key).is_some(), "/l2echo/stats lacks {key}: {queue}");
        }
        assert!(u(queue, "rx_packets") > 0 && u(queue, "busy_cycles") > 0, "{queue}");
    }
    // --xstats: the port's extended statistics, as the loop counted them.
    assert_eq!(u(&summary["xstats"], "rx_good_packets"), u(&summary, "rx_packets"), "{summary}");
    // ... and in the summary's text, among the others (by name: which come
    // first depends on what the driver counts, e.g. net_null's bytes from 25.07).
    let line =
        run.stdout.lines().find_map(|l| l.strip_prefix("  xstats: ")).unwrap_or_else(|| panic!("{run}"));
    let good = format!("rx_good_packets {}", u(&summary, "rx_packets"));
    assert!(line.split(", ").any(|stat| stat == good), "no `{good}` in the xstats line: {run}");
}

#[test]
fn dpdk_telemetry_answers_for_l2_echo() {
    telemetry_answers_for(L2_ECHO, "0@0", 1);
}

#[test]
fn dpdk_telemetry_answers_for_l2_multi_echo() {
    telemetry_answers_for(L2_MULTI_ECHO, "(0-1)@(0-1)", 2);
}

/// EAL's own lcore usage, from DPDK 23.03 on: the loop's busy and total
/// cycles. On 22.11 EAL has no such command; the test says so.
#[test]
fn eal_lcore_usage_reports_the_loop_where_dpdk_has_it() {
    let version = Command::new(L2_ECHO).arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout);
    let dpdk: Vec<u32> = version
        .split("DPDK ")
        .nth(1)
        .unwrap_or_default()
        .split(|c: char| !c.is_ascii_digit())
        .take(2)
        .filter_map(|n| n.parse().ok())
        .collect();
    let has_usage = dpdk >= vec![23, 3];
    let _shared = share_cpus();
    let eal = telemetry_eal("0@0");
    let echo = spawn(L2_ECHO, &eal, &["--duration", "4"]);
    await_telemetry(&eal);
    let reply = telemetry(&prefix_of(&eal), &["/help,/eal/lcore/usage"]);
    let usage = if has_usage { Some(telemetry(&prefix_of(&eal), &["/eal/lcore/usage"])) } else { None };
    finish(echo, Duration::from_secs(30)).assert_success();
    remove_runtime_dir(&eal);
    match usage {
        None => {
            assert!(
                reply[0]["/help"].is_null(),
                "DPDK {dpdk:?} has /eal/lcore/usage after all: {}",
                reply[0]
            );
            println!(
                "DPDK {dpdk:?}: no /eal/lcore/usage (added in 23.03): absent, as docs/dpdk-versions.md says"
            );
        }
        Some(usage) => {
            let usage = &usage[0]["/eal/lcore/usage"];
            assert_eq!(usage["lcore_ids"], serde_json::json!([0]), "{usage}");
            let (total, busy) =
                (usage["total_cycles"][0].as_u64().unwrap(), usage["busy_cycles"][0].as_u64().unwrap());
            assert!(busy > 0 && busy <= total, "{usage}");
        }
    }
}

/// Load: on net_null (never empty) nearly every cycle is busy and every poll
/// is a full burst; on a short capture, nearly every poll comes back empty.
#[test]
fn the_summary_gives_each_lcore_s_load() {
    let _shared = share_cpus();
    let mut eal = test_eal_args();
    eal.extend(["-l", "0", "--vdev", "net_null0"].map(String::from));
    let s = run(L2_ECHO, &eal, &["--duration", "1", "--json"]).summary();
    let q = &s["queues"][0];
    assert!(q["busy_pct"].as_f64().unwrap() > 90.0, "{q}");
    assert!(q["cycles_per_packet"].as_f64().unwrap() > 0.0, "{q}");
    assert!(u(&q["bursts"], "32_plus") > 0 && u(&q["bursts"], "0") == 0, "{q}");
    assert_eq!(u(&q["bursts"], "32_plus") * 32, u(q, "rx_packets"), "every poll a full burst: {q}");

    let dir = TempDir::new("load");
    let rx = dir.path("in.pcap");
    write_pcap(&rx, &(0..8).map(|i| frame([0xff; 6], [2, 0, 0, 0, 0, 1], 60, i)).collect::<Vec<_>>());
    let mut eal = test_eal_args();
    eal.extend(["-l".into(), "0".into(), "--vdev".into()]);
    eal.push(format!("net_pcap0,rx_pcap={},tx_pcap={}", rx.display(), dir.path("out.pcap").display()));
    let run = run(L2_ECHO, &eal, &["--duration", "1", "--json"]);
    let q = &run.summary()["queues"][0];
    let b = &q["bursts"];
    assert_eq!(u(b, "1_7") + u(b, "8_15"), 1, "the 8 frames came in one poll: {q}");
    assert!(u(b, "0") > 1000, "then empty polls: {q}");
    assert!(q["busy_pct"].as_f64().unwrap() < 50.0, "{q}");
    assert!(run.stdout.contains("load: busy"), "{run}");
}

/// The secondary-process tools need the server's shared hugepage memory:
/// real hugepages, shared config, no --huge-unlink. The files it leaves in
/// hugetlbfs are removed after.
fn hugepage_eal(tag: &str, lcores: &str) -> Vec<String> {
    let prefix = format!("l2t{}{tag}", std::process::id());
    ["--no-pci", "--file-prefix", &prefix, "--lcores", lcores, "--vdev", "net_null0"]
        .map(String::from)
        .to_vec()
}

fn remove_hugepage_files(eal: &[String]) {
    let prefix = prefix_of(eal);
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    for dir in mounts.lines().filter(|l| l.split_whitespace().nth(2) == Some("hugetlbfs")) {
        let dir = dir.split_whitespace().nth(1).unwrap();
        for file in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if file.file_name().to_string_lossy().starts_with(&format!("{prefix}map_")) {
                std::fs::remove_file(file.path()).ok();
            }
        }
    }
    remove_runtime_dir(eal);
}

/// Reserves the hugepages a primary shares with its secondaries (root only).
fn reserve_hugepages() {
    require_root("hugepages shared with a secondary process");
    let status = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/setup_env.sh"))
        .arg("--pages")
        .arg("512")
        .output();
    assert!(status.is_ok_and(|o| o.status.success()), "setup_env.sh failed");
}

/// DPDK 24.03's vdev bus gives a secondary process none of the primary's
/// virtual devices ("bus/vdev: fix devargs in secondary process", reverted in
/// 24.07 and in 23.11's stable releases): its dpdk-proc-info and dpdk-dumpcap
/// attach to no vdev port of any primary, testpmd's included. True, and says
/// so, when a secondary's output shows that failure.
fn secondary_gets_no_vdevs(output: &str) -> bool {
    let broken = output.contains("failed to add vdev");
    if broken {
        assert!(
            dpdk_is_at_least(24, 3) && !dpdk_is_at_least(24, 4),
            "a secondary got none of the primary's vdevs (`failed to add vdev`), on DPDK {}: only 24.03 has \
             that regression",
            dpdk_echo::DPDK_VERSION
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "under CI nothing skips: DPDK 24.03's secondaries attach to no vdev"
        );
        println!(
            "skipped: this DPDK's vdev bus gives a secondary none of the primary's vdevs \
             (`failed to add vdev`: DPDK 24.03's regression, reverted in 24.07)"
        );
    }
    broken
}

/// The DPDK built against is `major.minor` or newer.
fn dpdk_is_at_least(major: u32, minor: u32) -> bool {
    let mut parts = dpdk_echo::DPDK_VERSION.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (major, minor)
}

/// `dpdk-proc-info ARGS` attached to the primary started with `eal`: its stdout and stderr.
fn proc_info(eal: &[String], what: &str) -> (String, String) {
    let out = Command::new(dpdk_tool("dpdk-proc-info"))
        .arg(format!("--file-prefix={}", prefix_of(eal)))
        .args(["--", what])
        .output()
        .unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The RX-packets that `dpdk-proc-info --stats` printed, 0 if none.
fn rx_packets(stats: &str) -> u64 {
    stats.split("RX-packets:").nth(1).and_then(|r| r.split_whitespace().next()?.parse().ok()).unwrap_or(0)
}

/// Waits until the primary started with `eal` is up and echoing, as
/// `dpdk-proc-info --stats` sees it, and returns what it printed last: the
/// time that takes (EAL's start, each secondary's) is seconds on a busy
/// machine and more under qemu-user, so no fixed wait fits.
fn await_echoing(eal: &[String]) -> (String, String) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (stats, err) = proc_info(eal, "--stats");
        let vdevs_missing = err.contains("failed to add vdev") || stats.contains("failed to add vdev");
        if rx_packets(&stats) > 0 || vdevs_missing || std::time::Instant::now() > deadline {
            return (stats, err);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
#[ignore = "needs root (hugepages shared with a secondary process): sudo make test runs it"]
fn dpdk_proc_info_reads_the_running_port() {
    reserve_hugepages();
    let _shared = share_cpus();
    let eal = hugepage_eal("pi", "0@0");
    // Stopped below, once both reads are done; the duration only bounds a test gone wrong.
    let echo = spawn(L2_ECHO, &eal, &["--duration", "120"]);
    let (stats, stats_err) = await_echoing(&eal);
    let (xstats, _) = proc_info(&eal, "--xstats");
    let run = stop(echo, &eal);
    remove_hugepage_files(&eal);
    run.assert_success();
    if secondary_gets_no_vdevs(&format!("{stats}{stats_err}")) {
        return;
    }
    assert!(rx_packets(&stats) > 0, "dpdk-proc-info --stats saw no traffic:\n{stats}{stats_err}");
    assert!(xstats.contains("rx_good_packets"), "dpdk-proc-info --xstats:\n{xstats}");
}

/// dpdk-dumpcap captures 200 frames of the running port into a pcapng file
/// that tcpdump reads; the echo goes on, and its counts still balance. The
/// echo's lcore has CPU 1 to itself, dumpcap runs on CPU 0 (see CPUS).
#[test]
#[ignore = "needs root (hugepages shared with a secondary process): sudo make test runs it"]
fn dpdk_dumpcap_captures_while_the_echo_keeps_counting() {
    reserve_hugepages();
    require_cpus(2, "dumpcap must not share the lcore's");
    let _alone = own_cpus();
    let eal = hugepage_eal("dc", "0@1");
    let dir = TempDir::new("dumpcap");
    let capture = dir.path("echo.pcapng");
    // Stopped below, once dumpcap is done; the duration only bounds a test gone wrong.
    let mut echo = spawn(L2_ECHO, &eal, &["--duration", "120", "--json", "--stats", "1"]);
    let (stats, stats_err) = await_echoing(&eal);
    if secondary_gets_no_vdevs(&format!("{stats}{stats_err}")) {
        stop(echo, &eal);
        remove_hugepage_files(&eal);
        return;
    }
    let dumpcap = Command::new("taskset")
        .args(["-c", "0"])
        .arg(dpdk_tool("dpdk-dumpcap"))
        .arg(format!("--file-prefix={}", prefix_of(&eal)))
        .args(["-i", "0", "-c", "200", "-q", "-w"])
        .arg(&capture)
        .output()
        .unwrap();
    // Still running when dumpcap let go of it, so the rate lines after that show it kept echoing.
    std::thread::sleep(Duration::from_millis(2500));
    let outlived_the_capture = !echo.has_exited();
    let run = if outlived_the_capture { stop(echo, &eal) } else { finish(echo, Duration::from_secs(1)) };
    remove_hugepage_files(&eal);
    assert!(dumpcap.status.success(), "dpdk-dumpcap: {}", String::from_utf8_lossy(&dumpcap.stderr));
    run.assert_success();
    assert!(outlived_the_capture, "the echo ended before dumpcap was done: {}", run.stderr);
    let read = Command::new("tcpdump").args(["-n", "-r"]).arg(&capture).output().expect("tcpdump");
    let frames = String::from_utf8_lossy(&read.stdout).lines().count();
    assert!(frames >= 200, "tcpdump read {frames} frames: {}", String::from_utf8_lossy(&read.stderr));
    let s = run.summary();
    assert_eq!(u(&s, "rx_packets"), u(&s, "ipackets"), "{s}");
    assert_eq!(u(&s, "tx_packets"), u(&s, "opackets"), "{s}");
    assert_eq!(u(&s, "mbufs_in_use"), u(&s, "mbufs_baseline"), "{s}");
    let last_rate = run.stdout.lines().rfind(|l| l.contains("total: rx")).unwrap_or_default();
    assert!(!last_rate.contains("rx 0 pps"), "it still echoed after the capture: {last_rate}");
}

/// DPDK 24.07 and later ship dpdk-telemetry-exporter.py: it serves a running
/// server's port counters to Prometheus, read here as a scraper would.
#[test]
fn the_telemetry_exporter_serves_the_port_counters_where_dpdk_ships_it() {
    let exporter_path = dpdk_tool("dpdk-telemetry-exporter.py");
    // A program that cannot start fails `--help` too.
    let shipped = Command::new(&exporter_path).arg("--help").output().is_ok_and(|o| o.status.success());
    // DPDK 24.07 added it: before, that it is absent is what there is to check.
    assert_eq!(
        shipped,
        dpdk_is_at_least(24, 7),
        "dpdk-telemetry-exporter.py found: {shipped}, with DPDK {} (24.07 and later ship it)",
        dpdk_echo::DPDK_VERSION
    );
    if !shipped {
        return;
    }
    let _shared = share_cpus();
    let eal = telemetry_eal("0@0");
    let echo = spawn(L2_ECHO, &eal, &["--duration", "6"]);
    await_telemetry(&eal);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let socket = telemetry_socket(&eal);
    let mut exporter = Command::new(&exporter_path);
    exporter.args(["-o", &format!("prometheus://127.0.0.1:{port}"), "-e", "counters", "-s"]).arg(&socket);
    // Another root's tools (qemu-user's lane): its endpoints, not this machine's.
    if let Some(share) = exporter_path.parent().filter(|dir| dir.is_absolute()) {
        exporter.arg("--load-path").arg(share.join("../share/dpdk/telemetry-endpoints"));
    }
    let exporter = spawn_command(&mut exporter);
    let mut page = String::new();
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        use std::io::{Read, Write};
        let Ok(mut http) = std::net::TcpStream::connect(("127.0.0.1", port)) else { continue };
        http.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        page.clear();
        http.read_to_string(&mut page).ok();
        break;
    }
    drop(exporter);
    finish(echo, Duration::from_secs(30)).assert_success();
    remove_runtime_dir(&eal);
    let rx: u64 = page
        .lines()
        .find(|l| l.starts_with("dpdk_counters_rx_packets{"))
        .and_then(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .map_or(0, |v| v as u64);
    assert!(rx > 0, "the exporter's page has no rx_packets of the port:\n{page}");
}
