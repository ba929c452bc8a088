// SPDX-License-Identifier: BSD-3-Clause
/*
 * swap.bpf.c - the XDP paper's forwarding program, as make compare's xdp row
 * runs it: every frame goes back out of the interface it came in on, its
 * Ethernet addresses swapped (XDP_TX), in the driver, before the kernel's
 * stack sees it. A frame shorter than an Ethernet header goes on to the
 * stack. Built with clang -target bpf (make xdp), attached by iproute2.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_swap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	unsigned char dest[ETH_ALEN];

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	__builtin_memcpy(dest, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, dest, ETH_ALEN);
	return XDP_TX;
}



/* The other end of a veth needs an XDP program of its own for frames sent
 * with XDP_TX to reach it (its NAPI runs only then): this one passes all. */
SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "Dual BSD/GPL";
