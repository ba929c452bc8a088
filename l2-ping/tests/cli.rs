//! Usage and system errors: exit status 2 with a one-line reason.

use std::process::Command;

fn l2_ping(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_l2_ping")).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_malformed_mac_is_a_usage_error() {
    let (code, err) = l2_ping(&["-I", "lo", "--dst", "52:54:00:12:34"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is not a MAC address"), "{err}");
}

#[test]
fn an_unknown_interface_is_a_system_error() {
    let (code, err) = l2_ping(&["-I", "nosuch0", "--dst", "52:54:00:12:34:56", "-c", "1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no interface nosuch0"), "{err}");
    let (code, err) =
        l2_ping(&["-I", "nosuch0", "--src", "02:00:00:00:00:01", "--dst", "52:54:00:12:34:56", "-c", "1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot open interface nosuch0"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

/// Each option's own range is in the root package's tests/hostile_options.rs;
/// this is the one check across options.
#[test]
fn a_size_too_small_for_the_flows_is_a_usage_error() {
    let (code, err) = l2_ping(&["-I", "lo", "--dst", "52:54:00:12:34:56", "--size", "60", "--flows", "4"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("must be from 70 to 9000 with --flows 4"), "{err}");
}

#[test]
fn help_explains_every_option() {
    let out = Command::new(env!("CARGO_BIN_EXE_l2_ping")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--interface",
        "--dst",
        "--count",
        "--interval",
        "--size",
        "--flows",
        "--rate",
        "--timeout",
        "--json",
    ] {
        assert!(help.contains(opt), "--help lacks {opt}:\n{help}");
    }
}
