// SPDX-License-Identifier: GPL-2.0

//! The packet path's view of the graph: an immutable snapshot.
//!
//! Built by the control path from the [`Registry`] whenever it changes, then
//! published under RCU; the packet path follows it with no lock, no reference
//! count per hop and no allocation. Nodes hold `Arc`s to their blocks, so a
//! removed block lives until the last snapshot that could reach it is freed
//! after its grace period.

use kernel::{prelude::*, sync::Arc};

use crate::block::{BhContext, Block, Direction, SkBuff, Verdict};
use crate::registry::Registry;
use crate::stats::{Counter, EngineDrop, EngineStats};

/// Most blocks a packet may visit; a packet going round a cycle is dropped
/// and counted when it reaches this.
pub(crate) const HOP_LIMIT: u32 = 64;

struct Node {
    block: Arc<dyn Block>,
    /// Index of the next node upward (ingress).
    up: Option<u32>,
}

/// An immutable graph snapshot.
///
/// # Invariants
///
/// Every `up` and every entry is an index into `nodes`.
pub(crate) struct Graph {
    nodes: KVec<Node>,
    /// Entry node per attachment slot.
    entries: KVec<Option<u32>>,
}

impl Graph {
    /// Builds the snapshot of `registry` with `attachments` (slot, block id).
    pub(crate) fn build(
        registry: &Registry,
        attachments: impl Iterator<Item = (usize, u32)>,
    ) -> Result<KBox<Self>> {
        let index = |id: u32| registry.index_of(id).map(|i| i as u32);
        let mut nodes = KVec::with_capacity(registry.entries().len(), GFP_KERNEL)?;
        for entry in registry.entries() {
            nodes.push(
                Node {
                    block: entry.block.clone(),
                    up: entry.upper.and_then(index),
                },
                GFP_KERNEL,
            )?;
        }
        let mut entries = KVec::new();
        for (slot, block) in attachments {
            if entries.len() <= slot {
                entries.resize(slot + 1, None, GFP_KERNEL)?;
            }
            entries[slot] = index(block);
        }
        // INVARIANT: Indices come from `registry.index_of`, the node order.
        Ok(KBox::new(Self { nodes, entries }, GFP_KERNEL)?)
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
        let Some(mut index) = self.entries.get(slot).copied().flatten() else {
            return drop_packet(skb, EngineDrop::NoEntry, bh, stats);
        };
        let mut skb = skb;
        let mut hops = 0;
        let result = loop {
            let node = &self.nodes[index as usize];
            hops += 1;
            match node.block.receive(skb, Direction::Ingress, bh) {
                Verdict::Pass(passed) => {
                    skb = passed;
                    match node.up {
                        None => break drop_packet(skb, EngineDrop::NoNext, bh, stats),
                        Some(_) if hops >= HOP_LIMIT => {
                            break drop_packet(skb, EngineDrop::HopLimit, bh, stats)
                        }
                        Some(next) => index = next,
                    }
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
