//! `make demo` itself, as root: namespaces, veth, hugepages, l2_echo on
//! net_af_packet, a ping that gets no answer, l2_ping's frames all back, and
//! l2_multi_echo feeding both queues, and ping answered by l2_echo --mode icmp.

mod common;
use common::*;
use std::process::Command;

#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn the_demo_proves_the_bypass() {
    require_veth();
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/demo.sh"))
        .env("L2_ECHO", L2_ECHO)
        .env("L2_MULTI_ECHO", L2_MULTI_ECHO)
        .output()
        .expect("run scripts/demo.sh");
    let run = Run::from(out);
    run.assert_success();
    assert!(run.stdout.contains("100% packet loss"), "{run}");
    for proof in [
        "1. kernel silent",
        "2. every l2_ping probe",
        "3. l2_multi_echo echoed 32 flows",
        "4. l2_echo --mode icmp answered",
    ] {
        assert!(run.stdout.lines().any(|l| l.starts_with(proof) && l.ends_with(": yes")), "{proof}: {run}");
    }
    for rtt in ["ping the kernel:", "ping l2_echo --mode icmp:"] {
        assert!(run.stdout.lines().any(|l| l.starts_with(rtt) && l.contains(" ms")), "{rtt}: {run}");
    }
    assert!(run.stdout.contains("ping l2_echo (L2 echo, no IP):") && run.stdout.contains("PROVEN:"), "{run}");
}
