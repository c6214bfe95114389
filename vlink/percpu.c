// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-CPU memory, and running packet-path code from process context.
 *
 * Rust side: vlink/percpu.rs.
 */

#include <linux/bottom_half.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>

#include "shim.h"

/*
 * Runs @fn(@arg, cpu_offset) with bottom halves disabled, as the packet path
 * runs: for packet-path code called from process context (tests, generators).
 */
void lana_with_bh_disabled(void (*fn)(void *arg, unsigned long cpu_offset),
			   void *arg)
{
	local_bh_disable();
	fn(arg, lana_this_cpu_offset());
	local_bh_enable();
}

/* Per-CPU memory. */

void __percpu *lana_percpu_alloc(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

void lana_percpu_free(void __percpu *ptr)
{
	free_percpu(ptr);
}


void *lana_per_cpu_ptr(void __percpu *ptr, unsigned int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

/* The possible CPU after @prev (-1 starts), or nr_cpu_ids when done. */
unsigned int lana_next_possible_cpu(int prev)
{
	return cpumask_next(prev, cpu_possible_mask);
}

unsigned int lana_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}
