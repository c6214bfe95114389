// SPDX-License-Identifier: GPL-2.0-only

//! A block's counters: kept per CPU on the packet path, summed on read,
//! carried over to the block of the same type that replaces it, and reset
//! on request, all without disturbing the packet path.

use kernel::prelude::*;

use crate::block::{possible_cpus, BhContext, PerCpuCounters, StatSink};

/// `N` named counters.
pub(crate) struct Counters<const N: usize> {
    per_cpu: PerCpuCounters<N>,
    /// Added to each CPU's count on read: what the blocks this one replaced
    /// had counted on that CPU, less what `reset` set aside there. Kept per
    /// CPU so that the per-CPU view always sums to the total. Written only
    /// by the control path, under the engine's lock; the packet path never
    /// touches it.
    carried: PerCpuCounters<N>,
    names: &'static [&'static CStr; N],
}

impl<const N: usize> Counters<N> {
    pub(crate) fn new(names: &'static [&'static CStr; N]) -> Result<Self> {
        Ok(Self {
            per_cpu: PerCpuCounters::new()?,
            carried: PerCpuCounters::new()?,
            names,
        })
    }

    /// Adds `value` to counter `index` on this CPU.
    #[inline]
    pub(crate) fn add(&self, bh: &BhContext, index: usize, value: u64) {
        self.per_cpu.add(bh, index, value);
    }
}

/// What the engine does with a block's counters, whatever their number.
pub(crate) trait CounterSet: Sync {
    /// Reports every counter, by name, with its per-CPU values.
    fn report(&self, sink: &mut dyn StatSink) -> Result;
    /// How many counters there are.
    fn len(&self) -> usize;
    /// Counter `index` on `cpu` as readers see it, for the block that
    /// replaces this one (nothing live: no snapshot holds this one).
    fn value_on(&self, cpu: u32, index: usize) -> u64;
    /// Adds `value`, counted by the block this one replaced, to counter
    /// `index` on `cpu`.
    fn carry_on(&self, cpu: u32, index: usize, value: u64);
    /// Makes every value read zero from now on, on every CPU.
    fn reset(&self);
}

impl<const N: usize> CounterSet for Counters<N> {
    fn report(&self, sink: &mut dyn StatSink) -> Result {
        for (index, name) in self.names.iter().enumerate() {
            Live::none().report(sink, name, &self.per_cpu, &self.carried, index)?;
        }
        Ok(())
    }

    fn len(&self) -> usize {
        N
    }

    fn value_on(&self, cpu: u32, index: usize) -> u64 {
        sum_on(&self.per_cpu, &self.carried, &Live::none(), cpu, index)
    }

    fn carry_on(&self, cpu: u32, index: usize, value: u64) {
        self.carried.add_on(cpu, index, value);
    }

    fn reset(&self) {
        // The packet path keeps counting undisturbed: each CPU's carried
        // value moves so that what readers see starts again from zero.
        reset_per_cpu(&self.per_cpu, &self.carried, &Live::none());
    }
}

/// Adds every counter of `from` (a replaced block's) to `into`, CPU by CPU,
/// so that the per-CPU view keeps summing to the total. Allocates nothing:
/// it runs after a replace is published, where nothing may fail.
pub(crate) fn carry(from: &dyn CounterSet, into: &dyn CounterSet) {
    for index in 0..from.len().min(into.len()) {
        for cpu in possible_cpus() {
            into.carry_on(cpu, index, from.value_on(cpu, index));
        }
    }
}

/// Counter `index` on `cpu`: `counted` plus `extra` plus `live`.
fn sum_on<const N: usize>(
    counted: &PerCpuCounters<N>,
    extra: &PerCpuCounters<N>,
    live: &Live<N>,
    cpu: u32,
    index: usize,
) -> u64 {
    counted
        .on(cpu, index)
        .wrapping_add(extra.on(cpu, index))
        .wrapping_add(live.on(cpu, index))
}

/// Moves `extra` so that `counted` plus `extra` plus `live` reads zero on
/// every CPU.
fn reset_per_cpu<const N: usize>(
    counted: &PerCpuCounters<N>,
    extra: &PerCpuCounters<N>,
    live: &Live<N>,
) {
    for index in 0..N {
        for cpu in possible_cpus() {
            let value = sum_on(counted, extra, live, cpu, index);
            extra.add_on(cpu, index, value.wrapping_neg());
        }
    }
}

/// Counts per possible CPU that a reader adds to counters it reports: what
/// the published snapshot's tally holds for them (see `crate::tally`), in
/// CPU order; empty for none.
pub(crate) struct Live<const N: usize>(pub(crate) KVec<(u32, [u64; N])>);

impl<const N: usize> Live<N> {
    pub(crate) fn none() -> Self {
        Self(KVec::new())
    }

