//! Runs the real binaries on real DPDK virtual devices, one process per run
//! (EAL initialises once per process), each with its own --file-prefix.
#![allow(dead_code)] // each test binary uses its own subset

pub mod memif;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use serde_json::Value;

pub const L2_ECHO: &str = env!("CARGO_BIN_EXE_l2_echo");
pub const L2_MULTI_ECHO: &str = env!("CARGO_BIN_EXE_l2_multi_echo");
pub const L2_LOAD: &str = env!("CARGO_BIN_EXE_l2_load");

/// l2_ping, another package's binary: beside the echo binaries in the target
/// directory once the workspace (or an l2-ping test, e.g. `--test cli`) is built.
pub fn l2_ping_bin() -> PathBuf {
    workspace_bin("l2_ping")
}

/// A binary of another of the workspace's crates, built beside ours.
pub fn workspace_bin(name: &str) -> PathBuf {
    let bin = Path::new(L2_ECHO).with_file_name(name);
    assert!(bin.exists(), "{} missing: build the workspace (cargo test --workspace)", bin.display());
    bin
}

/// The CPU kept for the kernel and a test's peer side (l2_ping, the UDP
/// sender, the kernel's work for the peer's end of a veth), as DPDK
/// deployments keep a housekeeping CPU: no polling lcore of a veth test runs
/// there, so none can starve the side that counts what comes back.
pub const PEER_CPU: usize = 0;

/// An `--lcores` map of `n` lcores onto the CPUs other than `PEER_CPU` (on a
/// 2-CPU machine all on CPU 1, taking turns there: a function test, not a
/// speed test). Tests run one at a time (`.cargo/config.toml`), so no other
/// test's lcores share them.
pub fn lcores_off_peer_cpu(n: usize) -> String {
    let cpus = std::thread::available_parallelism().map_or(1, |c| c.get());
    let echo_cpus = match cpus {
        1 => "0".to_string(),
        2 => "1".to_string(),
        _ => format!("(1-{})", cpus - 1),
    };
    match n {
        1 => format!("0@{echo_cpus}"),
        _ => format!("(0-{})@{echo_cpus}", n - 1),
    }
}

/// EAL options every test run gets: no PCI scan (never touch the machine's
/// own NIC), no hugepages needed, and a --file-prefix of its own.
pub fn test_eal_args() -> Vec<String> {
    static RUN: AtomicU32 = AtomicU32::new(0);
    let prefix = format!("l2t{}_{}", std::process::id(), RUN.fetch_add(1, Ordering::Relaxed));
    ["--no-pci", "--no-huge", "-m", "512", "--no-shconf", "--no-telemetry", "--file-prefix", &prefix]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// A finished run of a binary.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The `--json` summary line.
    pub fn summary(&self) -> Value {
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("no JSON summary in the output:\n{self}"));
        serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON summary ({e}): {line}"))
    }

    pub fn assert_success(&self) -> &Run {
        assert!(self.status.success(), "expected success:\n{self}");
        self
    }

    /// A clean failure: a non-zero exit (no signal, so no panic abort or core
    /// dump), no panic message, and `words` in the last line of stderr.
    pub fn assert_fails_saying(&self, words: &str) {
        assert!(
            self.status.code().is_some_and(|c| c != 0),
            "expected a non-zero exit, got {:?}:\n{self}",
            self.status
        );
        assert!(!self.stderr.contains("panicked"), "it panicked:\n{self}");
        let last = self.stderr.lines().last().unwrap_or_default();
        assert!(last.contains(words), "expected the last line of stderr to say {words:?}:\n{self}");
    }
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "status: {:?}\n--- stdout\n{}--- stderr\n{}", self.status, self.stdout, self.stderr)
    }
}

/// A started process, killed if the test fails before it is finished: no
/// busy-polling DPDK process outlives its test.
pub struct Proc(Option<Child>);

impl Proc {
    pub fn id(&self) -> u32 {
        self.0.as_ref().expect("not finished").id()
    }

    /// Whether the process has ended (it is reaped then; `finish` still works).
    pub fn has_exited(&mut self) -> bool {
        self.0.as_mut().expect("not finished").try_wait().expect("cannot poll a child").is_some()
    }

