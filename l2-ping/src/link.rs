//! The wire, through libpcap: one handle listens (incoming frames only, ours
//! filtered in the kernel), one sends.

use std::os::fd::AsRawFd;

use anyhow::{Context, Result};
use pcap::{Active, Capture, Direction};

use l2_ping::probe::{Mac, ETHERTYPE_PROBE};

/// How long a read waits before the receiving thread checks whether to stop.
const READ_TIMEOUT_MS: i32 = 10;

/// A non-blocking capture, waited on with poll(2): libpcap's own read timeout
/// does not always fire in immediate mode (Linux TPACKET_V2 blocks on).
pub struct Receiver(Capture<Active>);

impl Receiver {
    /// The next incoming probe-like frame, or None after a short wait.
    pub fn next_frame(&mut self) -> Option<&[u8]> {
        if !self.readable() {
            return None;
        }
        self.0.next_packet().ok().map(|p| p.data)
    }

    fn readable(&self) -> bool {
        let mut fd = libc::pollfd { fd: self.0.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd for the duration of the call.
        unsafe { libc::poll(&mut fd, 1, READ_TIMEOUT_MS) > 0 }
    }
}

pub struct Sender(Capture<Active>);

impl Sender {
    pub fn send(&mut self, frame: &[u8]) -> Result<()> {
        self.0.sendpacket(frame).context("cannot send a probe")
    }
}

fn open(iface: &str) -> Result<Capture<Active>> {
    Capture::from_device(iface)
        .and_then(|c| c.immediate_mode(true).snaplen(65535).timeout(READ_TIMEOUT_MS).open())
        .with_context(|| {
            format!("cannot open interface {iface} (does it exist? see `ip link`; are you root?)")
        })
}

pub fn open_receiver(iface: &str) -> Result<Receiver> {
    let mut capture = open(iface)?.setnonblock().context("cannot make the capture non-blocking")?;
    capture.direction(Direction::In).context("cannot restrict the capture to incoming frames")?;
    let filter = format!("ether proto {ETHERTYPE_PROBE:#06x} or udp");
    capture.filter(&filter, true).with_context(|| format!("cannot set the capture filter `{filter}`"))?;
    Ok(Receiver(capture))
}

pub fn open_sender(iface: &str) -> Result<Sender> {
    open(iface).map(Sender)
}

/// The interface's own address (Linux: sysfs). Elsewhere, pass --src.
pub fn interface_mac(iface: &str) -> Result<Mac> {
    let path = format!("/sys/class/net/{iface}/address");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!("no interface {iface} ({path} unreadable; see `ip link`, or pass --src MAC)")
    })?;
    text.trim().parse().map_err(|e: String| anyhow::anyhow!("{path}: {e}"))
}
