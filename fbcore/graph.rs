// SPDX-License-Identifier: GPL-2.0

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
    backlog::{Backlog, Refused},
    percpu::possible_cpus,
    skb::EgressTag,
};

/// Most blocks a packet may visit; a packet going round a cycle (or up a
/// longer chain) is dropped and counted when it reaches this.
pub(crate) const HOP_LIMIT: u32 = 64;

/// Where the frames of an attachment slot (a device) enter: the node of the
/// device's block, with its walk up, so that a received frame needs one
/// lookup, not two. [`NONE`] for a device with tagged attachments: its
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
    node: u32,
}

const NO_ENTRY: Entry = Entry {
    node: NONE,
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

/// Marks "no node" in an index: out of bounds of any node array, so one
/// bounds check both validates an index and detects its absence.
const NONE: u32 = u32::MAX;

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
    node: u32,
    /// The stage's index in the lane: where a walk stopped, for its hops,
    /// without a count kept in the walk's loop.
    at: u32,
}

/// A walk through the lane from a block, computed when the snapshot is
/// built: the stages `start..end` (walked from the end for a walk down),
/// and the node whose exit the packet takes after the last one, or
/// [`NONE`] when the walk ends at the hop limit.
///
/// The walks from devices' entries are tallied (see [`crate::tally`]): a
/// stage's slots follow each other, [`OUTCOMES`] of them, from `tally` plus
/// the stage's place in the lane times [`OUTCOMES`] (`tally` wraps below
/// zero for a walk that starts further than its first slot). Other walks
/// count as they go ([`NONE`]).
#[derive(Clone, Copy)]
struct Walk {
    start: u32,
    end: u32,
    last: u32,
    tally: u32,
}