    /// Sends `signal` (e.g. libc::SIGINT) to the process.
    pub fn signal(&self, signal: i32) {
        // SAFETY: signalling our own child, which has not been reaped yet.
        assert_eq!(unsafe { libc::kill(self.id() as i32, signal) }, 0);
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

/// Starts `bin` with `eal` options, then `--` and `app` options.
pub fn spawn(bin: &str, eal: &[String], app: &[&str]) -> Proc {
    let mut cmd = Command::new(bin);
    cmd.args(eal);
    if !app.is_empty() {
        cmd.arg("--").args(app);
    }
    spawn_command(&mut cmd)
}

/// Starts `cmd` with its output captured.
pub fn spawn_command(cmd: &mut Command) -> Proc {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    Proc(Some(cmd.spawn().unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"))))
}

/// Waits for the process at most `limit`, killing it (and failing) past that.
pub fn finish(mut proc: Proc, limit: Duration) -> Run {
    let mut child = proc.0.take().expect("finished once");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).ok();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).ok();
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            let status = child.wait().unwrap();
            let run = Run { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() };
            panic!("still running after {limit:?}, killed:\n{run}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// Stops a server with SIGINT (ip netns exec runs it in place), like Ctrl+C.
pub fn stop(proc: Proc, eal: &[String]) -> Run {
    proc.signal(libc::SIGINT);
    let run = finish(proc, Duration::from_secs(20));
    remove_runtime_dir(eal);
    run
}

/// Runs `bin` to completion (at most 60 s).
pub fn run(bin: &str, eal: &[String], app: &[&str]) -> Run {
    let run = finish(spawn(bin, eal, app), Duration::from_secs(60));
    remove_runtime_dir(eal);
    run
}

/// EAL leaves its runtime directory (/var/run/dpdk/PREFIX) behind, even with
/// --no-shconf: remove the one this run's --file-prefix made.
pub fn remove_runtime_dir(eal: &[String]) {
    let Some(i) = eal.iter().position(|a| a == "--file-prefix") else { return };
    let base = if is_root() {
        PathBuf::from("/var/run/dpdk")
    } else {
        std::env::var_os("XDG_RUNTIME_DIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from).join("dpdk")
    };
    std::fs::remove_dir_all(base.join(&eal[i + 1])).ok();
}

/// A fresh directory under the target dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "l2echo-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

pub fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    use pcap_file::pcap::{PcapPacket, PcapWriter};
    let mut w = PcapWriter::new(std::fs::File::create(path).unwrap()).unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.write_packet(&PcapPacket::new(Duration::from_micros(i as u64), f.len() as u32, f)).unwrap();
    }
}

/// The frames of a pcap file, each as long as its record says. Read by hand:
/// DPDK 26.07's net_pcap writes a snapshot length of 0 into the file's header,
/// which stricter readers (pcap-file) take as every record being too long.
pub fn read_pcap(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let magic = bytes.get(..4).map(|m| u32::from_le_bytes(m.try_into().unwrap()));
    assert!(
        matches!(magic, Some(0xa1b2_c3d4 | 0xa1b2_3c4d)),
        "{}: not a little-endian pcap file (magic {magic:x?})",
        path.display()
    );
    let le32 = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let (mut frames, mut at) = (Vec::new(), 24);
    while at < bytes.len() {
        assert!(at + 16 <= bytes.len(), "{}: a record header cut short at byte {at}", path.display());
        let len = le32(at + 8);
        let data = bytes.get(at + 16..at + 16 + len);
        frames.push(
            data.unwrap_or_else(|| panic!("{}: a record cut short at byte {at}", path.display())).to_vec(),
        );
        at += 16 + len;
    }
    frames
}

/// An Ethernet frame of `len` bytes from `src` to `dst`, EtherType 0x88b5
/// (local experimental), with a payload that differs per `seed`.
pub fn frame(dst: [u8; 6], src: [u8; 6], len: usize, seed: u8) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)).collect();
    let hdr = [&dst[..], &src[..], &[0x88, 0xb5]].concat();
    let n = hdr.len().min(len);
    f[..n].copy_from_slice(&hdr[..n]);
    f
}

pub fn parse_mac(s: &str) -> [u8; 6] {
    let bytes: Vec<u8> = s.split(':').map(|b| u8::from_str_radix(b, 16).unwrap()).collect();
    bytes.try_into().unwrap()
}

