// SPDX-License-Identifier: GPL-2.0-only

//! The tally: each frame from a device's entry counted once.
//!
//! A frame received on an attached device walks the lane from its entry and
//! ends at one of the walk's stages, in one way: passed on by the last
//! stage (it leaves by the walk's exit, counted there, or at the hop
//! limit), handed to the stack, consumed, or dropped for a reason. A graph
//! snapshot keeps one count per CPU for each (entry walk, stage, way), and a
//! frame adds one to it: that one count stands for the five the engine kept
//! before (the packet, its hops, its walk's start and end at their blocks,
//! and the way it ended), and one addition costs less than five on every
//! frame (make bench).
//!
//! Readers add what the published snapshot's tally holds to the counters
//! they report; when a snapshot retires, after its grace period, its tally
//! is folded into the engine's and the blocks' counters (`Graph::fold`),
//! under the engine's control lock, which readers hold too: no count is
//! ever missing or seen twice.

use kernel::prelude::*;

use crate::block::{BhContext, DropReason};
use crate::stats::Counter;
use crate::vlink::percpu::PerCpuArray;

/// The frame passed the walk's last stage.
pub(crate) const PASSED: u32 = 0;
/// A block handed the frame to the Linux stack.
pub(crate) const TO_STACK: u32 = 1;
/// A block took the frame.
pub(crate) const CONSUMED: u32 = 2;
/// A block dropped the frame: add the [`DropReason`].
const DROPPED: u32 = 3;
/// The ways a walk ends: a stage's counts in the tally.
pub(crate) const OUTCOMES: u32 = DROPPED + DropReason::NoMemory as u32 + 1;

/// The way a walk ends when a block drops the frame for `reason`.
#[inline(always)]
pub(crate) const fn dropped(reason: DropReason) -> u32 {
    DROPPED + reason as u32
}

/// The engine counter the way `outcome` adds to: none for [`PASSED`], whose
/// exit counts how the frame left.
pub(crate) fn counter_of(outcome: u32) -> Option<usize> {
    match outcome {
        TO_STACK => Some(Counter::ToStack as usize),
        CONSUMED => Some(Counter::Consumed as usize),
        o if (DROPPED..OUTCOMES).contains(&o) => {
            Some(Counter::DropBlock as usize + (o - DROPPED) as usize)
        }
        _ => None,
    }
}

/// A snapshot's counts of the frames from its entries, per CPU.
pub(crate) struct Tally {
    counts: PerCpuArray,
}

impl Tally {
    /// A tally of (at least) `slots` counts per CPU, all zero: `spare`, the
    /// tally of a retired snapshot, if it has room, else a new one. Every
    /// change to the graph builds a snapshot: reusing the last one's tally
    /// spares the per-CPU allocator an allocation and a free each time.
    pub(crate) fn new(slots: usize, spare: &mut Option<Tally>) -> Result<Self> {
        if let Some(tally) = spare.take_if(|t| t.counts.len() >= slots) {
            return Ok(tally);
        }
        Ok(Self {
            counts: PerCpuArray::new(slots)?,
        })
    }

    /// Makes this tally, whose snapshot has retired and been folded, the
    /// spare for the next snapshot (the larger of it and `spare`).
    pub(crate) fn recycle(mut self, spare: &mut Option<Tally>) {
        if spare
            .as_ref()
            .is_some_and(|s| s.counts.len() >= self.counts.len())
        {
            return;
        }
        self.counts.clear();
        *spare = Some(self);
    }

    /// Counts a frame in `slot` on this CPU.
    #[inline(always)]
    pub(crate) fn count(&self, bh: &BhContext, slot: u32) {
        self.counts.increment(bh, slot as usize);
    }

    /// The count in `slot` on `cpu`, a possible CPU.
    pub(crate) fn get(&self, cpu: u32, slot: u32) -> u64 {
        self.counts.get(cpu, slot as usize)
    }
}
