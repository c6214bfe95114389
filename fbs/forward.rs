// SPDX-License-Identifier: GPL-2.0-only

//! `forward`: passes every packet on unchanged. The paper's dummy block, and
//! the probe for the engine's cost per hop.

use kernel::{prelude::*, sync::Arc};

use crate::block::{Block, BlockType, InlineCx, Instance, PacketCx, SkBuff, Step, Verdict};

pub(crate) const TYPE: BlockType = BlockType {
    name: c"forward",
    description: c"passes every packet to the next block",
    keys: &[],
    ports: &[],
    new,
};

pub(crate) struct Forward;

fn new() -> Result<Instance> {
    Ok(Instance::Forward(Arc::new(Forward, GFP_KERNEL)?))
}

impl Block for Forward {
    fn receive(&self, skb: SkBuff, _cx: &PacketCx<'_>) -> Verdict {
        Verdict::Pass(skb)
    }

    #[inline(always)]
    fn receive_inline(&self, skb: SkBuff, _cx: &InlineCx<'_>) -> Result<Step, SkBuff> {
        Ok(Step::Pass(skb))
    }
}
