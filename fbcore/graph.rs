// SPDX-License-Identifier: GPL-2.0-only

//! The packet path's view of the graph: an immutable snapshot.
//!
//! Built by the control path from the [`Registry`] whenever it changes, then
//! published under RCU; the packet path follows it with no lock, no reference
//! count per hop and no allocation. The snapshot holds `Arc`s to its blocks,
//! so a removed block lives until the last snapshot that could reach it is
//! freed after its grace period.
//!
//! Every block has at most one block above and one below, so the graph is a
//! set of chains (and cycles). The snapshot lays each chain out bottom to top
//! in one array, the lane: a packet walks it upward (ingress) or downward
//! (egress) from its entry, a dispatch on the block's type per block and next
//! to nothing else per hop: no lookup of the next block, no hop-limit test
//! (where the walk must stop is computed once). A cycle is laid out unrolled, as many hops as
//! the hop limit allows.

use kernel::{
    alloc::KVVec,
    prelude::*,
    sync::{aref::ARef, SetOnce},
};

use crate::attach::{frame_key, Side, Tag};
use crate::block::{
    BhContext, BhCopy, Device, Direction, DropReason, InlineCx, Instance, PacketCx, SkBuff, Step,
    Verdict,
};
use crate::counters::{WalkCounters, WALK_COUNT, WALK_DOWN, WALK_END, WALK_START};
use crate::name::Name;
use crate::registry::Registry;
use crate::stats::{Counter, EngineDrop, EngineStats, COUNT};
use crate::tally::{self, Tally, OUTCOMES};
use crate::trace::Recorder;
use crate::vlink::{
    arc_ptr::ArcPtr,
    net::backlog::{Backlog, Refused},
    net::skbuff::EgressTag,
    percpu::possible_cpus,
};

/// Most blocks a packet may visit; a packet going round a cycle (or up a
/// longer chain) is dropped and counted when it reaches this.
pub(crate) const HOP_LIMIT: u32 = 64;

/// Where the frames of an attachment slot (a device) enter: the node of the
/// device's block, with its walk up, so that a received frame needs one
/// lookup, not two. None for a device with tagged attachments: its
/// frames are sorted by [`Graph::demux`] instead, and untagged devices do not
/// pay for that.
///
/// The walk first (`repr(C)`): a pointer to the entry is one to its walk, so
/// the packet path keeps one of them, not both; aligned to a power of two,
/// so that finding a slot's entry is a shift.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Entry {
    up: Walk,
    node: NodeIdx,
}

const NO_ENTRY: Entry = Entry {
    node: NodeIdx::NONE,
    up: NO_WALK,
};

/// A slot's tagged attachments: `tagged[start..start + count]`.
#[derive(Clone, Copy, Default)]
struct TagRange {
    start: u32,
    count: u32,
}

/// The key of a device's untagged attachment among its tagged ones: it takes
/// the frames no tag does. No frame has it ([`frame_key`] sets bit 16 or 17).
const ANY_TAG: u32 = 0;

/// A tagged attachment: frames whose [`frame_key`] is `key` go up `up`.
struct Tagged {
    key: u32,
    up: Walk,
}

/// A device packets leave on at an exit of the graph, and the tag an
/// egress packet is given there.
struct Exit {
    dev: ARef<Device>,
    tag: Option<Tag>,
}

/// Marks a walk with no slots in the tally: out of range of any tally.
const NO_TALLY: u32 = u32::MAX;

/// Bit of a queued copy's control-block word that marks the egress
/// direction; the low 32 bits are the target block's id.
const EGRESS_BIT: u64 = 1 << 32;

/// A block in the lane.
///
/// Aligned to a power of two so that stepping through the lane is a shift,
/// not a multiplication (make bench).
#[repr(align(32))]
struct Stage {
    block: Instance,
    /// The engine's counts of the walks through the block.
    walks: ArcPtr<WalkCounters>,
    /// The block's node.
    node: NodeIdx,
    /// The stage's index in the lane: where a walk stopped, for its hops,
    /// without a count kept in the walk's loop.
    at: u32,
}

/// A walk through the lane from a block, computed when the snapshot is
/// built: the stages `start..end` (walked from the end for a walk down),
/// and the exit the packet takes after the last one: the device attached
/// at the end of the chain in the walk's direction, none when nothing is
/// (the packet is dropped), or [`ExitIdx::HOP_LIMIT`] when the walk ends
/// at the hop limit. The walk holds all the packet path needs: no node is
/// looked up at its end.
///
/// The walks from devices' entries are tallied (see [`crate::tally`]): a
/// stage's slots follow each other, [`OUTCOMES`] of them, from `tally` plus
/// the stage's place in the lane times [`OUTCOMES`] (`tally` wraps below
/// zero for a walk that starts further than its first slot). Other walks
/// count as they go ([`NO_TALLY`]).
#[derive(Clone, Copy)]
struct Walk {
    start: u32,
    end: u32,
    exit: ExitIdx,
    tally: u32,
}

