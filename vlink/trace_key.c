// SPDX-License-Identifier: GPL-2.0-only
/*
 * The trace key (a static branch).
 *
 * Rust side: vlink/trace_key.rs.
 */

#include <linux/jump_label.h>

#include "shim.h"

/*
 * The trace key: off, the packet path's test for an armed trace is a
 * patched-out jump (static branch); a trace turns it on. Rust tests it with
 * static_branch_unlikely! (vlink/trace_key.rs).
 */
struct lana_trace_key lana_trace_key = { .key = STATIC_KEY_FALSE_INIT };

/* May sleep. */
void lana_trace_key_inc(void)
{
	static_branch_inc(&lana_trace_key.key);
}

/* May sleep. */
void lana_trace_key_dec(void)
{
	static_branch_dec(&lana_trace_key.key);
}
