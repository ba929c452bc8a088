//! Raw bindings to the installed DPDK, generated at build time from its headers
//! (see build.rs), plus the C shim's forwards for DPDK's inline functions,
//! re-exported here under DPDK's own names.
#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
#![allow(clippy::all)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

pub use rs_rte_errno as rte_errno;
pub use rs_rte_eth_rx_burst as rte_eth_rx_burst;
pub use rs_rte_eth_tx_burst as rte_eth_tx_burst;
pub use rs_rte_pktmbuf_alloc_bulk as rte_pktmbuf_alloc_bulk;
pub use rs_rte_rdtsc as rte_rdtsc;

/// Where the installed DPDK predates `rte_tel_data_add_dict_uint` (23.03),
/// its predecessor of the same signature under the new name
/// (`dpdk_tel_dict_uint`, set by build.rs from what bindgen generated).
#[cfg(not(dpdk_tel_dict_uint))]
pub use rte_tel_data_add_dict_u64 as rte_tel_data_add_dict_uint;

/// Pointers to the `rte_mbuf` fields the Rust side reads, wherever the
/// installed DPDK declares them: direct members up to 24.03, members of
/// anonymous unions from 24.07 (`dpdk_mbuf_anon_unions`, set by build.rs from what bindgen
/// generated). The only place that knows the difference.
pub mod mbuf_field {
    use super::rte_mbuf;
    use std::os::raw::c_void;

    macro_rules! fields {
        ($($name:ident: $ty:ty => $($path:ident).+;)*) => {$(
            #[doc = concat!("`&m->", stringify!($name), "`.")]
            ///
            /// # Safety
            /// `m` must point to an `rte_mbuf` (it is not read here).
            #[inline(always)]
            pub unsafe fn $name(m: *mut rte_mbuf) -> *mut $ty {
                std::ptr::addr_of_mut!((*m).$($path).+)
            }
        )*};
    }

    #[cfg(not(dpdk_mbuf_anon_unions))]
    fields! {
        buf_addr: *mut c_void => buf_addr;
        data_off: u16 => data_off;
        nb_segs: u16 => nb_segs;
        port: u16 => port;
        pkt_len: u32 => pkt_len;
        data_len: u16 => data_len;
        next: *mut rte_mbuf => next;
    }

    #[cfg(dpdk_mbuf_anon_unions)]
    fields! {
        buf_addr: *mut c_void => buf_addr;
        data_off: u16 => __bindgen_anon_1.__bindgen_anon_1.data_off;
        nb_segs: u16 => __bindgen_anon_1.__bindgen_anon_1.nb_segs;
        port: u16 => __bindgen_anon_1.__bindgen_anon_1.port;
        pkt_len: u32 => __bindgen_anon_2.__bindgen_anon_1.pkt_len;
        data_len: u16 => __bindgen_anon_2.__bindgen_anon_1.data_len;
        next: *mut rte_mbuf => next;
    }
}

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
pub fn tx_offload_mbuf_fast_free() -> u64 {
    // SAFETY: as above.
    unsafe { rs_RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE }
}
pub fn mbuf_default_buf_size() -> u16 {
    // SAFETY: as above.
    unsafe { rs_RTE_MBUF_DEFAULT_BUF_SIZE }
}
pub fn pktmbuf_headroom() -> u16 {
    // SAFETY: as above.
    unsafe { rs_RTE_PKTMBUF_HEADROOM }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of, MaybeUninit};

    /// The Rust code reads rte_mbuf and rte_ether_hdr fields directly; the C
    /// compiler's view of their layout must match bindgen's.
    #[test]
    fn struct_layout_matches_c() {
        // SAFETY: a pure function returning sizeof/offsetof values.
        let c = unsafe { rs_layout() };
        let mut mbuf = MaybeUninit::<rte_mbuf>::uninit();
        let m = mbuf.as_mut_ptr();
        // The offset of the field `f` points to (through mbuf_field, as the
        // code reads it), from the start of the mbuf.
        let at = |f: *const u8| f as usize - m as usize;
        // SAFETY: mbuf_field only computes addresses inside *m, never reads.
        unsafe {
            assert_eq!(c.mbuf_size, size_of::<rte_mbuf>());
            assert_eq!(c.mbuf_buf_addr, at(mbuf_field::buf_addr(m).cast()));
            assert_eq!(c.mbuf_data_off, at(mbuf_field::data_off(m).cast()));
            assert_eq!(c.mbuf_nb_segs, at(mbuf_field::nb_segs(m).cast()));
            assert_eq!(c.mbuf_port, at(mbuf_field::port(m).cast()));
            assert_eq!(c.mbuf_pkt_len, at(mbuf_field::pkt_len(m).cast()));
            assert_eq!(c.mbuf_data_len, at(mbuf_field::data_len(m).cast()));
            assert_eq!(c.mbuf_next, at(mbuf_field::next(m).cast()));
        }
        assert_eq!(c.ether_hdr_size, size_of::<rte_ether_hdr>());
        assert_eq!(c.ether_hdr_dst, offset_of!(rte_ether_hdr, dst_addr));
        assert_eq!(c.ether_hdr_src, offset_of!(rte_ether_hdr, src_addr));
        assert_eq!(c.ether_hdr_type, offset_of!(rte_ether_hdr, ether_type));
        assert_eq!(size_of::<rte_ether_hdr>(), 14);
    }

    #[test]
    fn offload_masks_are_distinct_and_nonzero() {
        assert_ne!(rss_ip(), 0);
        assert_ne!(rss_tcp(), 0);
        assert_ne!(rss_udp(), 0);
        assert_eq!(rss_ip() & rss_tcp(), 0);
        assert_eq!(tx_offload_mbuf_fast_free().count_ones(), 1);
        assert_eq!(mbuf_default_buf_size(), 2048 + pktmbuf_headroom());
    }
}