const NO_WALK: Walk = Walk {
    start: 0,
    end: 0,
    last: NONE,
    tally: NONE,
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
    /// The walks up (ingress) and down (egress) from the block.
    up: Walk,
    down: Walk,
    /// Where ingress packets go when nothing is bound above: the index in
    /// `devices` of a lana device attached here, or [`NONE`].
    top_exit: u32,
    /// Where egress packets go when nothing is bound below: the index in
    /// `devices` of a real device attached here, or [`NONE`].
    bottom_exit: u32,
    /// The index in `devices` of the device egress packets from this node
    /// leave on (the real device at the bottom of its chain), or [`NONE`].
    egress_dev: u32,
    /// The nodes the block type's output ports lead to (or [`NONE`]):
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
    /// Where copies wait (see `Engine::set_backlog`); never set in graph
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
/// Every port target, entry and walk's `last` is an index into `nodes` or
/// [`NONE`]; every exit and `egress_dev` an index into `devices` or
/// [`NONE`]; every stage's `node` an index into `nodes`; every walk's
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
    ports: KVVec<u32>,
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

impl Graph {
    /// Builds the snapshot of `registry` with `attachments`. A block with
    /// several devices attached on one side exits to the one with the lowest
    /// slot.
    /// The tally is `spare` if it has room (see [`Tally::new`]).
    pub(crate) fn build<'a>(
        registry: &Registry,
        attachments: impl Iterator<Item = Endpoint<'a>>,
        spare: &mut Option<Tally>,
    ) -> Result<KBox<Self>> {
        let index = |id: Option<u32>| {
            id.and_then(|id| registry.index_of(id))
                .map_or(NONE, |i| i as u32)
        };
        let count = registry.entries().len();
        let mut nodes = KVVec::with_capacity(count, GFP_KERNEL)?;
        let mut ids = KVVec::with_capacity(count, GFP_KERNEL)?;
        let mut names = KVVec::with_capacity(count, GFP_KERNEL)?;
        let mut links = KVVec::with_capacity(count, GFP_KERNEL)?;
        let mut ports = KVVec::new();
        for entry in registry.entries() {
            let port_base = ports.len() as u32;
            for target in entry.ports.iter() {
                ports.push(index(*target), GFP_KERNEL)?;
            }
            nodes.push(
                Node {
                    up: NO_WALK,
                    down: NO_WALK,
                    top_exit: NONE,
                    bottom_exit: NONE,
                    egress_dev: NONE,
                    port_base,
                    port_count: entry.ports.len() as u32,
                },
                GFP_KERNEL,
            )?;
            links.push(
                Links {
                    up: index(entry.upper),
                    down: index(entry.lower),
                },
                GFP_KERNEL,
            )?;
            ids.push(entry.id, GFP_KERNEL)?;
            names.push(entry.name, GFP_KERNEL)?;
        }
        let stage = |i: usize, at: u32| {
            let entry = &registry.entries()[i];
            Stage {
                block: entry.instance.clone(),
                walks: ArcPtr::new(entry.walks.clone()),
                node: i as u32,
                at,
            }
        };
        let mut places = KVVec::with_capacity(count, GFP_KERNEL)?;
        places.resize(
            count,
            Place {
                up_at: NONE,
                down_at: NONE,
                first: 0,
                end: 0,
                cycle: false,
            },
            GFP_KERNEL,
        )?;
        let lane = lay_out(&links, &mut places, stage)?;
        for (node, place) in nodes.iter_mut().zip(places.iter()) {
            (node.up, node.down) = walks(place, &lane);
        }
        let mut entries = KVVec::new();
        let mut tag_ranges: KVVec<TagRange> = KVVec::new();
        let mut tagged = KVVec::new();
        let mut devices = KVVec::new();
        let mut sorted = KVVec::new();
        for a in attachments {
            sorted.push(a, GFP_KERNEL)?;
        }
        // By slot, a slot's tagged attachments before its untagged one: a
        // slot's entries in `tagged` are then one run, the catch-all last.
        sorted.sort_unstable_by_key(|a| (a.slot, a.tag.is_none()));
        for a in sorted.iter() {
            if entries.len() <= a.slot {
                entries.resize(a.slot + 1, NO_ENTRY, GFP_KERNEL)?;
                tag_ranges.resize(a.slot + 1, TagRange::default(), GFP_KERNEL)?;
            }
            let at = index(Some(a.block));
            let Some(node) = nodes.get_mut(at as usize) else {
                continue;
            };
            let range = &mut tag_ranges[a.slot];
            let key = match a.tag {
                Some(tag) => Some(tag.key()),
                None if range.count > 0 => Some(ANY_TAG),
                None => None,
            };
            match key {
                None => {
                    entries[a.slot] = Entry {
                        node: at,
                        up: node.up,
                    }
                }
                Some(key) => {
                    if range.count == 0 {
                        range.start = tagged.len() as u32;
                    }
                    range.count += 1;
                    tagged.push(Tagged { key, up: node.up }, GFP_KERNEL)?;
                }
            }
            let exit = match a.side {
                Side::Top => &mut node.top_exit,
                Side::Bottom => &mut node.bottom_exit,
            };
            if *exit == NONE {
                *exit = devices.len() as u32;
                let dev = ARef::from(a.dev);
                devices.push(Exit { dev, tag: a.tag }, GFP_KERNEL)?;
            }
        }
        let tally = tally_entries(&mut entries, &mut tagged, spare)?;
        // Where each node's egress leaves: the bottom of its chain.
        for i in 0..nodes.len() {
            let bottom = nodes[i].down.last;
            nodes[i].egress_dev = nodes
                .get(bottom as usize)
                .map_or(NONE, |bottom| bottom.bottom_exit);
        }
        // INVARIANT: Indices come from `registry.index_of`, the node order,
        // which is ascending id order, from `devices`' length as it grew, and
        // from `lay_out`.
        Ok(KBox::new(
            Self {
                lane,
                nodes,
                ports,
                ids,
                names,
                entries,
                tag_ranges,
                tagged,
                devices,
                tally,
            },
            GFP_KERNEL,
        )?)
    }

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
    pub(crate) fn name_of(&self, node: u32) -> Option<&Name> {
        self.names.get(node as usize)
    }

    /// Runs a packet received on attachment `slot` through the graph.
    /// Returns the packet if it should continue into the Linux stack.
    #[inline(always)]
    pub(crate) fn receive<R: Recorder>(
        &self,
        slot: usize,
        skb: SkBuff,
        bh: &BhContext,
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        // A slot without an entry has an empty walk: one test finds both it
        // and a slot out of range, and sends them the slow way.
        if let Some(entry) = self.entries.get(slot) {
            if let Some(path) = self.path(&entry.up) {
                return self.walk::<false, true, R>(path, &entry.up, skb, bh, NONE, dp);
            }
        }
        self.receive_demux(slot, skb, bh.copy(), dp)
    }

    /// [`Self::receive`] for a slot without an entry: a device with tagged
    /// attachments, or one a batch has registered but not yet published.
    #[cold]
    #[inline(never)]
    fn receive_demux<R: Recorder>(
        &self,
        slot: usize,
        skb: SkBuff,
        bh: BhCopy<'_>,
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        let bh: &BhContext = &bh;
        let up = match self.demux(slot, &skb) {
            Demux::Walk(up) => up,
            Demux::NotOurs => {
                dp.sinks.stats.add(bh, Counter::Packets, 1);
                dp.end(bh, Counter::ToStackNoTag);
                return Some(skb);
            }
            Demux::NoEntry => {
                dp.sinks.stats.add(bh, Counter::Packets, 1);
                dp.end(bh, Counter::ToStackNoEntry);
                return Some(skb);
            }
        };
        self.walk_from::<false, true, R>(up, skb, bh, NONE, dp)
    }

    /// Where a frame of slot `slot`, a device with tagged attachments, goes:
    /// the walk of the attachment whose tag it carries, else of the untagged
    /// one. Out of line: devices without tags do not pay for it.
    #[inline(never)]
    fn demux(&self, slot: usize, skb: &SkBuff) -> Demux<'_> {
        let range = self.tag_ranges.get(slot).copied().unwrap_or_default();
        let (start, count) = (range.start as usize, range.count as usize);
        let Some(tagged) = self
            .tagged
            .get(start..start + count)
            .filter(|t| !t.is_empty())
        else {
            return Demux::NoEntry;
        };
        let key = frame_key(skb);
        match tagged.iter().find(|t| t.key == key || t.key == ANY_TAG) {
            Some(t) => Demux::Walk(&t.up),
            None => Demux::NotOurs,
        }
    }

    /// Runs a packet sent through the lana device of attachment `slot`
    /// through the graph, downward.
    pub(crate) fn transmit<R: Recorder>(
        &self,
        slot: usize,
        skb: SkBuff,
        bh: &BhContext,
        dp: Datapath<'_, R>,
    ) {
        let entry = self.entries.get(slot).map_or(NONE, |e| e.node);
        let left = match self.nodes.get(entry as usize) {
            Some(node) => {
                self.walk_from::<true, false, R>(&node.down, skb, bh, node.egress_dev, dp)
            }
            None => drop_packet(skb, EngineDrop::NoEntry, bh, dp),
        };
        if let Some(skb) = left {
            drop_packet(skb, EngineDrop::WrongDirection, bh, dp);
        }
    }

    fn cx<'a>(&'a self, bh: &'a BhContext, direction: Direction, egress_dev: u32) -> PacketCx<'a> {
        let egress = match direction {
            // Ingress needs none: no lookup on its path.
            Direction::Ingress => None,
            Direction::Egress => self.devices.get(egress_dev as usize).map(|e| &*e.dev),
        };
        PacketCx::new(bh, direction, egress)
    }

    /// Runs a packet from the backlog through the graph, from the block and
    /// in the direction its control-block word names (see [`Self::queue`]).
    /// The block may have gone since the packet was queued.
    pub(crate) fn receive_queued<R: Recorder>(
        &self,
        skb: SkBuff,
        bh: &BhContext,
        dp: Datapath<'_, R>,
    ) {
        let word = skb.cb_word();
        let id = word as u32;
        let node = self
            .ids
            .binary_search(&id)
            .ok()
            .and_then(|i| self.nodes.get(i));
        let Some(node) = node else {
            drop_packet(skb, EngineDrop::Stale, bh, dp);
            return;
        };
        if word & EGRESS_BIT != 0 {
            if let Some(skb) =
                self.walk_from::<true, false, R>(&node.down, skb, bh, node.egress_dev, dp)
            {
                drop_packet(skb, EngineDrop::WrongDirection, bh, dp);
            }
        } else {
            if let Some(skb) = self.walk_from::<false, false, R>(&node.up, skb, bh, NONE, dp) {
                // Not inside an rx_handler: hand it to the stack ourselves.
                skb.hand_to_stack(bh);
            }
        }
    }

    // The walks are inlined into their callers: a call per packet is a
    // measurable share of the engine's cost (make bench).

    /// Walks the lane along `walk`: up for ingress, down for egress;
    /// `TALLY`: a walk from an entry, counted in the tally.
    #[inline(always)]
    fn walk_from<const EGRESS: bool, const TALLY: bool, R: Recorder>(
        &self,
        walk: &Walk,
        skb: SkBuff,
        bh: &BhContext,
        egress_dev: u32,
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        if let Some(path) = self.path(walk) {
            return self.walk::<EGRESS, TALLY, R>(path, walk, skb, bh, egress_dev, dp);
        }
        // Never: a walk lies in the lane and holds at least its own block
        // (type invariant).
        if TALLY {
            dp.sinks.stats.add(bh, Counter::Packets, 1);
        }
        drop_packet(skb, EngineDrop::NoNext, bh, dp)
    }

    /// The stages of `walk`, or `None` for an empty walk (a slot without an
    /// entry) or one outside the lane.
    #[inline(always)]
    fn path(&self, walk: &Walk) -> Option<&[Stage]> {
        let (start, end) = (walk.start as usize, walk.end as usize);
        if start < end && end <= self.lane.len() {
            self.lane.get(start..end)
        } else {
            None
        }
    }

    /// Walks `path`, the stages of `walk` (not empty), up from the first for
    /// ingress, down from the last for egress; after the last, the packet
    /// leaves by the exit of node `walk.last` ([`NONE`]: the hop limit).
    /// `TALLY`: a walk from an entry (going up), whose end is counted once,
    /// in the tally; the others count their start, hops, end and outcome.
    /// `egress_dev`: the device egress packets leave on at the bottom.
    ///
    /// In line while the blocks decide in line ([`Block::receive_inline`]):
    /// this loop makes no call, so nothing it holds is saved around one;
    /// from the first block that needs a call, the walk goes on out of line,
    /// in [`Self::walk_called`].
    #[inline(always)]
    fn walk<const EGRESS: bool, const TALLY: bool, R: Recorder>(
        &self,
        path: &[Stage],
        walk: &Walk,
        mut skb: SkBuff,
        bh: &BhContext,
        egress_dev: u32,
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        if !TALLY {
            let first = if EGRESS { path.last() } else { path.first() };
            if let Some(first) = first {
                let dir = if EGRESS { WALK_DOWN } else { 0 };
                first.walks.add(bh, WALK_START + dir, 1);
            }
        }
        let cx = InlineCx::new(bh, direction::<EGRESS>());
        let mut rest = path;
        while let Some((stage, others)) = next_stage::<EGRESS>(rest) {
            let end = match stage.block.receive_inline(skb, &cx) {
                Ok(Step::Pass(next)) => {
                    dp.rec.stage(&stage.node);
                    skb = next;
                    rest = others;
                    continue;
                }
                Ok(Step::Drop(skb, reason)) => End::Drop(skb, reason),
                Ok(Step::Host(skb)) => End::Host(skb),
                Err(skb) => {
                    let bh = bh.copy();
                    return self
                        .walk_called::<EGRESS, TALLY, R>(rest, walk, skb, bh, egress_dev, dp);
                }
            };
            dp.rec.stage(&stage.node);
            return self.stop::<EGRESS, TALLY, R>(walk, stage, end, bh, dp);
        }
        self.walked::<EGRESS, TALLY, R>(walk, skb, bh.copy(), dp)
    }

    /// [`Self::walk`] from the block at the start of `path` (at its end for
    /// egress), which needs a call, on: each block through
    /// [`Block::receive`], with a [`PacketCx`] built for them.
    #[inline(never)]
    fn walk_called<const EGRESS: bool, const TALLY: bool, R: Recorder>(
        &self,
        path: &[Stage],
        walk: &Walk,
        mut skb: SkBuff,
        bh: BhCopy<'_>,
        egress_dev: u32,
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        let bh: &BhContext = &bh;
        let cx = self.cx(bh, direction::<EGRESS>(), egress_dev);
        let mut rest = path;
        while let Some((stage, others)) = next_stage::<EGRESS>(rest) {
            rest = others;
            dp.rec.stage(&stage.node);
            // Only `Pass` is tested per hop; the rest once per walk.
            let verdict = stage.block.receive(skb, &cx);
            if let Verdict::Pass(next) = verdict {
                skb = next;
                continue;
            }
            core::hint::cold_path();
            let end = match verdict {
                Verdict::Pass(next) | Verdict::PassWithCopy(next) => {
                    self.copied::<EGRESS, R>(stage.node, &cx, dp);
                    skb = next;
                    continue;
                }
                Verdict::Drop(skb) => End::Drop(skb, cx.drop_reason()),
                Verdict::Host(skb) => End::Host(skb),
                Verdict::Consumed => End::Consumed,
            };
            return self.stop::<EGRESS, TALLY, R>(walk, stage, end, bh, dp);
        }
        self.walked::<EGRESS, TALLY, R>(walk, skb, bh.copy(), dp)
    }

    /// Ends `walk` where the block at `stage` stopped the packet, counted:
    /// returns the packet if it goes on into the Linux stack.
    #[inline(always)]
    fn stop<const EGRESS: bool, const TALLY: bool, R: Recorder>(
        &self,
        walk: &Walk,
        stage: &Stage,
        end: End,
        bh: &BhContext,
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        match end {
            End::Drop(skb, reason) => {
                let counter = EngineStats::drop_index(reason);
                self.end::<EGRESS, TALLY, R>(walk, stage, tally::dropped(reason), counter, bh, dp);
                drop(skb);
                None
            }
            End::Host(skb) => {
                let counter = Counter::ToStack as usize;
                self.end::<EGRESS, TALLY, R>(walk, stage, tally::TO_STACK, counter, bh, dp);
                Some(skb)
            }
            End::Consumed => {
                let counter = Counter::Consumed as usize;
                self.end::<EGRESS, TALLY, R>(walk, stage, tally::CONSUMED, counter, bh, dp);
                None
            }
        }
    }

    /// Counts the end of `walk` where a block stopped the packet, at `stage`
    /// (`outcome`: the way it ended, for the tally; `counter`: the engine's
    /// counter of it). A walk is counted once, where it ends, never per hop.
    #[inline(always)]
    fn end<const EGRESS: bool, const TALLY: bool, R: Recorder>(
        &self,
        walk: &Walk,
        stage: &Stage,
        outcome: u32,
        counter: usize,
        bh: &BhContext,
        dp: Datapath<'_, R>,
    ) {
        if TALLY {
            self.tally.count(bh, walk.slot(stage.at, outcome));
            dp.rec.end(counter);
            return;
        }
        // Within the walk by the type invariant: never wraps.
        let hops = if EGRESS {
            walk.end.wrapping_sub(stage.at)
        } else {
            stage.at.wrapping_sub(walk.start).wrapping_add(1)
        };
        let dir = if EGRESS { WALK_DOWN } else { 0 };
        dp.sinks.stats.add(bh, Counter::Hops, u64::from(hops));
        stage.walks.add(bh, WALK_END + dir, 1);
        dp.sinks.stats.add_index(bh, counter, 1);
        dp.rec.end(counter);
    }

    /// A packet passed every stage of `walk`: it leaves by the exit of the
    /// walk's last node, or is dropped at the hop limit. Out of line, with
    /// all it needs read from `walk`: the walk's loop keeps nothing live for
    /// it.
    #[inline(never)]
    fn walked<const EGRESS: bool, const TALLY: bool, R: Recorder>(
        &self,
        walk: &Walk,
        skb: SkBuff,
        bh: BhCopy<'_>,
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        let bh: &BhContext = &bh;
        let last = if EGRESS {
            walk.start
        } else {
            walk.end.wrapping_sub(1)
        };
        if TALLY {
            // The tally counts the hops and the walk's end, at its last
            // stage; the exit, how the packet left.
            self.tally.count(bh, walk.slot(last, tally::PASSED));
        } else {
            let hops = walk.end.wrapping_sub(walk.start);
            dp.sinks.stats.add(bh, Counter::Hops, u64::from(hops));
            if let Some(last) = self.lane.get(last as usize) {
                let dir = if EGRESS { WALK_DOWN } else { 0 };
                last.walks.add(bh, WALK_END + dir, 1);
            }
        }
        if walk.last != NONE {
            return self.leave::<EGRESS, R>(walk.last, skb, bh, dp);
        }
        drop_packet(skb, EngineDrop::HopLimit, bh, dp)
    }

    /// Queues the copy block `node` left in `cx`, if any. Out of line: only
    /// blocks that copy pay for it.
    #[inline(never)]
    fn copied<const EGRESS: bool, R: Recorder>(
        &self,
        node: u32,
        cx: &PacketCx<'_>,
        dp: Datapath<'_, R>,
    ) {
        if let Some((port, copy)) = cx.take_copy() {
            self.queue::<EGRESS, R>(node, port, copy, cx.bh(), dp);
        }
    }

    /// A packet passed the last block of its chain, `node`, in its
    /// direction: it leaves on the device attached there for that, or is
    /// dropped.
    #[inline(always)]
    fn leave<const EGRESS: bool, R: Recorder>(
        &self,
        node: u32,
        skb: SkBuff,
        bh: &BhContext,
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        let exit = match self.nodes.get(node as usize) {
            Some(n) if EGRESS => n.bottom_exit,
            Some(n) => n.top_exit,
            None => NONE,
        };
        let Some(exit) = self.devices.get(exit as usize) else {
            return drop_packet(skb, EngineDrop::NoNext, bh, dp);
        };
        if !EGRESS {
            skb.deliver_to_link(&exit.dev, bh);
            dp.end(bh, Counter::Delivered);
        } else if skb.transmit_tagged(&exit.dev, egress_tag(exit.tag)).is_ok() {
            dp.end(bh, Counter::Transmitted);
        } else {
            dp.end(bh, Counter::DropTxError);
        }
        None
    }

    /// Queues a copy block `node` left for its output `port` on this CPU's
    /// backlog, addressed to the block bound there (by id: the graph may
    /// change before it is delivered), to go on in the same direction.
    fn queue<const EGRESS: bool, R: Recorder>(
        &self,
        node: u32,
        port: usize,
        mut copy: SkBuff,
        bh: &BhContext,
        dp: Datapath<'_, R>,
    ) {
        let target = self
            .nodes
            .get(node as usize)
            .filter(|n| port < n.port_count as usize)
            .and_then(|n| self.ports.get(n.port_base as usize + port))
            .copied()
            .unwrap_or(NONE);
        let Some(&id) = self.ids.get(target as usize) else {
            drop_packet(copy, EngineDrop::NoPort, bh, dp);
            return;
        };
        let direction = if EGRESS { EGRESS_BIT } else { 0 };
        copy.set_cb_word(u64::from(id) | direction);
        let refused = match dp.sinks.backlog.as_ref() {
            Some(backlog) => backlog.enqueue(copy, bh).err(),
            None => Some((copy, Refused::Full)),
        };
        match refused {
            None => dp.sinks.stats.add(bh, Counter::Queued, 1),
            Some((copy, why)) => {
                let reason = match why {
                    Refused::Full => EngineDrop::BacklogFull,
                    Refused::TooDeep => EngineDrop::CopyDepth,
                };
                drop_packet(copy, reason, bh, dp);
            }
        }
    }
}

