// SPDX-License-Identifier: GPL-2.0

//! `drop`: a terminal block that frees every packet it receives, counted.

use kernel::{prelude::*, sync::Arc};

use crate::block::{
    report_counter, BhContext, Block, BlockType, Direction, DropReason, PerCpuCounters, SkBuff,
    StatSink, Verdict,
};

pub(crate) const TYPE: BlockType = BlockType {
    name: c"drop",
    description: c"drops every packet, counted",
    new,
};

const DROPPED: usize = 0;

struct DropAll {
    counts: PerCpuCounters<1>,
}

fn new() -> Result<Arc<dyn Block>> {
    Ok(Arc::new(
        DropAll {
            counts: PerCpuCounters::new()?,
        },
        GFP_KERNEL,
    )?)
}

impl Block for DropAll {
    #[inline]
    fn receive(&self, skb: SkBuff, _dir: Direction, bh: &BhContext) -> Verdict {
        self.counts.add(bh, DROPPED, 1);
        Verdict::Drop(skb, DropReason::DropBlock)
    }

    fn stats(&self, sink: &mut dyn StatSink) -> Result {
        report_counter(sink, c"dropped", &self.counts, DROPPED, 0)
    }
}
