// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packets: queued on a device, or given room for a header.
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
 * Makes @headroom bytes before @skb's data, and the head, ours to write
 * (skb_cow_head, a static inline): 0, or -ENOMEM.
 */
int lana_skb_cow_head(struct sk_buff *skb, unsigned int headroom)
{
	return skb_cow_head(skb, headroom);
}
