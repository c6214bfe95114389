// SPDX-License-Identifier: GPL-2.0

//! The packet path's view of the graph: an immutable snapshot.
//!
//! Built by the control path from the [`Registry`] whenever it changes, then
//! published under RCU; the packet path follows it with no lock, no reference
//! count per hop and no allocation. Nodes hold `Arc`s to their blocks, so a
//! removed block lives until the last snapshot that could reach it is freed
//! after its grace period.

use kernel::{
    prelude::*,
    sync::{aref::ARef, SetOnce},
};

use crate::attach::Side;
use crate::block::{BhContext, Block, Device, Direction, PacketCx, SkBuff, Verdict};
use crate::registry::Registry;
use crate::stats::{Counter, EngineDrop, EngineStats};
use crate::vlink::{arc_ptr::ArcPtr, backlog::Backlog};

/// Most blocks a packet may visit; a packet going round a cycle is dropped
/// and counted when it reaches this.
pub(crate) const HOP_LIMIT: u32 = 64;

/// Marks "no node" in an index: out of bounds of any node array, so one
/// bounds check both validates an index and detects its absence.
const NONE: u32 = u32::MAX;

/// Bit of a queued copy's control-block word that marks the egress
/// direction; the low 32 bits are the target block's id.
const EGRESS_BIT: u64 = 1 << 32;

struct Node {
    block: ArcPtr<dyn Block>,
    /// Index of the next node upward (ingress), or [`NONE`].
    up: u32,
    /// Index of the next node downward (egress), or [`NONE`].
    down: u32,
    /// Where ingress packets go when nothing is bound above: the endpoint
    /// index of a lana device attached here, or [`NONE`].
    top_exit: u32,
    /// Where egress packets go when nothing is bound below: the endpoint
    /// index of a real device attached here, or [`NONE`].
    bottom_exit: u32,
    /// The endpoint index of the device egress packets from this node leave
    /// on (the real device at the bottom of its chain), or [`NONE`].
    egress_dev: u32,
    /// Index of the node each output port of the block's type leads to, or
    /// [`NONE`].
    ports: KVec<u32>,
}

/// A device attached to a block, as the graph sees it.
pub(crate) struct Endpoint<'a> {
    pub(crate) slot: usize,
    pub(crate) block: u32,
    pub(crate) side: Side,
    pub(crate) dev: &'a Device,
}

/// What the packet path uses of the engine besides the graph.
pub(crate) struct Datapath<'a> {
    pub(crate) stats: &'a EngineStats,
    /// Where copies wait; without one (graph tests) they are dropped. Read
    /// only when a copy is queued: the hot path does not touch it.
    pub(crate) backlog: Option<&'a SetOnce<Backlog>>,
}

/// An immutable graph snapshot.
///
/// # Invariants
///
/// Every `up`, `down`, port and entry is an index into `nodes` or [`NONE`];
/// every exit and `egress_dev` an index into `devices` or [`NONE`]; `ids`
/// holds the block id of each node, ascending.
pub(crate) struct Graph {
    nodes: KVec<Node>,
    ids: KVec<u32>,
    /// Entry node per attachment slot, or [`NONE`].
    entries: KVec<u32>,
    /// The attached devices, held until the snapshot is freed: the device
    /// notifier detaches an unregistering device, publishing a snapshot
    /// without it, before the device waits for its references.
    devices: KVec<ARef<Device>>,
}

