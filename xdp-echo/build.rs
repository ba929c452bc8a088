//! Builds bpf/echo.bpf.c into the BPF object xdp_echo carries, with clang
//! (`CLANG` names another): the object is the same on every host, so a
//! cross-build for arm64 makes it here too.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let source = "bpf/echo.bpf.c";
    println!("cargo:rerun-if-changed={source}");
    println!("cargo:rerun-if-env-changed=CLANG");
    let object = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("echo.bpf.o");
    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let status = Command::new(&clang)
        .args(["-O2", "-target", "bpf", "-Wall", "-Werror", "-c", source, "-o"])
        .arg(&object)
        .status()
        .unwrap_or_else(|e| {
            panic!("cannot run {clang} to build {source}: {e} (apt-get install clang, or make deps)")
        });
    assert!(status.success(), "{clang} failed to build {source} ({status})");
}
