// SPDX-License-Identifier: GPL-2.0-only

//! `counter`: counts packets and bytes per CPU, passes every packet on.

use kernel::{prelude::*, sync::Arc};

use crate::block::{
    Block, BlockType, CounterSet, Counters, InlineCx, Instance, PacketCx, SkBuff, Step, Verdict,
};

pub(crate) const TYPE: BlockType = BlockType {
    name: c"counter",
    description: c"counts packets and bytes (per CPU, summed on read), passes them on",
    keys: &[],
    ports: &[],
    new,
};

const PACKETS: usize = 0;
const BYTES: usize = 1;

/// The counters, by index.
const NAMES: [&CStr; 2] = [c"packets", c"bytes"];

pub(crate) struct Counter {
    counts: Counters<2>,
}

fn new() -> Result<Instance> {
    Ok(Instance::Counter(Arc::new(
        Counter {
            counts: Counters::new(&NAMES)?,
        },
        GFP_KERNEL,
    )?))
}

impl Counter {
    #[inline(always)]
    fn step(&self, skb: SkBuff, cx: &InlineCx<'_>) -> Step {
        let bh = cx.bh();
        self.counts.add(bh, PACKETS, 1);
        // Bytes as an interface counter sees them: from the link-layer header.
        self.counts.add(bh, BYTES, u64::from(skb.frame_len()));
        Step::Pass(skb)
    }
}

impl Block for Counter {
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
}
