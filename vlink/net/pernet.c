// SPDX-License-Identifier: GPL-2.0-only
/*
 * Network namespaces: the pernet operations, whose callbacks must be C.
 *
 * Rust side: vlink/net/pernet.rs.
 */

#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "../shim.h"

/*
 * Network namespaces: each holds a pointer to its own engine, made by
 * lana_net_init_rust() and released by lana_net_exit_rust().
 */

static unsigned int lana_net_id;

static int __net_init lana_net_init(struct net *net)
{
	return lana_net_init_rust(net, net_generic(net, lana_net_id));
}

static void __net_exit lana_net_exit(struct net *net)
{
	lana_net_exit_rust(net_generic(net, lana_net_id));
}

static struct pernet_operations lana_net_ops = {
	.init = lana_net_init,
	.exit = lana_net_exit,
	.id = &lana_net_id,
	.size = sizeof(void *),
};

int lana_pernet_register(void)
{
	return register_pernet_subsys(&lana_net_ops);
}

void lana_pernet_unregister(void)
{
	unregister_pernet_subsys(&lana_net_ops);
}

const void *lana_net_data(struct net *net)
{
	return *(const void **)net_generic(net, lana_net_id);
}
