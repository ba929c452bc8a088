//! What differs between CPU architectures, chosen by one `cfg` below: reading
//! DPDK's cycle counter inline (what `rte_rdtsc` reads, at `rte_get_tsc_hz`),
//! and the vector shuffle that swaps a frame's two addresses within its first
//! 16 bytes, as testpmd's macswap does (SSSE3 on x86-64, NEON on arm64).

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

pub use imp::{cycles, VECTOR_SWAP};

#[cfg(test)]
mod tests {
    use super::*;

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