pub fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("no number {key} in {v}"))
}

pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Fails, saying why, unless the test runs as root. Such a test is
/// `#[ignore = "needs root (...): sudo make test runs it"]`, so that a user's
/// `cargo test` counts it as ignored, with the reason, and a root run passes
/// `--include-ignored` (the Makefile, scripts/asan.sh, test_dpdk.sh,
/// test_arm64.sh): a test that cannot run is never counted as passed.
pub fn require_root(needs: &str) {
    assert!(is_root(), "needs root for {needs}: run it as root, as sudo make test does (--include-ignored)");
}

/// The tests run under qemu-user (scripts/test_arm64.sh sets
/// L2ECHO_UNDER_QEMU_USER), which lacks the ioctls net_af_packet and libpcap
/// need.
pub fn under_qemu_user() -> bool {
    std::env::var_os("L2ECHO_UNDER_QEMU_USER").is_some()
}

/// Fails, saying why, unless net_af_packet and libpcap can work on a veth
/// here: as root, and not under qemu-user, whose lane filters these tests out
/// by name (test_arm64.sh: QEMU_USER_CANNOT) and counts them so.
pub fn require_veth() {
    assert!(
        !under_qemu_user(),
        "qemu-user lacks the ioctls net_af_packet and libpcap need: scripts/test_arm64.sh must \
         filter this test out (QEMU_USER_CANNOT); make vm-test-arm64 runs these paths in an arm64 guest"
    );
    require_root("network namespaces");
}

/// Fails, saying why, on a machine with fewer than `n` CPUs.
pub fn require_cpus(n: usize, why: &str) {
    let cpus = std::thread::available_parallelism().map_or(1, |c| c.get());
    assert!(cpus >= n, "needs {n} CPUs ({why}); this machine has {cpus}");
}

/// The path of a DPDK program (dpdk-proc-info, dpdk-dumpcap, ...) built from
/// the same DPDK as the binaries under test: a secondary process must match its
/// primary's build. From PATH, or from L2ECHO_DPDK_TOOLS when that is set
/// (scripts/test_arm64.sh: the arm64 root's, run through qemu-user).
pub fn dpdk_tool(name: &str) -> PathBuf {
    std::env::var_os("L2ECHO_DPDK_TOOLS")
        .map_or_else(|| PathBuf::from(name), |dir| Path::new(&dir).join(name))
}

