// SPDX-License-Identifier: GPL-2.0

//! `counter`: counts packets and bytes per CPU, passes every packet on.

use kernel::{prelude::*, sync::Arc};

use crate::block::{
    BhContext, Block, BlockType, Direction, PerCpuCounters, SkBuff, StatSink, Verdict,
};

pub(crate) const TYPE: BlockType = BlockType {
    name: c"counter",
    description: c"counts packets and bytes (per CPU, summed on read), passes them on",
    new,
};

const PACKETS: usize = 0;
const BYTES: usize = 1;

struct Counter {
    counts: PerCpuCounters<2>,
}

fn new() -> Result<Arc<dyn Block>> {
    Ok(Arc::new(
        Counter {
            counts: PerCpuCounters::new()?,
        },
        GFP_KERNEL,
    )?)
}

impl Block for Counter {
    #[inline]
    fn receive(&self, skb: SkBuff, _dir: Direction, bh: &BhContext) -> Verdict {
        self.counts.add(bh, PACKETS, 1);
        // Bytes as an interface counter sees them: from the link-layer header.
        self.counts.add(bh, BYTES, u64::from(skb.frame_len()));
        Verdict::Pass(skb)
    }

    fn stats(&self, sink: &mut dyn StatSink) -> Result {
        sink.stat(c"packets", self.counts.sum(PACKETS))?;
        sink.stat(c"bytes", self.counts.sum(BYTES))
    }
}
