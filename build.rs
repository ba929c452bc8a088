//! Records the DPDK version the binaries are built against (dpdk-sys found it
//! with pkg-config and passes it on through its `links = "dpdk"` metadata), for
//! `--version` and the start-up banner; and whether that DPDK has the lcore
//! usage callback (23.03 and later), as the cfg `dpdk_lcore_usage`.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_DPDK_VERSION");
    println!("cargo:rerun-if-env-changed=DEP_DPDK_LCORE_USAGE");
    let version = std::env::var("DEP_DPDK_VERSION").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=DPDK_VERSION={version}");
    println!("cargo:rustc-check-cfg=cfg(dpdk_lcore_usage)");
    if std::env::var("DEP_DPDK_LCORE_USAGE").as_deref() == Ok("1") {
        println!("cargo:rustc-cfg=dpdk_lcore_usage");
    }
}