    /// Counter `index` of `cpu` (0 when it has no live count).
    pub(crate) fn on(&self, cpu: u32, index: usize) -> u64 {
        self.0
            .iter()
            .find(|(c, _)| *c == cpu)
            .map_or(0, |(_, values)| values[index])
    }

    /// Counter `index` summed over CPUs.
    pub(crate) fn sum(&self, index: usize) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, (_, values)| acc.wrapping_add(values[index]))
    }

    /// Reports counter `index` as `name`: what `counted` (by the packet
    /// path) and `folded` (by the control path: retired snapshots, replaced
    /// blocks, resets) hold, per CPU, with this added. The per-CPU values
    /// sum to the total.
    pub(crate) fn report(
        &self,
        sink: &mut dyn StatSink,
        name: &CStr,
        counted: &PerCpuCounters<N>,
        folded: &PerCpuCounters<N>,
        index: usize,
    ) -> Result {
        let total = counted
            .sum(index)
            .wrapping_add(folded.sum(index))
            .wrapping_add(self.sum(index));
        // Every list runs in CPU order: each CPU's live count is the next
        // one, if it has one (none at all for `Live::none()`).
        let mut live = self.0.iter().peekable();
        let mut per_cpu = counted.per_cpu(index).zip(folded.per_cpu(index)).map(
            |((cpu, counted), (_, folded))| {
                let value = counted.wrapping_add(folded);
                let live = live
                    .next_if(|(c, _)| *c == cpu)
                    .map_or(0, |(_, v)| v[index]);
                (cpu, value.wrapping_add(live))
            },
        );
        sink.counter(name, total, &mut per_cpu)
    }
}

/// The engine's own counts of the walks through a block, whatever its type,
/// from which `lanactl dot` derives the packets on every edge of a chain: a
/// packet crosses the edges between where its walk starts and where it ends.
///
/// Frames from a device's entry are counted by the snapshot's tally, folded
/// in here when the snapshot retires; other walks (copies from the backlog,
/// packets sent through a lana device) count here directly.
pub(crate) struct WalkCounters {
    /// Counted by the packet path, per CPU.
    counts: PerCpuCounters<WALK_COUNT>,
    /// What the control path adds, per CPU: retired snapshots' tallies,
    /// the counts of the blocks this one replaced, less what resets set
    /// aside. Written only by the engine under its control lock, never by
    /// the packet path.
    folded: PerCpuCounters<WALK_COUNT>,
}

impl WalkCounters {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            counts: PerCpuCounters::new()?,
            folded: PerCpuCounters::new()?,
        })
    }

    /// Adds `value` to counter `index` on this CPU.
    #[inline]
    pub(crate) fn add(&self, bh: &BhContext, index: usize, value: u64) {
        self.counts.add(bh, index, value);
    }

    /// Adds what a retired snapshot counted on `cpu`.
    pub(crate) fn fold(&self, cpu: u32, index: usize, value: u64) {
        self.folded.add_on(cpu, index, value);
    }

    /// Counter `index` as readers see it, with `live` added.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn total(&self, index: usize, live: &Live<WALK_COUNT>) -> u64 {
        self.counts
            .sum(index)
            .wrapping_add(self.folded.sum(index))
            .wrapping_add(live.sum(index))
    }

    /// Reports every counter, with `live` added.
    pub(crate) fn report(&self, sink: &mut dyn StatSink, live: &Live<WALK_COUNT>) -> Result {
        for (index, name) in WALK_NAMES.iter().enumerate() {
            live.report(sink, name, &self.counts, &self.folded, index)?;
        }
        Ok(())
    }

    /// Adds the counts of `old`, the block this one replaced (once no
    /// snapshot holds it: nothing live), each to its CPU. Allocates
    /// nothing.
    pub(crate) fn carry_from(&self, old: &WalkCounters) {
        for index in 0..WALK_COUNT {
            for cpu in possible_cpus() {
                let value = sum_on(&old.counts, &old.folded, &Live::none(), cpu, index);
                self.folded.add_on(cpu, index, value);
            }
        }
    }

    /// Makes every value read zero from now on, on every CPU, `live`
    /// included.
    pub(crate) fn reset(&self, live: &Live<WALK_COUNT>) {
        reset_per_cpu(&self.counts, &self.folded, live);
    }
}

pub(crate) const WALK_COUNT: usize = 4;

/// Walks that start at the block going up (frames of a device attached
/// there, copies queued for it); add 1 for [`WALK_DOWN`] walks.
pub(crate) const WALK_START: usize = 0;
/// Walks that end at the block: it stopped the packet (a drop, the stack, a
/// transmit), or the packet left the graph after it; add 1 going down.
pub(crate) const WALK_END: usize = 2;
/// Added to [`WALK_START`] and [`WALK_END`] for walks going down.
pub(crate) const WALK_DOWN: usize = 1;

pub(crate) static WALK_NAMES: [&CStr; WALK_COUNT] = [
    c"walk_start_up",
    c"walk_start_down",
    c"walk_end_up",
    c"walk_end_down",
];
