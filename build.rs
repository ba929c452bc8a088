//! Records the DPDK version the binaries are built against (dpdk-sys found it
//! with pkg-config and passes it on through its `links = "dpdk"` metadata), for
//! `--version` and the start-up banner; and whether that DPDK has the lcore
//! usage callback (23.03 and later), as the cfg `dpdk_lcore_usage`; and the
//! cache line it was built for, as the cfg `dpdk_cache_line` ("64" or "128");
//! and links the binaries with every DPDK library (see below).

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_DPDK_VERSION");
    println!("cargo:rerun-if-env-changed=DEP_DPDK_LIBS");
    // The servers load every library of DPDK's that pkg-config lists, whether
    // or not they call into it, as testpmd does: DPDK's tools built from
    // source (dpdk-dumpcap, dpdk-proc-info) link all of DPDK statically and,
    // as secondary processes, look up in the server's shared memory the tailq
    // of every library they hold; one the server never loaded ends them with
    // "EAL: Cannot initialize tailq". rustc links with --as-needed otherwise.
    // The tests that start an EAL in their own process (tests/safe_layer.rs)
    // load the same, so their drivers are the servers'.
    let libs = std::env::var("DEP_DPDK_LIBS").unwrap_or_default();
    for targets in ["bins", "tests"] {
        println!("cargo:rustc-link-arg-{targets}=-Wl,--push-state,--no-as-needed");
        for lib in libs.split_whitespace() {
            println!("cargo:rustc-link-arg-{targets}=-l{lib}");
        }
        println!("cargo:rustc-link-arg-{targets}=-Wl,--pop-state");
    }
    println!("cargo:rerun-if-env-changed=DEP_DPDK_LCORE_USAGE");
    println!("cargo:rerun-if-env-changed=DEP_DPDK_CACHE_LINE");
    let version = std::env::var("DEP_DPDK_VERSION").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=DPDK_VERSION={version}");
    println!("cargo:rustc-check-cfg=cfg(dpdk_lcore_usage)");
    if std::env::var("DEP_DPDK_LCORE_USAGE").as_deref() == Ok("1") {
        println!("cargo:rustc-cfg=dpdk_lcore_usage");
    }
    println!("cargo:rustc-check-cfg=cfg(dpdk_cache_line, values(\"64\", \"128\"))");
    let cache_line = std::env::var("DEP_DPDK_CACHE_LINE").unwrap_or_default();
    if !matches!(cache_line.as_str(), "64" | "128") {
        panic!("DPDK's RTE_CACHE_LINE_SIZE is {cache_line:?}: this build knows 64 and 128");
    }
    println!("cargo:rustc-cfg=dpdk_cache_line=\"{cache_line}\"");
}
