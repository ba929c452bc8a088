//! A burst of mbufs on one queue pair: receive (or allocate and fill), touch
//! each frame, transmit, and free in bulk whatever was dropped or not sent.
//! This is the hot path: no allocation, and no FFI call per packet (frame
//! bytes are read and written in the mbuf directly).

use std::marker::PhantomData;
use std::slice;

use dpdk_sys::{mbuf_field, rte_mbuf};

use super::port::QueuePair;

/// The largest burst `--burst` accepts.
pub const MAX_BURST: usize = 512;

/// Up to [`MAX_BURST`] mbufs owned by the caller between RX and TX on one
/// queue pair, which it borrows mutably: while a burst holds mbufs, nothing
/// else can poll its queues, and neither the queue pair nor its port can go
/// away. Dropping it frees what it holds.
///
/// Its mbufs come from the pools of the port that received them, or from a
/// port that passed them to it through the driver (two net_ring ports on
/// shared rings do): a port keeps its pools until it closes, and the `Eal`
/// keeps them from then until it is cleaned up, which no burst outlives.
/// Not `Send`, like its queue pair: it stays on the lcore that claimed it.
///
/// ```compile_fail,E0505
/// # use dpdk_echo::dpdk::{Eal, MbufBurst, Port};
/// # fn f(eal: &Eal) -> anyhow::Result<()> {
/// let port = Port::open(eal, 0)?;
/// // Never dropped: only the burst can keep the port borrowed here.
/// let mut queue = std::mem::ManuallyDrop::new(port.claim_queue(0)?);
/// let burst = MbufBurst::new(&mut queue);
/// drop(port); // error: the burst borrows the port, through its queue pair
/// drop(burst);
/// # Ok(()) }
/// ```
/// ```compile_fail,E0499
/// # use dpdk_echo::dpdk::{Eal, MbufBurst, Port};
/// # fn f(eal: &Eal) -> anyhow::Result<()> {
/// let port = Port::open(eal, 0)?;
/// let mut queue = port.claim_queue(0)?;
/// let first = MbufBurst::new(&mut queue);
/// let second = MbufBurst::new(&mut queue); // error: one burst polls a queue at a time
/// drop(first);
/// # Ok(()) }
/// ```
/// ```compile_fail,E0277
/// # use dpdk_echo::dpdk::{Eal, MbufBurst, Port};
/// # fn f(eal: &Eal) -> anyhow::Result<()> {
/// let port = Port::open(eal, 0)?;
/// let mut queue = port.claim_queue(0)?;
/// let burst = MbufBurst::new(&mut queue);
/// std::thread::scope(|s| {
///     s.spawn(move || drop(burst)); // error: a burst is not Send
/// });
/// # Ok(()) }
/// ```
pub struct MbufBurst<'q> {
    port: u16,
    queue: u16,
    pool: *mut dpdk_sys::rte_mempool,
    mbufs: [*mut rte_mbuf; MAX_BURST],
    len: usize,
    _queue: PhantomData<&'q mut ()>,
}

