// SPDX-License-Identifier: GPL-2.0-only

//! The packet path through a snapshot: entries, walks, exits and copies.
//!
//! Softirq context, under RCU, for every packet: no lock, no allocation, no
//! reference count per hop, and nothing called that the compiler could
//! have put in line (`make bench` measures every change here).

use super::*;

impl Graph {
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
                return self.walk::<false, true, R>(path, &entry.up, skb, bh, dp);
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
        self.walk_from::<false, true, R>(up, skb, bh, dp)
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
        let entry = self.entries.get(slot).map_or(NodeIdx::NONE, |e| e.node);
        let left = match self.nodes.get(entry.get()) {
            Some(node) => self.walk_from::<true, false, R>(&node.down, skb, bh, dp),
            None => drop_packet(skb, EngineDrop::NoEntry, bh, dp),
        };
        if let Some(skb) = left {
            drop_packet(skb, EngineDrop::WrongDirection, bh, dp);
        }
    }

    /// The context of the blocks of `walk` that need a call: in a walk
    /// down, the device it leaves on at the bottom, if any.
    fn cx<'a>(&'a self, bh: &'a BhContext, direction: Direction, walk: &Walk) -> PacketCx<'a> {
        let egress = match direction {
            // Ingress needs none: no lookup on its path.
            Direction::Ingress => None,
            Direction::Egress => self.devices.get(walk.exit.get()).map(|e| &*e.dev),
        };
        PacketCx::new(bh, direction, egress)
    }

    /// Runs a packet from the backlog through the graph, from the block and
    /// in the direction its control-block word names (see [`Self::queue`]).
    /// The block may have gone since the packet was queued.
    #[inline]
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
            if let Some(skb) = self.walk_from::<true, false, R>(&node.down, skb, bh, dp) {
                drop_packet(skb, EngineDrop::WrongDirection, bh, dp);
            }
        } else {
            if let Some(skb) = self.walk_from::<false, false, R>(&node.up, skb, bh, dp) {
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
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        if let Some(path) = self.path(walk) {
            return self.walk::<EGRESS, TALLY, R>(path, walk, skb, bh, dp);
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
    pub(super) fn path(&self, walk: &Walk) -> Option<&[Stage]> {
        let (start, end) = (walk.start as usize, walk.end as usize);
        if start < end && end <= self.lane.len() {
            self.lane.get(start..end)
        } else {
            None
        }
    }

    /// Walks `path`, the stages of `walk` (not empty), up from the first for
    /// ingress, down from the last for egress; after the last, the packet
    /// leaves by the walk's exit.
    /// `TALLY`: a walk from an entry (going up), whose end is counted once,
    /// in the tally; the others count their start, hops, end and outcome.
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
                    return self.walk_called::<EGRESS, TALLY, R>(rest, walk, skb, bh, dp);
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
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        let bh: &BhContext = &bh;
        let cx = self.cx(bh, direction::<EGRESS>(), walk);
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
            cold_path();
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

    /// A packet passed every stage of `walk`: it leaves by the walk's exit,
    /// or is dropped at the hop limit. Out of line, with
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
        if walk.exit == ExitIdx::HOP_LIMIT {
            return drop_packet(skb, EngineDrop::HopLimit, bh, dp);
        }
        self.leave::<EGRESS, R>(walk.exit, skb, bh, dp)
    }

    /// Queues the copy block `node` left in `cx`, if any. Out of line: only
    /// blocks that copy pay for it.
    #[inline(never)]
    fn copied<const EGRESS: bool, R: Recorder>(
        &self,
        node: NodeIdx,
        cx: &PacketCx<'_>,
        dp: Datapath<'_, R>,
    ) {
        if let Some((port, copy)) = cx.take_copy() {
            self.queue::<EGRESS, R>(node, port, copy, cx.bh(), dp);
        }
    }

    /// A packet passed the last block of its chain in its direction: it
    /// leaves on the device attached there for that, `exit`, or is dropped
    /// (none).
    #[inline(always)]
    fn leave<const EGRESS: bool, R: Recorder>(
        &self,
        exit: ExitIdx,
        skb: SkBuff,
        bh: &BhContext,
        dp: Datapath<'_, R>,
    ) -> Option<SkBuff> {
        let Some(exit) = self.devices.get(exit.get()) else {
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
        node: NodeIdx,
        port: usize,
        mut copy: SkBuff,
        bh: &BhContext,
        dp: Datapath<'_, R>,
    ) {
        let target = self
            .nodes
            .get(node.get())
            .filter(|n| port < n.port_count as usize)
            .and_then(|n| self.ports.get(n.port_base as usize + port))
            .copied()
            .unwrap_or(NodeIdx::NONE);
        let Some(&id) = self.ids.get(target.get()) else {
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

/// What an egress frame is given on leaving by an attachment tagged `tag`.
fn egress_tag(tag: Option<Tag>) -> EgressTag {
    match tag {
        None => EgressTag::None,
        Some(Tag::Vlan(id)) => EgressTag::Vlan(id),
        Some(Tag::EtherType(t)) => EgressTag::EtherType(t),
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

/// Marks the path that calls it as unlikely: the branch to it is laid out
/// away from the hot one. `core::hint::cold_path` does this from rustc
/// 1.95 on; the module builds with 1.85 too (Debian 13's kernel: see
/// docs/ARCHITECTURE.md, "Toolchains"), where a call to an empty `#[cold]`
/// function is the stable way to say it (checked in the disassembly: the
/// walk's loop falls through on `Pass`, the other verdicts branch away).
#[cold]
#[inline]
fn cold_path() {}
