// SPDX-License-Identifier: GPL-2.0

//! The engine: block instances, bindings, device attachments, and the graph
//! snapshot the packet path follows.
//!
//! Control path: every change takes `control` (lock order: the RTNL first
//! when devices are involved, then `control`), changes the registry, builds a
//! new [`Graph`] and publishes it under RCU; the previous snapshot is freed
//! after a grace period, and with it any block it alone still referenced.
//!
//! Packet path: [`Engine::receive`] reads the published snapshot under the
//! RCU read lock and nothing else.

mod apply;

pub(crate) use apply::{Change, Mode};

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{aref::ARef, Arc, Mutex},
};

use crate::attach::{Registration, Side, Tag};
use crate::block::{
    BhContext, BhCopy, Block, BlockType, Device, Prepared, Setting, SkBuff, StatSink,
};
use crate::commands;
use crate::counters::{Live, WalkCounters, WALK_COUNT};
use crate::error::{ctl_err, shown, CtlError, CtlResult};
use crate::event::{Event, EventKind};
use crate::graph::{Datapath, Endpoint, Graph, Sinks};
use crate::name::Name;
use crate::registry::Registry;
use crate::stats::{Counter, EngineDrop, EngineStats};
use crate::tally::Tally;
use crate::trace::{Record, Recorder, Tracer};
use crate::uapi::{attr, cmd};
use crate::vlink::{
    backlog::Backlog,
    genl::{AttrWriter, EventGroup},
    netdev::{Namespace, Rtnl},
    percpu::possible_cpus,
    rcu::{RcuBox, Retired},
    trace_key::{self, TraceKey},
};

/// A device attached to a block, with a tag or not.
///
/// A device's attachments (several only for tagged ones) share its slot,
/// and one of them holds the device's registration: the rx_handler, or the
/// lana device's endpoint, whose handler data names the slot.
pub(crate) struct Attached {
    slot: usize,
    block: u32,
    tag: Option<Tag>,
    side: Side,
    dev: ARef<Device>,
    registration: Option<Registration>,
}

impl Attached {
    pub(crate) fn device_name(&self) -> &CStr {
        self.dev.name()
    }

    pub(crate) fn ifindex(&self) -> i32 {
        self.dev.ifindex()
    }

    pub(crate) fn block(&self) -> u32 {
        self.block
    }

    pub(crate) fn side(&self) -> Side {
        self.side
    }

    pub(crate) fn tag(&self) -> Option<Tag> {
        self.tag
    }

    fn is_on(&self, dev: &Device) -> bool {
        self.dev.as_raw() == dev.as_raw()
    }

    fn endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            slot: self.slot,
            block: self.block,
            side: self.side,
            tag: self.tag,
            dev: &self.dev,
        }
    }
}

/// Control-path state, under the engine's mutex.
///
/// # Invariants
///
/// `attached` is sorted by slot; the attachments of one device share one
/// slot, no other, and differ in tag; exactly one of them holds the
/// registration; each names a block in `registry`. The published graph
/// reflects `registry` and `attached`.
pub(crate) struct Control {
    registry: Registry,
    attached: KVec<Attached>,
    /// Set at shutdown: nothing may be attached any more.
    closed: bool,
    /// Held while a trace is armed in this engine.
    trace_key: Option<TraceKey>,
    /// The tally of the last retired snapshot, for the next (see
    /// [`crate::tally::Tally::new`]).
    spare_tally: Option<Tally>,
    /// One more with every change to the graph: blocks, settings,
    /// bindings, subscriptions, attachments (`lanactl apply
    /// --expect-revision`).
    revision: u32,
}

impl Control {
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    pub(crate) fn attached(&self) -> &[Attached] {
        &self.attached
    }

    /// The graph's revision.
    pub(crate) fn revision(&self) -> u32 {
        self.revision
    }

    /// Counts a change to the graph.
    fn changed(&mut self) {
        self.revision = self.revision.wrapping_add(1);
    }

    fn attached_to(&self, id: u32) -> Option<&Attached> {
        self.attached.iter().find(|a| a.block == id)
    }
}

/// The lana-rs engine.
///
/// Fields drop in declaration order: the backlog first (in `sinks`), which
/// waits for its deliveries into this engine to finish.
#[pin_data]
pub(crate) struct Engine {
    /// Where copies made by blocks wait (see [`Engine::set_backlog`]) and the
    /// engine's counters.
    sinks: Sinks,
    #[pin]
    control: Mutex<Control>,
    graph: RcuBox<Graph>,
    /// Where events are multicast (`lanactl monitor`), and trace records
    /// sent.
    events: EventGroup,
    /// The trace armed in this engine, if any (`lanactl trace`).
    tracer: Tracer,
    /// Events no listener got: no memory for the message
    /// (`events_lost` in the engine's statistics).
    events_lost: AtomicU64,
}