/// Runs a command that must succeed (test set-up).
pub fn sh(cmd: &[&str]) {
    let out = std::process::Command::new(cmd[0]).args(&cmd[1..]).output().expect(cmd[0]);
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Two network namespaces joined by a veth pair with `queues` queues each,
/// IPv6 off (no stray frames), removed on drop. The echo side has no address:
/// DPDK owns it; the peer side has `PEER_IP` and knows `ECHO_IP` is at the
/// echo side's MAC (ARP never resolves through an echo).
pub struct VethPair {
    pub echo_ns: String,
    pub peer_ns: String,
    pub echo_mac: String,
    queues: u32,
}

pub const ECHO_IF: &str = "veth-echo";
pub const PEER_IF: &str = "veth-peer";
pub const ECHO_IP: &str = "10.77.0.2";
pub const PEER_IP: &str = "10.77.0.1";

/// net_af_packet's rings of 4096 frames, not 512: the frames of 0.8 s at
/// 5000 pps, so a process a busy neighbour holds off its CPU for a tenth of a
/// second loses none in its ring (the kernel drops there, and DPDK 22.11's
/// af_packet counts none of it).
pub const AF_PACKET_RING: &str = ",framecnt=4096";

impl VethPair {
    pub fn new(name: &str, queues: u32) -> VethPair {
        let base = format!("l2t{}{name}", std::process::id());
        let mut pair = VethPair {
            echo_ns: format!("{base}-e"),
            peer_ns: format!("{base}-p"),
            echo_mac: String::new(),
            queues,
        };
        let (e, p) = (pair.echo_ns.as_str(), pair.peer_ns.as_str());
        let q = queues.to_string();
        sh(&["ip", "netns", "add", e]);
        sh(&["ip", "netns", "add", p]);
        sh(&[
            "ip",
            "link",
            "add",
            ECHO_IF,
            "netns",
            e,
            "numtxqueues",
            &q,
            "numrxqueues",
            &q,
            "type",
            "veth",
            "peer",
            "name",
            PEER_IF,
            "netns",
            p,
            "numtxqueues",
            &q,
            "numrxqueues",
            &q,
        ]);
        for ns in [e, p] {
            sh(&[
                "ip",
                "netns",
                "exec",
                ns,
                "sysctl",
                "-qw",
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            ]);
        }
        sh(&["ip", "-n", e, "link", "set", ECHO_IF, "up"]);
        sh(&["ip", "-n", p, "addr", "add", &format!("{PEER_IP}/24"), "dev", PEER_IF]);
        sh(&["ip", "-n", p, "link", "set", PEER_IF, "up"]);
        // The peer's receive work for what the echo sends (the softirq that
        // delivers it to l2_ping) would run on the CPU the echo's lcore sent
        // from, and wait there behind the poller; RPS hands it to PEER_CPU.
        let mask = format!("{:x}", 1u64 << PEER_CPU);
        let rps =
            format!("for f in /sys/class/net/{PEER_IF}/queues/rx-*/rps_cpus; do echo {mask} > $f; done");
        sh(&["ip", "netns", "exec", p, "sh", "-c", &rps]);
        let mac = std::process::Command::new("ip")
            .args(["netns", "exec", e, "cat", &format!("/sys/class/net/{ECHO_IF}/address")])
            .output()
            .unwrap();
        let echo_mac = String::from_utf8(mac.stdout).unwrap().trim().to_string();
        sh(&["ip", "-n", p, "neigh", "replace", ECHO_IP, "lladdr", &echo_mac, "dev", PEER_IF]);
        pair.echo_mac = echo_mac;
        pair
    }

    /// EAL options for a DPDK process on the echo side: the test's own,
    /// `lcores` lcores off the peer's CPU (`lcores_off_peer_cpu`), and
    /// net_af_packet on the echo interface with a queue pair per veth queue.
    pub fn af_packet_eal(&self, lcores: usize) -> Vec<String> {
        let mut eal = test_eal_args();
        eal.extend(["--lcores".to_string(), lcores_off_peer_cpu(lcores)]);
        let qpairs = if self.queues > 1 { format!(",qpairs={}", self.queues) } else { String::new() };
        eal.extend(["--vdev".to_string(), format!("net_af_packet0,iface={ECHO_IF}{qpairs}{AF_PACKET_RING}")]);
        eal
    }

    /// Starts `bin` with `eal` and `app` options in the echo namespace and
    /// gives it time to bring its port up.
    pub fn start_echo(&self, bin: &str, eal: &[String], app: &[&str]) -> Proc {
        let mut cmd = vec!["netns".to_string(), "exec".into(), self.echo_ns.clone(), bin.into()];
        cmd.extend(eal.iter().cloned());
        let proc = spawn("ip", &cmd, app);
        std::thread::sleep(Duration::from_secs(2)); // EAL up, port started
        proc
    }

    /// Sends `per_flow` UDP datagrams on each of `flows` port pairs from the
    /// peer to ECHO_IP; returns how many were sent.
    pub fn send_udp_flows(&self, flows: u32, per_flow: u32) -> u64 {
        let script = format!(
            "import socket\n\
             for i in range({flows}):\n\
             \x20   s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
             \x20   s.bind(('{PEER_IP}', 40000 + i))\n\
             \x20   for n in range({per_flow}):\n\
             \x20       s.sendto(b'l2echo test %d %d' % (i, n), ('{ECHO_IP}', 9000 + i))\n\
             \x20   s.close()\n"
        );
        let out = self.peer_command("python3").args(["-c", &script]).output().expect("python3");
        assert!(out.status.success(), "the UDP sender failed: {}", String::from_utf8_lossy(&out.stderr));
        u64::from(flows * per_flow)
    }

    /// l2_load in the peer namespace, on `PEER_CPU` through net_af_packet,
    /// sending to the echo side's MAC with `app`'s options after those; its
    /// whole run (JSON summary included).
    pub fn load_from_peer(&self, app: &[&str]) -> Run {
        let eal = peer_af_packet_eal();
        let mut load = self.peer_command(L2_LOAD);
        load.args(&eal).arg("--").args(["--json", "--dst", &self.echo_mac]).args(app);
        let run = finish(spawn_command(&mut load), Duration::from_secs(60));
        remove_runtime_dir(&eal);
        run
    }

    /// `program` in the peer namespace, pinned to `PEER_CPU`.
    pub fn peer_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.peer_ns, "taskset", "-c", &PEER_CPU.to_string()]).arg(program);
        cmd
    }

    /// Where frames went, for a failure message: both ends' link counters,
    /// the kernel's per-CPU backlog drops, and what the echo port saw.
    pub fn counters(&self) -> String {
        let link = |ns: &str, dev: &str| {
            let out = Command::new("ip").args(["-n", ns, "-s", "link", "show", dev]).output();
            out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
        };
        format!(
            "--- the veth pair\n{}{}--- softnet drops per CPU (/proc/net/softnet_stat): {}\n",
            link(&self.echo_ns, ECHO_IF),
            link(&self.peer_ns, PEER_IF),
            softnet_drops().iter().map(u64::to_string).collect::<Vec<_>>().join(" ")
        )
    }
}

