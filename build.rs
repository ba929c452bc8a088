//! Records the DPDK version the binaries are built against (dpdk-sys found it
//! with pkg-config and passes it on through its `links = "dpdk"` metadata), for
//! `--version` and the start-up banner.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_DPDK_VERSION");
    let version = std::env::var("DEP_DPDK_VERSION").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=DPDK_VERSION={version}");
}
