// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark floor: an rx_handler that frees every frame at once.
 *
 * `make bench` compares lana-rs against this: whatever a graph costs above
 * it is the engine's and the blocks' own work. Load with dev=NAME.
 */

#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>

static char *probe_dev_name = "dummy0";
module_param_named(dev, probe_dev_name, charp, 0444);
MODULE_PARM_DESC(dev, "device whose frames are freed");

static struct net_device *probe_dev;

static rx_handler_result_t lana_probe_rx(struct sk_buff **pskb)
{
	kfree_skb(*pskb);
	return RX_HANDLER_CONSUMED;
}

static int __init lana_probe_init(void)
{
	int err;

	probe_dev = dev_get_by_name(&init_net, probe_dev_name);
	if (!probe_dev)
		return -ENODEV;
	rtnl_lock();
	err = netdev_rx_handler_register(probe_dev, lana_probe_rx, NULL);
	rtnl_unlock();
	if (err)
		dev_put(probe_dev);
	return err;
}

static void __exit lana_probe_exit(void)
{
	rtnl_lock();
	netdev_rx_handler_unregister(probe_dev);
	rtnl_unlock();
	dev_put(probe_dev);
}

module_init(lana_probe_init);
module_exit(lana_probe_exit);
MODULE_DESCRIPTION("lana-rs benchmark floor: an rx_handler that frees every frame");
MODULE_LICENSE("GPL");
