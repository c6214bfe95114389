// SPDX-License-Identifier: GPL-2.0

//! The functional-block library: one file per block type.
//!
//! Blocks use only the engine's safe API (`crate::block`): no `unsafe` here.

mod bpf;
mod counter;
mod drop;
mod eth;
mod forward;
mod host;
mod tee;
mod xmit;

use kernel::sync::Arc;

use crate::block::{Block, BlockType, InlineCx, PacketCx, SkBuff, Step, Verdict};

/// Every block type the module offers, in the order `lanactl types` lists them.
pub(crate) static TYPES: [BlockType; 8] = [
    bpf::TYPE,
    counter::TYPE,
    drop::TYPE,
    eth::TYPE,
    forward::TYPE,
    host::TYPE,
    tee::TYPE,
    xmit::TYPE,
];

/// The block type called `name`.
pub(crate) fn find(name: &[u8]) -> Option<&'static BlockType> {
    TYPES.iter().find(|t| t.name.to_bytes() == name)
}

/// A block instance with its type known.
///
/// The packet path calls a block through this, not through `dyn Block`: a
/// `match` and a direct call, which the compiler inlines for the small
/// blocks, where a call through the vtable costs a load of the vtable, the
/// call and return, and the verdict handed back through registers at every
/// hop (make bench). The control path uses [`Instance::block`].
#[derive(Clone)]
pub(crate) enum Instance {
    // With an in-line part, tested in this order.
    Forward(Arc<forward::Forward>),
    Eth(Arc<eth::Eth>),
    Drop(Arc<drop::DropAll>),
    Counter(Arc<counter::Counter>),
    Host(Arc<host::Host>),
    // Called.
    Bpf(Arc<bpf::Bpf>),
    Tee(Arc<tee::Tee>),
    Xmit(Arc<xmit::Xmit>),
}

impl Instance {
    /// The block, for the control path.
    pub(crate) fn block(&self) -> Arc<dyn Block> {
        match self.clone() {
            Self::Bpf(b) => b,
            Self::Counter(b) => b,
            Self::Drop(b) => b,
            Self::Eth(b) => b,
            Self::Forward(b) => b,
            Self::Host(b) => b,
            Self::Tee(b) => b,
            Self::Xmit(b) => b,
        }
    }

    /// Hands one packet to the block ([`Block::receive`]), out of line for
    /// all but the smallest blocks.
    #[inline(always)]
    pub(crate) fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        match self {
            Self::Forward(b) => b.receive(skb, cx),
            Self::Eth(b) => b.receive(skb, cx),
            Self::Drop(b) => b.receive(skb, cx),
            Self::Counter(b) => b.receive(skb, cx),
            Self::Host(b) => b.receive(skb, cx),
            Self::Bpf(b) => b.receive(skb, cx),
            Self::Tee(b) => b.receive(skb, cx),
            Self::Xmit(b) => b.receive(skb, cx),
        }
    }

    /// Hands one packet to the block's in-line part
    /// ([`Block::receive_inline`]): the types with one are tested first, in
    /// the order of their discriminants.
    #[inline(always)]
    pub(crate) fn receive_inline(&self, skb: SkBuff, cx: &InlineCx<'_>) -> Result<Step, SkBuff> {
        match self {
            Self::Forward(b) => b.receive_inline(skb, cx),
            Self::Eth(b) => b.receive_inline(skb, cx),
            Self::Drop(b) => b.receive_inline(skb, cx),
            Self::Counter(b) => b.receive_inline(skb, cx),
            Self::Host(b) => b.receive_inline(skb, cx),
            // None (yet): the trait's default hands the packet back.
            Self::Bpf(b) => b.receive_inline(skb, cx),
            Self::Tee(b) => b.receive_inline(skb, cx),
            Self::Xmit(b) => b.receive_inline(skb, cx),
        }
    }
}
