//! A packet-mbuf pool (`rte_pktmbuf_pool_create`), freed on drop.

use std::ffi::CString;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::{Mutex, PoisonError};

use anyhow::{bail, Context, Result};

use super::eal::Eal;
use super::error::{errno_text, rte_errno};

/// A pool of packet buffers with DPDK's default data room (2176 bytes). It
/// borrows the EAL, whose memory it lives in: it can be made only after
/// `rte_eal_init` and is freed before `rte_eal_cleanup`. Dropped, it is freed
/// at once; given to a port, it stays allocated until the `Eal` is cleaned
/// up, since its mbufs may have gone to another port.
///
/// ```compile_fail,E0505
/// # use dpdk_echo::dpdk::{Eal, Mempool};
/// # fn f(args: &[std::ffi::OsString]) -> anyhow::Result<()> {
/// let eal = Eal::init(args)?;
/// let pool = Mempool::create(&eal, "mbufs", 8191, 250, -1)?;
/// drop(eal); // error: the pool lives in the EAL's memory
/// drop(pool);
/// # Ok(()) }
/// ```
pub struct Mempool<'eal> {
    raw: NonNull<dpdk_sys::rte_mempool>,
    size: u32,
    _eal: PhantomData<fn() -> &'eal Eal>,
}

// SAFETY: rte_mempool is built for concurrent use from many lcores.
unsafe impl Send for Mempool<'_> {}
// SAFETY: as above; &Mempool only reads counters.
unsafe impl Sync for Mempool<'_> {}

impl<'eal> Mempool<'eal> {
    /// Creates `size` mbufs with a per-lcore cache of `cache` on NUMA `socket`
    /// (-1 for any).
    pub fn create(_eal: &'eal Eal, name: &str, size: u32, cache: u32, socket: i32) -> Result<Mempool<'eal>> {
        let c_name = CString::new(name).context("mempool name contains a NUL byte")?;
        let data_room = dpdk_sys::mbuf_default_buf_size();
        // SAFETY: valid name; DPDK validates the sizes and reports through rte_errno.
        let raw =
            unsafe { dpdk_sys::rte_pktmbuf_pool_create(c_name.as_ptr(), size, cache, 0, data_room, socket) };
        let Some(raw) = NonNull::new(raw) else {
            let errno = rte_errno();
            let mib = Self::footprint(size, data_room) as f64 / (1024.0 * 1024.0);
            bail!(
                "cannot create mempool {name} of {size} mbufs (about {mib:.0} MiB of hugepage \
                 memory on socket {socket}): {}. Reserve more hugepages \
                 (sudo l2echo-setup-hugepages --pages N; scripts/setup_env.sh in a source tree), \
                 raise -m with --no-huge, or lower --mbufs",
                errno_text(errno)
            );
        };
        Ok(Mempool { raw, size, _eal: PhantomData })
    }

    /// Memory a pool of `size` mbufs needs, roughly: each object is an
    /// rte_mbuf header, its data room and the mempool's per-object header.
    fn footprint(size: u32, data_room: u16) -> u64 {
        const OBJ_OVERHEAD: u64 = 64;
        let mbuf = std::mem::size_of::<dpdk_sys::rte_mbuf>() as u64;
        u64::from(size) * (mbuf + u64::from(data_room) + OBJ_OVERHEAD)
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    /// Mbufs currently out of the pool (in rings, in flight, or leaked).
    pub fn in_use(&self) -> u32 {
        // SAFETY: the pool is alive; this only reads its counters.
        unsafe { dpdk_sys::rte_mempool_in_use_count(self.raw.as_ptr()) }
    }

    pub(super) fn as_ptr(&self) -> *mut dpdk_sys::rte_mempool {
        self.raw.as_ptr()
    }
}

impl Drop for Mempool<'_> {
    fn drop(&mut self) {
        // SAFETY: the EAL is alive (borrowed); no queue ever filled from this
        // pool (a port keeps those it is given, then retires them), so none of
        // its mbufs is out.
        unsafe { dpdk_sys::rte_mempool_free(self.raw.as_ptr()) }
    }
}

/// The pools of closed ports, freed by the `Eal` just before
/// `rte_eal_cleanup`. An mbuf can leave the port whose pool it came from: a
/// driver may pass it to another port of the process (two net_ring ports on
/// the same rings do), where a burst holds it for as long as that port lives.
/// Every burst borrows the `Eal`, though, so a pool kept until the `Eal` is
/// cleaned up outlives every mbuf of it that a burst can hold.
#[derive(Default)]
pub(super) struct RetiredPools(Mutex<Vec<RetiredPool>>);

struct RetiredPool(NonNull<dpdk_sys::rte_mempool>);

// SAFETY: a pool pointer, kept to be freed once, by the Eal's thread.
unsafe impl Send for RetiredPool {}

impl RetiredPools {
    /// Keeps `pool` until the `Eal` is cleaned up.
    pub(super) fn keep(&self, pool: Mempool<'_>) {
        let pool = ManuallyDrop::new(pool);
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(RetiredPool(pool.raw));
    }

    /// Frees every pool kept. Only the `Eal` holds a `RetiredPools`, and it
    /// lends `&mut` only when nothing borrows it any more: no port, so no
    /// burst, is left to hold their mbufs.
    pub(super) fn free_all(&mut self) {
        for pool in self.0.get_mut().unwrap_or_else(PoisonError::into_inner).drain(..) {
            // SAFETY: a live pool (kept, not freed), none of whose mbufs a
            // port or a burst can still hold (see above).
            unsafe { dpdk_sys::rte_mempool_free(pool.0.as_ptr()) }
        }
    }
}