/// The direction of a walk down (`EGRESS`) or up.
#[inline(always)]
const fn direction<const EGRESS: bool>() -> Direction {
    if EGRESS {
        Direction::Egress
    } else {
        Direction::Ingress
    }
}

/// The next stage of a walk's `rest`, and the rest after it: walks up go
/// from the first stage, walks down (`EGRESS`) from the last.
#[inline(always)]
fn next_stage<const EGRESS: bool>(rest: &[Stage]) -> Option<(&Stage, &[Stage])> {
    if EGRESS {
        rest.split_last()
    } else {
        rest.split_first()
    }
}

/// A node's neighbours, for laying out the lane.
struct Links {
    up: u32,
    down: u32,
}

/// Lays every chain out in a lane, bottom to top, and records each node's
/// positions in it. `block(i)` is node `i`'s block.
fn lay_out(
    links: &[Links],
    nodes: &mut [Place],
    stage: impl Fn(usize, u32) -> Stage,
) -> Result<KVVec<Stage>> {
    let mut lane = KVVec::with_capacity(nodes.len(), GFP_KERNEL)?;
    let mut chain = KVVec::new();
    for start in 0..nodes.len() {
        if nodes[start].up_at != NONE {
            continue;
        }
        // The chain through `start`, bottom first: go down to its bottom (or
        // round its cycle), then collect it going up.
        let mut bottom = start;
        let mut cycle = false;
        for _ in 0..nodes.len() {
            match links[bottom].down as usize {
                down if down >= nodes.len() => break,
                down if down == start => {
                    cycle = true;
                    break;
                }
                down => bottom = down,
            }
        }
        let bottom = if cycle { start } else { bottom };
        chain.clear();
        let mut at = bottom;
        for _ in 0..nodes.len() {
            chain.push(at, GFP_KERNEL)?;
            match links[at].up as usize {
                up if up >= nodes.len() || up == bottom => break,
                up => at = up,
            }
        }
        // A cycle is laid out once, then on for as many blocks as the hop
        // limit allows: walks up start in the first round, walks down in the
        // last, so that neither leaves the lane before the limit.
        let first = lane.len() as u32;
        let length = chain.len() as u32;
        let total = if cycle { length + HOP_LIMIT } else { length };
        for i in 0..total {
            let node = chain[(i % length) as usize];
            let at = lane.len() as u32;
            if i < length {
                nodes[node].up_at = at;
            }
            if i + length >= total {
                nodes[node].down_at = at;
            }
            lane.push(stage(node, at), GFP_KERNEL)?;
        }
        for &node in chain.iter() {
            nodes[node].first = first;
            nodes[node].end = first + total;
            nodes[node].cycle = cycle;
        }
    }
    Ok(lane)
}