/// The kernel's per-CPU backlog drops (second column of /proc/net/softnet_stat).
pub fn softnet_drops() -> Vec<u64> {
    let text = std::fs::read_to_string("/proc/net/softnet_stat").unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_whitespace().nth(1).and_then(|d| u64::from_str_radix(d, 16).ok()))
        .collect()
}

impl Drop for VethPair {
    fn drop(&mut self) {
        for ns in [&self.echo_ns, &self.peer_ns] {
            std::process::Command::new("ip").args(["netns", "del", ns]).status().ok();
        }
    }
}

/// The learning frames l2_load sent before its trial, and got back within it
/// (the echo counts them too; any that came back later are among `other`).
pub fn warmup(s: &Value) -> (u64, u64) {
    let w = &s["warmup"];
    assert!(u(w, "sent") >= 1 && u(w, "received") >= 1, "a warm-up that got a frame back: {s}");
    (u(w, "sent"), u(w, "received"))
}

/// l2_load's EAL options on the peer side of a veth: one lcore on PEER_CPU,
/// net_af_packet on the peer interface.
pub fn peer_af_packet_eal() -> Vec<String> {
    let mut eal = test_eal_args();
    eal.extend([
        "--lcores".into(),
        format!("0@{PEER_CPU}"),
        "--vdev".into(),
        format!("net_af_packet0,iface={PEER_IF}{AF_PACKET_RING}"),
    ]);
    eal
}

pub fn rtt_within_the_timeout(s: &Value, timeout_s: f64) {
    let rtt = &s["rtt_ns"];
    let ns = |k: &str| rtt[k].as_u64().unwrap_or_else(|| panic!("rtt_ns.{k} in {s}"));
    // The histogram holds good replies only, each back within the timeout (to
    // its 3 significant digits); a late reply or a round trip measured wrong
    // (from another frame's stamp, in the wrong unit) lands outside.
    assert!(ns("min") > 0, "a round trip of 0: {rtt}");
    assert!(ns("max") as f64 <= timeout_s * 1e9 * 1.001, "past the timeout of {timeout_s} s: {rtt}");
    // Each step between consecutive round trips is within their range (the
    // histogram's min and max, to its 3 significant digits), and so is the
    // mean step; a mean of the wrong sum or count lands outside.
    let jitter = rtt["jitter"].as_f64().unwrap_or_else(|| panic!("rtt_ns.jitter in {s}"));
    assert!(jitter >= 0.0 && jitter <= (ns("max") - ns("min")) as f64 * 1.002, "jitter: {rtt}");
    // --plot's line (and make compare's): rising in both, from the shortest
    // round trip to the longest (to the histogram's 3 significant digits).
    let points: Vec<(f64, f64)> = serde_json::from_value(s["distribution"].clone())
        .unwrap_or_else(|e| panic!("distribution in {s}: {e}"));
    let (first, last) = (points.first().expect("a point"), points.last().expect("a point"));
    assert!(points.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1), "not rising: {points:?}");
    assert!((first.1 / ns("min") as f64 - 1.0).abs() < 0.002, "starts at min {}: {points:?}", ns("min"));
    assert!(
        (last.1 / ns("max") as f64 - 1.0).abs() < 0.002 && last.0 == 1.0,
        "ends at max {}: {points:?}",
        ns("max")
    );
}
