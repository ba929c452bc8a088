// SPDX-License-Identifier: BSD-3-Clause
/*
 * echo.bpf.c - the XDP paper's forwarding program, as make compare's xdp row
 * runs it: every frame goes back out of the interface it came in on, its
 * Ethernet addresses swapped (XDP_TX), in the driver, before the kernel's
 * stack sees it. A frame shorter than an Ethernet header goes on to the
 * stack. Built by xdp-echo's build.rs with clang -target bpf and loaded by
 * xdp_echo.
 *
 * It needs no header: the two fields of the kernel's struct xdp_md it reads
 * and the two actions it returns are fixed by the kernel's UAPI
 * (<linux/bpf.h>), so the build needs clang and nothing else on any host.
 */

struct xdp_md {
	unsigned int data;
	unsigned int data_end;
};

enum { XDP_PASS = 2, XDP_TX = 3 };
enum { ETH_ALEN = 6 };

struct ethhdr {
	unsigned char h_dest[ETH_ALEN];
	unsigned char h_source[ETH_ALEN];
	unsigned short h_proto;
};

#define SEC(name) __attribute__((section(name), used))

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
