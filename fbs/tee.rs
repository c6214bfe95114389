// SPDX-License-Identifier: GPL-2.0

//! `tee`: every packet continues on the main path; a copy goes to the block
//! bound to port `clone`, through this CPU's backlog.

use kernel::{prelude::*, sync::Arc};

use crate::block::{
    report_counter, Block, BlockType, PacketCx, PerCpuCounters, SkBuff, StatSink, Verdict,
};

pub(crate) const TYPE: BlockType = BlockType {
    name: c"tee",
    description: c"passes every packet on and sends a copy to port 'clone'",
    keys: &[],
    ports: &[c"clone"],
    new,
};

/// Index of port `clone` in `TYPE.ports`.
const CLONE_PORT: usize = 0;

const COPIES: usize = 0;
const COPY_FAILED: usize = 1;

struct Tee {
    counts: PerCpuCounters<2>,
}

fn new() -> Result<Arc<dyn Block>> {
    Ok(Arc::new(
        Tee {
            counts: PerCpuCounters::new()?,
        },
        GFP_KERNEL,
    )?)
}

impl Block for Tee {
    fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        match skb.clone_shared() {
            Some(copy) => {
                self.counts.add(cx.bh(), COPIES, 1);
                cx.copy_to(CLONE_PORT, copy);
                Verdict::PassWithCopy(skb)
            }
            // No memory for a copy: the main path goes on regardless.
            None => {
                self.counts.add(cx.bh(), COPY_FAILED, 1);
                Verdict::Pass(skb)
            }
        }
    }

    fn stats(&self, sink: &mut dyn StatSink) -> Result {
        report_counter(sink, c"copies", &self.counts, COPIES, 0)?;
        report_counter(sink, c"copy_failed", &self.counts, COPY_FAILED, 0)
    }
}
