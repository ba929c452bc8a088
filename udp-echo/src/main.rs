//! udp_echo: every UDP datagram back to where it came from, through the
//! kernel's whole stack (make compare's socket row). Written the way a
//! latency-minded user would: one thread pinned to a CPU, datagrams taken
//! and sent in batches (recvmmsg, sendmmsg), the device polled before the
//! thread sleeps (SO_BUSY_POLL). Ctrl+C or SIGTERM ends it with its counts.

mod sys;

use std::net::{SocketAddrV4, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use cli_values::{int_in, secs_in};
use serde::Serialize;

/// Echo UDP datagrams back to their sender, through the kernel's sockets.
#[derive(Debug, Parser)]
#[command(name = "udp_echo", version)]
struct Options {
    /// Address and port to answer on.
    #[arg(long, value_name = "IP:PORT", default_value = "0.0.0.0:9000")]
    bind: SocketAddrV4,

    /// Run on this CPU only.
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = int_in(0usize, 1023))]
    cpu: Option<usize>,

    /// Poll the device for up to US microseconds before sleeping
    /// (SO_BUSY_POLL; 0: off).
    #[arg(long, value_name = "US", default_value_t = 50, allow_hyphen_values = true,
          value_parser = int_in(0u32, 1_000_000))]
    busy_poll: u32,

    /// Most datagrams taken, and sent, per system call.
    #[arg(long, value_name = "N", default_value_t = 32, allow_hyphen_values = true,
          value_parser = int_in(1usize, 1024))]
    batch: usize,

    /// Stop after SECS seconds; default: run until Ctrl+C.
    #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = secs_in(0.001, 31_536_000.0))]
    duration: Option<Duration>,

    /// At exit, also print the counts as one JSON object.
    #[arg(long)]
    json: bool,
}

/// What a run did.
#[derive(Debug, Default, Serialize)]
struct Counts {
    received: u64,
    sent: u64,
    /// Received but not taken back by the kernel's send (its queue full).
    send_dropped: u64,
    elapsed_s: f64,
}

fn main() -> ExitCode {
    let opts = Options::try_parse().unwrap_or_else(|e| cli_values::exit_on("udp_echo", e));
    match run(&opts) {
        Ok(counts) => {
            println!(
                "udp_echo: received {}, sent {}, send_dropped {} in {:.3} s",
                counts.received, counts.sent, counts.send_dropped, counts.elapsed_s
            );
            if opts.json {
                println!("{}", serde_json::to_string(&counts).expect("counts serialise"));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("udp_echo: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: &Options) -> Result<Counts> {
    if let Some(cpu) = opts.cpu {
        sys::pin_to(cpu).with_context(|| format!("cannot run on CPU {cpu} (--cpu)"))?;
    }
    let socket = UdpSocket::bind(opts.bind).with_context(|| format!("cannot bind {} (--bind)", opts.bind))?;
    if opts.busy_poll > 0 {
        sys::set_busy_poll(&socket, opts.busy_poll)
            .with_context(|| format!("SO_BUSY_POLL {} us (--busy-poll; 0 turns it off)", opts.busy_poll))?;
    }
    // Wake up now and then to see Ctrl+C or the end of --duration.
    socket.set_read_timeout(Some(Duration::from_millis(100)))?;
    sys::quit_on_signals();
    println!("udp_echo: answering on {} [Ctrl+C to quit]", socket.local_addr()?);

    let mut batch = sys::Batch::new(opts.batch);
    let mut counts = Counts::default();
    let started = Instant::now();
    let end = opts.duration.map(|d| started + d);
    while !sys::quit() && end.is_none_or(|end| Instant::now() < end) {
        let received = batch.receive(&socket).context("recvmmsg")?;
        if received == 0 {
            continue;
        }
        let sent = batch.send_back(&socket, received).context("sendmmsg")?;
        counts.received += received as u64;
        counts.sent += sent as u64;
        counts.send_dropped += (received - sent) as u64;
    }
    counts.elapsed_s = started.elapsed().as_secs_f64();
    Ok(counts)
}
