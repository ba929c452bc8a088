//! arm64 with NEON (always there on aarch64-linux).

use std::arch::aarch64::{vld1q_u8, vorrq_u8, vqtbl1q_u8, vst1q_u8};

/// The generic timer's virtual count, as rte_rdtsc reads it on arm64 (DPDK's
/// default; its PMU-cycle variant is a build option Debian does not use).
#[inline(always)]
pub fn cycles() -> u64 {
    let count: u64;
    // SAFETY: CNTVCT_EL0 is readable from EL0 on Linux; the read has no side effects.
    unsafe { std::arch::asm!("mrs {}, cntvct_el0", out(reg) count, options(nomem, nostack)) };
    count
}

pub const VECTOR_SWAP: Option<fn(&mut [u8; 16])> = Some(swap_in_16_bytes);

/// One load, one table lookup and one store, as testpmd's macswap_neon.h;
/// bytes 12-15 are stored unchanged.
#[inline(always)]
fn swap_in_16_bytes(bytes: &mut [u8; 16]) {
    const ORDER: [u8; 16] = [6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 12, 13, 14, 15];
    // SAFETY: NEON is part of aarch64-linux; the load and the store cover
    // exactly the 16 bytes `bytes` borrows, and ORDER's 16.
    unsafe {
        let swapped = vqtbl1q_u8(vld1q_u8(bytes.as_ptr()), vld1q_u8(ORDER.as_ptr()));
        vst1q_u8(bytes.as_mut_ptr(), swapped);
    }
}

pub const VECTOR_REPLY: Option<super::VectorReply> = Some(reply_in_16_bytes);

/// One load, one table lookup (the source address to the destination's
/// place, zeros where the source was), one or with `from` (the port's MAC in
/// bytes 6-11, zeros elsewhere) and one store; bytes 12-15 are stored
/// unchanged.
#[inline(always)]
fn reply_in_16_bytes(bytes: &mut [u8; 16], from: &[u8; 16]) {
    // An index past the table makes a zero byte.
    const ORDER: [u8; 16] = [6, 7, 8, 9, 10, 11, 255, 255, 255, 255, 255, 255, 12, 13, 14, 15];
    // SAFETY: NEON is part of aarch64-linux; the loads and the store cover
    // exactly the 16 bytes `bytes` and `from` borrow, and ORDER's 16.
    unsafe {
        let moved = vqtbl1q_u8(vld1q_u8(bytes.as_ptr()), vld1q_u8(ORDER.as_ptr()));
        vst1q_u8(bytes.as_mut_ptr(), vorrq_u8(moved, vld1q_u8(from.as_ptr())));
    }
}
