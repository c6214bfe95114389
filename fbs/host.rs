// SPDX-License-Identifier: GPL-2.0

//! `host`: a terminal block that hands every packet to the Linux stack, as
//! if lana-rs were not there, so a graph can watch or filter the traffic of
//! a host that keeps working.

use kernel::{prelude::*, sync::Arc};

use crate::block::{
    report_counter, Block, BlockType, PacketCx, PerCpuCounters, SkBuff, StatSink, Verdict,
};

pub(crate) const TYPE: BlockType = BlockType {
    name: c"host",
    description: c"hands every packet to the Linux stack (terminal)",
    keys: &[],
    ports: &[],
    new,
};

const DELIVERED: usize = 0;

struct Host {
    counts: PerCpuCounters<1>,
}

fn new() -> Result<Arc<dyn Block>> {
    Ok(Arc::new(
        Host {
            counts: PerCpuCounters::new()?,
        },
        GFP_KERNEL,
    )?)
}

impl Block for Host {
    fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        self.counts.add(cx.bh(), DELIVERED, 1);
        Verdict::Host(skb)
    }

    fn stats(&self, sink: &mut dyn StatSink) -> Result {
        report_counter(sink, c"delivered", &self.counts, DELIVERED, 0)
    }
}
