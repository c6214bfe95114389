// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices: references, names, the RTNL, and the netdevice notifier (C:
 * the device behind its `void *` is only reachable through netdevice.h),
 * which tells device slots and attachments what happens to their devices.
 *
 * Rust side: vlink/net/device.rs, vlink/net/devslot.rs.
 */

#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>

#include "../shim.h"

struct net_device *lana_dev_get_by_name(struct net *net, const char *name)
{
	return dev_get_by_name(net, name);
}

void lana_dev_hold(struct net_device *dev)
{
	dev_hold(dev);
}

void lana_dev_put(struct net_device *dev)
{
	dev_put(dev);
}

const char *lana_dev_name(const struct net_device *dev)
{
	return dev->name;
}

int lana_dev_ifindex(const struct net_device *dev)
{
	return dev->ifindex;
}

/* @dev's Ethernet address, or NULL when its addresses are not Ethernet's. */
const u8 *lana_dev_eth_addr(const struct net_device *dev)
{
	return dev->addr_len == ETH_ALEN ? dev->dev_addr : NULL;
}

void lana_rtnl_lock(void)
{
	rtnl_lock();
}

void lana_rtnl_unlock(void)
{
	rtnl_unlock();
}

/*
 * Device slots (vlink/net/devslot.rs): devices blocks send to. Each is told when
 * its device unregisters, under lana_devslots_lock, which also serialises
 * setting a slot against that.
 */
static LIST_HEAD(lana_devslots);
static DEFINE_MUTEX(lana_devslots_lock);

void lana_devslots_lock_acquire(void)
{
	mutex_lock(&lana_devslots_lock);
}

void lana_devslots_lock_release(void)
{
	mutex_unlock(&lana_devslots_lock);
}

/* Called with lana_devslots_lock held. */
void lana_devslot_add(struct list_head *node)
{
	list_add(node, &lana_devslots);
}

/* Called with lana_devslots_lock held. */
void lana_devslot_del(struct list_head *node)
{
	list_del(node);
}

static int lana_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	void *endpoint = NULL;

	if (event == NETDEV_UNREGISTER) {
		struct list_head *node;

		mutex_lock(&lana_devslots_lock);
		list_for_each(node, &lana_devslots)
			lana_devslot_unregistering(node, dev);
		mutex_unlock(&lana_devslots_lock);
	}

	if (lana_dev_is_ours(dev))
		endpoint = rtnl_dereference(dev->rx_handler_data);
	else if (lana_link_is_ours(dev))
		endpoint = lana_link_endpoint(dev);
	if (!endpoint)
		return NOTIFY_DONE;
	switch (event) {
	case NETDEV_UNREGISTER:
		lana_netdev_unregistering(endpoint);
		break;
	case NETDEV_UP:
	case NETDEV_DOWN:
		lana_netdev_state(endpoint, event == NETDEV_UP);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block lana_netdev_notifier = {
	.notifier_call = lana_netdev_event,
};

int lana_netdev_notifier_register(void)
{
	return register_netdevice_notifier(&lana_netdev_notifier);
}

void lana_netdev_notifier_unregister(void)
{
	unregister_netdevice_notifier(&lana_netdev_notifier);
}

bool lana_dev_is_registered(const struct net_device *dev)
{
	return READ_ONCE(dev->reg_state) == NETREG_REGISTERED;
}