impl Graph {
    /// Builds the snapshot of `registry` with `attachments`. A block with
    /// several devices attached on one side exits to the one with the lowest
    /// slot.
    pub(crate) fn build<'a>(
        registry: &Registry,
        attachments: impl Iterator<Item = Endpoint<'a>>,
    ) -> Result<KBox<Self>> {
        let index = |id: Option<u32>| {
            id.and_then(|id| registry.index_of(id))
                .map_or(NONE, |i| i as u32)
        };
        let count = registry.entries().len();
        let mut nodes = KVec::with_capacity(count, GFP_KERNEL)?;
        let mut ids = KVec::with_capacity(count, GFP_KERNEL)?;
        for entry in registry.entries() {
            let mut ports = KVec::with_capacity(entry.ports.len(), GFP_KERNEL)?;
            for target in entry.ports.iter() {
                ports.push(index(*target), GFP_KERNEL)?;
            }
            nodes.push(
                Node {
                    block: ArcPtr::new(entry.block.clone()),
                    up: index(entry.upper),
                    down: index(entry.lower),
                    top_exit: NONE,
                    bottom_exit: NONE,
                    egress_dev: NONE,
                    ports,
                },
                GFP_KERNEL,
            )?;
            ids.push(entry.id, GFP_KERNEL)?;
        }
        let mut entries = KVec::new();
        let mut devices = KVec::new();
        let mut sorted = KVec::new();
        for a in attachments {
            sorted.push(a, GFP_KERNEL)?;
        }
        sorted.sort_unstable_by_key(|a| a.slot);
        let attachments = sorted;
        for a in attachments.iter() {
            if entries.len() <= a.slot {
                entries.resize(a.slot + 1, NONE, GFP_KERNEL)?;
            }
            let node = index(Some(a.block));
            entries[a.slot] = node;
            let Some(node) = nodes.get_mut(node as usize) else {
                continue;
            };
            let exit = match a.side {
                Side::Top => &mut node.top_exit,
                Side::Bottom => &mut node.bottom_exit,
            };
            if *exit == NONE {
                *exit = devices.len() as u32;
                devices.push(ARef::from(a.dev), GFP_KERNEL)?;
            }
        }
        // Where each node's egress leaves: down its chain to the bottom.
        for i in 0..nodes.len() {
            let mut at = i;
            for _ in 0..HOP_LIMIT {
                match nodes[at].down {
                    NONE => break,
                    down => at = down as usize,
                }
            }
            nodes[i].egress_dev = if nodes[at].down == NONE {
                nodes[at].bottom_exit
            } else {
                NONE // A cycle: no bottom.
            };
        }
        // INVARIANT: Indices come from `registry.index_of`, the node order,
        // which is ascending id order, and from `devices`' length as it grew.
        Ok(KBox::new(
            Self {
                nodes,
                ids,
                entries,
                devices,
            },
            GFP_KERNEL,
        )?)
    }

    fn node(&self, index: u32) -> Option<&Node> {
        self.nodes.get(index as usize)
    }

    /// Runs a packet received on attachment `slot` through the graph.
    /// Returns the packet if it should continue into the Linux stack.
    #[inline(always)]
    pub(crate) fn receive(
        &self,
        slot: usize,
        skb: SkBuff,
        bh: &BhContext,
        dp: &Datapath<'_>,
    ) -> Option<SkBuff> {
        let entry = self.entries.get(slot).copied().unwrap_or(NONE);
        match self.node(entry) {
            Some(node) => self.run::<false>(node, skb, &self.cx(bh, Direction::Ingress), dp),
            None => drop_packet(skb, EngineDrop::NoEntry, bh, dp.stats),
        }
    }

    /// Runs a packet sent through the lana device of attachment `slot`
    /// through the graph, downward.
    pub(crate) fn transmit(&self, slot: usize, skb: SkBuff, bh: &BhContext, dp: &Datapath<'_>) {
        let entry = self.entries.get(slot).copied().unwrap_or(NONE);
        let left = match self.node(entry) {
            Some(node) => self.run::<true>(node, skb, &self.cx(bh, Direction::Egress), dp),
            None => drop_packet(skb, EngineDrop::NoEntry, bh, dp.stats),
        };
        if let Some(skb) = left {
            drop_packet(skb, EngineDrop::WrongDirection, bh, dp.stats);
        }
    }

    fn cx<'a>(&'a self, bh: &'a BhContext, direction: Direction) -> PacketCx<'a> {
        PacketCx::new(bh, direction, &self.devices)
    }

    /// Runs a packet from the backlog through the graph, from the block and
    /// in the direction its control-block word names (see [`Self::queue`]).
    /// The block may have gone since the packet was queued.
    pub(crate) fn receive_queued(&self, skb: SkBuff, bh: &BhContext, dp: &Datapath<'_>) {
        let word = skb.cb_word();
        let id = word as u32;
        let node = self
            .ids
            .binary_search(&id)
            .ok()
            .and_then(|i| self.nodes.get(i));
        let Some(node) = node else {
            drop_packet(skb, EngineDrop::Stale, bh, dp.stats);
            return;
        };
        if word & EGRESS_BIT != 0 {
            let left = self.run::<true>(node, skb, &self.cx(bh, Direction::Egress), dp);
            if let Some(skb) = left {
                drop_packet(skb, EngineDrop::WrongDirection, bh, dp.stats);
            }
        } else if let Some(skb) = self.run::<false>(node, skb, &self.cx(bh, Direction::Ingress), dp)
        {
            // Not inside an rx_handler: hand it to the stack ourselves.
            skb.hand_to_stack(bh);
        }
    }

    // Inlined into both callers: a call per packet is a measurable share of
    // the engine's cost (make bench).
    //
    // `EGRESS` is the direction, a constant so the ingress path carries
    // nothing of egress but this one copy of the loop.
    #[inline(always)]
    fn run<'g, const EGRESS: bool>(
        &'g self,
        mut node: &'g Node,
        skb: SkBuff,
        cx: &PacketCx<'_>,
        dp: &Datapath<'_>,
    ) -> Option<SkBuff> {
        let bh = cx.bh();
        let mut skb = skb;
        let mut hops = 1;
        let result = loop {
            if EGRESS {
                cx.set_egress_dev(node.egress_dev);
            }
            let passed = match node.block.receive(skb, cx) {
                Verdict::Pass(passed) => passed,
                Verdict::PassWithCopy(passed) => {
                    if let Some((port, copy)) = cx.take_copy() {
                        self.queue::<EGRESS>(node, port, copy, bh, dp);
                    }
                    passed
                }
                Verdict::Drop(skb, reason) => {
                    break drop_packet(skb, EngineDrop::Block(reason), bh, dp.stats)
                }
                Verdict::Host(skb) => {
                    dp.stats.add(bh, Counter::ToStack, 1);
                    break Some(skb);
                }
                Verdict::Consumed => {
                    dp.stats.add(bh, Counter::Consumed, 1);
                    break None;
                }
            };
            skb = passed;
            let Some(next) = self.node(if EGRESS { node.down } else { node.up }) else {
                break self.leave::<EGRESS>(node, skb, bh, dp);
            };
            if hops == HOP_LIMIT {
                break drop_packet(skb, EngineDrop::HopLimit, bh, dp.stats);
            }
            // Bounded by HOP_LIMIT just above.
            hops = hops.wrapping_add(1);
            node = next;
        };
        dp.stats.add(bh, Counter::Hops, u64::from(hops));
        result
    }

    /// A packet passed `node` with nothing bound next in its direction: it
    /// leaves on the device attached there for that, or is dropped.
    fn leave<const EGRESS: bool>(
        &self,
        node: &Node,
        skb: SkBuff,
        bh: &BhContext,
        dp: &Datapath<'_>,
    ) -> Option<SkBuff> {
        let exit = if EGRESS {
            node.bottom_exit
        } else {
            node.top_exit
        };
        let Some(dev) = self.devices.get(exit as usize) else {
            return drop_packet(skb, EngineDrop::NoNext, bh, dp.stats);
        };
        if !EGRESS {
            skb.deliver_to_link(dev, bh);
            dp.stats.add(bh, Counter::Delivered, 1);
        } else if skb.transmit(dev).is_ok() {
            dp.stats.add(bh, Counter::Transmitted, 1);
        } else {
            dp.stats.add(bh, Counter::DropTxError, 1);
        }
        None
    }

    /// Queues a copy a block left for its output `port` on this CPU's
    /// backlog, addressed to the block bound there (by id: the graph may
    /// change before it is delivered), to go on in the same direction.
    fn queue<const EGRESS: bool>(
        &self,
        node: &Node,
        port: usize,
        mut copy: SkBuff,
        bh: &BhContext,
        dp: &Datapath<'_>,
    ) {
        let target = node.ports.get(port).copied().unwrap_or(NONE);
        let Some(&id) = self.ids.get(target as usize) else {
            drop_packet(copy, EngineDrop::NoPort, bh, dp.stats);
            return;
        };
        let direction = if EGRESS { EGRESS_BIT } else { 0 };
        copy.set_cb_word(u64::from(id) | direction);
        let refused = match dp.backlog.and_then(SetOnce::as_ref) {
            Some(backlog) => backlog.enqueue(copy, bh).err(),
            None => Some(copy),
        };
        match refused {
            None => dp.stats.add(bh, Counter::Queued, 1),
            Some(copy) => {
                drop_packet(copy, EngineDrop::BacklogFull, bh, dp.stats);
            }
        }
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

#[kunit_tests(lana_graph)]
mod tests {
    use super::*;
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
        let mut graph = Graph::build(reg, core::iter::empty()).expect("graph");
        graph
            .entries
            .resize(slot + 1, NONE, GFP_KERNEL)
            .expect("entries");
        graph.entries[slot] = reg.index_of(id).map_or(NONE, |i| i as u32);
        graph
    }

    /// Sends one 60-byte packet into `graph` at attachment slot 0.
    fn send(graph: &Graph, stats: &EngineStats) -> bool {
        let skb = SkBuff::alloc(60).expect("skb");
        let dp = Datapath {
            stats,
            backlog: None,
        };
        BhContext::with(|bh| graph.receive(0, skb, bh, &dp).is_some())
    }

    #[test]
    fn a_packet_climbs_the_chain_and_stops_where_nothing_is_bound() {
        let reg = chain(&[("c", "counter"), ("f", "forward")]);
        let graph = with_entry(&reg, 0, 1);
        let stats = EngineStats::new().expect("stats");
        assert!(!send(&graph, &stats));
        assert_eq!(stats.total(Counter::Hops), 2);
        assert_eq!(stats.total(Counter::DropNoNext), 1);
    }

    #[test]
    fn an_egress_packet_goes_down_the_chain() {
        // c at the bottom, f above it, h (host) on top; enter at f, going down.
        let reg = chain(&[("c", "counter"), ("f", "forward"), ("h", "host")]);
        let graph = with_entry(&reg, 0, 2);
        let stats = EngineStats::new().expect("stats");
        let dp = Datapath {
            stats: &stats,
            backlog: None,
        };
        let skb = SkBuff::alloc(60).expect("skb");
        BhContext::with(|bh| graph.transmit(0, skb, bh, &dp));
        // f then c: the host block above is not visited.
        assert_eq!(stats.total(Counter::Hops), 2);
        assert_eq!(stats.total(Counter::DropNoNext), 1);
        // Entering at the host block: its verdict means nothing on egress.
        let graph = with_entry(&reg, 0, 3);
        let skb = SkBuff::alloc(60).expect("skb");
        BhContext::with(|bh| graph.transmit(0, skb, bh, &dp));
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
        let stats = EngineStats::new().expect("stats");
        assert!(!send(&graph, &stats));
        assert_eq!(stats.total(Counter::Hops), u64::from(HOP_LIMIT));
        assert_eq!(stats.total(Counter::DropHopLimit), 1);
        assert_eq!(stats.total(Counter::DropNoNext), 0);
    }

    #[test]
    fn a_drop_block_ends_the_path_counted_as_its_drop() {
        let reg = chain(&[("f", "forward"), ("d", "drop"), ("x", "forward")]);
        let graph = with_entry(&reg, 0, 1);
        let stats = EngineStats::new().expect("stats");
        assert!(!send(&graph, &stats));
        assert_eq!(stats.total(Counter::Hops), 2);
        assert_eq!(stats.total(Counter::DropBlock), 1);
    }

    #[test]
    fn a_tee_copies_to_its_port_and_passes_the_original_on() {
        let mut reg = chain(&[("t", "tee"), ("f", "forward")]);
        let kind = crate::fbs::find(b"counter").expect("counter");
        assert!(reg.add(name("c"), kind, |_| Ok(())).is_ok());
        let stats = EngineStats::new().expect("stats");
        // Unbound port: the copy is dropped and counted as such.
        let graph = with_entry(&reg, 0, 1);
        assert!(!send(&graph, &stats));
        assert_eq!(stats.total(Counter::DropNoPort), 1);
        assert_eq!(stats.total(Counter::DropNoNext), 1);
        // Bound: the copy goes for the backlog (none here: counted full).
        assert!(reg.bind_port(&name("c"), &name("t"), "clone").is_ok());
        let graph = with_entry(&reg, 0, 1);
        assert!(!send(&graph, &stats));
        assert_eq!(stats.total(Counter::DropBacklogFull), 1);
        assert_eq!(stats.total(Counter::DropNoNext), 2);
    }

    #[test]
    fn a_slot_without_entry_drops_counted() {
        let reg = chain(&[("f", "forward")]);
        let graph = with_entry(&reg, 1, 1);
        let stats = EngineStats::new().expect("stats");
        assert!(!send(&graph, &stats));
        assert_eq!(stats.total(Counter::DropNoEntry), 1);
        assert_eq!(stats.total(Counter::Hops), 0);
    }
}
