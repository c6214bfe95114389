// SPDX-License-Identifier: GPL-2.0

//! Engine-wide per-CPU counters: packets, hops and drops by reason.

use kernel::prelude::*;

use crate::block::{report_counter, BhContext, DropReason, PerCpuCounters, StatSink};

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
    DropMalformed,
    DropOtherHost,
    DropFiltered,
    DropNoDevice,
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
}

const COUNT: usize = 23;
const _: () = assert!(Counter::ToStackNoEntry as usize + 1 == COUNT);

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

    /// Counts a drop by a block, under its reason; returns the counter.
    #[inline]
    pub(crate) fn add_block_drop(&self, bh: &BhContext, reason: DropReason) -> usize {
        // `DropReason` is in the order of the drop counters from DropBlock.
        let index = Counter::DropBlock as usize + reason as usize;
        self.counters.add(bh, index, 1);
        index
    }

    /// The name `lanactl stats` shows for counter `index`.
    pub(crate) fn name(index: usize) -> &'static CStr {
        NAMES.get(index).copied().unwrap_or(c"unknown")
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
