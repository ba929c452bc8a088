#include "shim.h"

#include <string.h>

uint16_t rs_rte_eth_rx_burst(uint16_t port_id, uint16_t queue_id,
			     struct rte_mbuf **rx_pkts, uint16_t nb_pkts)
{
	return rte_eth_rx_burst(port_id, queue_id, rx_pkts, nb_pkts);
}

uint16_t rs_rte_eth_tx_burst(uint16_t port_id, uint16_t queue_id,
			     struct rte_mbuf **tx_pkts, uint16_t nb_pkts)
{
	return rte_eth_tx_burst(port_id, queue_id, tx_pkts, nb_pkts);
}

int rs_rte_pktmbuf_alloc_bulk(struct rte_mempool *pool, struct rte_mbuf **mbufs,
			      unsigned int count)
{
	return rte_pktmbuf_alloc_bulk(pool, mbufs, count);
}

int rs_rte_errno(void)
{
	return rte_errno;
}

uint64_t rs_rte_rdtsc(void)
{
	return rte_rdtsc();
}

uint32_t rs_link_speed_mbps(uint16_t port_id)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(port_id, &link) != 0 ||
	    link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN)
		return 0;
	return link.link_speed;
}

const uint64_t rs_RTE_ETH_RSS_IP = RTE_ETH_RSS_IP;
const uint64_t rs_RTE_ETH_RSS_TCP = RTE_ETH_RSS_TCP;
const uint64_t rs_RTE_ETH_RSS_UDP = RTE_ETH_RSS_UDP;
const uint64_t rs_RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE = RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
const uint16_t rs_RTE_MBUF_DEFAULT_BUF_SIZE = RTE_MBUF_DEFAULT_BUF_SIZE;
const uint16_t rs_RTE_PKTMBUF_HEADROOM = RTE_PKTMBUF_HEADROOM;

struct rs_layout rs_layout(void)
{
	struct rs_layout l = {
		.mbuf_size = sizeof(struct rte_mbuf),
		.mbuf_buf_addr = offsetof(struct rte_mbuf, buf_addr),
		.mbuf_data_off = offsetof(struct rte_mbuf, data_off),
		.mbuf_nb_segs = offsetof(struct rte_mbuf, nb_segs),
		.mbuf_port = offsetof(struct rte_mbuf, port),
		.mbuf_pkt_len = offsetof(struct rte_mbuf, pkt_len),
		.mbuf_data_len = offsetof(struct rte_mbuf, data_len),
		.mbuf_next = offsetof(struct rte_mbuf, next),
		.ether_hdr_size = sizeof(struct rte_ether_hdr),
		.ether_hdr_dst = offsetof(struct rte_ether_hdr, dst_addr),
		.ether_hdr_src = offsetof(struct rte_ether_hdr, src_addr),
		.ether_hdr_type = offsetof(struct rte_ether_hdr, ether_type),
	};
	return l;
}
