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

use crate::block::BlockType;

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