impl<'q> MbufBurst<'q> {
    /// An empty burst on `queue`, which it holds until dropped.
    pub fn new(queue: &'q mut QueuePair<'_>) -> MbufBurst<'q> {
        MbufBurst {
            port: queue.port,
            queue: queue.queue,
            pool: queue.pool,
            mbufs: [std::ptr::null_mut(); MAX_BURST],
            len: 0,
            _queue: PhantomData,
        }
    }

    /// Receives up to `max` more frames, as many as the burst has room for,
    /// after those it holds. Returns how many arrived.
    #[inline(always)]
    pub fn receive(&mut self, max: u16) -> usize {
        let room = usize::from(max).min(MAX_BURST - self.len);
        // SAFETY: the queue pair is borrowed mutably for this burst's life, so
        // only this thread polls it; the array has room for `room` more.
        let n = unsafe {
            dpdk_sys::rte_eth_rx_burst(
                self.port,
                self.queue,
                self.mbufs.as_mut_ptr().add(self.len),
                room as u16,
            )
        };
        self.len += usize::from(n);
        usize::from(n)
    }

    /// Takes `count` mbufs from the queue's pool, all or none, sets the
    /// `i`th to `len(i)` bytes and lets `fill(i, frame)` write it; they join
    /// the burst after what it holds. False when the pool has fewer free, or
    /// the burst less room. Each length must fit an mbuf's data room
    /// ([`frame_room`]). If `fill` panics, the new mbufs go back to the pool.
    #[inline(always)]
    pub fn allocate(
        &mut self,
        count: usize,
        len: impl Fn(usize) -> u16,
        mut fill: impl FnMut(usize, &mut [u8]),
    ) -> bool {
        if count > MAX_BURST - self.len {
            return false;
        }
        let new = &mut self.mbufs[self.len..self.len + count];
        // SAFETY: the pool outlives the queue pair this burst borrows; `new`
        // has room for `count` pointers.
        if unsafe { dpdk_sys::rte_pktmbuf_alloc_bulk(self.pool, new.as_mut_ptr(), count as u32) } != 0 {
            return false;
        }
        // The burst takes them only once all are filled; until then this
        // frees them, should `fill` panic.
        let unfilled = FreeOnDrop(new);
        let room = frame_room();
        for (i, &m) in unfilled.0.iter().enumerate() {
            let len = len(i);
            assert!(usize::from(len) <= room, "{len} bytes do not fit one mbuf");
            // SAFETY: freshly allocated (reset: one segment, headroom reserved,
            // length 0), owned by this burst; `len` fits its data room.
            unsafe {
                *mbuf_field::data_len(m) = len;
                *mbuf_field::pkt_len(m) = u32::from(len);
                fill(i, first_segment(m));
            }
        }
        std::mem::forget(unfilled);
        self.len += count;
        true
    }

    /// Calls `keep` on the bytes of each frame's first segment, in order; the
    /// frames it returns false for are freed in one bulk call. Returns how
    /// many were freed. The kept frames stay in order.
    #[inline(always)]
    pub fn retain_frames(&mut self, mut keep: impl FnMut(&mut [u8]) -> bool) -> usize {
        let mbufs = &mut self.mbufs[..self.len];
        // SAFETY: received mbufs, owned by this burst until transmitted or freed.
        let mut keep_mbuf = |m| keep(unsafe { first_segment(m) });
        // Every frame kept so far (the usual case): nothing to move.
        let Some(first_rejected) = mbufs.iter().position(|&m| !keep_mbuf(m)) else {
            return 0;
        };
        // Rejected mbufs gather between `kept` and the frame being looked at.
        let mut kept = first_rejected;
        for i in first_rejected + 1..mbufs.len() {
            if keep_mbuf(mbufs[i]) {
                mbufs.swap(kept, i);
                kept += 1;
            }
        }
        let rejected = mbufs.len() - kept;
        free_bulk(&mut mbufs[kept..]);
        self.len = kept;
        rejected
    }

    /// Transmits the burst; the frames the TX queue did not take are freed in
    /// one bulk call. Returns how many were sent; the burst is empty after.
    #[inline(always)]
    pub fn transmit(&mut self) -> usize {
        // SAFETY: as in receive; the first `len` entries are valid mbufs,
        // whose ownership passes to the driver for those it takes.
        let sent = unsafe {
            dpdk_sys::rte_eth_tx_burst(self.port, self.queue, self.mbufs.as_mut_ptr(), self.len as u16)
        };
        let sent = usize::from(sent);
        free_bulk(&mut self.mbufs[sent..self.len]);
        self.len = 0;
        sent
    }
}

impl Drop for MbufBurst<'_> {
    fn drop(&mut self) {
        free_bulk(&mut self.mbufs[..self.len]);
    }
}

/// The longest frame [`MbufBurst::allocate`] makes: the pools' data room
/// after DPDK's headroom.
pub fn frame_room() -> usize {
    usize::from(dpdk_sys::mbuf_default_buf_size() - dpdk_sys::pktmbuf_headroom())
}

/// The first segment's data: `buf_addr + data_off`, `data_len` bytes.
///
/// # Safety
/// `m` must be a valid mbuf that nobody else touches for `'a`.
#[inline(always)]
unsafe fn first_segment<'a>(m: *mut rte_mbuf) -> &'a mut [u8] {
    let data = (*mbuf_field::buf_addr(m)).cast::<u8>().add(usize::from(*mbuf_field::data_off(m)));
    slice::from_raw_parts_mut(data, usize::from(*mbuf_field::data_len(m)))
}

/// Mbufs freed when this drops, unless it is forgotten.
struct FreeOnDrop<'a>(&'a mut [*mut rte_mbuf]);

impl Drop for FreeOnDrop<'_> {
    fn drop(&mut self) {
        free_bulk(self.0);
    }
}

#[inline(always)]
fn free_bulk(mbufs: &mut [*mut rte_mbuf]) {
    if !mbufs.is_empty() {
        // SAFETY: mbufs this burst owned and gives up here.
        unsafe { dpdk_sys::rte_pktmbuf_free_bulk(mbufs.as_mut_ptr(), mbufs.len() as u32) }
    }
}
