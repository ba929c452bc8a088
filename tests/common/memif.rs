//! A memif link between an echo and l2_load, both DPDK processes on this
//! machine: the echo, the server, polls on CPU 1 and l2_load, the client, on
//! PEER_CPU, each side with a fixed MAC from the memif devargs.

use super::*;
use serde_json::Value;
use std::time::Duration;

pub const ECHO_MAC: &str = "02:00:00:00:00:e1";
pub const LOAD_MAC: &str = "02:00:00:00:00:10";

/// A memif link in a temporary directory: the echo's and l2_load's EAL options.
pub struct Memif {
    pub dir: TempDir,
}

impl Memif {
    pub fn new(name: &str) -> Memif {
        Memif { dir: TempDir::new(name) }
    }

    pub fn vdev(&self, role: &str, mac: &str, extra: &str) -> String {
        let socket = self.dir.path("memif.sock");
        format!("net_memif0,role={role},socket={},socket-abstract=no,mac={mac}{extra}", socket.display())
    }

    /// The echo side: the server, one lcore on CPU 1 (0 on a 1-CPU machine).
    pub fn echo_eal(&self) -> Vec<String> {
        let mut eal = test_eal_args();
        eal.extend([
            "--lcores".into(),
            lcores_off_peer_cpu(1),
            "--vdev".into(),
            self.vdev("server", ECHO_MAC, ""),
        ]);
        eal
    }

    /// l2_load's side: the client, on PEER_CPU; `extra` devargs (e.g. a ring size).
    pub fn load_eal(&self, extra: &str) -> Vec<String> {
        let mut eal = test_eal_args();
        eal.extend([
            "--lcores".into(),
            format!("0@{PEER_CPU}"),
            "--vdev".into(),
            self.vdev("client", LOAD_MAC, extra),
        ]);
        eal
    }

    /// The echo side for testpmd: its main lcore and a forwarding lcore, both
    /// where the echo's one would run.
    pub fn testpmd_eal(&self) -> Vec<String> {
        let cpu = lcores_off_peer_cpu(1).split_once('@').expect("0@CPU").1.to_string();
        with_lcores(self.echo_eal(), &format!("0@{cpu},1@{cpu}"))
    }

    /// Starts `bin` as the server and gives it time to listen.
    pub fn start(&self, bin: &str, eal: &[String], app: &[&str]) -> Proc {
        let proc = spawn(bin, eal, app);
        std::thread::sleep(Duration::from_secs(2));
        proc
    }
}

/// `eal` with its `--lcores` map replaced by `map`.
pub fn with_lcores(mut eal: Vec<String>, map: &str) -> Vec<String> {
    let at = eal.iter().position(|a| a == "--lcores").expect("--lcores") + 1;
    eal[at] = map.to_string();
    eal
}

/// Starts l2_load with `eal` and `app` options, all of it (its EAL threads
/// too) on PEER_CPU: on the echo's CPU its threads would preempt the echo's
/// lcore inside memif's receive, and DPDK's memif faults when the client then
/// leaves (docs/reliability.md's "memif and shared CPUs").
pub fn spawn_load(eal: &[String], app: &[&str]) -> Proc {
    spawn_command(
        std::process::Command::new("taskset")
            .args(["-c", &PEER_CPU.to_string(), L2_LOAD])
            .args(eal)
            .arg("--")
            .args(app),
    )
}

/// Runs l2_load with `app` options; its exit code, its JSON and the whole run.
pub fn load(eal: &[String], app: &[&str]) -> (Option<i32>, Value, Run) {
    let mut args = vec!["--json"];
    args.extend_from_slice(app);
    let run = finish(spawn_load(eal, &args), Duration::from_secs(120));
    remove_runtime_dir(eal);
    let json = run.summary();
    (run.status.code(), json, run)
}

/// Over memif nothing but the echo's full TX ring loses a frame: what
/// `trials` (of the run `s`) lost, with the learning frames neither back in
/// time nor later (as `other`), is what the echo `e` dropped; what they sent
/// it received, and what came back it sent. A straggler of one trial that
/// comes back in the next counts lost there and other here, which the sum
/// takes as it comes.
pub fn assert_losses_are_the_echo_s_drops(trials: &[&Value], s: &Value, e: &Value, out: &Run) {
    let sum = |keys: &[&str]| trials.iter().map(|t| keys.iter().map(|k| u(t, k)).sum::<u64>()).sum::<u64>();
    let (warm_sent, warm_back) = warmup(s);
    let other = sum(&["other"]);
    assert_eq!(sum(&["sent"]) + warm_sent, u(e, "rx_packets"), "{out}\n{e}");
    assert_eq!(
        sum(&["good", "late", "bad", "duplicates", "unmatched"]) + warm_back + other,
        u(e, "tx_packets"),
        "every frame the echo sent came back: {out}\n{e}"
    );
    assert_eq!(
        sum(&["lost"]) + warm_sent - warm_back - other,
        u(e, "tx_dropped"),
        "l2_load's loss is what the echo dropped: {out}\n{e}"
    );
}
