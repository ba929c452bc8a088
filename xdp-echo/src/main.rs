//! xdp_echo: the XDP paper's forwarding program (bpf/echo.bpf.c) on one
//! interface, make compare's xdp row: every frame goes back out where it came
//! in, its Ethernet addresses swapped (XDP_TX), until Ctrl+C, SIGTERM or the
//! end of --duration. The program hangs on a BPF link whose only descriptor
//! this process holds: the kernel detaches it when that closes, so nothing is
//! left attached after an exit, a Ctrl+C or a kill -9.

mod waiting;

use std::ffi::CString;
use std::io;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use aya::programs::{Xdp, XdpMode};
use aya::EbpfLoader;
use clap::{Parser, ValueEnum};
use cli_values::secs_in;

/// The object build.rs made of bpf/echo.bpf.c.
static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/echo.bpf.o"));

/// Answer every frame on an interface from XDP, its Ethernet addresses swapped.
#[derive(Debug, Parser)]
#[command(name = "xdp_echo", version)]
struct Options {
    /// The interface to answer on.
    #[arg(short, long, value_name = "IF")]
    interface: String,

    /// swap: the echo. pass: every frame on to the kernel's stack, for the
    /// other end of a veth (frames a veth sends with XDP_TX reach its peer
    /// only when the peer runs an XDP program too).
    #[arg(long, value_enum, default_value_t = Program::Swap)]
    program: Program,

    /// driver: in the driver, as the paper measured (native XDP). generic:
    /// after the kernel built its socket buffer, on any interface.
    #[arg(long, value_enum, default_value_t = Mode::Driver)]
    mode: Mode,

    /// Detach after SECS seconds; default: at Ctrl+C or SIGTERM.
    #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = secs_in(0.001, 31_536_000.0))]
    duration: Option<Duration>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Program {
    Swap,
    Pass,
}

impl Program {
    /// Its function's name in bpf/echo.bpf.c.
    fn symbol(self) -> &'static str {
        match self {
            Program::Swap => "xdp_swap",
            Program::Pass => "xdp_pass",
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    Driver,
    Generic,
}

/// What went wrong, and whose it is: the user's input (exit 2) or the
/// system's (exit 1).
enum Failure {
    Usage(anyhow::Error),
    System(anyhow::Error),
}

fn main() -> ExitCode {
    let opts = Options::try_parse().unwrap_or_else(|e| cli_values::exit_on("xdp_echo", e));
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(e)) => {
            eprintln!("xdp_echo: error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::System(e)) => {
            eprintln!("xdp_echo: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: &Options) -> Result<(), Failure> {
    // Ctrl+C or SIGTERM from here on waits until the program is attached, and
    // then detaches it like any other end.
    let signals =
        waiting::block_quit_signals().context("cannot block SIGINT and SIGTERM").map_err(Failure::System)?;
    let if_index = if_index(&opts.interface).map_err(Failure::Usage)?;

    let mut object = EbpfLoader::new()
        .btf(None) // no CO-RE relocations: the kernel's BTF is not needed
        .load(OBJECT)
        .map_err(|e| Failure::System(needs_root(anyhow!(e), "load the BPF object")))?;
    let program: &mut Xdp = object
        .program_mut(opts.program.symbol())
        .expect("bpf/echo.bpf.c defines both programs")
        .try_into()
        .expect("both are XDP programs");
    program.load().map_err(|e| Failure::System(needs_root(anyhow!(e), "load the XDP program")))?;
    let mode = match opts.mode {
        Mode::Driver => XdpMode::Driver,
        Mode::Generic => XdpMode::Skb,
    };
    program.attach_to_if_index(if_index, mode).map_err(|e| attach_failure(anyhow!(e), opts))?;

    let mode = match opts.mode {
        Mode::Driver => "driver",
        Mode::Generic => "generic",
    };
    println!(
        "xdp_echo: {} on {} ({mode} mode) [Ctrl+C to detach and quit]",
        opts.program.symbol(),
        opts.interface
    );
    let started = Instant::now();
    let ended_by = waiting::until_signal_or(&signals, opts.duration)
        .context("waiting for a signal")
        .map_err(Failure::System)?;
    // Dropping the object closes the link's descriptor: the kernel detaches.
    drop(object);
    println!(
        "xdp_echo: detached from {} after {:.3} s ({ended_by})",
        opts.interface,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The interface's index, or an error naming --interface.
fn if_index(name: &str) -> Result<u32> {
    let c_name = CString::new(name).map_err(|_| anyhow!("no interface {name:?} (--interface)"))?;
    // SAFETY: a NUL-terminated string that lives through the call.
    match unsafe { libc::if_nametoindex(c_name.as_ptr()) } {
        0 => Err(anyhow!("no interface {name} (--interface): {}", io::Error::last_os_error())),
        index => Ok(index),
    }
}

/// The errno somewhere in an error's chain.
fn errno(e: &anyhow::Error) -> Option<i32> {
    e.chain().find_map(|cause| cause.downcast_ref::<io::Error>()).and_then(io::Error::raw_os_error)
}

fn needs_root(e: anyhow::Error, what: &str) -> anyhow::Error {
    match errno(&e) {
        Some(libc::EPERM) | Some(libc::EACCES) => {
            anyhow!("cannot {what}: it needs root (CAP_BPF and CAP_NET_ADMIN): run it with sudo")
        }
        _ => e.context(format!("cannot {what}")),
    }
}

/// An attach the user can fix (the interface busy, or its driver without
/// native XDP) is a usage error naming the option; any other, the system's.
fn attach_failure(e: anyhow::Error, opts: &Options) -> Failure {
    let interface = &opts.interface;
    match errno(&e) {
        Some(libc::EBUSY) | Some(libc::EEXIST) => Failure::Usage(anyhow!(
            "{interface} already runs an XDP program (--interface): `ip link set dev {interface} xdp off` removes it"
        )),
        Some(libc::EOPNOTSUPP) if matches!(opts.mode, Mode::Driver) => Failure::Usage(anyhow!(
            "{interface}'s driver has no native XDP (--mode driver): --mode generic runs it anyway"
        )),
        _ => Failure::System(needs_root(e, &format!("attach to {interface}"))),
    }
}
