// SPDX-License-Identifier: GPL-2.0-only

//! KUnit tests of the snapshot: layout, walks and tallies.

use super::build::tally_entries;
use super::*;

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
        let node = reg.index_of(id).map_or(NodeIdx::NONE, NodeIdx::new);
        let up = graph.nodes.get(node.get()).map_or(NO_WALK, |n| n.up);
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
    fn a_chain_longer_than_the_hop_limit_ends_at_it_both_ways() {
        // HOP_LIMIT + 6 forwards in a straight chain, "aa" at the bottom.
        let mut reg = Registry::new();
        let count = HOP_LIMIT as u8 + 6;
        let name_of = |i: u8| {
            let letters = [b'a' + i / 26, b'a' + i % 26];
            name(core::str::from_utf8(&letters).expect("ascii"))
        };
        let kind = crate::fbs::find(b"forward").expect("known type");
        for i in 0..count {
            reg.add(name_of(i), kind, |_| Ok(())).expect("add");
        }
        for i in 1..count {
            reg.bind(&name_of(i), &name_of(i - 1)).expect("bind");
        }
        let sinks = Sinks::new().expect("sinks");
        let stats = &sinks.stats;
        // Up from the bottom: the walk stops at the limit, not at the top.
        let graph = with_entry(&reg, 0, 1);
        assert!(!send(&graph, &sinks));
        retire(graph, stats);
        assert_eq!(stats.total(Counter::Hops), u64::from(HOP_LIMIT));
        assert_eq!(stats.total(Counter::DropHopLimit), 1);
        assert_eq!(stats.total(Counter::DropNoNext), 0);
        // Down from the top, likewise.
        let graph = with_entry(&reg, 0, u32::from(count));
        let dp = Datapath {
            sinks: &sinks,
            rec: (),
        };
        let skb = SkBuff::alloc(60).expect("skb");
        BhContext::with(|bh| graph.transmit(0, skb, bh, dp));
        assert_eq!(stats.total(Counter::Hops), 2 * u64::from(HOP_LIMIT));
        assert_eq!(stats.total(Counter::DropHopLimit), 2);
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
