// SPDX-License-Identifier: GPL-2.0-only
/*
 * Notifier chains.
 *
 * Rust side: vlink/notifier.rs.
 */

#include <linux/notifier.h>

#include "shim.h"

/* Notifier chains (the init is a macro: it gives the rwsem its lock class). */

void lana_notifier_head_init(struct blocking_notifier_head *head)
{
	BLOCKING_INIT_NOTIFIER_HEAD(head);
}
