// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reapers: work run after an RCU grace period.
 *
 * Rust side: vlink/rcu.rs.
 */

#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "shim.h"

/*
 * Reapers (vlink/rcu.rs): a work item that runs lana_reap(owner) in process
 * context once an RCU grace period has passed since it was queued. Rust has
 * no rcu_work; the struct and its callback are C.
 */
struct lana_reaper {
	struct rcu_work rwork;
	const void *owner;
	/* Set by destroy: no queuing from then on. */
	bool dying;
};

static void lana_reaper_fn(struct work_struct *work)
{
	struct lana_reaper *reaper =
		container_of(to_rcu_work(work), struct lana_reaper, rwork);

	lana_reap(reaper->owner);
}

struct lana_reaper *lana_reaper_create(const void *owner)
{
	struct lana_reaper *reaper = kzalloc_obj(*reaper);

	if (!reaper)
		return NULL;
	INIT_RCU_WORK(&reaper->rwork, lana_reaper_fn);
	reaper->owner = owner;
	return reaper;
}

/*
 * Queued already: that run comes after a grace period that may have started
 * before this call; lana_reap queues it again for what is not due yet.
 */
void lana_reaper_queue(struct lana_reaper *reaper)
{
	/* Unbound: a reap may wait on the engine's mutex for long. */
	if (!READ_ONCE(reaper->dying))
		queue_rcu_work(system_unbound_wq, &reaper->rwork);
}

/*
 * Waits for a queued or running reap to finish. flush_rcu_work() does not
 * wait for a run queued while it flushes (a reap that read `dying` before
 * it was set may queue one more): flush until the work was found idle.
 */
void lana_reaper_destroy(struct lana_reaper *reaper)
{
	WRITE_ONCE(reaper->dying, true);
	/* Orders `dying` before the flushes: a queue after them sees it. */
	smp_mb();
	while (flush_rcu_work(&reaper->rwork))
		;
	kfree(reaper);
}
