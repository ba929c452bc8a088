//! l2_echo: one core, one port, one RX/TX queue. Receives bursts, rewrites each
//! frame's Ethernet addresses so it goes back to its sender, transmits.
//!
//!     sudo l2_echo -l 1 [-- --port 0 --mode reply --stats 1]

use std::process::ExitCode;

use anyhow::Result;
use dpdk_echo::cli::Options;
use dpdk_echo::dpdk::{split_args, Eal};
use dpdk_echo::echo::{bring_up_port, serve};
use dpdk_echo::quit;

const ABOUT: &str = dpdk_echo::cli::L2_ECHO_ABOUT;

fn main() -> ExitCode {
    dpdk_echo::main_with("l2_echo", run)
}

fn run() -> Result<()> {
    // EAL options come first, ours after `--`; ours are checked before EAL starts.
    let (eal_args, app_args) = split_args(std::env::args_os());
    let opts = Options::parse_for("l2_echo", ABOUT, app_args);
    let quit = quit::on_signals()?;

    // Initialise the EAL: hugepages, lcores, devices; let dpdk-dumpcap attach.
    let mut eal = Eal::init(&eal_args)?;
    eal.enable_packet_capture();

    // The main lcore alone echoes; any other lcore given with -l stays idle.
    let main_lcore = eal.main_lcore();
    if eal.lcores().len() > 1 {
        log::warn!(
            "l2_echo echoes on the main lcore {} only; l2_multi_echo uses every lcore",
            main_lcore.id()
        );
    }

    // One RX/TX queue pair on the port, started and promiscuous.
    let port = bring_up_port(&eal, &opts.port_config(), 1)?;

    // Echo until Ctrl+C, SIGTERM, --duration or a failing thread.
    let run = serve(&eal, &port, &[main_lcore], &opts.echo_config(), quit)?;

    // Stop and close the port (a pcap TX file is complete after this), then
    // report; a thread that failed makes the exit status non-zero.
    drop(port);
    run.report(opts.json)
}
