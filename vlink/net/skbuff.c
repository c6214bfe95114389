// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packets: queued on a device, or given an Ethernet header.
 *
 * Rust side: vlink/net/skbuff.rs.
 */

#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "../shim.h"

/*
 * Queues @skb for transmission on @dev (dev_queue_xmit, a static inline).
 * Consumes @skb. True when the device took it (NET_XMIT_SUCCESS).
 */
bool lana_dev_queue_xmit(struct sk_buff *skb, struct net_device *dev)
{
	skb->dev = dev;
	return dev_queue_xmit(skb) == NET_XMIT_SUCCESS;
}

/*
 * Pushes an Ethernet header (@dst, the MAC address of @src_dev, @proto in
 * network order) in front of @skb's data. Returns false, @skb untouched,
 * when there is no room and none can be made.
 */
bool lana_skb_push_eth(struct sk_buff *skb, const u8 *dst,
		       const struct net_device *src_dev, __be16 proto)
{
	struct ethhdr *eth;

	if (skb_cow_head(skb, ETH_HLEN))
		return false;
	eth = skb_push(skb, ETH_HLEN);
	skb_reset_mac_header(skb);
	skb->mac_len = ETH_HLEN;
	ether_addr_copy(eth->h_dest, dst);
	if (src_dev && src_dev->addr_len == ETH_ALEN)
		ether_addr_copy(eth->h_source, src_dev->dev_addr);
	else
		eth_zero_addr(eth->h_source);
	eth->h_proto = proto;
	skb->protocol = proto;
	return true;
}
