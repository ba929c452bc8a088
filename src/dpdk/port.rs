//! An Ethernet port: configure, set up queues, start; stopped and closed on drop.

use std::collections::BTreeMap;
use std::ffi::{c_char, CStr};
use std::fmt;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, ensure, Result};

use super::eal::Eal;
use super::error::errno_text;
use super::mempool::{Mempool, RetiredPools};

/// The highest port id this DPDK build can have (RTE_MAX_ETHPORTS - 1).
pub const MAX_PORT_ID: u16 = dpdk_sys::RTE_MAX_ETHPORTS as u16 - 1;

/// A 48-bit Ethernet address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacAddr(pub [u8; 6]);

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// What the driver says the device can do.
#[derive(Debug, Clone)]
pub struct DeviceInfo {
    pub driver: String,
    pub max_rx_queues: u16,
    pub max_tx_queues: u16,
    /// RSS hash types the device supports (`flow_type_rss_offloads`).
    pub rss_offloads: u64,
    /// TX offloads the device supports (`tx_offload_capa`).
    pub tx_offloads: u64,
}

/// How the device spreads flows over its RX queues.
#[derive(Debug, Clone)]
pub struct RssConfig {
    /// The hash types in use (`RTE_ETH_RSS_*`).
    pub hash_types: u64,
    /// The Toeplitz hash key.
    pub key: Vec<u8>,
    /// The redirection table: the queue for each value of the hash's low bits.
    pub table: Vec<u16>,
}

/// The port's own counters (`rte_eth_stats`).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct PortStats {
    pub ipackets: u64,
    pub opackets: u64,
    pub imissed: u64,
    pub ierrors: u64,
    pub oerrors: u64,
    pub rx_nombuf: u64,
}

/// An Ethernet port, opened once per EAL. Borrows the EAL, owns the mempools
/// its RX queues fill from, and stops and closes the device before it hands
/// them to the `Eal`, which frees them when it is cleaned up (an mbuf may
/// have gone to another port meanwhile). What changes the port takes `&mut`;
/// lcores share `&Port` to claim their queues and read counters.
///
/// ```compile_fail,E0596
/// # use dpdk_echo::dpdk::Port;
/// fn start_it_from_an_lcore(port: &Port<'_>) -> anyhow::Result<()> {
///     port.start() // error: starting changes the port: it needs `&mut Port`
/// }
/// ```
/// ```compile_fail,E0505
/// # use dpdk_echo::dpdk::{Eal, Port};
/// # fn f(eal: &Eal) -> anyhow::Result<()> {
/// let port = Port::open(eal, 0)?;
/// let queue = port.claim_queue(0)?;
/// drop(port); // error: the queue pair borrows its port
/// drop(queue);
/// # Ok(()) }
/// ```
/// ```compile_fail,E0505
/// # use dpdk_echo::dpdk::{Eal, Port};
/// # fn f(args: &[std::ffi::OsString]) -> anyhow::Result<()> {
/// let eal = Eal::init(args)?;
/// let port = Port::open(&eal, 0)?;
/// drop(eal); // error: the port borrows the Eal
/// drop(port);
/// # Ok(()) }
/// ```
pub struct Port<'eal> {
    id: u16,
    started: bool,
    /// The queue pairs the last `configure` made, each as set up since.
    queues: Vec<QueueState>,
    /// Every pool a queue of this port was given, kept until the device is
    /// closed: a queue DPDK set up keeps filling from its pool until it is
    /// set up again, and keeps it across a `configure` that keeps its number.
    pools: Vec<Mempool<'eal>>,
    /// The Eal's, to free the pools when it is cleaned up.
    retired_pools: &'eal RetiredPools,
}

/// A queue pair since the last `configure`.
#[derive(Default)]
struct QueueState {
    /// The pool its RX queue fills from (in `pools`), once its RX and its TX
    /// queue are both set up; `None` until then.
    pool: Option<usize>,
    /// Whether a `QueuePair` holds it.
    claimed: AtomicBool,
}

