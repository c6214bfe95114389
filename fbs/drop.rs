// SPDX-License-Identifier: GPL-2.0-only

//! `drop`: a terminal block that frees every packet it receives, counted.

use kernel::{
    new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
};

use crate::block::{
    Block, BlockType, ConfigSink, CounterSet, Counters, DropReason, InlineCx, Instance, Key,
    Namespace, PacketCx, Prepared, Setting, SkBuff, StatSink, Step, Verdict,
};
use crate::error::CtlResult;
use crate::name::Name;

pub(crate) const TYPE: BlockType = BlockType {
    name: c"drop",
    description: c"drops every packet, counted",
    keys: &[Key {
        name: c"reason",
        syntax: c"label: 1-31 of A-Z a-z 0-9 _ . : -",
        default: c"drop",
        help: c"why this block drops, shown by get and show",
    }],
    ports: &[],
    new,
};

const DEFAULT_REASON: Name = Name::literal(b"drop");
const DROPPED: usize = 0;

/// The counters, by index.
const NAMES: [&CStr; 1] = [c"dropped"];

#[pin_data]
pub(crate) struct DropAll {
    counts: Counters<1>,
    /// Only read on the control path.
    #[pin]
    reason: Mutex<Name>,
}

fn new() -> Result<Instance> {
    let counts = Counters::new(&NAMES)?;
    let block: Arc<DropAll> = Arc::pin_init(
        pin_init!(DropAll {
            counts,
            reason <- new_mutex!(DEFAULT_REASON),
        }),
        GFP_KERNEL,
    )?;
    Ok(Instance::Drop(block))
}

impl DropAll {
    #[inline(always)]
    fn step(&self, skb: SkBuff, cx: &InlineCx<'_>) -> Step {
        self.counts.add(cx.bh(), DROPPED, 1);
        Step::Drop(skb, DropReason::DropBlock)
    }
}

impl Block for DropAll {
    fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        cx.verdict(self.step(skb, &cx.inline()))
    }

    #[inline(always)]
    fn receive_inline(&self, skb: SkBuff, cx: &InlineCx<'_>) -> Result<Step, SkBuff> {
        Ok(self.step(skb, cx))
    }

    fn counters(&self) -> Option<&dyn CounterSet> {
        Some(&self.counts)
    }

    fn stats(&self, sink: &mut dyn StatSink) -> Result {
        self.counts.report(sink)?;
        // Copied out first: the sink may allocate, under no lock of ours.
        let reason = *self.reason.lock();
        sink.label(c"reason", reason.as_bytes())
    }

    fn prepare(&self, settings: &[Setting<'_>], _net: &Namespace) -> CtlResult<Prepared> {
        let mut reason = None;
        for setting in settings {
            // `reason` is the only key (the engine checked).
            reason = Some(Name::new(setting.value.as_bytes(), "reason")?);
        }
        match reason {
            Some(reason) => Ok(Prepared::new(reason)?),
            None => Ok(Prepared::nothing()),
        }
    }

    fn commit(&self, prepared: Prepared) {
        if let Some(reason) = prepared.take::<Name>() {
            *self.reason.lock() = reason;
        }
    }

    fn config(&self, sink: &mut dyn ConfigSink) -> Result {
        let reason = *self.reason.lock();
        sink.option(c"reason", reason.as_bytes())
    }
}