/// The walks up and down from a block at `place` in `lane`.
fn walks(place: &Place, lane: &[Stage]) -> (Walk, Walk) {
    let limit = HOP_LIMIT as usize;
    let (up_at, down_at) = (place.up_at as usize, place.down_at as usize);
    let (first, end) = (place.first as usize, place.end as usize);
    let up_end = end.min(up_at + limit);
    let down_start = first.max((down_at + 1).saturating_sub(limit));
    let node_at = |at: usize| lane.get(at).map_or(NONE, |s| s.node);
    let up = Walk {
        start: up_at as u32,
        end: up_end as u32,
        last: if up_end == end && !place.cycle {
            node_at(end - 1)
        } else {
            NONE
        },
        tally: NONE,
    };
    let down = Walk {
        start: down_start as u32,
        end: down_at as u32 + 1,
        last: if down_start == first && !place.cycle {
            node_at(first)
        } else {
            NONE
        },
        tally: NONE,
    };
    (up, down)
}

/// Gives every walk from an entry its slots in a tally, made for them.
fn tally_entries(
    entries: &mut [Entry],
    tagged: &mut [Tagged],
    spare: &mut Option<Tally>,
) -> Result<Tally> {
    let mut slots: u32 = 0;
    let from_entries = entries.iter_mut().map(|e| &mut e.up);
    for walk in Iterator::chain(from_entries, tagged.iter_mut().map(|t| &mut t.up)) {
        if walk.start < walk.end {
            // Slots from `slots` on for the stages from `start` on.
            walk.tally = slots.wrapping_sub(walk.start.wrapping_mul(OUTCOMES));
            let stages = walk.end - walk.start;
            slots = stages
                .checked_mul(OUTCOMES)
                .and_then(|n| slots.checked_add(n))
                .filter(|&n| n != NONE)
                .ok_or(ENOMEM)?;
        }
    }
    Tally::new(slots as usize, spare)
}

