//! DPDK L2 echo servers: a thin safe layer over DPDK ([`dpdk`]), the echo
//! itself ([`echo`]), its load generator and checker l2_load ([`load`]), the
//! options both servers share ([`cli`]), the quit
//! flag that Ctrl+C sets ([`quit`]), panics turned into errors ([`panic`]), a
//! test-only fault hook ([`fault`]) and what differs between CPUs ([`arch`]).

pub mod arch;
pub mod cli;
pub mod dpdk;
pub mod echo;
pub mod fault;
pub mod load;
pub mod panic;
pub mod quit;

/// The DPDK release the binaries were compiled against.
pub const DPDK_VERSION: &str = env!("DPDK_VERSION");

use std::process::ExitCode;

/// A server's `main`: logging to stderr (RUST_LOG, default info), then `run`;
/// an error, or a panic, becomes one line on stderr and exit status 1.
pub fn main_with(name: &str, run: fn() -> anyhow::Result<()>) -> ExitCode {
    main_with_status(name, || run().map(|()| ExitCode::SUCCESS), ExitCode::FAILURE)
}

/// As [`main_with`], for a `run` that chooses its exit status; an error, or
/// a panic, exits with `on_error`.
pub fn main_with_status(
    name: &str,
    run: impl FnOnce() -> anyhow::Result<ExitCode>,
    on_error: ExitCode,
) -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        .init();
    panic::install_hook();
    match panic::catch(run).and_then(|result| result) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("{name}: error: {e:#}");
            on_error
        }
    }
}