impl Engine {
    pub(crate) fn new(events: EventGroup) -> Result<Arc<Self>> {
        let engine = Arc::pin_init(
            try_pin_init!(Self {
                sinks: Sinks::new()?,
                control <- new_mutex!(Control {
                    registry: Registry::new(),
                    attached: KVec::new(),
                    closed: false,
                    trace_key: None,
                    spare_tally: None,
                    revision: 0,
                }),
                graph: RcuBox::empty(),
                events,
                tracer: Tracer::new(),
                events_lost: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )?;
        {
            let mut control = engine.control.lock();
            engine.publish(&mut control).map_err(|e| e.errno())?;
            control.revision = 0;
        }
        Ok(engine)
    }

    /// Builds and publishes the snapshot of `control`, then frees the
    /// previous one after a grace period. Counts a revision.
    fn publish(&self, control: &mut Control) -> CtlResult {
        let attachments = control.attached.iter().map(Attached::endpoint);
        let graph = Graph::build(&control.registry, attachments, &mut control.spare_tally)?;
        self.retire(control, self.graph.publish(Some(graph)));
        control.changed();
        Ok(())
    }

    /// Waits for the grace period of the snapshot `retired`, then folds its
    /// tally into the counters. The control lock is held: readers, who
    /// hold it too, see the counts of a snapshot in its tally or folded,
    /// never both nor neither.
    fn retire(&self, control: &mut Control, retired: Retired<Graph>) {
        if let Some(graph) = retired.wait() {
            Graph::retire(graph, &self.sinks.stats, &mut control.spare_tally);
        }
    }

    /// Delivers `event` over the chain of block `id` (to the block and its
    /// subscribers).
    fn notify(control: &Control, id: u32, event: &Event) {
        control.registry.notify(id, event);
    }

    /// Multicasts `event` to `lanactl monitor` and other listeners. Losing it
    /// (no memory) only costs the listeners that one message; it is
    /// counted, never a reason to refuse the change it reports.
    fn announce(&self, event: &Event) {
        let sent = self
            .events
            .send(cmd::EVENT, |m| commands::put_event(m, event));
        if sent.is_err() {
            self.events_lost.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Gives the engine its backlog, made for it once it has its final
    /// address (by the namespace that owns it). Until then, and if this is
    /// called twice, copies are dropped and counted.
    pub(crate) fn set_backlog(&self, backlog: Backlog) {
        let _ = self.sinks.backlog.populate(backlog);
    }

    fn datapath<R: Recorder>(&self, rec: R) -> Datapath<'_, R> {
        Datapath {
            sinks: &self.sinks,
            rec,
        }
    }

    /// The packet path: a copy from the backlog, for the block its cb names.
    pub(crate) fn deliver(&self, skb: SkBuff, bh: &BhContext) {
        match self.graph.get(bh) {
            Some(graph) => graph.receive_queued(skb, bh, self.datapath(())),
            None => {
                self.sinks.stats.add(bh, EngineDrop::Stale.into(), 1);
                drop(skb);
            }
        }
    }

    /// The packet path: a packet the host sends through the lana device of
    /// attachment `slot`.
    pub(crate) fn transmit(&self, slot: usize, skb: SkBuff, bh: &BhContext) {
        // A static branch: a nop unless some trace is armed.
        if trace_key::armed() {
            return self.transmit_tracing(slot, skb, bh);
        }
        self.transmit_with(slot, skb, bh, self.graph.get(bh), ());
    }

    /// [`Self::transmit`] while a trace is armed: this packet may be one to
    /// trace. Out of line, as all the tracing: the packet path is the same
    /// with or without the feature.
    #[inline(never)]
    #[cold]
    fn transmit_tracing(&self, slot: usize, skb: SkBuff, bh: &BhContext) {
        // One snapshot for the walk and the record's block names.
        let graph = self.graph.get(bh);
        match graph {
            Some(g) if self.tracer.take(slot).is_some() => {
                self.traced(g, |rec| self.transmit_with(slot, skb, bh, graph, rec));
            }
            _ => self.transmit_with(slot, skb, bh, graph, ()),
        }
    }

    #[inline(always)]
    fn transmit_with<R: Recorder>(
        &self,
        slot: usize,
        skb: SkBuff,
        bh: &BhContext,
        graph: Option<&Graph>,
        rec: R,
    ) {
        self.sinks.stats.add(bh, Counter::Packets, 1);
        match graph {
            Some(graph) => graph.transmit(slot, skb, bh, self.datapath(rec)),
            None => {
                self.sinks.stats.add(bh, EngineDrop::NoEntry.into(), 1);
                drop(skb);
            }
        }
    }

    /// The packet path: a frame from attachment `slot`.
    #[inline]
    pub(crate) fn receive(&self, slot: usize, skb: SkBuff, bh: &BhContext) -> Option<SkBuff> {
        // A static branch: a nop unless some trace is armed.
        if trace_key::armed() {
            return self.receive_tracing(slot, skb, bh.copy());
        }
        self.receive_with(slot, skb, bh, self.graph.get(bh), ())
    }

    /// [`Self::receive`] while a trace is armed (see [`Self::transmit_tracing`]).
    #[inline(never)]
    #[cold]
    fn receive_tracing(&self, slot: usize, skb: SkBuff, bh: BhCopy<'_>) -> Option<SkBuff> {
        let bh: &BhContext = &bh;
        // One snapshot for the walk and the record's block names.
        let graph = self.graph.get(bh);
        match graph {
            Some(g) if self.tracer.take(slot).is_some() => {
                self.traced(g, |rec| self.receive_with(slot, skb, bh, graph, rec))
            }
            _ => self.receive_with(slot, skb, bh, graph, ()),
        }
    }

    #[inline(always)]
    fn receive_with<R: Recorder>(
        &self,
        slot: usize,
        skb: SkBuff,
        bh: &BhContext,
        graph: Option<&Graph>,
        rec: R,
    ) -> Option<SkBuff> {
        match graph {
            // The graph counts the packet (its tally, for most).
            Some(graph) => graph.receive(slot, skb, bh, self.datapath(rec)),
            // Not reached while a device is attached (its attachment holds
            // the engine, which withdraws the graph only when dropped);
            // the frame would go where it goes unattached.
            None => {
                self.sinks.stats.add(bh, Counter::Packets, 1);
                self.sinks.stats.add(bh, Counter::ToStackNoEntry, 1);
                Some(skb)
            }
        }
    }

    /// Runs a traced packet through `run`, then sends its record to the
    /// socket that armed the trace. Out of line: the untraced path stays as
    /// it was.
    #[inline(never)]
    #[cold]
    fn traced<T>(&self, graph: &Graph, run: impl FnOnce(&Record) -> T) -> T {
        let record = Record::new();
        let result = run(&record);
        let portid = self.tracer.portid();
        let sent = self.events.unicast(portid, cmd::TRACE, |m| {
            for node in record.nodes() {
                if let Some(name) = graph.name_of(node) {
                    m.put_bytes_str(attr::BLOCK_NAME, name.as_bytes())?;
                }
            }
            let end = record.end_counter().map_or(c"none", EngineStats::name);
            m.put_str(attr::VERDICT, end)
        });
        // The tracing socket is gone: stop, rather than build records for
        // nobody (the key stays on until the next trace command).
        if sent == Err(ECONNREFUSED) {
            self.tracer.disarm();
        }
        result
    }

    /// Traces the next `count` packets entering device `dev` of `net`, for
    /// the socket of port `portid`; `count` 0 stops a trace.
    pub(crate) fn trace(&self, net: &Namespace, dev: &CStr, count: u32, portid: u32) -> CtlResult {
        let mut control = self.control.lock();
        if count == 0 {
            self.tracer.disarm();
            // May sleep: the control path, under our mutex.
            control.trace_key = None;
            return Ok(());
        }
        let shown = shown(dev);
        let device = net
            .device_by_name(dev)
            .ok_or_else(|| ctl_err!(ENODEV, "no device '{shown}'"))?;
        let slot = control
            .attached
            .iter()
            .find(|a| a.is_on(&device))
            .map(|a| a.slot)
            .ok_or_else(|| ctl_err!(ENOENT, "device '{shown}' is not attached"))?;
        if control.trace_key.is_none() {
            control.trace_key = Some(TraceKey::get());
        }
        self.tracer.arm(slot, count, portid);
        Ok(())
    }

    /// Runs `f` on the control state, with the mutex held.
    pub(crate) fn with_control<R>(&self, f: impl FnOnce(&Control) -> R) -> R {
        f(&self.control.lock())
    }

    pub(crate) fn stats(&self, sink: &mut dyn StatSink) -> Result {
        // No snapshot retires (folding its tally) while the lock is held.
        let _control = self.control.lock();
        let live = self.live(|graph, cpu, out| graph.tallied_engine(cpu, out))?;
        self.sinks.stats.report(sink, &live)?;
        if let Some(backlog) = self.sinks.backlog.as_ref() {
            let total = backlog.depth().map(|(_, depth)| depth).sum();
            sink.counter(c"backlog_depth", total, &mut backlog.depth())?;
        }
        sink.value(c"events_lost", self.events_lost.load(Ordering::Relaxed))
    }

    /// What the published snapshot's tally holds for the walk counters
    /// `walks`, per CPU. Call with the control lock held: no snapshot
    /// retires (folding its tally into the counters) meanwhile.
    pub(crate) fn live_walks(&self, walks: &WalkCounters) -> Result<Live<WALK_COUNT>> {
        let mut live = self.live_walks_of(&[walks])?;
        Ok(live.pop().unwrap_or_else(Live::none))
    }

    /// [`Engine::live_walks`] of several blocks, in their order, from one
    /// pass over the tally: a reader of every block would otherwise pass
    /// over the whole graph's tally once per block.
    pub(crate) fn live_walks_of(&self, blocks: &[&WalkCounters]) -> Result<KVec<Live<WALK_COUNT>>> {
        let cpus = possible_cpus().count();
        // The blocks by the address of their counters, for a binary search.
        let mut order = KVec::with_capacity(blocks.len(), GFP_KERNEL)?;
        let mut lives = KVec::with_capacity(blocks.len(), GFP_KERNEL)?;
        let mut sums = KVec::with_capacity(blocks.len(), GFP_KERNEL)?;
        for (i, walks) in blocks.iter().enumerate() {
            order.push((core::ptr::from_ref(*walks) as usize, i), GFP_KERNEL)?;
            lives.push(Live(KVec::with_capacity(cpus, GFP_KERNEL)?), GFP_KERNEL)?;
            sums.push([0u64; WALK_COUNT], GFP_KERNEL)?;
        }
        order.sort_unstable();
        let find = |walks: &WalkCounters| {
            let at = core::ptr::from_ref(walks) as usize;
            order
                .binary_search_by_key(&at, |(addr, _)| *addr)
                .ok()
                .map(|found| order[found].1)
        };
        self.graph.with(|graph| {
            let Some(graph) = graph else {
                return;
            };
            for cpu in possible_cpus() {
                sums.iter_mut().for_each(|sum| *sum = [0; WALK_COUNT]);
                graph.tallied_walks(cpu, find, &mut sums);
                for (live, sum) in lives.iter_mut().zip(sums.iter()) {
                    // There is room for every possible CPU.
                    let _ = live.0.push_within_capacity((cpu, *sum));
                }
            }
        });
        Ok(lives)
    }

    /// What the published snapshot's tally adds to counters on each CPU:
    /// `add(graph, cpu, counts)`.
    fn live<const N: usize>(&self, add: impl Fn(&Graph, u32, &mut [u64; N])) -> Result<Live<N>> {
        let mut values = KVec::with_capacity(possible_cpus().count(), GFP_KERNEL)?;
        self.graph.with(|graph| {
            let Some(graph) = graph else {
                return;
            };
            for cpu in possible_cpus() {
                let mut counts = [0; N];
                add(graph, cpu, &mut counts);
                // There is room for every possible CPU.
                let _ = values.push_within_capacity((cpu, counts));
            }
        });
        Ok(Live(values))
    }

    /// Applies `settings` to block `name`: all or nothing.
    pub(crate) fn set(&self, name: &Name, settings: &[Setting<'_>], net: &Namespace) -> CtlResult {
        let mut control = self.control.lock();
        let entry = control.registry.lookup(name)?;
        check_keys(entry.kind, settings)?;
        configure(name, &*entry.block, settings, net)?;
        let id = entry.id;
        control.changed();
        let event = Event::new(EventKind::Set, *name);
        Self::notify(&control, id, &event);
        self.announce(&event);
        Ok(())
    }

    /// Sets block `name`'s counters to zero: its own, if its type keeps
    /// any, and the engine's counts of the walks through it.
    pub(crate) fn reset(&self, name: &Name) -> CtlResult {
        let control = self.control.lock();
        let entry = control.registry.lookup(name)?;
        entry.walks.reset(&self.live_walks(&entry.walks)?);
        match entry.block.reset() {
            Err(e) if e.errno() != EOPNOTSUPP => {
                let kind = shown(entry.kind.name);
                Err(ctl_err!(
                    e.errno(),
                    "block '{name}' ({kind}): {}",
                    e.message()
                ))
            }
            _ => Ok(()),
        }
    }

    /// Tells both blocks of a binding (each with the other as peer) and
    /// announces it once, from the upper block's side.
    fn pair_event(&self, control: &Control, kind: EventKind, upper: &Name, lower: &Name) {
        for (block, peer) in [(upper, lower), (lower, upper)] {
            if let Some(entry) = control.registry.find(block) {
                Self::notify(
                    control,
                    entry.id,
                    &Event::new(kind, *block).with_peer(*peer),
                );
            }
        }
        self.announce(&Event::new(kind, *upper).with_peer(*lower));
    }

    /// `subscriber` receives the events of `target` from now on.
    pub(crate) fn subscribe(&self, subscriber: &Name, target: &Name) -> CtlResult {
        let mut control = self.control.lock();
        control.registry.subscribe(subscriber, target)?;
        control.changed();
        let event = Event::new(EventKind::Subscribe, *subscriber).with_peer(*target);
        let id = control.registry.lookup(subscriber)?.id;
        Self::notify(&control, id, &event);
        self.announce(&event);
        Ok(())
    }

    pub(crate) fn unsubscribe(&self, subscriber: &Name, target: &Name) -> CtlResult {
        let mut control = self.control.lock();
        control.registry.unsubscribe(subscriber, target)?;
        control.changed();
        let event = Event::new(EventKind::Unsubscribe, *subscriber).with_peer(*target);
        let id = control.registry.lookup(subscriber)?.id;
        Self::notify(&control, id, &event);
        self.announce(&event);
        Ok(())
    }

    /// Puts block `new` in the place of `old` in one publish: bindings and
    /// attachments of `old` now lead to `new`, and, when both have the same
    /// type and `carry_state`, `old`'s final state merges into `new`.
    /// Packets see either the old graph or the new one, never neither: none
    /// is lost, none counted twice.
    pub(crate) fn replace(&self, old: &Name, new: &Name, carry_state: bool) -> CtlResult {
        if old == new {
            return Err(ctl_err!(EINVAL, "cannot replace block '{old}' with itself"));
        }
        let mut control = self.control.lock();
        let old_id = control.registry.lookup(old)?.id;
        let new_id = control.registry.lookup(new)?.id;
        if let Some(a) = control.attached_to(new_id) {
            let dev = shown(a.device_name());
            return Err(ctl_err!(
                EBUSY,
                "block '{new}' is in use: device '{dev}' is attached to it"
            ));
        }
        let replaced = control.registry.replace(old, new)?;
        // `new` had no device: those on it now are exactly `old`'s.
        for a in control.attached.iter_mut().filter(|a| a.block == old_id) {
            a.block = new_id;
        }
        // Returns after the grace period: no CPU can be in `old` any more.
        if let Err(e) = self.publish(&mut control) {
            for a in control.attached.iter_mut().filter(|a| a.block == new_id) {
                a.block = old_id;
            }
            control.registry.unreplace(replaced);
            return Err(e);
        }
        let removed = &replaced.old;
        let replacement = control.registry.get(new_id).ok_or(EINVAL)?;
        // Nothing below allocates: the replace is published, it must not
        // fail any more.
        if carry_state {
            // The engine's walk counts are the same for any type.
            replacement.walks.carry_from(&removed.walks);
        }
        if carry_state && core::ptr::eq(removed.kind, replacement.kind) {
            replacement.block.carry_from(&*removed.block);
        }
        // Subscribers of `old` are on `new`'s chain now.
        let event = Event::new(EventKind::Replace, *new).with_peer(*old);
        Self::notify(&control, new_id, &event);
        self.announce(&event);
        Ok(())
    }

    /// Detaches `control.attached[index]`; `why` is the event the block
    /// receives (a detach, or its device unregistering).
    fn detach_at(
        &self,
        rtnl: &Rtnl,
        control: &mut Control,
        index: usize,
        why: EventKind,
    ) -> CtlResult {
        let mut attached = control.attached.remove(index).map_err(|_| EINVAL)?;
        let block = control.registry.get(attached.block).map(|e| (e.id, e.name));
        let event = block.map(|(_, name)| Event::new(why, name).with_dev(attached.device_name()));
        let sibling = control
            .attached
            .iter_mut()
            .find(|a| a.slot == attached.slot);
        match (attached.registration.take(), sibling) {
            // The device stays attached by another tag: the registration
            // (whose handler data names the slot, not the tag) moves there.
            // INVARIANT: One holder per device still.
            (Some(registration), Some(sibling)) => sibling.registration = Some(registration),
            // Returns once no CPU is in the handler for this device any more.
            (Some(registration), None) => drop(registration.unregister(rtnl)),
            (None, _) => {}
        }
        self.publish(control)?;
        if let (Some((id, _)), Some(event)) = (block, event) {
            Self::notify(control, id, &event);
            self.announce(&event);
        }
        Ok(())
    }

    /// An attached device went up or down (the device notifier, RTNL held).
    pub(crate) fn device_event(&self, slot: usize, kind: EventKind) {
        let control = self.control.lock();
        for attached in control.attached.iter().filter(|a| a.slot == slot) {
            if let Some(entry) = control.registry.get(attached.block) {
                let event = Event::new(kind, entry.name).with_dev(attached.device_name());
                Self::notify(&control, entry.id, &event);
                self.announce(&event);
            }
        }
    }

    /// An attached device is going away (the device notifier, RTNL held).
    pub(crate) fn device_unregistering(&self, rtnl: &Rtnl, slot: usize) {
        let mut control = self.control.lock();
        while let Some(index) = control.attached.iter().position(|a| a.slot == slot) {
            let dev = shown(control.attached[index].device_name());
            pr_info!("device {dev} unregistering: detached\n");
            if let Err(e) = self.detach_at(rtnl, &mut control, index, EventKind::DevUnregister) {
                pr_warn!("detaching an unregistering device: {:?}\n", e);
                break;
            }
        }
    }

    /// Detaches every device and refuses new attachments: the module is
    /// going away. Breaks the engine ↔ attachment reference cycle.
    pub(crate) fn shutdown(&self) {
        let rtnl = Rtnl::lock();
        let mut control = self.control.lock();
        control.closed = true;
        while !control.attached.is_empty() {
            let last = control.attached.len() - 1;
            if let Err(e) = self.detach_at(&rtnl, &mut control, last, EventKind::Detach) {
                pr_warn!("detaching at shutdown: {:?}\n", e);
            }
        }
    }
}

/// The refusal of a second attachment of device `dev` with `tag`: block
/// `on` has it.
fn already_attached(dev: &impl core::fmt::Display, tag: Option<Tag>, on: Name) -> CtlError {
    match tag {
        Some(tag) => ctl_err!(EBUSY, "device '{dev}' {tag} is already attached to '{on}'"),
        None => ctl_err!(EBUSY, "device '{dev}' is already attached to '{on}'"),
    }
}

/// The refusal of a device whose rx_handler another driver holds.
fn held_by_another(dev: &impl core::fmt::Display) -> CtlError {
    ctl_err!(
        EBUSY,
        "device '{dev}' is in use by another rx_handler (bridge, bond...)"
    )
}

/// The refusal of a tag on a lana device.
fn tag_on_lana_device(dev: &impl core::fmt::Display) -> CtlError {
    ctl_err!(EINVAL, "device '{dev}' is a lana device: it takes no tag")
}

/// Refuses settings whose key the block type does not have.
fn check_keys(kind: &BlockType, settings: &[Setting<'_>]) -> CtlResult {
    for setting in settings {
        if !kind
            .keys
            .iter()
            .any(|k| k.name.to_bytes() == setting.key.as_bytes())
        {
            let (key, kind) = (setting.key, shown(kind.name));
            return Err(ctl_err!(
                EINVAL,
                "type '{kind}' has no key '{key}' (see lanactl types)"
            ));
        }
    }
    Ok(())
}

/// Prepares `settings` of `block`, naming it in any refusal.
fn prepare(
    name: &Name,
    block: &dyn Block,
    settings: &[Setting<'_>],
    net: &Namespace,
) -> CtlResult<Prepared> {
    if settings.is_empty() {
        return Ok(Prepared::nothing());
    }
    block
        .prepare(settings, net)
        .map_err(|e| ctl_err!(e.errno(), "block '{name}': {}", e.message()))
}

/// Configures `block`: all of `settings` or, on a refusal naming it, none.
fn configure(
    name: &Name,
    block: &dyn Block,
    settings: &[Setting<'_>],
    net: &Namespace,
) -> CtlResult {
    block.commit(prepare(name, block, settings, net)?);
    Ok(())
}
