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

#[test]
fn out_of_range_values_are_usage_errors() {
    for args in [
        &["--size", "40"][..],
        &["--size", "60", "--flows", "4"],
        &["-c", "0"],
        &["-i", "0"],
        &["--rate", "-5"],
        &["--flows", "99999"],
        &["-W", "never"],
    ] {
        let mut all = vec!["-I", "lo", "--dst", "52:54:00:12:34:56"];
        all.extend_from_slice(args);
        let (code, err) = l2_ping(&all);
        assert_eq!(code, Some(2), "{args:?}: {err}");
    }
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
