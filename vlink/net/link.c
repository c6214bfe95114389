// SPDX-License-Identifier: GPL-2.0-only
/*
 * The `lana` link type: virtual link devices that are graph endpoints
 * (`ip link add lana0 type lana`).
 *
 * A lana device carries L3 packets, like a tun device in tun mode: no
 * link-layer header, no ARP. What the host stack sends through it enters the
 * graph in the egress direction at the block attached to it; what the graph
 * delivers to it is received on it (netif_rx), as if off a wire. Carrier is
 * on while the device is attached to a graph.
 *
 * Only what must be C lives here: the netdev and link ops tables and
 * their callbacks, each a trampoline into Rust (vlink/net/link.rs).
 */

#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <net/rtnetlink.h>

#include "../shim.h"

struct lana_link {
	/* The endpoint (an attachment of an engine) while attached, or NULL. */
	void __rcu *endpoint;
};

static struct rtnl_link_ops lana_link_ops;

/* Bottom halves are disabled and the RCU read lock held (__dev_queue_xmit). */
static netdev_tx_t lana_link_start_xmit(struct sk_buff *skb,
					struct net_device *dev)
{
	struct lana_link *link = netdev_priv(dev);
	void *endpoint = rcu_dereference_bh(link->endpoint);

	if (unlikely(!endpoint)) {
		dev_dstats_tx_dropped(dev);
		kfree_skb_reason(skb, SKB_DROP_REASON_DEV_READY);
		return NETDEV_TX_OK;
	}
	dev_dstats_tx_add(dev, skb->len);
	lana_link_egress(endpoint, skb, lana_this_cpu_offset());
	return NETDEV_TX_OK;
}

static const struct net_device_ops lana_link_netdev_ops = {
	.ndo_start_xmit = lana_link_start_xmit,
};

static void lana_link_setup(struct net_device *dev)
{
	dev->netdev_ops = &lana_link_netdev_ops;
	dev->type = ARPHRD_NONE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP | IFF_MULTICAST;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->mtu = ETH_DATA_LEN;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU - ETH_HLEN;
	dev->lltx = true;
	/* The graph it belongs to is its namespace's. */
	dev->netns_immutable = true;
	dev->needs_free_netdev = true;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_DSTATS;
}

static int lana_link_newlink(struct net_device *dev,
			     struct rtnl_newlink_params *params,
			     struct netlink_ext_ack *extack)
{
	int err;

	/* No carrier until a graph is attached. */
	netif_carrier_off(dev);
	err = register_netdevice(dev);
	if (err)
		NL_SET_ERR_MSG(extack, "lana: cannot register the device");
	return err;
}

static struct rtnl_link_ops lana_link_ops = {
	.kind = "lana",
	.priv_size = sizeof(struct lana_link),
	.setup = lana_link_setup,
	.newlink = lana_link_newlink,
};

int lana_link_register(void)
{
	return rtnl_link_register(&lana_link_ops);
}

/* Deletes every lana device, in every namespace, first. */
void lana_link_unregister(void)
{
	rtnl_link_unregister(&lana_link_ops);
}

bool lana_link_is_ours(const struct net_device *dev)
{
	return dev->rtnl_link_ops == &lana_link_ops;
}

/* The RTNL is held. The endpoint is NULL when the device is not attached. */
void *lana_link_endpoint(const struct net_device *dev)
{
	struct lana_link *link = netdev_priv(dev);

	return rtnl_dereference(link->endpoint);
}

/* The RTNL is held; the device is ours. */
void lana_link_attach(struct net_device *dev, void *endpoint)
{
	struct lana_link *link = netdev_priv(dev);

	ASSERT_RTNL();
	rcu_assign_pointer(link->endpoint, endpoint);
	netif_carrier_on(dev);
}

/*
 * The RTNL is held. Returns once no CPU is in lana_link_start_xmit() with
 * the endpoint any more.
 */
void lana_link_detach(struct net_device *dev)
{
	struct lana_link *link = netdev_priv(dev);

	ASSERT_RTNL();
	netif_carrier_off(dev);
	RCU_INIT_POINTER(link->endpoint, NULL);
	synchronize_net();
}

/*
 * Delivers @skb, an L3 packet no one else holds, its protocol set, to the
 * host stack as received on lana device @dev. Consumes @skb. Bottom halves
 * are disabled.
 */
void lana_link_rx(struct sk_buff *skb, struct net_device *dev)
{
	unsigned int len;

	skb_scrub_packet(skb, !net_eq(dev_net(skb->dev), dev_net(dev)));
	skb->dev = dev;
	skb->pkt_type = PACKET_HOST;
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	skb->mac_len = 0;
	/* A tagged attachment's VLAN tag stays below: lana0 has no VLANs. */
	__vlan_hwaccel_clear_tag(skb);
	len = skb->len;
	if (netif_rx(skb) == NET_RX_SUCCESS)
		dev_dstats_rx_add(dev, len);
	else
		dev_dstats_rx_dropped(dev);
}

/* A packet for @dev could not be delivered (no memory to unshare it). */
void lana_link_rx_dropped(struct net_device *dev)
{
	dev_dstats_rx_dropped(dev);
}
