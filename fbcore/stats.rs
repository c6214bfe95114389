// SPDX-License-Identifier: GPL-2.0-only

//! Engine-wide per-CPU counters: packets, hops and drops by reason.

use kernel::prelude::*;

use crate::block::{BhContext, DropReason, PerCpuCounters, StatSink};
use crate::counters::Live;

/// Why the engine itself dropped a packet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum EngineDrop {
    /// The lana device's attachment had no entry block in the published
    /// graph (received frames go to the stack instead).
    NoEntry,
    /// A block passed the packet on but nothing is bound in that direction.
    NoNext,
    /// The packet exceeded the hop limit (a cycle in the graph).
    HopLimit,
    /// A block left a copy for a port nothing is bound to.
    NoPort,
    /// A copy found this CPU's backlog full.
    BacklogFull,
    /// A queued copy's block was gone when its turn came.
    Stale,
    /// A block's verdict has no meaning in the packet's direction (a `host`
    /// block reached by an egress packet).
    WrongDirection,
    /// A copy of a copy beyond the generations a copy may have: a port
    /// bound so that copies come back to the block that makes them.
    CopyDepth,
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
    // The next five are counted as DropBlock + the block's DropReason
    // (EngineStats::drop_index) and never named: rustc 1.85 (Debian 13's)
    // calls them dead code.
    #[allow(dead_code)]
    DropMalformed,
    #[allow(dead_code)]
    DropOtherHost,
    #[allow(dead_code)]
    DropFiltered,
    #[allow(dead_code)]
    DropNoDevice,
    #[allow(dead_code)]
    DropNoMemory,
    DropNoPort,
    DropBacklogFull,
    DropStale,
    DropWrongDirection,
    /// Egress packets the device below the graph refused.
    DropTxError,
    /// Copies queued on a backlog.
    Queued,
    /// Packets handed to the Linux stack (`host` blocks).
    ToStack,
    /// Packets a block took (`xmit` transmitted them).
    Consumed,
    /// Egress packets that left on the device attached at the bottom.
    Transmitted,
    /// Ingress packets received on the lana device attached at the top.
    Delivered,
    /// Frames of a device with tagged attachments that carried no
    /// attachment's tag: left to the Linux stack.
    ToStackNoTag,
    /// Frames of a device whose attachment the published graph does not
    /// hold yet (a batch registers its new devices before it publishes):
    /// left to the Linux stack, as if the device were not attached.
    ToStackNoEntry,
    /// Copies of copies beyond the backlog's `COPY_GENERATIONS` (8),
    /// dropped.
    DropCopyDepth,
}

pub(crate) const COUNT: usize = 24;
const _: () = assert!(Counter::DropCopyDepth as usize + 1 == COUNT);

// A block's drop reason indexes the drop counters from `DropBlock` on.
const _: () = {
    let base = Counter::DropBlock as usize;
    assert!(Counter::DropMalformed as usize == base + DropReason::Malformed as usize);
    assert!(Counter::DropOtherHost as usize == base + DropReason::OtherHost as usize);
    assert!(Counter::DropFiltered as usize == base + DropReason::Filtered as usize);
    assert!(Counter::DropNoDevice as usize == base + DropReason::NoDevice as usize);
    assert!(Counter::DropNoMemory as usize == base + DropReason::NoMemory as usize);
    assert!(DropReason::DropBlock as usize == 0);
};

/// Names as `lanactl stats` shows them, in `Counter` order.
const NAMES: [&CStr; COUNT] = [
    c"packets",
    c"hops",
    c"drop_no_entry",
    c"drop_no_next",
    c"drop_hop_limit",
    c"drop_block",
    c"drop_malformed",
    c"drop_other_host",
    c"drop_filtered",
    c"drop_no_device",
    c"drop_no_memory",
    c"drop_no_port",
    c"drop_backlog_full",
    c"drop_stale",
    c"drop_wrong_direction",
    c"drop_tx_error",
    c"queued",
    c"to_stack",
    c"consumed",
    c"transmitted",
    c"delivered",
    c"to_stack_no_tag",
    c"to_stack_no_entry",
    c"drop_copy_depth",
];

impl From<EngineDrop> for Counter {
    fn from(reason: EngineDrop) -> Self {
        match reason {
            EngineDrop::NoEntry => Counter::DropNoEntry,
            EngineDrop::NoNext => Counter::DropNoNext,
            EngineDrop::HopLimit => Counter::DropHopLimit,
            EngineDrop::NoPort => Counter::DropNoPort,
            EngineDrop::BacklogFull => Counter::DropBacklogFull,
            EngineDrop::Stale => Counter::DropStale,
            EngineDrop::WrongDirection => Counter::DropWrongDirection,
            EngineDrop::CopyDepth => Counter::DropCopyDepth,
        }
    }
}

/// The engine's counters.
///
/// Frames from a device's entry are counted by the snapshot's tally (see
/// `crate::tally`), folded in here when the snapshot retires; the rest
/// count here directly.
pub(crate) struct EngineStats {
    counters: PerCpuCounters<COUNT>,
    /// What retired snapshots' tallies counted, per CPU. Written only by
    /// the engine under its control lock, never by the packet path.
    folded: PerCpuCounters<COUNT>,
}

impl EngineStats {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            counters: PerCpuCounters::new()?,
            folded: PerCpuCounters::new()?,
        })
    }

    /// Adds what a retired snapshot counted on `cpu`.
    pub(crate) fn fold(&self, cpu: u32, counter: usize, value: u64) {
        self.folded.add_on(cpu, counter, value);
    }

    #[inline]
    pub(crate) fn add(&self, bh: &BhContext, counter: Counter, value: u64) {
        self.counters.add(bh, counter as usize, value);
    }

    /// Adds `value` to counter `index` (a [`Counter`]) on this CPU.
    #[inline]
    pub(crate) fn add_index(&self, bh: &BhContext, index: usize, value: u64) {
        self.counters.add(bh, index, value);
    }

    /// The counter of drops by a block for `reason`.
    #[inline]
    pub(crate) const fn drop_index(reason: DropReason) -> usize {
        // `DropReason` is in the order of the drop counters from DropBlock.
        Counter::DropBlock as usize + reason as usize
    }

    /// The name `lanactl stats` shows for counter `index`.
    pub(crate) fn name(index: usize) -> &'static CStr {
        NAMES.get(index).copied().unwrap_or(c"unknown")
    }

    /// One counter summed over CPUs, without what a published snapshot
    /// holds.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn total(&self, counter: Counter) -> u64 {
        let index = counter as usize;
        self.counters
            .sum(index)
            .wrapping_add(self.folded.sum(index))
    }

    /// Reports every counter summed over CPUs, with `live` added.
    pub(crate) fn report(&self, sink: &mut dyn StatSink, live: &Live<COUNT>) -> Result {
        for (index, name) in NAMES.iter().enumerate() {
            live.report(sink, name, &self.counters, &self.folded, index)?;
        }
        Ok(())
    }
}
