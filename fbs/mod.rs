// SPDX-License-Identifier: GPL-2.0-only

//! The functional-block library: one file per block type.
//!
//! Blocks use only the engine's safe API (`crate::block`): no `unsafe` here.

use kernel::sync::Arc;

use crate::block::{Block, BlockType, InlineCx, PacketCx, SkBuff, Step, Verdict};

/// Declares the block types, each as `Variant(module::Type)`: the module
/// (one file, with its `TYPE` and a `new` that returns its variant), the
/// [`TYPES`] entry, and the [`Instance`] variant with its dispatch. Adding
/// a block type is its file and one line here.
macro_rules! block_types {
    ($($variant:ident($module:ident::$block:ident),)+) => {
        $(mod $module;)+

        /// Every block type the module offers, in the order below
        /// (`lanactl types` sorts them by name).
        pub(crate) static TYPES: [BlockType; [$(stringify!($variant)),+].len()] =
            [$($module::TYPE),+];

        /// Each type's place in [`TYPES`].
        enum TypeIndex {
            $($variant,)+
        }

        /// A block instance with its type known.
        ///
        /// The packet path calls a block through this, not through `dyn
        /// Block`: a `match` and a direct call, which the compiler inlines
        /// for the small blocks, where a call through the vtable costs a
        /// load of the vtable, the call and return, and the verdict handed
        /// back through registers at every hop (make bench). The control
        /// path uses [`Instance::as_block`] (or [`Instance::block`] to keep
        /// it).
        #[derive(Clone)]
        pub(crate) enum Instance {
            $($variant(Arc<$module::$block>),)+
        }

        impl Instance {
            /// The block, for the control path.
            pub(crate) fn block(&self) -> Arc<dyn Block> {
                match self.clone() {
                    $(Self::$variant(b) => b,)+
                }
            }

            /// The block's type: its entry in [`TYPES`].
            pub(crate) fn kind(&self) -> &'static BlockType {
                let index = match self {
                    $(Self::$variant(_) => TypeIndex::$variant,)+
                };
                &TYPES[index as usize]
            }

            /// The block, borrowed, for the control path.
            pub(crate) fn as_block(&self) -> &dyn Block {
                match self {
                    $(Self::$variant(b) => &**b,)+
                }
            }

            /// Hands one packet to the block ([`Block::receive`]), out of
            /// line for all but the smallest blocks.
            #[inline(always)]
            pub(crate) fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
                match self {
                    $(Self::$variant(b) => b.receive(skb, cx),)+
                }
            }

            /// Hands one packet to the block's in-line part
            /// ([`Block::receive_inline`]): the types with one are tested
            /// first, in the order of their discriminants; the others' is
            /// the trait's default, which hands the packet back.
            #[inline(always)]
            pub(crate) fn receive_inline(
                &self,
                skb: SkBuff,
                cx: &InlineCx<'_>,
            ) -> Result<Step, SkBuff> {
                match self {
                    $(Self::$variant(b) => b.receive_inline(skb, cx),)+
                }
            }
        }
    };
}

block_types! {
    // With an in-line part, in the order the packet path tests them.
    Forward(forward::Forward),
    Eth(eth::Eth),
    Drop(drop::DropAll),
    Counter(counter::Counter),
    Host(host::Host),
    // Called.
    Bpf(bpf::Bpf),
    Tee(tee::Tee),
    Xmit(xmit::Xmit),
}

/// The block type called `name`.
pub(crate) fn find(name: &[u8]) -> Option<&'static BlockType> {
    TYPES.iter().find(|t| t.name.to_bytes() == name)
}