impl<'eal> Port<'eal> {
    /// Opens port `id`, or explains which ports there are. A port is opened
    /// once per EAL: two owners could poll one queue from two lcores, and
    /// would stop and close the device twice.
    pub fn open(eal: &'eal Eal, id: u16) -> Result<Port<'eal>> {
        let ports = available_ports();
        if ports.is_empty() && !eal.vdevs().is_empty() {
            bail!(
                "no Ethernet ports: the driver refused --vdev {} (EAL's message above says why)",
                eal.vdevs().join(", --vdev ")
            );
        }
        if ports.is_empty() {
            bail!(
                "no Ethernet ports: bind a NIC to DPDK with `sudo l2echo-bind-nic` \
                 (scripts/bind_nic.sh in a source tree), or pass a virtual device among the EAL \
                 options, e.g. --vdev net_null0"
            );
        }
        if !ports.iter().any(|(port, _)| *port == id) {
            let list: Vec<String> = ports.iter().map(|(p, name)| format!("{p} ({name})")).collect();
            bail!("port {id} does not exist; the ports are: {} (choose with --port)", list.join(", "));
        }
        ensure!(eal.claim_port(id), "port {id} is already open in this process");
        Ok(Port {
            id,
            started: false,
            queues: Vec::new(),
            pools: Vec::new(),
            retired_pools: &eal.retired_pools,
        })
    }

    pub fn id(&self) -> u16 {
        self.id
    }

    pub fn info(&self) -> Result<DeviceInfo> {
        let info = self.raw_info()?;
        let driver = if info.driver_name.is_null() {
            String::from("?")
        } else {
            // SAFETY: a static string of the driver's.
            unsafe { CStr::from_ptr(info.driver_name) }.to_string_lossy().into_owned()
        };
        Ok(DeviceInfo {
            driver,
            max_rx_queues: info.max_rx_queues,
            max_tx_queues: info.max_tx_queues,
            rss_offloads: info.flow_type_rss_offloads,
            tx_offloads: info.tx_offload_capa,
        })
    }

    /// The RSS key and redirection table the device uses, as it reports them.
    pub fn rss_config(&self) -> Result<RssConfig> {
        let info = self.raw_info()?;
        let mut key = vec![0u8; usize::from(info.hash_key_size)];
        // A device that gives no key size gets no buffer (22.11's net_null
        // says 0 and copies 40 bytes into any it gets): its key stays unknown.
        let buffer = if key.is_empty() { std::ptr::null_mut() } else { key.as_mut_ptr() };
        let mut conf = dpdk_sys::rte_eth_rss_conf {
            rss_key: buffer,
            rss_key_len: info.hash_key_size,
            ..Default::default()
        };
        // SAFETY: rss_key is null or has room for the key's hash_key_size bytes.
        let ret = unsafe { dpdk_sys::rte_eth_dev_rss_hash_conf_get(self.id, &mut conf) };
        ensure!(ret == 0, "rte_eth_dev_rss_hash_conf_get(port {}): {}", self.id, errno_text(ret));
        let size = usize::from(info.reta_size);
        let group = dpdk_sys::rte_eth_rss_reta_entry64 { mask: u64::MAX, ..Default::default() };
        let mut groups = vec![group; size.div_ceil(group.reta.len())];
        // SAFETY: room for reta_size entries, every one asked for by the masks.
        let ret =
            unsafe { dpdk_sys::rte_eth_dev_rss_reta_query(self.id, groups.as_mut_ptr(), info.reta_size) };
        ensure!(ret == 0, "rte_eth_dev_rss_reta_query(port {}): {}", self.id, errno_text(ret));
        let table = groups.iter().flat_map(|g| g.reta).take(size).collect();
        Ok(RssConfig { hash_types: conf.rss_hf, key, table })
    }

    /// `rte_eth_dev_info` as the driver fills it in.
    fn raw_info(&self) -> Result<dpdk_sys::rte_eth_dev_info> {
        let mut info = MaybeUninit::<dpdk_sys::rte_eth_dev_info>::zeroed();
        // SAFETY: valid port; the driver fills the zeroed struct.
        let ret = unsafe { dpdk_sys::rte_eth_dev_info_get(self.id, info.as_mut_ptr()) };
        ensure!(ret == 0, "rte_eth_dev_info_get(port {}): {}", self.id, errno_text(ret));
        // SAFETY: filled in above.
        Ok(unsafe { info.assume_init() })
    }

    /// The NUMA socket the device sits on (-1 when unknown, as for vdevs).
    pub fn socket(&self) -> i32 {
        // SAFETY: valid port.
        unsafe { dpdk_sys::rte_eth_dev_socket_id(self.id) }
    }

    /// Configures `queues` RX and TX queues, with RSS over `rss_hf` when it is
    /// non-zero and the TX offloads `tx_offloads` on every queue, and returns
    /// the ring sizes adjusted to the driver's limits. Every queue must be set
    /// up (again) after it, before the port starts.
    pub fn configure(
        &mut self,
        queues: u16,
        rss_hf: u64,
        tx_offloads: u64,
        rxd: u16,
        txd: u16,
    ) -> Result<(u16, u16)> {
        // DPDK takes 0 as "the driver's default count", which would leave
        // queues this port does not know of.
        ensure!(queues > 0, "port {}: configure needs at least one queue pair", self.id);
        // SAFETY: rte_eth_conf is plain data; all-zero is DPDK's default config.
        let mut conf: dpdk_sys::rte_eth_conf = unsafe { MaybeUninit::zeroed().assume_init() };
        if rss_hf != 0 {
            conf.rxmode.mq_mode = dpdk_sys::RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
        }
        conf.txmode.offloads = tx_offloads;
        // No queue counts as set up from here: DPDK releases those past the
        // new count (all of them if it fails), and the ones it keeps still
        // fill from their old pools, which the next setup replaces.
        self.queues = Vec::new();
        // SAFETY: valid port, stopped; conf is read during the call only.
        let ret = unsafe { dpdk_sys::rte_eth_dev_configure(self.id, queues, queues, &conf) };
        ensure!(ret == 0, "rte_eth_dev_configure(port {}, {queues} queues): {}", self.id, errno_text(ret));
        self.queues = (0..queues).map(|_| QueueState::default()).collect();
        let (mut rxd, mut txd) = (rxd, txd);
        // SAFETY: valid, configured port; the sizes are ours.
        let ret = unsafe { dpdk_sys::rte_eth_dev_adjust_nb_rx_tx_desc(self.id, &mut rxd, &mut txd) };
        ensure!(ret == 0, "rte_eth_dev_adjust_nb_rx_tx_desc(port {}): {}", self.id, errno_text(ret));
        Ok((rxd, txd))
    }

    /// Sets up RX and TX queue `queue` of those `configure` made; the RX queue
    /// fills from `pool`, which the port keeps until it is closed. The pair
    /// can be claimed only once both halves are set up.
    pub fn setup_queue_pair(&mut self, queue: u16, rxd: u16, txd: u16, pool: Mempool<'eal>) -> Result<()> {
        let Some(state) = self.queues.get_mut(usize::from(queue)) else {
            bail!("port {} has no queue {queue} (configured with {})", self.id, self.queues.len())
        };
        state.pool = None;
        // Kept from here on: whatever happens below, DPDK may refer to it.
        self.pools.push(pool);
        let pool_index = self.pools.len() - 1;
        // -1 (SOCKET_ID_ANY) as u32 is still what DPDK reads as any socket.
        let socket = self.socket() as u32;
        // SAFETY: configured port, queue < the configured count; null conf =
        // driver defaults; the pool outlives the queue because the port keeps it.
        let ret = unsafe {
            dpdk_sys::rte_eth_rx_queue_setup(
                self.id,
                queue,
                rxd,
                socket,
                std::ptr::null(),
                self.pools[pool_index].as_ptr(),
            )
        };
        ensure!(
            ret == 0,
            "rte_eth_rx_queue_setup(port {}, queue {queue}, {rxd} descriptors): {}",
            self.id,
            errno_text(ret)
        );
        // SAFETY: as above.
        let ret = unsafe { dpdk_sys::rte_eth_tx_queue_setup(self.id, queue, txd, socket, std::ptr::null()) };
        ensure!(
            ret == 0,
            "rte_eth_tx_queue_setup(port {}, queue {queue}, {txd} descriptors): {}",
            self.id,
            errno_text(ret)
        );
        self.queues[usize::from(queue)].pool = Some(pool_index);
        Ok(())
    }

    /// Starts the port, once every queue `configure` made is set up: a
    /// started port's driver may touch any of its queues.
    pub fn start(&mut self) -> Result<()> {
        ensure!(!self.queues.is_empty(), "port {} is not configured", self.id);
        if let Some(queue) = self.queues.iter().position(|q| q.pool.is_none()) {
            bail!("queue {queue} of port {} is not set up", self.id);
        }
        // SAFETY: configured port with its queues set up.
        let ret = unsafe { dpdk_sys::rte_eth_dev_start(self.id) };
        ensure!(ret == 0, "rte_eth_dev_start(port {}): {}", self.id, errno_text(ret));
        self.started = true;
        Ok(())
    }

    pub fn mac(&self) -> Result<MacAddr> {
        let mut addr = dpdk_sys::rte_ether_addr::default();
        // SAFETY: valid port; addr is ours.
        let ret = unsafe { dpdk_sys::rte_eth_macaddr_get(self.id, &mut addr) };
        ensure!(ret == 0, "rte_eth_macaddr_get(port {}): {}", self.id, errno_text(ret));
        Ok(MacAddr(addr.addr_bytes))
    }

    /// The link's speed in Mb/s as the driver reports it, without waiting
    /// for the link; None when it reports none. Virtual ports report a
    /// nominal one (memif 100 Gb/s, net_null and net_af_packet 10 Gb/s).
    pub fn link_speed_mbps(&self) -> Option<u32> {
        // SAFETY: a valid port; the shim reads the link into its own struct.
        let mbps = unsafe { dpdk_sys::rs_link_speed_mbps(self.id) };
        (mbps > 0).then_some(mbps)
    }

    pub fn enable_promiscuous(&mut self) -> Result<()> {
        // SAFETY: valid port.
        let ret = unsafe { dpdk_sys::rte_eth_promiscuous_enable(self.id) };
        ensure!(ret == 0, "rte_eth_promiscuous_enable(port {}): {}", self.id, errno_text(ret));
        Ok(())
    }

    pub fn stats(&self) -> Result<PortStats> {
        let mut raw = dpdk_sys::rte_eth_stats::default();
        // SAFETY: valid port; raw is ours.
        let ret = unsafe { dpdk_sys::rte_eth_stats_get(self.id, &mut raw) };
        ensure!(ret == 0, "rte_eth_stats_get(port {}): {}", self.id, errno_text(ret));
        Ok(PortStats {
            ipackets: raw.ipackets,
            opackets: raw.opackets,
            imissed: raw.imissed,
            ierrors: raw.ierrors,
            oerrors: raw.oerrors,
            rx_nombuf: raw.rx_nombuf,
        })
    }

    /// The port's extended statistics that are not zero, by name.
    pub fn xstats(&self) -> Result<BTreeMap<String, u64>> {
        // SAFETY: valid port; with no buffer DPDK returns how many there are.
        let count = unsafe { dpdk_sys::rte_eth_xstats_get_names(self.id, std::ptr::null_mut(), 0) };
        ensure!(count >= 0, "rte_eth_xstats_get_names(port {}): {}", self.id, errno_text(count));
        let n = count as usize;
        let mut names = vec![dpdk_sys::rte_eth_xstat_name::default(); n];
        let mut values = vec![dpdk_sys::rte_eth_xstat::default(); n];
        // SAFETY: both buffers hold `n` entries.
        let got_names = unsafe { dpdk_sys::rte_eth_xstats_get_names(self.id, names.as_mut_ptr(), n as u32) };
        // SAFETY: as above.
        let got_values = unsafe { dpdk_sys::rte_eth_xstats_get(self.id, values.as_mut_ptr(), n as u32) };
        ensure!(
            got_names == count && got_values == count,
            "rte_eth_xstats_get(port {}): the statistics changed while being read",
            self.id
        );
        let name_of = |id: u64| {
            let raw = &names.get(id as usize)?.name;
            // SAFETY: a NUL-terminated name of at most RTE_ETH_XSTATS_NAME_SIZE bytes.
            Some(unsafe { CStr::from_ptr(raw.as_ptr()) }.to_string_lossy().into_owned())
        };
        Ok(values.iter().filter(|x| x.value != 0).filter_map(|x| Some((name_of(x.id)?, x.value))).collect())
    }

    /// Mbufs out of the port's pools right now (in rings, in flight, or lost).
    pub fn mbufs_in_use(&self) -> u64 {
        self.pools.iter().map(|p| u64::from(p.in_use())).sum()
    }

    /// Total mbufs in the port's pools.
    pub fn mbufs_total(&self) -> u64 {
        self.pools.iter().map(|p| u64::from(p.size())).sum()
    }

    /// Exclusive use of RX/TX queue `queue` until the returned handle drops:
    /// DPDK queues are not thread-safe, so one lcore at a time polls each.
    /// Checked here, once: the port is started and the queue set up (both
    /// halves, since the last `configure`) and not held.
    pub fn claim_queue(&self, queue: u16) -> Result<QueuePair<'_>> {
        ensure!(self.started, "port {} is not started", self.id);
        let Some(state) = self.queues.get(usize::from(queue)) else {
            bail!("port {} has no queue {queue}", self.id)
        };
        let Some(pool) = state.pool else { bail!("queue {queue} of port {} is not set up", self.id) };
        ensure!(
            !state.claimed.swap(true, Ordering::Acquire),
            "queue {queue} of port {} is already in use",
            self.id
        );
        Ok(QueuePair { port: self.id, queue, pool: self.pools[pool].as_ptr(), claim: &state.claimed })
    }
}

