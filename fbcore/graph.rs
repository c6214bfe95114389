// SPDX-License-Identifier: GPL-2.0

//! The packet path's view of the graph: an immutable snapshot.
//!
//! Built by the control path from the [`Registry`] whenever it changes, then
//! published under RCU; the packet path follows it with no lock, no reference
//! count per hop and no allocation. Nodes hold `Arc`s to their blocks, so a
//! removed block lives until the last snapshot that could reach it is freed
//! after its grace period.

use kernel::prelude::*;

use crate::block::{BhContext, Block, Direction, SkBuff, Verdict};
use crate::registry::Registry;
use crate::stats::{Counter, EngineDrop, EngineStats};
use crate::vlink::arc_ptr::ArcPtr;

/// Most blocks a packet may visit; a packet going round a cycle is dropped
/// and counted when it reaches this.
pub(crate) const HOP_LIMIT: u32 = 64;

/// Marks "no node" in an index: out of bounds of any node array, so one
/// bounds check both validates an index and detects its absence.
const NONE: u32 = u32::MAX;

struct Node {
    block: ArcPtr<dyn Block>,
    /// Index of the next node upward (ingress), or [`NONE`].
    up: u32,
}

/// An immutable graph snapshot.
///
/// # Invariants
///
/// Every `up` and every entry is an index into `nodes` or [`NONE`].
pub(crate) struct Graph {
    nodes: KVec<Node>,
    /// Entry node per attachment slot, or [`NONE`].
    entries: KVec<u32>,
}

impl Graph {
    /// Builds the snapshot of `registry` with `attachments` (slot, block id).
    pub(crate) fn build(
        registry: &Registry,
        attachments: impl Iterator<Item = (usize, u32)>,
    ) -> Result<KBox<Self>> {
        let index = |id: Option<u32>| {
            id.and_then(|id| registry.index_of(id))
                .map_or(NONE, |i| i as u32)
        };
        let mut nodes = KVec::with_capacity(registry.entries().len(), GFP_KERNEL)?;
        for entry in registry.entries() {
            nodes.push(
                Node {
                    block: ArcPtr::new(entry.block.clone()),
                    up: index(entry.upper),
                },
                GFP_KERNEL,
            )?;
        }
        let mut entries = KVec::new();
        for (slot, block) in attachments {
            if entries.len() <= slot {
                entries.resize(slot + 1, NONE, GFP_KERNEL)?;
            }
            entries[slot] = index(Some(block));
        }
        // INVARIANT: Indices come from `registry.index_of`, the node order.
        Ok(KBox::new(Self { nodes, entries }, GFP_KERNEL)?)
    }

    fn node(&self, index: u32) -> Option<&Node> {
        self.nodes.get(index as usize)
    }

    /// Runs a packet received on attachment `slot` through the graph.
    /// Returns the packet if it should continue into the Linux stack.
    #[inline]
    pub(crate) fn receive(
        &self,
        slot: usize,
        skb: SkBuff,
        bh: &BhContext,
        stats: &EngineStats,
    ) -> Option<SkBuff> {
        let entry = self.entries.get(slot).copied().unwrap_or(NONE);
        let Some(mut node) = self.node(entry) else {
            return drop_packet(skb, EngineDrop::NoEntry, bh, stats);
        };
        let mut skb = skb;
        let mut hops = 1;
        let result = loop {
            match node.block.receive(skb, Direction::Ingress, bh) {
                Verdict::Pass(passed) => {
                    skb = passed;
                    let Some(next) = self.node(node.up) else {
                        break drop_packet(skb, EngineDrop::NoNext, bh, stats);
                    };
                    if hops == HOP_LIMIT {
                        break drop_packet(skb, EngineDrop::HopLimit, bh, stats);
                    }
                    // Bounded by HOP_LIMIT just above.
                    hops = hops.wrapping_add(1);
                    node = next;
                }
                Verdict::Drop(skb, reason) => {
                    break drop_packet(skb, EngineDrop::Block(reason), bh, stats)
                }
            }
        };
        stats.add(bh, Counter::Hops, u64::from(hops));
        result
    }
}

#[inline]
fn drop_packet(
    skb: SkBuff,
    reason: EngineDrop,
    bh: &BhContext,
    stats: &EngineStats,
) -> Option<SkBuff> {
    stats.add(bh, reason.into(), 1);
    drop(skb);
    None
}
