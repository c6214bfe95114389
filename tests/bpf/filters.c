// SPDX-License-Identifier: GPL-2.0
/*
 * eBPF socket-filter programs for the bpf block's tests, built with
 * `clang -target bpf` and loaded and pinned by tests/bpf-pin (aya). They see
 * the frame from its Ethernet header, as the block promises; 0 drops.
 */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

/* Passes IPv4 UDP, drops everything else: pcap's "ip proto 17". */
SEC("socket")
int udp_only(struct __sk_buff *skb)
{
	if (load_half(skb, 12) != 0x0800)
		return 0;
	return load_byte(skb, 23) == 17 ? -1 : 0;
}

/* Passes ARP, drops everything else: pcap's "arp". */
SEC("socket")
int arp_only(struct __sk_buff *skb)
{
	return load_half(skb, 12) == 0x0806 ? -1 : 0;
}

/* Passes IPv6, drops everything else: pcap's "ip6". */
SEC("socket")
int ip6_only(struct __sk_buff *skb)
{
	return load_half(skb, 12) == 0x86dd ? -1 : 0;
}

/* Drops everything. */
SEC("socket")
int drop_all(struct __sk_buff *skb)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
