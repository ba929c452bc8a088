/*
 * Real symbols for what DPDK only offers as static inline functions, macros or
 * thread-locals, so Rust can call them. Every function here is a one-line
 * forward (but one: a struct whose layout differs between releases, read in
 * C); the Rust side (src/lib.rs) binds them under DPDK's own names.
 */
#ifndef DPDK_RS_SHIM_H
#define DPDK_RS_SHIM_H

/* cpu_set_t, and with it rte_lcore_cpuset(), needs the GNU extensions. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stddef.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pdump.h>
#include <rte_telemetry.h>
#include <rte_version.h>

uint16_t rs_rte_eth_rx_burst(uint16_t port_id, uint16_t queue_id,
			     struct rte_mbuf **rx_pkts, uint16_t nb_pkts);
uint16_t rs_rte_eth_tx_burst(uint16_t port_id, uint16_t queue_id,
			     struct rte_mbuf **tx_pkts, uint16_t nb_pkts);
int rs_rte_pktmbuf_alloc_bulk(struct rte_mempool *pool, struct rte_mbuf **mbufs,
			      unsigned int count);
int rs_rte_errno(void);
uint64_t rs_rte_rdtsc(void);

/* rte_eth_link's layout differs between releases (22.11: plain fields; 23.11
 * on: inside a union with a 64-bit word), so its one field used is read in C:
 * the port's link speed in Mb/s as its driver reports it, without waiting
 * for the link (rte_eth_link_get_nowait); 0 if the call fails or the driver
 * reports none or an unknown one. */
uint32_t rs_link_speed_mbps(uint16_t port_id);

/* RTE_BIT64-based macros that bindgen cannot evaluate. */
extern const uint64_t rs_RTE_ETH_RSS_IP;
extern const uint64_t rs_RTE_ETH_RSS_TCP;
extern const uint64_t rs_RTE_ETH_RSS_UDP;
extern const uint64_t rs_RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
extern const uint16_t rs_RTE_MBUF_DEFAULT_BUF_SIZE;
extern const uint16_t rs_RTE_PKTMBUF_HEADROOM;

/* Layout as the C compiler sees it, to check bindgen's structs against. */
struct rs_layout {
	size_t mbuf_size;
	size_t mbuf_buf_addr;
	size_t mbuf_data_off;
	size_t mbuf_nb_segs;
	size_t mbuf_port;
	size_t mbuf_pkt_len;
	size_t mbuf_data_len;
	size_t mbuf_next;
	size_t ether_hdr_size;
	size_t ether_hdr_dst;
	size_t ether_hdr_src;
	size_t ether_hdr_type;
};
struct rs_layout rs_layout(void);

#endif
