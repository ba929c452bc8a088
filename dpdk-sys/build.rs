//! Finds the installed DPDK with pkg-config, generates its Rust bindings into
//! OUT_DIR with bindgen, and compiles the C shim with the very same flags.

use std::env;
use std::path::PathBuf;
use std::process::exit;

/// The oldest DPDK whose API these bindings are written against.
const MIN_DPDK: &str = "22.11";

fn main() {
    println!("cargo:rerun-if-changed=shim/shim.c");
    println!("cargo:rerun-if-changed=shim/shim.h");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    // Link flags are emitted by hand below, after the shim, so the static shim
    // comes before the DPDK libraries it calls into.
    let dpdk =
        match pkg_config::Config::new().atleast_version(MIN_DPDK).cargo_metadata(false).probe("libdpdk") {
            Ok(lib) => lib,
            Err(e) => {
                eprintln!(
                    "error: DPDK >= {MIN_DPDK} not found by pkg-config (libdpdk): install it \
                 (Debian/Ubuntu: apt-get install libdpdk-dev) or set PKG_CONFIG_PATH to the \
                 directory holding libdpdk.pc"
                );
                eprintln!("pkg-config said: {e}");
                exit(1);
            }
        };
    // ALL of `pkg-config --cflags`: it carries `-include rte_config.h` and the
    // -march the libraries were built for; headers do not compile without them.
    let cflags = pkg_config_output(&["--cflags", "libdpdk"]);

    let mut shim = cc::Build::new();
    shim.file("shim/shim.c").warnings(true).extra_warnings(true).warnings_into_errors(true);
    for flag in &cflags {
        shim.flag(flag);
    }
    shim.compile("dpdk_rs_shim");

    for path in &dpdk.link_paths {
        println!("cargo:rustc-link-search=native={}", path.display());
    }
    for lib in &dpdk.libs {
        println!("cargo:rustc-link-lib={lib}");
    }
    println!("cargo:version={}", dpdk.version);
    // Every library pkg-config lists, for the binaries to load (build.rs at the top).
    println!("cargo:libs={}", dpdk.libs.join(" "));

    let bindings = bindgen::Builder::default()
        .header("shim/shim.h")
        // Formatted in-process, the same whether or not rustfmt is installed
        // (rustup's minimal profile has none): the text is searched below.
        .formatter(bindgen::Formatter::Prettyplease)
        .clang_args(&cflags)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .allowlist_function("rs_.*")
        .allowlist_var("rs_.*")
        .allowlist_function("rte_eal_(init|cleanup|remote_launch|wait_lcore|mp_wait_lcore)")
        .allowlist_function("rte_(lcore_index|lcore_cpuset|get_main_lcore|get_next_lcore)")
        .allowlist_function("rte_strerror")
        .allowlist_function("rte_version")
        .allowlist_function("rte_get_tsc_hz")
        .allowlist_function("rte_lcore_register_usage_cb")
        .allowlist_type("rte_lcore_usage")
        .allowlist_function("rte_telemetry_register_cmd")
        .allowlist_function(
            "rte_tel_data_(alloc|free|start_dict|add_dict_uint|add_dict_u64|add_dict_string\
             |add_dict_container)",
        )
        .allowlist_function("rte_pdump_(init|uninit)")
        .allowlist_function(
            "rte_eth_(find_next|dev_info_get|dev_configure\
             |dev_adjust_nb_rx_tx_desc|rx_queue_setup|tx_queue_setup|dev_start|dev_stop\
             |dev_close|macaddr_get|promiscuous_enable|stats_get|dev_socket_id\
             |dev_get_name_by_port|xstats_get|xstats_get_names|dev_rss_hash_conf_get\
             |dev_rss_reta_query)",
        )
        .allowlist_function("rte_pktmbuf_(pool_create|free_bulk)")
        .allowlist_function("rte_mempool_(free|in_use_count)")
        .allowlist_type("rte_(mbuf|ether_hdr|ether_addr|eth_conf|eth_dev_info|eth_stats|mempool)")
        .allowlist_type("rte_eth_xstat(_name)?")
        .allowlist_type("rte_eth_rss_reta_entry64")
        .allowlist_var("RTE_(MAX_ETHPORTS|MAX_LCORE|CACHE_LINE_SIZE)")
        .allowlist_var("RTE_ETH_MQ_RX_RSS")
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .generate_comments(false)
        .generate()
        .unwrap_or_else(|e| {
            eprintln!("error: bindgen failed on the DPDK headers: {e} (is libclang-dev installed?)");
            exit(1);
        });
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindings.write_to_file(out.join("bindings.rs")).expect("write bindings.rs into OUT_DIR");

    // Where the DPDK versions this builds against differ in what the Rust
    // side sees, decided from what bindgen made of the installed headers
    // (docs/dpdk-versions.md).
    let generated = bindings.to_string();
    // Where rte_mbuf's fields are. Up to 24.03 data_off..port and
    // pkt_len..buf_len are direct members (after RTE_MARKER fields); 24.07
    // wraps them in anonymous unions with rearm_data and
    // rx_descriptor_fields1, which bindgen names __bindgen_anon_N. src/lib.rs
    // (module mbuf_field) gives the field paths for both.
    println!("cargo:rustc-check-cfg=cfg(dpdk_mbuf_anon_unions)");
    if mbuf_fields_in_anonymous_unions(&generated) {
        println!("cargo:rustc-cfg=dpdk_mbuf_anon_unions");
    }
    // The telemetry call for an unsigned value: rte_tel_data_add_dict_uint
    // from 23.03 on (the only one from 25.11 on); before it,
    // rte_tel_data_add_dict_u64, which 23.03 deprecated. src/lib.rs gives the
    // new name on either side.
    println!("cargo:rustc-check-cfg=cfg(dpdk_tel_dict_uint)");
    if generated.contains("pub fn rte_tel_data_add_dict_uint(") {
        println!("cargo:rustc-cfg=dpdk_tel_dict_uint");
    }

    // DPDK 23.03 added the lcore usage callback (EAL's /eal/lcore/usage).
    // The echo's own crate asks through the `lcore_usage` metadata.
    let lcore_usage = generated.contains("pub fn rte_lcore_register_usage_cb");
    println!("cargo:lcore_usage={}", u8::from(lcore_usage));

    // The cache line DPDK was built for (64 on x86-64, 128 on arm64): the
    // echo's own crate aligns what lcores share to it (`cache_line` metadata;
    // `repr(align)` needs a literal, not the constant).
    let cache_line = generated
        .split_once("RTE_CACHE_LINE_SIZE: u32 = ")
        .and_then(|(_, rest)| rest.split(';').next()?.trim().parse::<u32>().ok())
        .unwrap_or_else(|| panic!("no RTE_CACHE_LINE_SIZE in the bindings of DPDK {}", dpdk.version));
    println!("cargo:cache_line={cache_line}");
}

/// Whether the generated `struct rte_mbuf` lacks a direct `data_off` member.
fn mbuf_fields_in_anonymous_unions(bindings: &str) -> bool {
    let Some(start) = bindings.find("pub struct rte_mbuf {") else {
        eprintln!("error: bindgen generated no struct rte_mbuf from the DPDK headers");
        exit(1);
    };
    let body = &bindings[start..];
    let body = &body[..body.find("\n}").unwrap_or(body.len())];
    !body.contains("pub data_off:")
}

fn pkg_config_output(args: &[&str]) -> Vec<String> {
    let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    let out = std::process::Command::new(&pkg_config).args(args).output().unwrap_or_else(|e| {
        eprintln!("error: cannot run {pkg_config}: {e} (apt-get install pkg-config)");
        exit(1);
    });
    if !out.status.success() {
        eprintln!("error: {pkg_config} {} failed", args.join(" "));
        exit(1);
    }
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect()
}
