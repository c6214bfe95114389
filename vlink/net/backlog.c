// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-CPU backlogs: the NAPI instances and queues copies wait on.
 *
 * Rust side: vlink/net/backlog.rs.
 */

#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>

#include "../shim.h"

/*
 * Per-CPU backlogs: packets a block creates (a tee's copy) wait on the
 * queue of the CPU that created them and are delivered by that CPU's NAPI
 * instance, in NET_RX softirq context, a budget per run. The NAPI instances
 * hang off a dummy device that is never registered.
 */

struct lana_backlog_cpu {
	struct napi_struct napi;
	struct sk_buff_head queue;
	struct lana_backlog *backlog;
	/*
	 * The generation of the copy being delivered, 0 outside a delivery:
	 * the Rust side (backlog.rs) sets it and decides from it.
	 */
	u32 delivering;
};

struct lana_backlog {
	struct net_device *dev;
	struct lana_backlog_cpu __percpu *cpus;
	const void *owner;
	unsigned int limit;
};

static int lana_backlog_poll(struct napi_struct *napi, int budget)
{
	struct lana_backlog_cpu *cpu = container_of(napi, struct lana_backlog_cpu, napi);
	struct sk_buff *skb;
	int done = 0;

	while (done < budget && (skb = skb_dequeue(&cpu->queue))) {
		lana_backlog_deliver(cpu->backlog->owner, skb, lana_this_cpu_offset(),
				     &cpu->delivering);
		done++;
	}
	if (done < budget)
		napi_complete_done(napi, done);
	return done;
}

struct lana_backlog *lana_backlog_create(const void *owner, unsigned int limit)
{
	struct lana_backlog *backlog;
	unsigned int i;

	backlog = kzalloc_obj(*backlog);
	if (!backlog)
		return NULL;
	backlog->owner = owner;
	backlog->limit = limit;
	backlog->cpus = alloc_percpu(struct lana_backlog_cpu);
	backlog->dev = alloc_netdev_dummy(0);
	if (!backlog->cpus || !backlog->dev) {
		free_percpu(backlog->cpus);
		if (backlog->dev)
			free_netdev(backlog->dev);
		kfree(backlog);
		return NULL;
	}
	for_each_possible_cpu(i) {
		struct lana_backlog_cpu *cpu = per_cpu_ptr(backlog->cpus, i);

		cpu->backlog = backlog;
		skb_queue_head_init(&cpu->queue);
		netif_napi_add(backlog->dev, &cpu->napi, lana_backlog_poll);
		napi_enable(&cpu->napi);
	}
	return backlog;
}

/* Process context. Waits for running polls; frees what is still queued. */
void lana_backlog_destroy(struct lana_backlog *backlog)
{
	unsigned int i;

	for_each_possible_cpu(i) {
		struct lana_backlog_cpu *cpu = per_cpu_ptr(backlog->cpus, i);

		napi_disable(&cpu->napi);
		netif_napi_del(&cpu->napi);
		skb_queue_purge(&cpu->queue);
	}
	free_percpu(backlog->cpus);
	free_netdev(backlog->dev);
	kfree(backlog);
}

/* Bottom halves disabled. This CPU's generation being delivered. */
u32 lana_backlog_delivering(struct lana_backlog *backlog)
{
	return this_cpu_ptr(backlog->cpus)->delivering;
}

/*
 * Bottom halves disabled. Queues @skb on this CPU's queue: 0, or -ENOSPC
 * when the queue holds its limit already; the caller keeps @skb then.
 */
int lana_backlog_enqueue(struct lana_backlog *backlog, struct sk_buff *skb)
{
	struct lana_backlog_cpu *cpu = this_cpu_ptr(backlog->cpus);

	if (skb_queue_len(&cpu->queue) >= backlog->limit)
		return -ENOSPC;
	skb_queue_tail(&cpu->queue, skb);
	napi_schedule(&cpu->napi);
	return 0;
}

unsigned int lana_backlog_depth(struct lana_backlog *backlog, unsigned int cpu)
{
	return skb_queue_len_lockless(&per_cpu_ptr(backlog->cpus, cpu)->queue);
}
