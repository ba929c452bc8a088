//! The wire, through libpcap: one handle listens (incoming frames only, ours
//! filtered in the kernel), one sends.

use std::os::fd::AsRawFd;

use anyhow::{Context, Result};
use pcap::{Active, Capture, Direction};

use l2_probe::frame::ETHERTYPE_PROBE;
use l2_probe::Mac;

/// How long a read waits before the receiving thread checks whether to stop.
const READ_TIMEOUT_MS: i32 = 10;

/// The kernel's ring for the capture. libpcap (TPACKET_V2 in immediate mode)
/// cuts it into slots of the snapshot length: with its default 2 MiB and a
/// 64 KiB snapshot (a veth has offloads on) that was 31 slots, which a
/// receiving thread kept off its CPU for 15 ms at 2000 probes/s overflows.
/// With the probe's own size as the snapshot, 16 MiB holds tens of thousands.
const RING_BYTES: i32 = 16 << 20;

/// A non-blocking capture, waited on with poll(2): libpcap's own read timeout
/// does not always fire in immediate mode (Linux TPACKET_V2 blocks on).
pub struct Receiver(Capture<Active>);

/// What the kernel counted for the capture (`pcap_stats`).
#[derive(Debug, Default, Clone, Copy)]
pub struct CaptureDrops {
    /// Frames the capture's ring had no room for (ps_drop).
    pub ring: u64,
    /// Frames the interface dropped (ps_ifdrop).
    pub interface: u64,
}

impl Receiver {
    /// The next incoming probe-like frame, or None after a short wait.
    pub fn next_frame(&mut self) -> Option<&[u8]> {
        if !self.readable() {
            return None;
        }
        self.0.next_packet().ok().map(|p| p.data)
    }

    /// The kernel's drop counts for this capture so far.
    pub fn drops(&mut self) -> Result<CaptureDrops> {
        let stat = self.0.stats().context("cannot read the capture's statistics (pcap_stats)")?;
        Ok(CaptureDrops { ring: stat.dropped.into(), interface: stat.if_dropped.into() })
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

/// Opens `iface`, keeping `snaplen` bytes of each frame in a ring of `ring_bytes`.
fn open(iface: &str, snaplen: usize, ring_bytes: i32) -> Result<Capture<Active>> {
    let snaplen = i32::try_from(snaplen).context("snapshot length")?;
    Capture::from_device(iface)
        .and_then(|c| {
            c.immediate_mode(true).snaplen(snaplen).buffer_size(ring_bytes).timeout(READ_TIMEOUT_MS).open()
        })
        .with_context(|| {
            format!("cannot open interface {iface} (does it exist? see `ip link`; are you root?)")
        })
}

/// A receiver for replies to probes of `probe_size` bytes: one byte more is
/// kept, so a reply longer than its probe still shows as longer.
pub fn open_receiver(iface: &str, probe_size: usize) -> Result<Receiver> {
    let mut capture = open(iface, probe_size + 1, RING_BYTES)?
        .setnonblock()
        .context("cannot make the capture non-blocking")?;
    capture.direction(Direction::In).context("cannot restrict the capture to incoming frames")?;
    let filter = format!("ether proto {ETHERTYPE_PROBE:#06x} or udp");
    capture.filter(&filter, true).with_context(|| format!("cannot set the capture filter `{filter}`"))?;
    Ok(Receiver(capture))
}

/// A sender: libpcap sends through a capture handle too, whose ring is never
/// read, so a small one.
pub fn open_sender(iface: &str) -> Result<Sender> {
    open(iface, 64, 1 << 20).map(Sender)
}

/// The interface's own address (Linux: sysfs). Elsewhere, pass --src.
pub fn interface_mac(iface: &str) -> Result<Mac> {
    let path = format!("/sys/class/net/{iface}/address");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!("no interface {iface} ({path} unreadable; see `ip link`, or pass --src MAC)")
    })?;
    text.trim().parse().map_err(|e: String| anyhow::anyhow!("{path}: {e}"))
}
