//! Bad input: each case ends with one clear line on stderr, a non-zero exit,
//! and no panic.

mod common;
use common::*;

fn eal(extra: &[&str]) -> Vec<String> {
    let mut eal = test_eal_args();
    eal.extend(extra.iter().map(|s| s.to_string()));
    eal
}

#[test]
fn no_port_at_all_says_how_to_get_one() {
    run(L2_ECHO, &eal(&["-l", "0"]), &[])
        .assert_fails_saying("bind a NIC to DPDK with `sudo scripts/bind_nic.sh`");
}

#[test]
fn a_missing_port_lists_the_ports_there_are() {
    let run =
        run(L2_ECHO, &eal(&["-l", "0", "--vdev", "net_null0", "--vdev", "net_null1"]), &["--port", "5"]);
    run.assert_fails_saying("port 5 does not exist; the ports are: 0 (net_null0), 1 (net_null1)");
}

#[test]
fn a_vdev_whose_probe_fails_is_named() {
    let run = run(L2_ECHO, &eal(&["-l", "0", "--vdev", "net_pcap0,rx_pcap=/nonexistent/in.pcap"]), &[]);
    run.assert_fails_saying("the driver refused --vdev net_pcap0,rx_pcap=/nonexistent/in.pcap");
}

#[test]
fn bad_eal_options_are_explained() {
    run(L2_ECHO, &eal(&["-l", "0", "--no-such-eal-option"]), &[])
        .assert_fails_saying("invalid EAL arguments");
}

#[test]
fn bad_app_options_are_refused_before_eal_starts() {
    for (args, words) in [
        (&["--burst", "0"][..], "0 is not in 1..=512"),
        (&["--burst", "513"], "513 is not in 1..=512"),
        (&["--mode", "flip"], "invalid value 'flip'"),
        (&["--duration", "0"], "positive number of seconds"),
        (&["--frobnicate"], "unexpected argument '--frobnicate'"),
    ] {
        let run = run(L2_ECHO, &eal(&["-l", "0", "--vdev", "net_null0"]), args);
        assert_eq!(run.status.code(), Some(2), "{args:?}:\n{run}");
        assert!(run.stderr.contains(words), "{args:?} should say {words:?}:\n{run}");
        assert!(!run.stderr.contains("EAL:"), "EAL started before the options were checked:\n{run}");
    }
}

#[test]
fn help_and_version_need_no_eal() {
    for bin in [L2_ECHO, L2_MULTI_ECHO] {
        let help = run(bin, &["--help".to_string()], &[]);
        help.assert_success();
        assert!(
            help.stdout.contains("--mode <MODE>") && help.stdout.contains("[EAL OPTIONS] [-- OPTIONS]"),
            "{help}"
        );
        let version = run(bin, &["--version".to_string()], &[]);
        version.assert_success();
        assert!(version.stdout.contains("built against DPDK"), "{version}");
    }
}

#[test]
fn a_second_process_on_the_same_file_prefix_is_told_to_pick_another() {
    // Shared config (no --no-shconf) is what the --file-prefix lock guards.
    let prefix = format!("l2t{}_shared", std::process::id());
    let eal: Vec<String> = [
        "--no-pci",
        "--no-huge",
        "-m",
        "256",
        "--no-telemetry",
        "--file-prefix",
        &prefix,
        "-l",
        "0",
        "--vdev",
        "net_null0",
    ]
    .map(String::from)
    .to_vec();
    let first = spawn(L2_ECHO, &eal, &["--duration", "3"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let second = run(L2_ECHO, &eal, &["--duration", "1"]);
    let first = finish(first, std::time::Duration::from_secs(20));
    remove_runtime_dir(&eal);
    first.assert_success();
    second.assert_fails_saying(&format!("is another DPDK process running with --file-prefix {prefix}?"));
}

#[test]
fn not_root_without_no_huge_says_to_use_sudo() {
    if !is_root() {
        eprintln!("skipped: needs root to drop privileges for the test");
        return;
    }
    let prefix = format!("l2t{}_nonroot", std::process::id());
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", L2_ECHO])
        .args(["--no-pci", "--file-prefix", &prefix, "-l", "0", "--vdev", "net_null0"])
        .output()
        .expect("setpriv (util-linux)");
    let run = Run {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    };
    run.assert_fails_saying("not running as root: use sudo");
}