const NO_WALK: Walk = Walk {
    start: 0,
    end: 0,
    exit: ExitIdx::NONE,
    tally: NO_TALLY,
};

impl Walk {
    /// The tally slot of a frame whose walk ended at the stage at `at` in
    /// the way `outcome`: one of the walk's for a stage of it (type
    /// invariant of [`Graph`]); a slot out of range counts nothing.
    #[inline(always)]
    fn slot(&self, at: u32, outcome: u32) -> u32 {
        self.tally
            .wrapping_add(at.wrapping_mul(OUTCOMES))
            .wrapping_add(outcome)
    }
}

/// Where a block sits in the lane (while the snapshot is built).
#[derive(Clone, Copy)]
struct Place {
    /// The block's position for a walk up, and for a walk down (they differ
    /// only in a cycle's unrolled lane).
    up_at: u32,
    down_at: u32,
    /// The block's chain: positions `first..end`.
    first: u32,
    end: u32,
    /// The chain is a cycle: its walks end at the hop limit, never at an
    /// exit.
    cycle: bool,
}

/// What the snapshot knows of a block besides the block itself.
struct Node {
    /// The walks up (ingress) and down (egress) from the block. The walk
    /// down's exit is the device egress packets from the block leave on
    /// (the real device at the bottom of its chain), if any.
    up: Walk,
    down: Walk,
    /// The nodes the block type's output ports lead to (or none):
    /// `ports[port_base..port_base + port_count]`.
    port_base: u32,
    port_count: u32,
}

/// A device attached to a block, as the graph sees it.
pub(crate) struct Endpoint<'a> {
    pub(crate) slot: usize,
    pub(crate) block: u32,
    pub(crate) side: Side,
    pub(crate) tag: Option<Tag>,
    pub(crate) dev: &'a Device,
}

/// Where the packet path counts and queues, besides the graph: the engine's,
/// or a graph test's.
pub(crate) struct Sinks {
    /// Where copies wait (see `PernetData::set_backlog` for `Engine`); never set in graph
    /// tests, whose copies are dropped.
    pub(crate) backlog: SetOnce<Backlog>,
    pub(crate) stats: EngineStats,
}

impl Sinks {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            backlog: SetOnce::new(),
            stats: EngineStats::new()?,
        })
    }
}

/// What the packet path uses of the engine besides the graph. Passed by
/// value: one pointer when untraced. A walk from an entry counts in the
/// graph's tally, so it reaches the sinks only where it leaves the walk
/// (delivered to a link, transmitted, queued, dropped by the engine);
/// other walks count their ends there too.
#[derive(Clone, Copy)]
pub(crate) struct Datapath<'a, R: Recorder = ()> {
    pub(crate) sinks: &'a Sinks,
    /// What a traced packet's path is reported to (a `&Record`); `()` for
    /// the others, which takes no room and compiles to nothing.
    pub(crate) rec: R,
}

impl<R: Recorder> Datapath<'_, R> {
    /// Counts how a packet's path ended.
    #[inline(always)]
    fn end(&self, bh: &BhContext, counter: Counter) {
        self.sinks.stats.add(bh, counter, 1);
        self.rec.end(counter as usize);
    }
}

/// How a block stopped a packet's walk.
enum End {
    Drop(SkBuff, DropReason),
    Host(SkBuff),
    Consumed,
}

/// Where [`Graph::demux`] sends a frame.
enum Demux<'a> {
    /// Up this walk.
    Walk(&'a Walk),
    /// Back to the Linux stack: it carries no attachment's tag.
    NotOurs,
    /// Back to the Linux stack: the slot has no entry (its device is being
    /// attached by a batch).
    NoEntry,
}

