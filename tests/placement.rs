//! Where the threads run: the echo's monitor thread stays off the lcores' CPUs,
//! on the CPUs EAL leaves to its own control threads.

mod common;
use common::*;
use std::time::Duration;

/// Each thread of process `pid`: its name and its allowed CPUs.
fn threads(pid: u32) -> Vec<(String, Vec<u32>)> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    tasks
        .flatten()
        .map(|task| {
            let read = |file: &str| std::fs::read_to_string(task.path().join(file)).unwrap();
            let status = read("status");
            let cpus = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap();
            (read("comm").trim().to_string(), cpu_list(cpus.trim()))
        })
        .collect()
}

/// "0-2,5" -> [0, 1, 2, 5]
fn cpu_list(list: &str) -> Vec<u32> {
    list.split(',')
        .flat_map(|part| {
            let (first, last) = part.split_once('-').unwrap_or((part, part));
            first.parse().unwrap()..=last.parse().unwrap()
        })
        .collect()
}

#[test]
fn the_monitor_runs_beside_the_eal_threads_not_on_the_lcore() {
    require_cpus(2, "the monitor's CPU apart from the lcore's");
    let mut eal = test_eal_args();
    eal.extend(["--lcores", "0@0", "--vdev", "net_null0"].map(String::from));
    let echo = spawn(L2_ECHO, &eal, &["--stats", "1"]);
    std::thread::sleep(Duration::from_millis(1500));
    let threads = threads(echo.id());
    let cpus_of = |name: &str| threads.iter().find(|(n, _)| n == name).map(|(_, cpus)| cpus.clone());
    let monitor = cpus_of("echo-monitor").unwrap_or_else(|| panic!("no monitor thread: {threads:?}"));
    // EAL's interrupt thread: "eal-intr-thread" in DPDK 22.11, "dpdk-intr" in 24.11.
    let eal_interrupts = cpus_of("eal-intr-thread")
        .or_else(|| cpus_of("dpdk-intr"))
        .unwrap_or_else(|| panic!("no EAL interrupt thread: {threads:?}"));
    let run = stop(echo, &eal);
    run.assert_success();
    assert_eq!(monitor, eal_interrupts, "{threads:?}");
    assert!(!monitor.contains(&0), "the monitor shares the lcore's CPU 0: {threads:?}");
}
