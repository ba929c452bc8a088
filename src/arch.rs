//! What differs between CPU architectures, chosen by one `cfg` below: reading
//! DPDK's cycle counter inline (what `rte_rdtsc` reads, at `rte_get_tsc_hz`),
//! and the vector shuffles that swap a frame's two addresses within its first
//! 16 bytes, as testpmd's macswap does, or turn it into a reply from the
//! port (SSSE3 on x86-64, NEON on arm64).

#[cfg_attr(all(target_arch = "x86_64", target_feature = "ssse3"), path = "arch/x86_64.rs")]
#[cfg_attr(all(target_arch = "aarch64", target_feature = "neon"), path = "arch/aarch64.rs")]
#[cfg_attr(
    not(any(
        all(target_arch = "x86_64", target_feature = "ssse3"),
        all(target_arch = "aarch64", target_feature = "neon")
    )),
    path = "arch/generic.rs"
)]
mod imp;

pub use imp::{cycles, VECTOR_REPLY, VECTOR_SWAP};

/// Turns a frame's first 16 bytes into a reply from the address in bytes
/// 6-11 of the second argument (zeros elsewhere).
pub type VectorReply = fn(&mut [u8; 16], &[u8; 16]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vector_reply_moves_bytes_6_11_to_0_5_and_ors_in_the_source() {
        let Some(reply) = VECTOR_REPLY else { return };
        let mut bytes: [u8; 16] = std::array::from_fn(|i| i as u8 + 1);
        let from = [0, 0, 0, 0, 0, 0, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0, 0, 0, 0];
        reply(&mut bytes, &from);
        assert_eq!(bytes, [7, 8, 9, 10, 11, 12, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 13, 14, 15, 16]);
    }

    #[test]
    fn the_vector_swap_exchanges_bytes_0_5_and_6_11_only() {
        let Some(swap) = VECTOR_SWAP else { return };
        let mut bytes: [u8; 16] = std::array::from_fn(|i| i as u8);
        swap(&mut bytes);
        assert_eq!(bytes, [6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 12, 13, 14, 15]);
    }

    #[test]
    fn the_cycle_counter_moves_forward() {
        let a = cycles();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(cycles() > a);
    }
}
