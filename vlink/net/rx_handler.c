// SPDX-License-Identifier: GPL-2.0-only
/*
 * The rx_handler: C, because its type returns an enum (rx_handler_result_t)
 * that a Rust function would not match under kCFI; a trampoline into
 * lana_rx. Registering it on a device, and handing a frame to the stack
 * past it.
 *
 * Rust side: vlink/net/rx_handler.rs.
 */

#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/sch_generic.h>

#include "../shim.h"

/*
 * Marks, in the control block, a packet the graph handed to the stack from
 * outside the receive path (a `host` block reached by a backlog copy): when
 * it comes back through this device's rx_handler, it goes straight on.
 *
 * The mark lives where the qdisc layer keeps its private data
 * (qdisc_skb_cb.data): tc's ingress hook, which runs before rx_handlers,
 * writes the fields before it (pkt_len, ...) and a BPF classifier's data
 * pointers after it, and leaves it alone unless a BPF program writes
 * __sk_buff->cb. A 32-bit word: compared with an immediate.
 */
#define LANA_TO_STACK_MAGIC 0x6c616e61U /* "lana" */

static u32 *lana_to_stack_mark(struct sk_buff *skb)
{
	return (u32 *)qdisc_skb_cb(skb)->data;
}

/* lana_rx (vlink/net/rx_handler.rs) returns these two by value. */
static_assert(RX_HANDLER_CONSUMED == 0 && RX_HANDLER_PASS == 3);

static rx_handler_result_t lana_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	void *attachment = rcu_dereference(skb->dev->rx_handler_data);
	u32 *mark = lana_to_stack_mark(skb);

	if (unlikely(*mark == LANA_TO_STACK_MAGIC)) {
		*mark = 0;
		return RX_HANDLER_PASS;
	}

	/*
	 * A tail call: Rust keeps the frame or leaves it in *pskb for the
	 * stack, and returns the verdict. This CPU's per-CPU offset is read
	 * once here, so every per-CPU counter on the packet path is one
	 * addition away (no call per access). pskb stays the first argument,
	 * where it arrived.
	 */
	return lana_rx(pskb, attachment, lana_this_cpu_offset());
}

/* Devices. The caller holds the RTNL for attach and detach. */

int lana_dev_attach(struct net_device *dev, void *attachment)
{
	ASSERT_RTNL();
	return netdev_rx_handler_register(dev, lana_rx_handler, attachment);
}

/* Returns after every reader of the handler data has left (synchronize_net). */
void lana_dev_detach(struct net_device *dev)
{
	ASSERT_RTNL();
	netdev_rx_handler_unregister(dev);
}

bool lana_dev_is_ours(const struct net_device *dev)
{
	return rcu_access_pointer(dev->rx_handler) == lana_rx_handler;
}

bool lana_dev_has_rx_handler(const struct net_device *dev)
{
	return rcu_access_pointer(dev->rx_handler) != NULL;
}

/* Hands @skb to the stack from softirq context, past our rx_handler. */
void lana_skb_to_stack(struct sk_buff *skb)
{
	*lana_to_stack_mark(skb) = LANA_TO_STACK_MAGIC;
	netif_receive_skb(skb);
}
