// SPDX-License-Identifier: GPL-2.0-only

//! The engine: block instances, bindings, device attachments, and the graph
//! snapshot the packet path follows.
//!
//! Control path: every change takes `control` (lock order: the RTNL first
//! when devices are involved, then `control`), changes the registry, builds a
//! new [`Graph`] and publishes it under RCU; the previous snapshot is freed
//! after a grace period, and with it any block it alone still referenced
//! (waited for only by the changes that need it: `engine/retire.rs`).
//!
//! Packet path: [`Engine::receive`] reads the published snapshot under the
//! RCU read lock and nothing else.

mod apply;
mod changes;
mod checks;
mod packets;
mod queries;
mod retire;

pub(crate) use apply::{Change, Mode};
use retire::Wait;

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{aref::ARef, Arc, Mutex, SetOnce},
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
    net::backlog::{Backlog, BacklogOwner},
    net::device::{Namespace, Rtnl},
    net::genetlink::{AttrWriter, EventGroup},
    net::pernet::PernetData,
    percpu::possible_cpus,
    rcu::{Pending, RcuBox, Reap, Reaper, Retired},
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
/// reflects `registry` and `attached`, unless `bypassed`: then it is empty.
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
    /// Retired snapshots whose grace period has not been seen to end: their
    /// tallies still count, readers add them (`engine/retire.rs`). At most
    /// [`retire::PENDING_MAX`], room reserved.
    pending: KVec<Pending<Graph>>,
    /// An empty snapshot kept ready for a device that goes away when no
    /// memory is left for the snapshot without it (`engine/changes.rs`).
    bypass: Option<KBox<Graph>>,
    /// The published snapshot is that empty one: every frame goes to the
    /// stack until the next change publishes the graph.
    bypassed: bool,
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

    /// Counts a change that published the graph's snapshot, and keeps an
    /// empty snapshot ready for the next bypass, if there is memory for it.
    fn published(&mut self) {
        self.changed();
        self.bypassed = false;
        if self.bypass.is_none() {
            self.bypass = Graph::empty().ok();
        }
    }
}

/// The lana-rs engine.
///
/// Fields drop in declaration order: the reaper first, which waits for a
/// reap in progress, then the backlog (in `sinks`), which waits for its
/// deliveries into this engine to finish.
#[pin_data]
pub(crate) struct Engine {
    /// Folds and frees retired snapshots after their grace period (see
    /// [`PernetData::set_reaper`]).
    reaper: SetOnce<Reaper>,
    /// Where copies made by blocks wait (see [`PernetData::set_backlog`]) and the
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
    /// Builds and publishes the snapshot of `control`, then frees the
    /// previous one after a grace period, waiting for it: a detach (which
    /// must let go of the device: by command, the device notifier or
    /// shutdown) and the engine's first snapshot publish this way. Counts
    /// a revision.
    fn publish(&self, control: &mut Control) -> CtlResult {
        let attachments = control.attached.iter().map(Attached::endpoint);
        let graph = Graph::build(&control.registry, attachments, &mut control.spare_tally)?;
        self.retire(control, self.graph.publish(Some(graph)), Wait::Yes);
        control.published();
        Ok(())
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

    /// Runs `f` on the control state, with the mutex held.
    pub(crate) fn with_control<R>(&self, f: impl FnOnce(&Control) -> R) -> R {
        f(&self.control.lock())
    }
}

impl PernetData for Engine {
    fn new(events: EventGroup) -> Result<Arc<Self>> {
        let engine = Arc::pin_init(
            try_pin_init!(Self {
                reaper: SetOnce::new(),
                sinks: Sinks::new()?,
                control <- new_mutex!(Control {
                    registry: Registry::new(),
                    attached: KVec::new(),
                    closed: false,
                    trace_key: None,
                    spare_tally: None,
                    pending: KVec::with_capacity(retire::PENDING_MAX, GFP_KERNEL)?,
                    bypass: None,
                    bypassed: false,
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

    fn backlog_limit() -> u32 {
        crate::backlog_limit()
    }

    /// Gives the engine its backlog, made for it once it has its final
    /// address (by the namespace that owns it). Until then, and if this is
    /// called twice, copies are dropped and counted.
    fn set_backlog(&self, backlog: Backlog) {
        let _ = self.sinks.backlog.populate(backlog);
    }

    /// Gives the engine its reaper, made once it has its final address.
    /// Until then every retire waits for its grace period.
    fn set_reaper(&self, reaper: Reaper) {
        let _ = self.reaper.populate(reaper);
    }

    /// Detaches every device and refuses new attachments: the module is
    /// going away. Breaks the engine ↔ attachment reference cycle.
    fn shutdown(&self) {
        let rtnl = Rtnl::lock();
        let mut control = self.control.lock();
        control.closed = true;
        while !control.attached.is_empty() {
            let last = control.attached.len() - 1;
            if let Err(e) = self.detach_at(&rtnl, &mut control, last, EventKind::Detach) {
                pr_warn!("detaching at shutdown: {:?}\n", e);
            }
        }
        // Closed: nothing is left pending for the reaper (it is flushed
        // when the engine drops).
        self.retire_all(&mut control);
    }
}
