// SPDX-License-Identifier: GPL-2.0-only

//! `lanactl trace`: the next packets entering a device, followed block by
//! block.
//!
//! A trace is armed per engine on one attachment slot, for a number of
//! packets, by the socket that asked; each traced packet's path (the blocks
//! it visited, in order) and how it ended (the engine counter it went to)
//! are sent to that socket. The packet path tests for an armed trace with a
//! static branch ([`crate::vlink::trace_key`]): nothing is read while no
//! trace is armed anywhere.

use core::cell::Cell;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::graph::{NodeIdx, HOP_LIMIT};

/// Which packets an engine traces, and for whom.
pub(crate) struct Tracer {
    /// The attachment slot traced, or [`NO_SLOT`].
    slot: AtomicUsize,
    /// Packets still to trace.
    remaining: AtomicU32,
    /// The netlink port the records go to.
    portid: AtomicU32,
}

const NO_SLOT: usize = usize::MAX;

impl Tracer {
    pub(crate) const fn new() -> Self {
        Self {
            slot: AtomicUsize::new(NO_SLOT),
            remaining: AtomicU32::new(0),
            portid: AtomicU32::new(0),
        }
    }

    /// Traces the next `count` packets of `slot` for port `portid`.
    pub(crate) fn arm(&self, slot: usize, count: u32, portid: u32) {
        // Disarmed while the fields change: no packet mixes two traces.
        self.slot.store(NO_SLOT, Ordering::Relaxed);
        self.portid.store(portid, Ordering::Relaxed);
        self.remaining.store(count, Ordering::Relaxed);
        self.slot.store(slot, Ordering::Release);
    }

    pub(crate) fn disarm(&self) {
        self.slot.store(NO_SLOT, Ordering::Relaxed);
        self.remaining.store(0, Ordering::Relaxed);
    }

    /// The port records go to.
    pub(crate) fn portid(&self) -> u32 {
        self.portid.load(Ordering::Relaxed)
    }

    /// Whether a packet entering at `slot` is to be traced (counted off),
    /// and for which port.
    pub(crate) fn take(&self, slot: usize) -> Option<u32> {
        if self.slot.load(Ordering::Acquire) != slot {
            return None;
        }
        self.remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .ok()?;
        Some(self.portid.load(Ordering::Relaxed))
    }
}

/// What the packet path reports as it goes: the blocks a packet visits and
/// the engine counter its path ends in. The untraced path uses `()`, whose
/// methods compile to nothing.
pub(crate) trait Recorder: Copy {
    /// The packet reaches node `*node` (by reference: the untraced path
    /// must not even load it).
    fn stage(&self, node: &NodeIdx);
    fn end(&self, counter: usize);
}

impl Recorder for () {
    #[inline(always)]
    fn stage(&self, _node: &NodeIdx) {}

    #[inline(always)]
    fn end(&self, _counter: usize) {}
}

/// One traced packet, filled in as it goes (through a shared reference, as
/// the packet path passes its context around).
pub(crate) struct Record {
    nodes: [Cell<NodeIdx>; HOP_LIMIT as usize],
    len: Cell<usize>,
    end: Cell<Option<usize>>,
}

impl Record {
    pub(crate) fn new() -> Self {
        Self {
            nodes: [const { Cell::new(NodeIdx::NONE) }; HOP_LIMIT as usize],
            len: Cell::new(0),
            end: Cell::new(None),
        }
    }

    /// The nodes visited, in order.
    pub(crate) fn nodes(&self) -> impl Iterator<Item = NodeIdx> + '_ {
        self.nodes[..self.len.get()].iter().map(Cell::get)
    }

    /// The engine counter the packet's path ended in, once it has.
    pub(crate) fn end_counter(&self) -> Option<usize> {
        self.end.get()
    }
}

impl Recorder for &Record {
    fn stage(&self, node: &NodeIdx) {
        if let Some(slot) = self.nodes.get(self.len.get()) {
            slot.set(*node);
            self.len.set(self.len.get() + 1);
        }
    }

    fn end(&self, counter: usize) {
        // The first end is the packet's; a later one would be a copy's.
        if self.end.get().is_none() {
            self.end.set(Some(counter));
        }
    }
}
