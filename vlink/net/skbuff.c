// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packets: sent on a device as received, or given an Ethernet header.
 *
 * Rust side: vlink/net/skbuff.rs.
 */

#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "../shim.h"

/*
 * Transmits @skb on @dev as the frame it was received as: the link-layer
 * header the receive path pulled is pushed back. Consumes @skb. True when
 * the device took it (NET_XMIT_SUCCESS).
 */
bool lana_skb_xmit(struct sk_buff *skb, struct net_device *dev, u16 vlan,
		   u16 ethertype)
{
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return false;
	if (skb_mac_header_was_set(skb) && skb_mac_header(skb) < skb->data)
		skb_push(skb, skb->data - skb_mac_header(skb));
	/* A tagged attachment's tag: the core inserts a VLAN tag the device
	 * cannot; an EtherType goes into the Ethernet header, made private
	 * first (a tee's copies share it). */
	if (vlan)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), vlan);
	if (ethertype) {
		if (skb->mac_len != ETH_HLEN || skb->data != skb_mac_header(skb) ||
		    skb_ensure_writable(skb, ETH_HLEN)) {
			kfree_skb(skb);
			return false;
		}
		eth_hdr(skb)->h_proto = htons(ethertype);
	}
	skb_forward_csum(skb);
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