/// An immutable graph snapshot.
///
/// # Invariants
///
/// Every port target and entry ([`NodeIdx`]) is an index into `nodes` or
/// none; every walk's exit ([`ExitIdx`]) an index into `devices`, none or
/// the hop limit; every stage's `node` an index into `nodes`; every walk's
/// stages lie in the lane, at most [`HOP_LIMIT`] of them, and are the blocks
/// a packet meets from the walk's block in its direction. The walks of
/// `entries` and `tagged` go up and have their slots in `tally` (or are
/// empty); no other walk has. `ids` holds the block id of each node,
/// ascending.
///
/// The vectors may be vmalloc'd (`KVVec`): a graph of thousands of blocks
/// outgrows what kmalloc serves in one piece; reading them costs the same.
pub(crate) struct Graph {
    lane: KVVec<Stage>,
    nodes: KVVec<Node>,
    ports: KVVec<NodeIdx>,
    ids: KVVec<u32>,
    /// The block name of each node, for traces.
    names: KVVec<Name>,
    /// Entry per attachment slot.
    entries: KVVec<Entry>,
    /// Per attachment slot, where its tagged attachments are in `tagged`.
    tag_ranges: KVVec<TagRange>,
    /// The tagged attachments, by slot; a slot's untagged one last, as
    /// [`ANY_TAG`].
    tagged: KVVec<Tagged>,
    /// The attached devices, held until the snapshot is freed: the device
    /// notifier detaches an unregistering device, publishing a snapshot
    /// without it, before the device waits for its references.
    devices: KVVec<Exit>,
    /// The counts of the frames from the entries.
    tally: Tally,
}

mod build;
mod index;
// KUnit suites build only where the kernel has KUnit (Debian's has not).
#[cfg(CONFIG_KUNIT = "y")]
mod kunit;
mod walk;

use index::ExitIdx;
pub(crate) use index::NodeIdx;

impl Graph {
    /// Calls `f(first, last, stages, outcome, count)` for every count on
    /// `cpu` in the tally: `count` frames walked up `stages` stages from
    /// stage `first` to stage `last`, and ended there in the way `outcome`.
    fn tallied(&self, cpu: u32, mut f: impl FnMut(&Stage, &Stage, u64, u32, u64)) {
        let walks = self.entries.iter().map(|e| &e.up);
        for walk in Iterator::chain(walks, self.tagged.iter().map(|t| &t.up)) {
            let Some(path) = self.path(walk) else {
                continue;
            };
            for (stage, stages) in path.iter().zip(1u64..) {
                for outcome in 0..OUTCOMES {
                    let count = self.tally.get(cpu, walk.slot(stage.at, outcome));
                    if count != 0 {
                        f(&path[0], stage, stages, outcome, count);
                    }
                }
            }
        }
    }

    /// Adds what the tally holds on `cpu` to the engine's counters `out`.
    pub(crate) fn tallied_engine(&self, cpu: u32, out: &mut [u64; COUNT]) {
        self.tallied(cpu, |_, _, stages, outcome, count| {
            engine_counts(stages, outcome, count, |index, value| {
                out[index] = out[index].wrapping_add(value);
            });
        });
    }

    /// Adds what the tally holds on `cpu` for the blocks whose walk
    /// counters `find` knows: `out[i]` for the block `find` says is `i`.
    /// One pass over the tally for any number of blocks.
    pub(crate) fn tallied_walks(
        &self,
        cpu: u32,
        find: impl Fn(&WalkCounters) -> Option<usize>,
        out: &mut [[u64; WALK_COUNT]],
    ) {
        self.tallied(cpu, |first, last, _, _, count| {
            if let Some(i) = find(&first.walks) {
                out[i][WALK_START] = out[i][WALK_START].wrapping_add(count);
            }
            if let Some(i) = find(&last.walks) {
                out[i][WALK_END] = out[i][WALK_END].wrapping_add(count);
            }
        });
    }

    /// Adds the tally to the engine's counters in `stats` and the blocks'
    /// walk counters, and makes it `spare` for the next snapshot (see
    /// [`Tally::recycle`]). Once no packet can reach the snapshot any more,
    /// under the engine's control lock.
    pub(crate) fn retire(this: KBox<Self>, stats: &EngineStats, spare: &mut Option<Tally>) {
        this.fold(stats);
        KBox::into_inner(this).tally.recycle(spare);
    }

    fn fold(&self, stats: &EngineStats) {
        for cpu in possible_cpus() {
            self.tallied(cpu, |first, last, stages, outcome, count| {
                engine_counts(stages, outcome, count, |index, value| {
                    stats.fold(cpu, index, value);
                });
                first.walks.fold(cpu, WALK_START, count);
                last.walks.fold(cpu, WALK_END, count);
            });
        }
    }

    /// The name of the block of `node`.
    pub(crate) fn name_of(&self, node: NodeIdx) -> Option<&Name> {
        self.names.get(node.get())
    }
}

/// What `count` frames that walked `stages` stages and ended in the way
/// `outcome` add to the engine's counters: `add(counter, value)`.
fn engine_counts(stages: u64, outcome: u32, count: u64, mut add: impl FnMut(usize, u64)) {
    add(Counter::Packets as usize, count);
    add(Counter::Hops as usize, count.wrapping_mul(stages));
    if let Some(counter) = tally::counter_of(outcome) {
        add(counter, count);
    }
}
