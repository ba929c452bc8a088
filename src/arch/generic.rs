//! Any other CPU: DPDK's own rte_rdtsc through the shim, and no vector swap
//! or reply (the rewrite's scalar code does them).

#[inline(always)]
pub fn cycles() -> u64 {
    // SAFETY: a plain read of the cycle counter.
    unsafe { dpdk_sys::rte_rdtsc() }
}

pub const VECTOR_SWAP: Option<fn(&mut [u8; 16])> = None;

pub const VECTOR_REPLY: Option<super::VectorReply> = None;
