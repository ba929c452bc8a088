//! Bad input, as a table: each case ends with one clear line on stderr that
//! says what to do, a non-zero exit, and no panic or core dump.

mod common;
use common::*;
use std::process::Command;

/// (what is wrong, binary, EAL options, app options, exit status, the last
/// line of stderr contains)
type Case = (&'static str, &'static str, Vec<String>, Vec<&'static str>, i32, String);

fn eal(extra: &[&str]) -> Vec<String> {
    let mut eal = test_eal_args();
    eal.extend(extra.iter().map(|s| s.to_string()));
    eal
}

fn null(extra: &[&str]) -> Vec<String> {
    let mut e = eal(&["-l", "0", "--vdev", "net_null0"]);
    e.extend(extra.iter().map(|s| s.to_string()));
    e
}

#[test]
fn every_bad_command_line_is_refused_clearly() {
    let dir = TempDir::new("bad");
    let pcap_in = dir.path("in.pcap");
    write_pcap(&pcap_in, &[frame([0xff; 6], [2, 0, 0, 0, 0, 1], 60, 0)]);
    let one_pcap_queue =
        format!("net_pcap0,rx_pcap={},tx_pcap={}", pcap_in.display(), dir.path("out.pcap").display());
    let s = |v: &str| v.to_string();
    let cases: Vec<Case> = vec![
        ("unknown option", L2_ECHO, null(&[]), vec!["--frobnicate"], 2, s("unexpected argument '--frobnicate'")),
        ("stray argument", L2_ECHO, null(&[]), vec!["stray"], 2, s("unexpected argument 'stray'")),
        ("unknown mode", L2_ECHO, null(&[]), vec!["--mode", "flip"], 2, s("[possible values: reply, swap, icmp]")),
        (
            "icmp mode without an address",
            L2_ECHO,
            null(&[]),
            vec!["--mode", "icmp"],
            2,
            s("the following required arguments were not provided: --ip <ADDRESS>"),
        ),
        (
            "an address that is not a host's",
            L2_ECHO,
            null(&[]),
            vec!["--mode", "icmp", "--ip", "224.0.0.1"],
            2,
            s("invalid value '224.0.0.1' for '--ip <ADDRESS>': not a unicast address"),
        ),
        ("an address without icmp mode", L2_MULTI_ECHO, null(&[]), vec!["--ip", "10.0.0.2"], 2, s("--ip is only used with --mode icmp")),
        ("no port at all", L2_ECHO, eal(&["-l", "0"]), vec![], 1, s("bind a NIC to DPDK with `sudo l2echo-bind-nic`")),
        (
            "a port that does not exist",
            L2_ECHO,
            null(&["--vdev", "net_null1"]),
            vec!["--port", "5"],
            1,
            s("port 5 does not exist; the ports are: 0 (net_null0), 1 (net_null1) (choose with --port)"),
        ),
        (
            "a missing pcap file",
            L2_ECHO,
            eal(&["-l", "0", "--vdev", "net_pcap0,rx_pcap=/nonexistent/in.pcap"]),
            vec![],
            1,
            s("the driver refused --vdev net_pcap0,rx_pcap=/nonexistent/in.pcap"),
        ),
        (
            "an unknown driver",
            L2_ECHO,
            eal(&["-l", "0", "--vdev", "net_nosuch0"]),
            vec![],
            1,
            s("check the --vdev name and its arguments"),
        ),
        ("an unknown EAL option", L2_ECHO, null(&["--no-such-eal-option"]), vec![], 1, s("invalid EAL arguments")),
        ("an lcore the machine lacks", L2_ECHO, eal(&["-l", "64", "--vdev", "net_null0"]), vec![], 1, s("invalid EAL arguments")),
        (
            "more lcores than the device has queues",
            L2_MULTI_ECHO,
            eal(&["--lcores", "(0-3)@(0-1)", "--vdev", &one_pcap_queue]),
            vec![],
            1,
            s("has 1 RX and 1 TX queues, but 4 lcores need 4 queue pairs (one each): run l2_echo, use at most 1 lcore(s)"),
        ),
        (
            "more mbufs than memory",
            L2_ECHO,
            null(&[]),
            vec!["--mbufs", "10000000"],
            1,
            s("cannot create mempool mbufs_p0_q0 of 10000000 mbufs (about 22583 MiB"),
        ),
    ];
    assert!(cases.len() >= 10);
    for (what, bin, eal, app, status, words) in cases {
        let run = run(bin, &eal, &app);
        assert_eq!(run.status.code(), Some(status), "{what}:\n{run}");
        if status == 2 {
            // A usage error: one line that says what (tests/hostile_options.rs has every value).
            assert_eq!(run.stderr.lines().count(), 1, "{what}: not one line:\n{run}");
            assert!(
                run.stderr.contains(": error: ") && run.stderr.contains(&words),
                "{what}: want {words:?}:\n{run}"
            );
            assert!(
                !run.stderr.contains("EAL:"),
                "{what}: EAL started before the options were checked:\n{run}"
            );
        } else {
            run.assert_fails_saying(&words);
        }
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
fn a_second_process_on_the_same_file_prefix_is_told_which_process_holds_it() {
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
    let first_pid = first.id();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // The other form of the option: the same prefix.
    let mut second_eal = eal.clone();
    let at = second_eal.iter().position(|a| a == "--file-prefix").unwrap();
    second_eal.splice(at..at + 2, [format!("--file-prefix={prefix}")]);
    let second =
        finish(spawn(L2_ECHO, &second_eal, &["--duration", "1"]), std::time::Duration::from_secs(30));
    let first = finish(first, std::time::Duration::from_secs(20));
    remove_runtime_dir(&eal);
    first.assert_success();
    second.assert_fails_saying(&format!(
        "another DPDK process (pid {first_pid}) is running with --file-prefix {prefix}: stop it"
    ));
}

/// Runs `script` as root in a private mount namespace (what it mounts or
/// unmounts is seen by nothing else), then l2_echo with real-hugepage EAL
/// options.
fn in_private_mounts(script: &str) -> Run {
    let prefix = format!("l2t{}_mnt", std::process::id());
    let echo = format!(
        "exec {L2_ECHO} --no-pci --no-telemetry --in-memory --file-prefix {prefix} -l 0 --vdev net_null0 \
         -- --duration 1"
    );
    let proc = spawn_command(
        Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(format!("{script} && {echo}")),
    );
    finish(proc, std::time::Duration::from_secs(30))
}

#[test]
#[ignore = "needs root (a private mount namespace): sudo make test runs it"]
fn no_hugepages_reserved_says_how_to_reserve_them() {
    require_root("a private mount namespace");
    // An empty hugepage sysfs: nothing reserved, of any size.
    let run = in_private_mounts("mount -t tmpfs none /sys/kernel/mm/hugepages");
    run.assert_fails_saying(
        "no hugepages are reserved: run `sudo l2echo-setup-hugepages` (scripts/setup_env.sh",
    );
    assert!(!run.stderr.contains("EAL:"), "checked before EAL starts:\n{run}");
}

#[test]
#[ignore = "needs root (a private mount namespace): sudo make test runs it"]
fn no_hugetlbfs_mounted_says_how_to_mount_one() {
    require_root("a private mount namespace");
    let run = in_private_mounts(
        "mount -t tmpfs none /sys/kernel/mm/hugepages && mkdir /sys/kernel/mm/hugepages/hugepages-2048kB \
         && echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages \
         && for m in $(awk '$3 == \"hugetlbfs\" {print $2}' /proc/mounts); do umount -l \"$m\"; done",
    );
    run.assert_fails_saying(
        "no hugetlbfs is mounted: run `sudo l2echo-setup-hugepages` (scripts/setup_env.sh",
    );
}

/// Runs l2_echo as `nobody` with ARGS (after --no-pci and a --file-prefix of
/// its own) and XDG_RUNTIME_DIR a test-made directory of MODE, removed after, so that
/// nothing owned by `nobody` is left for the next user. Returns the run and
/// the runtime directory EAL would use.
fn run_as_nobody(name: &str, mode: u32, args: &[&str]) -> (Run, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let prefix = format!("l2t{}_{name}", std::process::id());
    let runtime = TempDir::new(name);
    std::fs::set_permissions(&runtime.0, std::fs::Permissions::from_mode(mode)).unwrap();
    let out = Command::new("setpriv")
        .env("XDG_RUNTIME_DIR", &runtime.0)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", L2_ECHO])
        .args(["--no-pci", "--file-prefix", &prefix])
        .args(args)
        .output()
        .expect("setpriv (util-linux)");
    (Run::from(out), runtime.0.join("dpdk").join(prefix))
}

#[test]
#[ignore = "needs root (dropping privileges): sudo make test runs it"]
fn not_root_without_no_huge_says_to_use_sudo() {
    require_root("dropping privileges");
    let (run, _) = run_as_nobody("nonroot", 0o1777, &["-l", "0", "--vdev", "net_null0"]);
    run.assert_fails_saying("not running as root: use sudo");
}

#[test]
#[ignore = "needs root (dropping privileges): sudo make test runs it"]
fn a_runtime_dir_it_cannot_create_is_named_with_sudo_as_the_fix() {
    require_root("dropping privileges");
    // XDG_RUNTIME_DIR owned by root, mode 0755: `nobody` cannot make dpdk/ in it,
    // as when a /tmp/dpdk left by another user is in the way.
    let args = ["--no-huge", "-m", "256", "-l", "0", "--vdev", "net_null0", "--", "--duration", "1"];
    let (run, dir) = run_as_nobody("rundir", 0o755, &args);
    let runtime = dir.parent().and_then(|d| d.parent()).unwrap();
    run.assert_fails_saying(&format!(
        "cannot create DPDK's runtime directory {} ({}: Permission denied",
        dir.display(),
        runtime.display()
    ));
    run.assert_fails_saying("run with sudo");
    assert!(!run.stderr.contains("invalid EAL arguments"), "{run}");
}