/// What an egress frame is given on leaving by an attachment tagged `tag`.
fn egress_tag(tag: Option<Tag>) -> EgressTag {
    match tag {
        None => EgressTag::None,
        Some(Tag::Vlan(id)) => EgressTag::Vlan(id),
        Some(Tag::EtherType(t)) => EgressTag::EtherType(t),
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

/// The engine drops the packet, counted under `reason`.
#[inline]
fn drop_packet<R: Recorder>(
    skb: SkBuff,
    reason: EngineDrop,
    bh: &BhContext,
    dp: Datapath<'_, R>,
) -> Option<SkBuff> {
    dp.end(bh, reason.into());
    drop(skb);
    None
}

#[kunit_tests(lana_graph)]
mod tests {
    use super::*;
    use crate::counters::Live;
    use crate::name::Name;

    fn name(s: &str) -> Name {
        Name::new(s.as_bytes(), "name").expect("valid name")
    }

    /// A registry with `blocks` (name, type), bound bottom to top in order.
    fn chain(blocks: &[(&str, &str)]) -> Registry {
        let mut reg = Registry::new();
        for (n, t) in blocks {
            let kind = crate::fbs::find(t.as_bytes()).expect("known type");
            reg.add(name(n), kind, |_| Ok(())).expect("add");
        }
        for pair in blocks.windows(2) {
            reg.bind(&name(pair[1].0), &name(pair[0].0)).expect("bind");
        }
        reg
    }

    /// The snapshot of `reg` with block `id` entered from attachment `slot`
    /// (no device: the tests send packets in themselves).
    fn with_entry(reg: &Registry, slot: usize, id: u32) -> KBox<Graph> {
        with_entry_tally(reg, slot, id, &mut None)
    }

    /// As [`with_entry`], the tally taken from `spare` if it has room.
    fn with_entry_tally(
        reg: &Registry,
        slot: usize,
        id: u32,
        spare: &mut Option<Tally>,
    ) -> KBox<Graph> {
        let mut graph = Graph::build(reg, core::iter::empty(), &mut None).expect("graph");
        graph
            .entries
            .resize(slot + 1, NO_ENTRY, GFP_KERNEL)
            .expect("entries");
        let node = reg.index_of(id).map_or(NONE, |i| i as u32);
        let up = graph.nodes.get(node as usize).map_or(NO_WALK, |n| n.up);
        graph.entries[slot] = Entry { node, up };
        let g = &mut *graph;
        g.tally = tally_entries(&mut g.entries, &mut g.tagged, spare).expect("tally");
        graph
    }

    /// Retires `graph`: what its tally counted goes into `stats` and the
    /// blocks' walk counters.
    fn retire(graph: KBox<Graph>, stats: &EngineStats) {
        Graph::retire(graph, stats, &mut None);
    }

    /// Sends one 60-byte packet into `graph` at attachment slot 0.
    fn send(graph: &Graph, sinks: &Sinks) -> bool {
        let skb = SkBuff::alloc(60).expect("skb");
        let dp = Datapath { sinks, rec: () };
        BhContext::with(|bh| graph.receive(0, skb, bh, dp).is_some())
    }

    #[test]
    fn a_packet_climbs_the_chain_and_stops_where_nothing_is_bound() {
        let reg = chain(&[("c", "counter"), ("f", "forward")]);
        let graph = with_entry(&reg, 0, 1);
        let sinks = Sinks::new().expect("sinks");
        let stats = &sinks.stats;
        assert!(!send(&graph, &sinks));
        retire(graph, stats);
        assert_eq!(stats.total(Counter::Hops), 2);
        assert_eq!(stats.total(Counter::DropNoNext), 1);
    }

    #[test]
    fn an_egress_packet_goes_down_the_chain() {
        // c at the bottom, f above it, h (host) on top; enter at f, going down.
        let reg = chain(&[("c", "counter"), ("f", "forward"), ("h", "host")]);
        let graph = with_entry(&reg, 0, 2);
        let sinks = Sinks::new().expect("sinks");
        let stats = &sinks.stats;
        let dp = Datapath {
            sinks: &sinks,
            rec: (),
        };
        let skb = SkBuff::alloc(60).expect("skb");
        BhContext::with(|bh| graph.transmit(0, skb, bh, dp));
        // f then c: the host block above is not visited.
        assert_eq!(stats.total(Counter::Hops), 2);
        assert_eq!(stats.total(Counter::DropNoNext), 1);
        let walks = |n: &str, i: usize| {
            let none = Live::none();
            reg.find(&name(n)).map_or(0, |e| e.walks.total(i, &none))
        };
        assert_eq!(walks("f", WALK_START + WALK_DOWN), 1);
        assert_eq!(walks("c", WALK_END + WALK_DOWN), 1);
        assert_eq!(walks("c", WALK_END), 0);
        // Entering at the host block: its verdict means nothing on egress.
        let graph = with_entry(&reg, 0, 3);
        let skb = SkBuff::alloc(60).expect("skb");
        BhContext::with(|bh| graph.transmit(0, skb, bh, dp));
        assert_eq!(stats.total(Counter::Hops), 3);
        assert_eq!(stats.total(Counter::DropWrongDirection), 1);
        assert_eq!(stats.total(Counter::DropNoNext), 1);
    }

    #[test]
    fn a_cycle_ends_at_the_hop_limit() {
        let mut reg = chain(&[("a", "forward"), ("b", "forward")]);
        // b is above a; putting a above b closes the cycle.
        assert!(reg.bind(&name("a"), &name("b")).is_ok());
        let graph = with_entry(&reg, 0, 1);
        let sinks = Sinks::new().expect("sinks");
        let stats = &sinks.stats;
        assert!(!send(&graph, &sinks));
        retire(graph, stats);
        assert_eq!(stats.total(Counter::Hops), u64::from(HOP_LIMIT));
        assert_eq!(stats.total(Counter::DropHopLimit), 1);
        assert_eq!(stats.total(Counter::DropNoNext), 0);
    }

    #[test]
    fn a_drop_block_ends_the_path_counted_as_its_drop() {
        let reg = chain(&[("f", "forward"), ("d", "drop"), ("x", "forward")]);
        let graph = with_entry(&reg, 0, 1);
        let sinks = Sinks::new().expect("sinks");
        let stats = &sinks.stats;
        assert!(!send(&graph, &sinks));
        retire(graph, stats);
        assert_eq!(stats.total(Counter::Hops), 2);
        assert_eq!(stats.total(Counter::DropBlock), 1);
        // The walk started at f and ended at d, which dropped it.
        let walks = |n: &str, i: usize| {
            let none = Live::none();
            reg.find(&name(n)).map_or(0, |e| e.walks.total(i, &none))
        };
        assert_eq!(walks("f", WALK_START), 1);
        assert_eq!(walks("f", WALK_END), 0);
        assert_eq!(walks("d", WALK_START), 0);
        assert_eq!(walks("d", WALK_END), 1);
        assert_eq!(walks("x", WALK_END), 0);
    }

    #[test]
    fn a_tee_copies_to_its_port_and_passes_the_original_on() {
        let mut reg = chain(&[("t", "tee"), ("f", "forward")]);
        let kind = crate::fbs::find(b"counter").expect("counter");
        assert!(reg.add(name("c"), kind, |_| Ok(())).is_ok());
        let sinks = Sinks::new().expect("sinks");
        let stats = &sinks.stats;
        // Unbound port: the copy is dropped and counted as such.
        let graph = with_entry(&reg, 0, 1);
        assert!(!send(&graph, &sinks));
        retire(graph, stats);
        assert_eq!(stats.total(Counter::DropNoPort), 1);
        assert_eq!(stats.total(Counter::DropNoNext), 1);
        // Bound: the copy goes for the backlog (none here: counted full).
        assert!(reg.bind_port(&name("c"), &name("t"), "clone").is_ok());
        let graph = with_entry(&reg, 0, 1);
        assert!(!send(&graph, &sinks));
        retire(graph, stats);
        assert_eq!(stats.total(Counter::DropBacklogFull), 1);
        assert_eq!(stats.total(Counter::DropNoNext), 2);
    }

    /// A walk runs in line until a block needs a call (a tee), then goes on
    /// out of line from that block: it and the blocks after it see the
    /// packet, and the walk is counted once, where it ends, with the reason
    /// of the block that ended it, whichever way that block was reached.
    #[test]
    fn a_walk_goes_on_out_of_line_from_the_first_block_that_needs_a_call() {
        let reg = chain(&[("f", "forward"), ("t", "tee"), ("e", "eth"), ("d", "drop")]);
        let sinks = Sinks::new().expect("sinks");
        let stats = &sinks.stats;
        // From f: in line to t, out of line from t on, where eth drops the
        // frame (no link-layer header recorded) as malformed; the tee's
        // copy finds its port unbound.
        let graph = with_entry(&reg, 0, 1);
        assert!(!send(&graph, &sinks));
        retire(graph, stats);
        assert_eq!(stats.total(Counter::Packets), 1);
        assert_eq!(stats.total(Counter::Hops), 3);
        assert_eq!(stats.total(Counter::DropNoPort), 1);
        assert_eq!(stats.total(Counter::DropMalformed), 1);
        // From e: in line all the way; eth decides the same there.
        let graph = with_entry(&reg, 0, 3);
        assert!(!send(&graph, &sinks));
        retire(graph, stats);
        assert_eq!(stats.total(Counter::Packets), 2);
        assert_eq!(stats.total(Counter::Hops), 4);
        assert_eq!(stats.total(Counter::DropMalformed), 2);
        assert_eq!(stats.total(Counter::DropBlock), 0);
        let walks = |n: &str, i: usize| {
            let none = Live::none();
            reg.find(&name(n)).map_or(0, |e| e.walks.total(i, &none))
        };
        assert_eq!(walks("f", WALK_START), 1);
        assert_eq!(walks("e", WALK_START), 1);
        assert_eq!(walks("e", WALK_END), 2);
        assert_eq!(walks("t", WALK_END), 0);
    }

    /// Frames from an entry count once each, in the snapshot's tally:
    /// readers see them there until the snapshot retires, then in the
    /// counters, the same.
    #[test]
    fn the_tally_counts_what_the_counters_show_once_folded() {
        let reg = chain(&[("e", "forward"), ("f", "forward"), ("d", "drop")]);
        let graph = with_entry(&reg, 0, 1);
        let sinks = Sinks::new().expect("sinks");
        let stats = &sinks.stats;
        for _ in 0..3 {
            assert!(!send(&graph, &sinks));
        }
        let none = Live::none();
        let walks = |n: &str, i: usize, live: Option<&Graph>| {
            let entry = reg.find(&name(n)).expect("block");
            let mut total = entry.walks.total(i, &none);
            for (cpu, graph) in possible_cpus().filter_map(|cpu| Some((cpu, live?))) {
                let mut out = [[0; WALK_COUNT]];
                let find = |w: &WalkCounters| core::ptr::eq(w, &*entry.walks).then_some(0);
                graph.tallied_walks(cpu, find, &mut out);
                total += out[0][i];
            }
            total
        };
        let mut live = [0; COUNT];
        for cpu in possible_cpus() {
            graph.tallied_engine(cpu, &mut live);
        }
        // In the tally only: nothing counted as it went.
        assert_eq!(stats.total(Counter::Packets), 0);
        assert_eq!(live[Counter::Packets as usize], 3);
        assert_eq!(live[Counter::Hops as usize], 9);
        assert_eq!(live[Counter::DropBlock as usize], 3);
        assert_eq!(walks("e", WALK_START, Some(&graph)), 3);
        assert_eq!(walks("d", WALK_END, Some(&graph)), 3);
        assert_eq!(walks("f", WALK_END, Some(&graph)), 0);
        assert_eq!(walks("e", WALK_START, None), 0);
        retire(graph, stats);
        assert_eq!(stats.total(Counter::Packets), 3);
        assert_eq!(stats.total(Counter::Hops), 9);
        assert_eq!(stats.total(Counter::DropBlock), 3);
        assert_eq!(walks("e", WALK_START, None), 3);
        assert_eq!(walks("d", WALK_END, None), 3);
        assert_eq!(walks("e", WALK_END, None), 0);
    }

    /// A retired snapshot's tally, once folded, serves the next snapshot,
    /// cleared: no count is seen twice.
    #[test]
    fn a_retired_tally_serves_the_next_snapshot_cleared() {
        let reg = chain(&[("f", "forward"), ("d", "drop")]);
        let sinks = Sinks::new().expect("sinks");
        let stats = &sinks.stats;
        let mut spare = None;
        let graph = with_entry_tally(&reg, 0, 1, &mut spare);
        assert!(!send(&graph, &sinks));
        Graph::retire(graph, stats, &mut spare);
        assert!(spare.is_some());
        let graph = with_entry_tally(&reg, 0, 1, &mut spare);
        assert!(spare.is_none());
        let mut live = [0; COUNT];
        for cpu in possible_cpus() {
            graph.tallied_engine(cpu, &mut live);
        }
        assert_eq!(live[Counter::Packets as usize], 0);
        assert!(!send(&graph, &sinks));
        Graph::retire(graph, stats, &mut spare);
        assert_eq!(stats.total(Counter::Packets), 2);
        assert_eq!(stats.total(Counter::DropBlock), 2);
    }

    /// A device registered by a batch that has not published yet: its
    /// frames go to the stack, as before the batch.
    #[test]
    fn a_slot_without_entry_leaves_the_frame_to_the_stack() {
        let reg = chain(&[("f", "forward")]);
        let graph = with_entry(&reg, 1, 1);
        let sinks = Sinks::new().expect("sinks");
        let stats = &sinks.stats;
        assert!(send(&graph, &sinks));
        retire(graph, stats);
        assert_eq!(stats.total(Counter::Packets), 1);
        assert_eq!(stats.total(Counter::ToStackNoEntry), 1);
        assert_eq!(stats.total(Counter::DropNoEntry), 0);
        assert_eq!(stats.total(Counter::Hops), 0);
    }
}
