// SPDX-License-Identifier: GPL-2.0

//! Engine-wide per-CPU counters: packets, hops and drops by reason.

use kernel::prelude::*;

use crate::block::{report_counter, BhContext, DropReason, PerCpuCounters, StatSink};

/// Why the engine itself dropped a packet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum EngineDrop {
    /// The device's attachment had no entry block in the published graph.
    NoEntry,
    /// A block passed the packet on but nothing is bound in that direction.
    NoNext,
    /// The packet exceeded the hop limit (a cycle in the graph).
    HopLimit,
    /// A block decided to drop it.
    Block(DropReason),
}

/// One engine counter.
#[derive(Clone, Copy)]
pub(crate) enum Counter {
    /// Packets that entered the engine from an attached device.
    Packets = 0,
    /// Block invocations.
    Hops,
    DropNoEntry,
    DropNoNext,
    DropHopLimit,
    DropBlock,
}

const COUNT: usize = 6;

/// Names as `lanactl stats` shows them, in `Counter` order.
const NAMES: [&CStr; COUNT] = [
    c"packets",
    c"hops",
    c"drop_no_entry",
    c"drop_no_next",
    c"drop_hop_limit",
    c"drop_block",
];

impl From<EngineDrop> for Counter {
    fn from(reason: EngineDrop) -> Self {
        match reason {
            EngineDrop::NoEntry => Counter::DropNoEntry,
            EngineDrop::NoNext => Counter::DropNoNext,
            EngineDrop::HopLimit => Counter::DropHopLimit,
            EngineDrop::Block(DropReason::DropBlock) => Counter::DropBlock,
        }
    }
}

/// The engine's counters.
pub(crate) struct EngineStats {
    counters: PerCpuCounters<COUNT>,
}

impl EngineStats {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            counters: PerCpuCounters::new()?,
        })
    }

    #[inline]
    pub(crate) fn add(&self, bh: &BhContext, counter: Counter, value: u64) {
        self.counters.add(bh, counter as usize, value);
    }

    /// One counter summed over CPUs.
    pub(crate) fn total(&self, counter: Counter) -> u64 {
        self.counters.sum(counter as usize)
    }

    /// Reports every counter summed over CPUs.
    pub(crate) fn report(&self, sink: &mut dyn StatSink) -> Result {
        for (index, name) in NAMES.iter().enumerate() {
            report_counter(sink, name, &self.counters, index, 0)?;
        }
        Ok(())
    }
}
