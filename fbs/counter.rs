// SPDX-License-Identifier: GPL-2.0

//! `counter`: counts packets and bytes per CPU, passes every packet on.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{prelude::*, sync::Arc};

use crate::block::{
    report_counter, Block, BlockType, PacketCx, PerCpuCounters, SkBuff, StatSink, State, Verdict,
};
use crate::error::CtlResult;

pub(crate) const TYPE: BlockType = BlockType {
    name: c"counter",
    description: c"counts packets and bytes (per CPU, summed on read), passes them on",
    keys: &[],
    ports: &[],
    new,
};

const PACKETS: usize = 0;
const BYTES: usize = 1;
const COUNTERS: usize = 2;

struct Counter {
    counts: PerCpuCounters<COUNTERS>,
    /// Totals carried over from the counters this one replaced, added on
    /// read: the packet path never touches them.
    carried: [AtomicU64; COUNTERS],
}

fn new() -> Result<Arc<dyn Block>> {
    Ok(Arc::new(
        Counter {
            counts: PerCpuCounters::new()?,
            carried: [const { AtomicU64::new(0) }; COUNTERS],
        },
        GFP_KERNEL,
    )?)
}

impl Counter {
    fn total(&self, index: usize) -> u64 {
        self.counts
            .sum(index)
            .wrapping_add(self.carried[index].load(Ordering::Relaxed))
    }
}

impl Block for Counter {
    #[inline]
    fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        let bh = cx.bh();
        self.counts.add(bh, PACKETS, 1);
        // Bytes as an interface counter sees them: from the link-layer header.
        self.counts.add(bh, BYTES, u64::from(skb.frame_len()));
        Verdict::Pass(skb)
    }

    fn stats(&self, sink: &mut dyn StatSink) -> Result {
        for (index, name) in [(PACKETS, c"packets"), (BYTES, c"bytes")] {
            let carried = self.carried[index].load(Ordering::Relaxed);
            report_counter(sink, name, &self.counts, index, carried)?;
        }
        Ok(())
    }

    fn export_state(&self) -> Result<Option<State>> {
        let mut totals = KVec::with_capacity(COUNTERS, GFP_KERNEL)?;
        for index in 0..COUNTERS {
            totals.push(self.total(index), GFP_KERNEL)?;
        }
        Ok(Some(State(totals)))
    }

    fn reset(&self) -> CtlResult {
        // The packet path keeps counting undisturbed: the carried total is
        // moved so that what readers see starts again from zero.
        for (index, carried) in self.carried.iter().enumerate() {
            carried.fetch_sub(self.total(index), Ordering::Relaxed);
        }
        Ok(())
    }

    fn import_state(&self, state: &State) {
        for (carried, value) in self.carried.iter().zip(state.0.iter()) {
            carried.fetch_add(*value, Ordering::Relaxed);
        }
    }
}
