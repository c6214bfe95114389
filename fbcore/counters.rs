// SPDX-License-Identifier: GPL-2.0

//! A block's counters: kept per CPU on the packet path, summed on read,
//! carried over to the block of the same type that replaces it, and reset
//! on request, all without disturbing the packet path.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;

use crate::block::{report_counter, BhContext, PerCpuCounters, StatSink, State};

/// `N` named counters.
pub(crate) struct Counters<const N: usize> {
    per_cpu: PerCpuCounters<N>,
    /// Added to each total on read: what the blocks this one replaced had
    /// counted, less what `reset` set aside. The packet path never touches
    /// it.
    carried: [AtomicU64; N],
    names: &'static [&'static CStr; N],
}

impl<const N: usize> Counters<N> {
    pub(crate) fn new(names: &'static [&'static CStr; N]) -> Result<Self> {
        Ok(Self {
            per_cpu: PerCpuCounters::new()?,
            carried: [const { AtomicU64::new(0) }; N],
            names,
        })
    }

    /// Adds `value` to counter `index` on this CPU.
    #[inline]
    pub(crate) fn add(&self, bh: &BhContext, index: usize, value: u64) {
        self.per_cpu.add(bh, index, value);
    }

    /// Counter `index` as readers see it.
    pub(crate) fn total(&self, index: usize) -> u64 {
        self.per_cpu
            .sum(index)
            .wrapping_add(self.carried[index].load(Ordering::Relaxed))
    }
}

/// What the engine does with a block's counters, whatever their number.
pub(crate) trait CounterSet: Sync {
    /// Reports every counter, by name, with its per-CPU values.
    fn report(&self, sink: &mut dyn StatSink) -> Result;
    /// The totals, for the block that replaces this one.
    fn export(&self) -> Result<State>;
    /// Adds the totals of the block this one replaced.
    fn import(&self, state: &State);
    /// Makes every total read zero from now on.
    fn reset(&self);
}

impl<const N: usize> CounterSet for Counters<N> {
    fn report(&self, sink: &mut dyn StatSink) -> Result {
        for (index, name) in self.names.iter().enumerate() {
            let carried = self.carried[index].load(Ordering::Relaxed);
            report_counter(sink, name, &self.per_cpu, index, carried)?;
        }
        Ok(())
    }

    fn export(&self) -> Result<State> {
        let mut totals = KVec::with_capacity(N, GFP_KERNEL)?;
        for index in 0..N {
            totals.push(self.total(index), GFP_KERNEL)?;
        }
        Ok(State(totals))
    }

    fn import(&self, state: &State) {
        for (carried, value) in self.carried.iter().zip(state.0.iter()) {
            carried.fetch_add(*value, Ordering::Relaxed);
        }
    }

    fn reset(&self) {
        // The packet path keeps counting undisturbed: the carried total moves
        // so that what readers see starts again from zero.
        for (index, carried) in self.carried.iter().enumerate() {
            carried.fetch_sub(self.total(index), Ordering::Relaxed);
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

    /// Counter `index` summed over CPUs.
    pub(crate) fn sum(&self, index: usize) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, (_, values)| acc.wrapping_add(values[index]))
    }

    /// Reports counter `index` as `name`: what `counted` (by the packet
    /// path) and `folded` (from retired snapshots) hold, per CPU, with this
    /// added, and `carried` (a replaced block's) added to the total only.
    pub(crate) fn report(
        &self,
        sink: &mut dyn StatSink,
        name: &CStr,
        counted: &PerCpuCounters<N>,
        folded: &PerCpuCounters<N>,
        index: usize,
        carried: u64,
    ) -> Result {
        let total = counted
            .sum(index)
            .wrapping_add(folded.sum(index))
            .wrapping_add(self.sum(index))
            .wrapping_add(carried);
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
    counts: Counters<WALK_COUNT>,
    /// What retired snapshots' tallies counted, per CPU. Written only by
    /// the engine under its control lock, never by the packet path.
    folded: PerCpuCounters<WALK_COUNT>,
}

impl WalkCounters {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            counts: Counters::new(&WALK_NAMES)?,
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
    pub(crate) fn total(&self, index: usize, live: &Live<WALK_COUNT>) -> u64 {
        self.counts
            .total(index)
            .wrapping_add(self.folded.sum(index))
            .wrapping_add(live.sum(index))
    }

    /// Reports every counter, with `live` added.
    pub(crate) fn report(&self, sink: &mut dyn StatSink, live: &Live<WALK_COUNT>) -> Result {
        for (index, name) in WALK_NAMES.iter().enumerate() {
            let carried = self.counts.carried[index].load(Ordering::Relaxed);
            live.report(
                sink,
                name,
                &self.counts.per_cpu,
                &self.folded,
                index,
                carried,
            )?;
        }
        Ok(())
    }

    /// The totals, for the block that replaces this one (once no snapshot
    /// holds this one: nothing live).
    pub(crate) fn export(&self) -> Result<State> {
        let mut totals = KVec::with_capacity(WALK_COUNT, GFP_KERNEL)?;
        for index in 0..WALK_COUNT {
            totals.push(self.total(index, &Live::none()), GFP_KERNEL)?;
        }
        Ok(State(totals))
    }

    /// Adds the totals of the block this one replaced.
    pub(crate) fn import(&self, state: &State) {
        self.counts.import(state);
    }

    /// Makes every total read zero from now on, `live` included.
    pub(crate) fn reset(&self, live: &Live<WALK_COUNT>) {
        for (index, carried) in self.counts.carried.iter().enumerate() {
            carried.fetch_sub(self.total(index, live), Ordering::Relaxed);
        }
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
