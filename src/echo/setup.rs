//! Port bring-up shared by both servers, step by step as in DPDK's
//! examples/skeleton: check, configure, queues, start, promiscuous.

use std::io::{self, Write};

use anyhow::{ensure, Context, Result};

use crate::dpdk::{Eal, Mempool, Port};

/// Per-lcore mbuf cache, as in the original (and DPDK's skeleton).
const MBUF_CACHE: u32 = 250;

/// The most mbufs a cache of `size` holds: up to DPDK 25.11 it flushes only
/// past 1.5 times its size (`CACHE_FLUSHTHRESH_MULTIPLIER`); 26.07 holds at
/// most its size. The larger, so the pool suffices on every release.
const fn cache_holds(size: u32) -> u32 {
    size + size / 2
}

/// The most mbufs a queue's pool may be asked for: 16 Mi - 1, about 38 GiB.
pub const MAX_MBUFS: u32 = (1 << 24) - 1;

/// The port and its queues, from the command line.
#[derive(Debug, Clone)]
pub struct PortConfig {
    pub port: u16,
    /// RX and TX ring sizes per queue.
    pub rxd: u16,
    pub txd: u16,
    /// Mbufs per queue (raised to what the queue can hold).
    pub mbufs: u32,
    /// Most frames per poll.
    pub burst: u16,
}

/// Opens `opts.port` with `queues` RX/TX queue pairs (one per echoing lcore)
/// and starts it.
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
pub fn bring_up_port<'eal>(eal: &'eal Eal, opts: &PortConfig, queues: u16) -> Result<Port<'eal>> {
    // 1. The port must exist, and have a queue pair for every lcore.
    let mut port = Port::open(eal, opts.port)?;
    let info = port.info()?;
    let max = info.max_rx_queues.min(info.max_tx_queues);
    ensure!(
        queues <= max,
        "port {} ({}) has {} RX and {} TX queues, but {queues} lcores need {queues} queue pairs \
         (one each): run l2_echo, use at most {max} lcore(s) (-l), or give the VM a multiqueue \
         NIC (QEMU: -netdev tap,...,queues={queues} -device virtio-net-pci,...,mq=on)",
        opts.port,
        info.driver,
        info.max_rx_queues,
        info.max_tx_queues
    );

    // 2. RSS spreads flows over the queues: IP/TCP/UDP hashing, as far as the device can.
    let wanted = dpdk_sys::rss_ip() | dpdk_sys::rss_tcp() | dpdk_sys::rss_udp();
    let rss_hf = if queues > 1 { wanted & info.rss_offloads } else { 0 };
    if queues > 1 && rss_hf == 0 {
        log::info!(
            "port {} ({}) offers no IP/TCP/UDP RSS: configured without RSS, so the driver \
             decides which queue a frame lands on",
            opts.port,
            info.driver
        );
    } else if queues == 1 {
        log::info!("port {} ({}): one queue, no RSS", opts.port, info.driver);
    }

    // 3. Fast free where the device offers it: each TX queue sends only what
    //    its own RX queue took from its own pool, and never a shared mbuf.
    let fast_free = info.tx_offloads & dpdk_sys::tx_offload_mbuf_fast_free();
    log::info!(
        "port {} ({}): TX mbuf fast free {}",
        opts.port,
        info.driver,
        if fast_free != 0 { "on" } else { "off (the device does not offer it)" }
    );

    // 4. Configure the queues; the driver may adjust the ring sizes to its limits.
    let (rxd, txd) = port.configure(queues, rss_hf, fast_free, opts.rxd, opts.txd)?;

    // 5. One mbuf pool per queue, on the port's NUMA socket, and the queues.
    let (mbufs, cache) = pool_size(opts.mbufs, rxd, txd, opts.burst);
    if mbufs != opts.mbufs {
        log::info!(
            "--mbufs {} raised to {mbufs}: rings {rxd}+{txd}, burst {}, a full cache {}",
            opts.mbufs,
            opts.burst,
            cache_holds(cache)
        );
    }
    for queue in 0..queues {
        let name = format!("mbufs_p{}_q{queue}", opts.port);
        let pool = Mempool::create(eal, &name, mbufs, cache, port.socket())?;
        port.setup_queue_pair(queue, rxd, txd, pool)?;
    }

    // 6. Start, then listen to every address: an echo answers whatever arrives.
    port.start()?;
    let mac = port.mac()?;
    writeln!(io::stdout(), "Port {} MAC: {mac}", opts.port).context("cannot write to stdout")?;
    port.enable_promiscuous()
        .with_context(|| format!("port {}: cannot enable promiscuous mode", opts.port))
        .unwrap_or_else(|e| log::warn!("{e:#}; only frames for {mac} or broadcast will be echoed"));
    log::info!("port {}: {queues} queue pair(s), rings {rxd}/{txd}, {mbufs} mbufs per queue", opts.port);

    // 7. With RSS, how the device spreads flows (as testpmd's `show port 0 rss-hash key`).
    if rss_hf != 0 {
        match port.rss_config() {
            Ok(rss) => log::info!(
                "port {}: RSS over {queues} queues, hash types {:#x}, key {}, redirection table {}",
                opts.port,
                rss.hash_types,
                match rss.key.as_slice() {
                    [] => "(not reported)".into(),
                    key => key.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                },
                rss.table.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
            ),
            Err(e) => log::info!("port {}: RSS over {queues} queues ({e:#})", opts.port),
        }
    }
    Ok(port)
}

/// Mbufs and cache size for one queue's pool. A queue can hold an mbuf in
/// every RX descriptor, every TX descriptor, a burst in hand and a full
/// lcore cache at once; fewer and RX starves (rx_nombuf). The requested
/// size is raised to that; 8191 (2^13 - 1, DPDK's optimum for its ring) by default.
pub fn pool_size(requested: u32, rxd: u16, txd: u16, burst: u16) -> (u32, u32) {
    let needed = u32::from(rxd) + u32::from(txd) + u32::from(burst) + cache_holds(MBUF_CACHE);
    let mbufs = requested.max(needed);
    // DPDK refuses a cache larger than the pool / 1.5: a full cache's room
    // in `needed` keeps it below that.
    (mbufs, MBUF_CACHE)
}

#[cfg(test)]
mod tests {
    use super::pool_size;

    #[test]
    fn default_pool_is_the_originals() {
        assert_eq!(pool_size(8191, 1024, 1024, 32), (8191, 250));
    }

    #[test]
    fn a_small_request_is_raised_to_what_the_queue_holds() {
        assert_eq!(pool_size(100, 1024, 1024, 32), (2455, 250));
        assert_eq!(pool_size(1, 4096, 4096, 512).0, 4096 + 4096 + 512 + 375);
    }

    #[test]
    fn the_cache_fits_the_pool() {
        for (requested, rxd, txd, burst) in [(1, 1, 1, 1), (super::MAX_MBUFS, u16::MAX, u16::MAX, 512)] {
            let (mbufs, cache) = pool_size(requested, rxd, txd, burst);
            assert!(cache as f64 * 1.5 <= mbufs as f64);
        }
    }
}
