//! l2_multi_echo: share-nothing multi-core echo. RSS spreads flows over one
//! RX queue per lcore; every lcore (the main one included) runs the same echo
//! loop on its own RX/TX queue pair, with no locks and nothing shared.
//!
//!     sudo l2_multi_echo -l 0-3 [-- --stats 1]

use std::process::ExitCode;

use anyhow::{Context, Result};
use dpdk_echo::cli::Options;
use dpdk_echo::dpdk::{split_args, Eal};
use dpdk_echo::echo::{bring_up_port, serve};
use dpdk_echo::quit;

const ABOUT: &str = dpdk_echo::cli::L2_MULTI_ECHO_ABOUT;

fn main() -> ExitCode {
    dpdk_echo::main_with("l2_multi_echo", run)
}

fn run() -> Result<()> {
    // EAL options come first, ours after `--`; ours are checked before EAL starts.
    let (eal_args, app_args) = split_args(std::env::args_os());
    let opts = Options::parse_for("l2_multi_echo", ABOUT, app_args);
    let quit = quit::on_signals()?;

    // Initialise the EAL: hugepages, lcores, devices; let dpdk-dumpcap attach.
    let mut eal = Eal::init(&eal_args)?;
    eal.enable_packet_capture();

    // Every lcore of -l owns one queue pair: queue i belongs to the i-th lcore
    // (its index, not its id, so -l 2-5 or -l 1,3 work).
    let lcores = eal.lcores();
    let queues = u16::try_from(lcores.len()).context("too many lcores")?;

    // N RX/TX queue pairs with RSS, started and promiscuous.
    let port = bring_up_port(&eal, &opts.port_config(), queues)?;

    // Echo on every lcore until Ctrl+C, SIGTERM, --duration or a failing thread.
    let run = serve(&eal, &port, &lcores, &opts.echo_config(), quit)?;

    // Stop and close the port (a pcap TX file is complete after this), then
    // report; a thread that failed makes the exit status non-zero.
    drop(port);
    run.report(opts.json)
}
