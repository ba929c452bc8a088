//! Runs the real binaries on real DPDK virtual devices, one process per run
//! (EAL initialises once per process), each with its own --file-prefix.
#![allow(dead_code)] // each test binary uses its own subset

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use serde_json::Value;

pub const L2_ECHO: &str = env!("CARGO_BIN_EXE_l2_echo");
pub const L2_MULTI_ECHO: &str = env!("CARGO_BIN_EXE_l2_multi_echo");

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

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "status: {:?}\n--- stdout\n{}--- stderr\n{}", self.status, self.stdout, self.stderr)
    }
}

/// Starts `bin` with `eal` options, then `--` and `app` options.
pub fn spawn(bin: &str, eal: &[String], app: &[&str]) -> Child {
    let mut cmd = Command::new(bin);
    cmd.args(eal);
    if !app.is_empty() {
        cmd.arg("--").args(app);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.spawn().unwrap_or_else(|e| panic!("cannot start {bin}: {e}"))
}

/// Waits for `child` at most `limit`, killing it (and failing) past that.
pub fn finish(mut child: Child, limit: Duration) -> Run {
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
        w.write_packet(&PcapPacket::new(Duration::from_micros(i as u64), f.len() as u32, f))
            .unwrap();
    }
}

pub fn read_pcap(path: &Path) -> Vec<Vec<u8>> {
    use pcap_file::pcap::PcapReader;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut r = PcapReader::new(file).unwrap();
    let mut frames = Vec::new();
    while let Some(p) = r.next_packet() {
        frames.push(p.unwrap().data.into_owned());
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
