//! x86-64 with SSSE3 (DPDK's x86 baseline: see .cargo/config.toml).

use std::arch::x86_64::{
    _mm_loadu_si128, _mm_or_si128, _mm_setr_epi8, _mm_shuffle_epi8, _mm_storeu_si128, _rdtsc,
};

/// The TSC, as rte_rdtsc reads it.
#[inline(always)]
pub fn cycles() -> u64 {
    // SAFETY: RDTSC has no preconditions on x86-64.
    unsafe { _rdtsc() }
}

pub const VECTOR_SWAP: Option<fn(&mut [u8; 16])> = Some(swap_in_16_bytes);

/// One load, one byte shuffle and one store; bytes 12-15 are stored unchanged.
#[inline(always)]
fn swap_in_16_bytes(bytes: &mut [u8; 16]) {
    // SAFETY: this module is compiled only with SSSE3; the load and the store
    // cover exactly the 16 bytes `bytes` borrows (unaligned is fine).
    unsafe {
        let order = _mm_setr_epi8(6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 12, 13, 14, 15);
        let swapped = _mm_shuffle_epi8(_mm_loadu_si128(bytes.as_ptr().cast()), order);
        _mm_storeu_si128(bytes.as_mut_ptr().cast(), swapped);
    }
}

pub const VECTOR_REPLY: Option<super::VectorReply> = Some(reply_in_16_bytes);

/// One load, one byte shuffle (the source address to the destination's
/// place, zeros where the source was), one or with `from` (the port's MAC in
/// bytes 6-11, zeros elsewhere) and one store; bytes 12-15 are stored
/// unchanged.
#[inline(always)]
fn reply_in_16_bytes(bytes: &mut [u8; 16], from: &[u8; 16]) {
    // SAFETY: this module is compiled only with SSSE3; the loads and the
    // store cover exactly the 16 bytes `bytes` and `from` borrow.
    unsafe {
        // A negative index makes a zero byte.
        let order = _mm_setr_epi8(6, 7, 8, 9, 10, 11, -1, -1, -1, -1, -1, -1, 12, 13, 14, 15);
        let moved = _mm_shuffle_epi8(_mm_loadu_si128(bytes.as_ptr().cast()), order);
        let replied = _mm_or_si128(moved, _mm_loadu_si128(from.as_ptr().cast()));
        _mm_storeu_si128(bytes.as_mut_ptr().cast(), replied);
    }
}
