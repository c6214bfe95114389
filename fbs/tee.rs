// SPDX-License-Identifier: GPL-2.0-only

//! `tee`: every packet continues on the main path; a copy goes to the block
//! bound to port `clone`, through this CPU's backlog.

use kernel::{prelude::*, sync::Arc};

use crate::block::{Block, BlockType, CounterSet, Counters, Instance, PacketCx, SkBuff, Verdict};

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

/// The counters, by index.
const NAMES: [&CStr; 2] = [c"copies", c"copy_failed"];

pub(crate) struct Tee {
    counts: Counters<2>,
}

fn new() -> Result<Instance> {
    Ok(Instance::Tee(Arc::new(
        Tee {
            counts: Counters::new(&NAMES)?,
        },
        GFP_KERNEL,
    )?))
}

impl Block for Tee {
    fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        match skb.clone_shared() {
            Some(copy) => {
                self.counts.add(cx.bh(), COPIES, 1);
                cx.pass_with_copy(skb, CLONE_PORT, copy)
            }
            // No memory for a copy: the main path goes on regardless.
            None => {
                self.counts.add(cx.bh(), COPY_FAILED, 1);
                Verdict::Pass(skb)
            }
        }
    }

    fn counters(&self) -> Option<&dyn CounterSet> {
        Some(&self.counts)
    }
}
