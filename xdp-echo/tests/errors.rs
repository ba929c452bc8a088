//! xdp_echo's errors before anything is attached. Attaching, and what is
//! left attached after each way it can end, are in the root package's
//! tests/compare_rows.rs, over a veth. (This package having tests is also
//! what makes `cargo test --workspace` build xdp_echo for those.)

use std::process::{Command, Output};

const XDP_ECHO: &str = env!("CARGO_BIN_EXE_xdp_echo");

fn code_and_stderr(out: Output) -> (Option<i32>, String) {
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn xdp_echo(args: &[&str]) -> (Option<i32>, String) {
    code_and_stderr(Command::new(XDP_ECHO).args(args).output().unwrap())
}

#[test]
fn an_interface_that_does_not_exist_is_a_usage_error_naming_the_option() {
    for name in ["nosuch0", "a-name-longer-than-ifnamsiz", ""] {
        let (code, err) = xdp_echo(&["--interface", name]);
        assert_eq!(code, Some(2), "{name:?}: {err}");
        assert!(err.contains("no interface") && err.contains("(--interface)"), "{name:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn hostile_options_are_usage_errors() {
    for (args, says) in [
        (&["--interface", "lo", "--duration", "0"][..], "must be a number of seconds from 0.001"),
        (&["--interface", "lo", "--duration", "-1"][..], "must be a number of seconds from 0.001"),
        (&["--interface", "lo", "--program", "drop"][..], "invalid value 'drop' for '--program"),
        (&["--interface", "lo", "--mode", "offload"][..], "invalid value 'offload' for '--mode"),
        (&[][..], "--interface <IF>"),
    ] {
        let (code, err) = xdp_echo(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    }
}

/// Run as a user (as root: dropped to nobody with setpriv), loading the
/// program is refused, and the error says what to do.
#[test]
fn as_a_user_it_says_to_run_it_with_sudo() {
    // SAFETY: geteuid has no preconditions.
    let out = if unsafe { libc::geteuid() } == 0 {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", XDP_ECHO, "--interface", "lo"])
            .output()
            .expect("setpriv (util-linux)")
    } else {
        Command::new(XDP_ECHO).args(["--interface", "lo"]).output().unwrap()
    };
    let (code, err) = code_and_stderr(out);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("needs root (CAP_BPF and CAP_NET_ADMIN): run it with sudo"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}
