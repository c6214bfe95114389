// SPDX-License-Identifier: GPL-2.0-only
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

/* The TPIDs of pcap's "vlan": 802.1Q, 802.1ad and the old QinQ 0x9100. */
static int is_vlan_tpid(unsigned long long tpid)
{
	return tpid == 0x8100 || tpid == 0x88a8 || tpid == 0x9100;
}

/* Passes VLAN-tagged frames, as they were on the wire: pcap's "vlan". */
SEC("socket")
int vlan_only(struct __sk_buff *skb)
{
	return is_vlan_tpid(load_half(skb, 12)) ? -1 : 0;
}

/* Passes IPv4 UDP in VLAN 10 (outer tag): "vlan 10 and ip proto 17". */
SEC("socket")
int vlan10_udp(struct __sk_buff *skb)
{
	if (!is_vlan_tpid(load_half(skb, 12)) || (load_half(skb, 14) & 0xfff) != 10)
		return 0;
	if (load_half(skb, 16) != 0x0800)
		return 0;
	return load_byte(skb, 27) == 17 ? -1 : 0;
}

/*
 * Passes frames whose metadata agrees with their bytes, as for a frame
 * received with no VLAN offload: no tag outside the data (vlan_present 0)
 * and skb->protocol the EtherType at offset 12. Every frame with an
 * EtherType (not an 802.3 length) passes: "ether[12:2] >= 1536".
 */
SEC("socket")
int wire_view(struct __sk_buff *skb)
{
	if (skb->vlan_present)
		return 0;
	return __builtin_bswap16((__u16)skb->protocol) == load_half(skb, 12) ? -1 : 0;
}

/* Drops everything. */
SEC("socket")
int drop_all(struct __sk_buff *skb)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
