// SPDX-License-Identifier: GPL-2.0

//! The functional-block model: what every block type implements.

use kernel::{prelude::*, sync::Arc};

use crate::event::Event;

pub(crate) use crate::vlink::percpu::BhContext;
pub(crate) use crate::vlink::percpu::PerCpuCounters;
pub(crate) use crate::vlink::skb::SkBuff;

/// Which way a packet travels through the graph. Packets received from a
/// device travel upward (ingress): `bind A B` puts A above B.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Direction {
    Ingress = 0,
}

/// Why a block dropped a packet; the engine counts drops by reason.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DropReason {
    /// A `drop` block: dropping is its job.
    DropBlock,
}

/// What a block did with a packet.
pub(crate) enum Verdict {
    /// Hand the packet to the next block in its direction.
    Pass(SkBuff),
    /// Free the packet, counted under `reason`.
    Drop(SkBuff, DropReason),
}

/// Where a block reports its statistics.
pub(crate) trait StatSink {
    /// A counter kept per CPU: its total, and its value on each CPU for the
    /// per-CPU view (`lanactl stats --per-cpu`).
    fn counter(
        &mut self,
        name: &CStr,
        total: u64,
        per_cpu: &mut dyn Iterator<Item = (u32, u64)>,
    ) -> Result;

    /// A value with no per-CPU breakdown.
    fn value(&mut self, name: &CStr, value: u64) -> Result;
}

/// Reports counter `index` of `counters` as `name`, with `extra` added to
/// its total (state carried over from a replaced block).
pub(crate) fn report_counter<const N: usize>(
    sink: &mut dyn StatSink,
    name: &CStr,
    counters: &PerCpuCounters<N>,
    index: usize,
    extra: u64,
) -> Result {
    let total = counters.sum(index).wrapping_add(extra);
    sink.counter(name, total, &mut counters.per_cpu(index))
}

/// State a block hands over to the block of the same type that replaces it:
/// values only the block type itself interprets.
pub(crate) struct State(pub(crate) KVec<u64>);

/// A functional block: called for every packet that reaches it, in softirq
/// context, with no lock held and nothing allocated on its behalf.
pub(crate) trait Block: Send + Sync {
    /// Handles one packet travelling in direction `dir`.
    fn receive(&self, skb: SkBuff, dir: Direction, bh: &BhContext) -> Verdict;

    /// Reports the block's statistics.
    fn stats(&self, sink: &mut dyn StatSink) -> Result;

    /// The state to carry over to a replacement of the same type. Called once
    /// no packet can reach this block any more, so the state is final.
    fn export_state(&self) -> Result<Option<State>> {
        Ok(None)
    }

    /// Takes over the state of the block this one replaced. Packets may
    /// already be reaching this block: merge, do not overwrite.
    fn import_state(&self, _state: &State) {}

    /// Receives an event about this block or a block it subscribes to.
    /// Process context, with the engine's control mutex held: it must not
    /// call back into the engine.
    fn event(&self, _event: &Event) {}
}

/// A block type: registered once at module load, instantiated by `add`.
pub(crate) struct BlockType {
    /// The name users give to `lanactl add NAME TYPE`.
    pub(crate) name: &'static CStr,
    /// One line for `lanactl types`.
    pub(crate) description: &'static CStr,
    /// Creates an instance with default configuration.
    pub(crate) new: fn() -> Result<Arc<dyn Block>>,
}