impl Drop for Port<'_> {
    fn drop(&mut self) {
        // SAFETY: no QueuePair outlives the port (they borrow it), so no lcore
        // polls it any more.
        let stop = if self.started { unsafe { dpdk_sys::rte_eth_dev_stop(self.id) } } else { 0 };
        if stop != 0 {
            // A device that did not stop may still write into its mbufs: its
            // pools must outlive it, so they are never freed.
            log::warn!(
                "rte_eth_dev_stop(port {}): {}; its {} mbuf pool(s) are left allocated",
                self.id,
                errno_text(stop),
                self.pools.len()
            );
            std::mem::forget(std::mem::take(&mut self.pools));
        }
        // SAFETY: as above.
        let ret = unsafe { dpdk_sys::rte_eth_dev_close(self.id) };
        if ret != 0 {
            log::warn!("rte_eth_dev_close(port {}): {}", self.id, errno_text(ret));
        }
        for pool in self.pools.drain(..) {
            self.retired_pools.keep(pool);
        }
    }
}

/// One RX queue and the TX queue of the same number, held by one lcore. Not
/// `Send`: the lcore that claimed it polls it.
///
/// ```compile_fail,E0277
/// # use dpdk_echo::dpdk::{Eal, Port};
/// # fn f(eal: &Eal) -> anyhow::Result<()> {
/// let port = Port::open(eal, 0)?;
/// let queue = port.claim_queue(0)?;
/// std::thread::scope(|s| {
///     s.spawn(move || drop(queue)); // error: a queue pair is not Send
/// });
/// # Ok(()) }
/// ```
pub struct QueuePair<'p> {
    pub(super) port: u16,
    pub(super) queue: u16,
    /// The RX queue's pool, which the port keeps while this borrows it.
    pub(super) pool: *mut dpdk_sys::rte_mempool,
    claim: &'p AtomicBool,
}

impl Drop for QueuePair<'_> {
    fn drop(&mut self) {
        self.claim.store(false, Ordering::Release);
    }
}

/// Every port DPDK knows of: (id, device name).
fn available_ports() -> Vec<(u16, String)> {
    let mut ports = Vec::new();
    // SAFETY: plain queries; rte_eth_find_next returns RTE_MAX_ETHPORTS past the last.
    let mut id = unsafe { dpdk_sys::rte_eth_find_next(0) };
    while u32::from(id) < dpdk_sys::RTE_MAX_ETHPORTS {
        let mut name = [0 as c_char; 64];
        // SAFETY: name has room for RTE_ETH_NAME_MAX_LEN (64) bytes.
        let ret = unsafe { dpdk_sys::rte_eth_dev_get_name_by_port(id, name.as_mut_ptr()) };
        let name = if ret == 0 {
            // SAFETY: NUL-terminated by DPDK.
            unsafe { CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned()
        } else {
            String::from("?")
        };
        ports.push((id, name));
        // SAFETY: as above.
        id = unsafe { dpdk_sys::rte_eth_find_next(id + 1) };
    }
    ports
}
