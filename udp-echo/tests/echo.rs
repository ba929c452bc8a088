//! udp_echo over loopback: what a sender counts against what udp_echo counts
//! at exit, and its errors. (This package having tests is also what makes
//! `cargo test --workspace` build udp_echo for the root package's
//! tests/compare_rows.rs.)

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

const UDP_ECHO: &str = env!("CARGO_BIN_EXE_udp_echo");

/// udp_echo on a loopback port of the kernel's choosing (busy polling off:
/// raising it needs CAP_NET_ADMIN, and a test runs as any user), and the
/// address it says it answers on.
fn start_on_loopback() -> (Child, BufReader<ChildStdout>, SocketAddr) {
    let mut echo = Command::new(UDP_ECHO)
        .args(["--bind", "127.0.0.1:0", "--busy-poll", "0", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("udp_echo starts");
    let mut out = BufReader::new(echo.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr = line
        .strip_prefix("udp_echo: answering on ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in udp_echo's first line: {line:?}"));
    (echo, out, addr)
}

/// Sends `bursts` bursts of `burst` numbered datagrams, each burst answered
/// before the next (so loopback's socket buffers never overflow), and checks
/// that each answer is one of the burst's, unchanged and from udp_echo.
fn exchange(echo_addr: SocketAddr, bursts: u32, burst: u32) -> u64 {
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answered = 0;
    let mut buf = [0u8; 2048];
    for b in 0..bursts {
        let mut waiting = HashSet::new();
        for i in 0..burst {
            let seq = b * burst + i;
            // Sizes from 4 bytes to past 1000: the slots are not one size.
            let mut payload = seq.to_be_bytes().to_vec();
            payload.resize(4 + (seq as usize * 7) % 1200, seq as u8);
            sender.send_to(&payload, echo_addr).unwrap();
            waiting.insert(payload);
        }
        while !waiting.is_empty() {
            let (len, from) = sender.recv_from(&mut buf).expect("an answer within 10 s");
            assert_eq!(from, echo_addr, "answered from another address");
            assert!(
                waiting.remove(&buf[..len]),
                "an answer that was not sent, or sent once and answered twice"
            );
            answered += 1;
        }
    }
    answered
}

/// udp_echo's counts, from the JSON line it prints at exit.
fn counts_at_exit(mut echo: Child, mut out: BufReader<ChildStdout>) -> serde_json::Value {
    // SAFETY: kill(2) on the child's own pid; no memory is involved.
    assert_eq!(unsafe { libc::kill(echo.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let status = echo.wait().unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "udp_echo exited with {status} after SIGTERM:\n{rest}");
    let json = rest.lines().last().unwrap_or_default();
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {rest}"))
}

#[test]
fn every_datagram_comes_back_and_both_sides_count_the_same() {
    let (echo, out, addr) = start_on_loopback();
    let answered = exchange(addr, 50, 20);
    assert_eq!(answered, 1000);
    let counts = counts_at_exit(echo, out);
    assert_eq!(counts["received"], 1000, "{counts}");
    assert_eq!(counts["sent"], 1000, "{counts}");
    assert_eq!(counts["send_dropped"], 0, "{counts}");
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(UDP_ECHO).args(["--bind", &addr, "--busy-poll", "0"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("cannot bind {addr} (--bind)")), "{err}");
    assert!(err.contains("Address already in use"), "{err}");
}

#[test]
fn hostile_numbers_are_usage_errors() {
    for (args, says) in [
        (["--batch", "0"], "must be an integer from 1 to 1024"),
        (["--batch", "1025"], "must be an integer from 1 to 1024"),
        (["--cpu", "-1"], "must be an integer from 0 to 1023"),
        (["--busy-poll", "99999999999"], "must be an integer from 0 to 1000000"),
        (["--duration", "0"], "must be a number of seconds from 0.001"),
        (["--bind", "localhost"], "invalid value 'localhost' for '--bind"),
    ] {
        let out = Command::new(UDP_ECHO).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    }
}

#[test]
fn a_cpu_it_may_not_run_on_is_a_clear_error() {
    let out = Command::new(UDP_ECHO).args(["--cpu", "1023", "--busy-poll", "0"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot run on CPU 1023 (--cpu)"), "{err}");
}
