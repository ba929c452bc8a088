//! Raw bindings to the installed DPDK, generated at build time from its headers
//! (see build.rs), plus the C shim's forwards for DPDK's inline functions,
//! re-exported here under DPDK's own names.
#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
#![allow(clippy::all)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

pub use rs_rte_errno as rte_errno;
pub use rs_rte_eth_rx_burst as rte_eth_rx_burst;
pub use rs_rte_eth_tx_burst as rte_eth_tx_burst;
pub use rs_rte_get_timer_cycles as rte_get_timer_cycles;
pub use rs_rte_get_timer_hz as rte_get_timer_hz;
pub use rs_rte_lcore_id as rte_lcore_id;
pub use rs_rte_pktmbuf_alloc as rte_pktmbuf_alloc;
pub use rs_rte_pktmbuf_free as rte_pktmbuf_free;

/// `RTE_ETH_RSS_*` and other macros bindgen cannot evaluate, read from the shim.
pub fn rss_ip() -> u64 {
    // SAFETY: immutable constants defined in shim.c.
    unsafe { rs_RTE_ETH_RSS_IP }
}
pub fn rss_tcp() -> u64 {
    // SAFETY: as above.
    unsafe { rs_RTE_ETH_RSS_TCP }
}
pub fn rss_udp() -> u64 {
    // SAFETY: as above.
    unsafe { rs_RTE_ETH_RSS_UDP }
}
pub fn mbuf_default_buf_size() -> u16 {
    // SAFETY: as above.
    unsafe { rs_RTE_MBUF_DEFAULT_BUF_SIZE }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// The Rust code reads rte_mbuf and rte_ether_hdr fields directly; the C
    /// compiler's view of their layout must match bindgen's.
    #[test]
    fn struct_layout_matches_c() {
        // SAFETY: a pure function returning sizeof/offsetof values.
        let c = unsafe { rs_layout() };
        assert_eq!(c.mbuf_size, size_of::<rte_mbuf>());
        assert_eq!(c.mbuf_buf_addr, offset_of!(rte_mbuf, buf_addr));
        assert_eq!(c.mbuf_data_off, offset_of!(rte_mbuf, data_off));
        assert_eq!(c.mbuf_nb_segs, offset_of!(rte_mbuf, nb_segs));
        assert_eq!(c.mbuf_port, offset_of!(rte_mbuf, port));
        assert_eq!(c.mbuf_pkt_len, offset_of!(rte_mbuf, pkt_len));
        assert_eq!(c.mbuf_data_len, offset_of!(rte_mbuf, data_len));
        assert_eq!(c.mbuf_next, offset_of!(rte_mbuf, next));
        assert_eq!(c.ether_hdr_size, size_of::<rte_ether_hdr>());
        assert_eq!(c.ether_hdr_dst, offset_of!(rte_ether_hdr, dst_addr));
        assert_eq!(c.ether_hdr_src, offset_of!(rte_ether_hdr, src_addr));
        assert_eq!(c.ether_hdr_type, offset_of!(rte_ether_hdr, ether_type));
        assert_eq!(size_of::<rte_ether_hdr>(), 14);
    }

    #[test]
    fn rss_masks_are_distinct_and_nonzero() {
        assert_ne!(rss_ip(), 0);
        assert_ne!(rss_tcp(), 0);
        assert_ne!(rss_udp(), 0);
        assert_eq!(rss_ip() & rss_tcp(), 0);
        assert_eq!(mbuf_default_buf_size(), 2048 + 128);
    }
}
