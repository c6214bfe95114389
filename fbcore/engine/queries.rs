// SPDX-License-Identifier: GPL-2.0-only

//! Reading the engine's counters, live from the snapshots whose tallies
//! still count: the published one and the retired ones still pending.

use super::*;

impl Engine {
    pub(crate) fn stats(&self, sink: &mut dyn StatSink) -> Result {
        // No snapshot retires (folding its tally) while the lock is held.
        let control = self.control.lock();
        let live = self.live(&control, |graph, cpu, out| graph.tallied_engine(cpu, out))?;
        self.sinks.stats.report(sink, &live)?;
        if let Some(backlog) = self.sinks.backlog.as_ref() {
            let total = backlog.depth().map(|(_, depth)| depth).sum();
            sink.counter(c"backlog_depth", total, &mut backlog.depth())?;
        }
        sink.value(c"events_lost", self.events_lost.load(Ordering::Relaxed))?;
        // Retired snapshots awaiting their grace period (their tallies are
        // in the counts above).
        sink.value(c"snapshots_pending", control.pending.len() as u64)
    }

    /// What the counting snapshots' tallies hold for the walk counters
    /// `walks`, per CPU. `control` is held: no snapshot retires (folding
    /// its tally into the counters) meanwhile.
    pub(crate) fn live_walks(
        &self,
        control: &Control,
        walks: &WalkCounters,
    ) -> Result<Live<WALK_COUNT>> {
        let mut live = self.live_walks_of(control, &[walks])?;
        Ok(live.pop().unwrap_or_else(Live::none))
    }

    /// [`Engine::live_walks`] of several blocks, in their order, from one
    /// pass over the tally: a reader of every block would otherwise pass
    /// over the whole graph's tally once per block.
    pub(crate) fn live_walks_of(
        &self,
        control: &Control,
        blocks: &[&WalkCounters],
    ) -> Result<KVec<Live<WALK_COUNT>>> {
        let cpus = possible_cpus().count();
        // The blocks by the address of their counters, for a binary search.
        let mut order = KVec::with_capacity(blocks.len(), GFP_KERNEL)?;
        let mut lives = KVec::with_capacity(blocks.len(), GFP_KERNEL)?;
        let mut sums = KVec::with_capacity(blocks.len(), GFP_KERNEL)?;
        for (i, walks) in blocks.iter().enumerate() {
            order.push((core::ptr::from_ref(*walks) as usize, i), GFP_KERNEL)?;
            lives.push(Live(KVec::with_capacity(cpus, GFP_KERNEL)?), GFP_KERNEL)?;
            sums.push([0u64; WALK_COUNT], GFP_KERNEL)?;
        }
        order.sort_unstable();
        let find = |walks: &WalkCounters| {
            let at = core::ptr::from_ref(walks) as usize;
            order
                .binary_search_by_key(&at, |(addr, _)| *addr)
                .ok()
                .map(|found| order[found].1)
        };
        // The published snapshot's tally under RCU, a CPU at a time; the
        // pending ones' outside it (`control` keeps them).
        for cpu in possible_cpus() {
            sums.iter_mut().for_each(|sum| *sum = [0; WALK_COUNT]);
            self.graph.with(|published| {
                if let Some(graph) = published {
                    graph.tallied_walks(cpu, find, &mut sums);
                }
            });
            for graph in Self::pending(control) {
                graph.tallied_walks(cpu, find, &mut sums);
            }
            for (live, sum) in lives.iter_mut().zip(sums.iter()) {
                // There is room for every possible CPU.
                let _ = live.0.push_within_capacity((cpu, *sum));
            }
        }
        Ok(lives)
    }

    /// What the counting snapshots' tallies add to counters on each CPU:
    /// `add(graph, cpu, counts)`.
    fn live<const N: usize>(
        &self,
        control: &Control,
        add: impl Fn(&Graph, u32, &mut [u64; N]),
    ) -> Result<Live<N>> {
        let mut values = KVec::with_capacity(possible_cpus().count(), GFP_KERNEL)?;
        // As in `live_walks_of`: the pending snapshots outside RCU.
        for cpu in possible_cpus() {
            let mut counts = [0; N];
            self.graph.with(|published| {
                if let Some(graph) = published {
                    add(graph, cpu, &mut counts);
                }
            });
            for graph in Self::pending(control) {
                add(graph, cpu, &mut counts);
            }
            // There is room for every possible CPU.
            let _ = values.push_within_capacity((cpu, counts));
        }
        Ok(Live(values))
    }
}
