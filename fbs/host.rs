// SPDX-License-Identifier: GPL-2.0-only

//! `host`: a terminal block that hands every packet to the Linux stack, as
//! if lana-rs were not there, so a graph can watch or filter the traffic of
//! a host that keeps working.

use kernel::{prelude::*, sync::Arc};

use crate::block::{
    Block, BlockType, CounterSet, Counters, InlineCx, Instance, PacketCx, SkBuff, Step, Verdict,
};

pub(crate) const TYPE: BlockType = BlockType {
    name: c"host",
    description: c"hands every packet to the Linux stack (terminal)",
    keys: &[],
    ports: &[],
    new,
};

const DELIVERED: usize = 0;

/// The counters, by index.
const NAMES: [&CStr; 1] = [c"delivered"];

pub(crate) struct Host {
    counts: Counters<1>,
}

fn new() -> Result<Instance> {
    Ok(Instance::Host(Arc::new(
        Host {
            counts: Counters::new(&NAMES)?,
        },
        GFP_KERNEL,
    )?))
}

impl Host {
    #[inline(always)]
    fn step(&self, skb: SkBuff, cx: &InlineCx<'_>) -> Step {
        self.counts.add(cx.bh(), DELIVERED, 1);
        Step::Host(skb)
    }
}

impl Block for Host {
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
