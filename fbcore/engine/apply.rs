// SPDX-License-Identifier: GPL-2.0

//! `APPLY`: a batch of changes checked as a whole and published at once, or
//! none of them made (`lanactl apply -f`). The single commands that change
//! the graph's shape (add, rm, bind, unbind, attach, detach) are batches of
//! one: the same checks, refusals and all-or-nothing under memory failure.
//!
//! The batch runs under the RTNL and the control mutex, in two phases.
//! Staging makes each change on the registry, which the packet path never
//! reads, and logs its inverse; device attachments are only planned, and the
//! settings of blocks the published graph holds only prepared
//! ([`Block::prepare`]: checked and built, nothing changed). A refusal
//! undoes the log in reverse: nothing was ever visible. The commit then
//! builds the new snapshot, registers the newly attached devices, commits
//! the prepared settings ([`Block::commit`], which cannot fail), unregisters
//! the devices no longer attached (their frames then reach the stack, and
//! none meets the new snapshot without an entry), publishes the snapshot,
//! and delivers the events of every change in order. A frame that a newly
//! registered device receives before the publish finds no entry and goes to
//! the Linux stack, as it did before the batch (counted
//! `to_stack_no_entry`).
//!
//! What can still fail in the commit is allocation and device registration:
//! both are undone like a refusal, the prepared settings dropped.

use kernel::{
    alloc::KVVec,
    prelude::*,
    sync::{aref::ARef, Arc, ArcBorrow},
};

use super::checks::{
    already_attached, check_keys, configure, held_by_another, prepare, tag_on_lana_device,
};
use super::{Attached, Control, Engine};
use crate::attach::{Attachment, Registration, Side, Tag};
use crate::block::{Block, BlockType, Device, Prepared, Setting};
use crate::error::{ctl_err, shown, CtlError, CtlResult};
use crate::event::{Event, EventKind};
use crate::graph::{Endpoint, Graph};
use crate::name::Name;
use crate::registry::{Entry, Registry};
use crate::vlink::netdev::{Namespace, Rtnl};

/// One change of a batch: what the single command of the same name does.
pub(crate) enum Change<'a> {
    Add {
        name: Name,
        kind: &'static BlockType,
        settings: KVec<Setting<'a>>,
    },
    /// With `cascade`, what uses the block goes first, in the same
    /// transaction: attached devices, bindings, port bindings both ways,
    /// subscribers.
    Rm {
        name: Name,
        cascade: bool,
    },
    Bind {
        upper: Name,
        lower: Name,
        port: Option<&'a str>,
    },
    /// A binding that carries an attached device's traffic is only cut
    /// with `force` (a batch always forces: as a whole it says where that
    /// traffic goes); otherwise those packets would silently stop at
    /// `lower`.
    Unbind {
        upper: Name,
        lower: Name,
        port: Option<&'a str>,
        force: bool,
    },
    Set {
        name: Name,
        settings: KVec<Setting<'a>>,
    },
    Subscribe {
        subscriber: Name,
        target: Name,
    },
    Unsubscribe {
        subscriber: Name,
        target: Name,
    },
    Attach {
        dev: &'a CStr,
        block: Name,
        tag: Option<Tag>,
    },
    /// With no tag, every attachment of the device.
    Detach {
        dev: &'a CStr,
        tag: Option<Tag>,
    },
}

/// Why a batch was refused: the change at fault (none when the batch as a
/// whole failed) and the error.
pub(crate) struct Refusal {
    pub(crate) index: Option<usize>,
    pub(crate) error: CtlError,
}

/// Whether to make the batch or only check it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Commit,
    DryRun,
}

/// The inverse of a staged change.
enum Undo<'a> {
    Added(Name),
    Removed(Entry),
    Bound(Name, Name, Option<&'a str>),
    Unbound(Name, Name, Option<&'a str>),
    Subscribed(Name, Name),
    Unsubscribed(Name, Name),
}

/// A device attachment as the batch leaves it.
struct Wanted {
    dev: ARef<Device>,
    tag: Option<Tag>,
    block: u32,
    side: Side,
    /// The change that asked for it (none: attached before the batch).
    change: Option<usize>,
}

/// New settings for a block the published graph holds: prepared while
/// staging, committed with the batch (or dropped, changing nothing).
struct Deferred {
    block: Arc<dyn Block>,
    name: Name,
    prepared: Prepared,
}

/// What to tell the blocks and `lanactl monitor` once the batch is in.
enum Notice {
    /// An event for its block (and its subscribers), announced.
    One(Event),
    /// A binding's event for both blocks, announced once.
    Pair(EventKind, Name, Name),
}

/// The batch being staged. Its logs are as long as the batch (thousands of
/// changes, each undo entry as large as a block's registry entry): they
/// may be vmalloc'd.
struct Batch<'a> {
    undo: KVVec<Undo<'a>>,
    wanted: KVec<Wanted>,
    deferred: KVVec<Deferred>,
    notices: KVVec<Notice>,
    /// Blocks with an id from here on were added by the batch: nothing
    /// published holds them yet.
    first_new_id: u32,
}

/// A device attachment's slot in the committed batch, and whether the
/// batch registers the device.
struct Placed {
    slot: usize,
    new: bool,
}

impl Engine {
    /// Applies `changes` as one transaction (see the module documentation);
    /// returns the graph's revision after it. `expect`: refuse unless the
    /// graph is at that revision.
    pub(crate) fn apply(
        this: ArcBorrow<'_, Self>,
        net: &Namespace,
        changes: &[Change<'_>],
        expect: Option<u32>,
        mode: Mode,
    ) -> Result<u32, Refusal> {
        let whole = |error: CtlError| Refusal { index: None, error };
        let rtnl = Rtnl::lock();
        let mut guard = this.control.lock();
        let control = &mut *guard;
        if control.closed {
            return Err(whole(ctl_err!(ESHUTDOWN, "lana is unloading")));
        }
        if let Some(expected) = expect.filter(|e| *e != control.revision) {
            let now = control.revision;
            return Err(whole(ctl_err!(
                ESTALE,
                "the graph is at revision {now}, not {expected}: it changed since"
            )));
        }
        let mut batch = Batch::new(control).map_err(|e| whole(e.into()))?;
        for (index, change) in changes.iter().enumerate() {
            if let Err(error) = batch.stage(control, &rtnl, net, change, index) {
                batch.undo(control);
                return Err(Refusal {
                    index: Some(index),
                    error,
                });
            }
        }
        if mode == Mode::DryRun || changes.is_empty() {
            batch.undo(control);
            return Ok(control.revision);
        }
        commit(this, control, &rtnl, batch)?;
        Ok(control.revision)
    }
}

/// Makes a staged batch visible, or undoes it.
fn commit(
    this: ArcBorrow<'_, Engine>,
    control: &mut Control,
    rtnl: &Rtnl,
    mut batch: Batch<'_>,
) -> Result<(), Refusal> {
    let fail = |batch: Batch<'_>, control: &mut Control, index, error| {
        batch.undo(control);
        Err(Refusal { index, error })
    };
    let placed = match batch.place(control) {
        Ok(placed) => placed,
        Err(e) => return fail(batch, control, None, e.into()),
    };
    let endpoints = batch
        .wanted
        .iter()
        .zip(placed.iter())
        .map(|(w, p)| Endpoint {
            slot: p.slot,
            block: w.block,
            side: w.side,
            tag: w.tag,
            dev: &w.dev,
        });
    let graph = match Graph::build(&control.registry, endpoints, &mut control.spare_tally) {
        Ok(graph) => graph,
        Err(e) => return fail(batch, control, None, e.into()),
    };
    let attached = match KVec::with_capacity(batch.wanted.len(), GFP_KERNEL) {
        Ok(attached) => attached,
        Err(e) => return fail(batch, control, None, e.into()),
    };
    let new_devices = placed.iter().filter(|p| p.new).count();
    let mut registrations = match KVec::with_capacity(new_devices, GFP_KERNEL) {
        Ok(registrations) => registrations,
        Err(e) => return fail(batch, control, None, e.into()),
    };
    let mut failed = None;
    for (w, p) in batch
        .wanted
        .iter()
        .zip(placed.iter())
        .filter(|(_, p)| p.new)
    {
        let made = KBox::new(Attachment::new(this.into(), p.slot), GFP_KERNEL)
            .map_err(Error::from)
            .and_then(|a| Registration::register(rtnl, w.dev.clone(), a));
        match made {
            // Cannot fail: room for one per new device.
            Ok(r) => drop(registrations.push_within_capacity((p.slot, r))),
            Err(e) => {
                let dev = shown(w.dev.name());
                failed = Some((w.change, ctl_err!(e, "cannot attach to device '{dev}'")));
                break;
            }
        }
    }
    if let Some((index, error)) = failed {
        for (_, r) in registrations.drain_all() {
            drop(r.unregister(rtnl));
        }
        return fail(batch, control, index, error);
    }
    // Nothing fails from here on.
    for d in batch.deferred.drain_all() {
        d.block.commit(d.prepared);
    }
    let mut retired = batch.attach(control, placed, registrations, attached);
    // Devices no longer attached let go first, as a single detach does:
    // once these return their frames reach the stack, and no frame meets
    // the new snapshot without an entry for its slot.
    for a in retired.iter_mut() {
        if let Some(registration) = a.registration.take() {
            drop(registration.unregister(rtnl));
        }
    }
    this.retire(control, this.graph.publish(Some(graph)));
    control.changed();
    for notice in batch.notices.iter() {
        this.deliver_notice(control, &batch, notice);
    }
    // Blocks removed by the batch go now: the snapshot that held them
    // was retired after the grace period above.
    drop(batch);
    Ok(())
}

impl Engine {
    fn deliver_notice(&self, control: &Control, batch: &Batch<'_>, notice: &Notice) {
        match notice {
            Notice::One(event) => {
                match control.registry.find(&event.block) {
                    Some(entry) => entry.notify(event),
                    None => {
                        if let Some(entry) = batch.removed(&event.block) {
                            entry.notify(event);
                        }
                    }
                }
                self.announce(event);
            }
            Notice::Pair(kind, upper, lower) => self.pair_event(control, *kind, upper, lower),
        }
    }
}

impl<'a> Batch<'a> {
    fn new(control: &Control) -> Result<Self> {
        let mut wanted = KVec::with_capacity(control.attached.len(), GFP_KERNEL)?;
        for a in control.attached.iter() {
            wanted.push(
                Wanted {
                    dev: a.dev.clone(),
                    tag: a.tag,
                    block: a.block,
                    side: a.side,
                    change: None,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Self {
            undo: KVVec::new(),
            wanted,
            deferred: KVVec::new(),
            notices: KVVec::new(),
            first_new_id: control.registry.next_id(),
        })
    }

    /// The entry the batch removed under `name`, if any.
    fn removed(&self, name: &Name) -> Option<&Entry> {
        self.undo.iter().rev().find_map(|u| match u {
            Undo::Removed(entry) if entry.name == *name => Some(entry),
            _ => None,
        })
    }

    /// Logs a staged change: room for it was reserved by [`Batch::stage`].
    fn log(&mut self, undo: Undo<'a>, notice: Notice) -> CtlResult {
        let _ = self.undo.push_within_capacity(undo);
        let _ = self.notices.push_within_capacity(notice);
        Ok(())
    }

    /// Stages `change`, the batch's `index`th.
    fn stage(
        &mut self,
        control: &mut Control,
        rtnl: &Rtnl,
        net: &Namespace,
        change: &'a Change<'a>,
        index: usize,
    ) -> CtlResult {
        // Room to log it, so that once made, the change is logged.
        self.reserve_log()?;
        let registry = &mut control.registry;
        match change {
            Change::Add {
                name,
                kind,
                settings,
            } => {
                check_keys(kind, settings)?;
                registry.add(*name, kind, |block| configure(name, block, settings, net))?;
                self.log(
                    Undo::Added(*name),
                    Notice::One(Event::new(EventKind::Add, *name)),
                )
            }
            Change::Rm { name, cascade } => {
                if *cascade {
                    self.stage_release(control, name)?;
                    // The cuts used the room reserved above: room again
                    // for the removal's own undo entry and notice.
                    self.reserve_log()?;
                }
                let registry = &mut control.registry;
                let id = registry.lookup(name)?.id;
                if let Some(w) = self.wanted.iter().find(|w| w.block == id) {
                    let dev = shown(w.dev.name());
                    return Err(ctl_err!(
                        EBUSY,
                        "block '{name}' is in use: device '{dev}' is attached to it"
                    ));
                }
                let entry = registry.remove(name)?;
                let notice = Notice::One(Event::new(EventKind::Rm, *name));
                self.log(Undo::Removed(entry), notice)
            }
            Change::Bind { upper, lower, port } => {
                match port {
                    Some(port) => registry.bind_port(upper, lower, port)?,
                    None => registry.bind(upper, lower)?,
                }
                let notice = Notice::Pair(EventKind::Bind, *upper, *lower);
                self.log(Undo::Bound(*upper, *lower, *port), notice)
            }
            Change::Unbind {
                upper,
                lower,
                port,
                force,
            } => {
                if !force && port.is_none() {
                    self.refuse_cutting_device_traffic(registry, upper, lower)?;
                }
                match port {
                    Some(port) => registry.unbind_port(upper, lower, port)?,
                    None => registry.unbind(upper, lower)?,
                }
                let notice = Notice::Pair(EventKind::Unbind, *upper, *lower);
                self.log(Undo::Unbound(*upper, *lower, *port), notice)
            }
            Change::Set { name, settings } => {
                let entry = registry.lookup(name)?;
                check_keys(entry.kind, settings)?;
                if entry.id >= self.first_new_id {
                    // Added by this batch: nothing sees it yet.
                    configure(name, &*entry.block, settings, net)?;
                } else {
                    // Prepared on top of its settings in effect, which
                    // nothing else in the batch may change.
                    if self.deferred.iter().any(|d| d.name == *name) {
                        return Err(ctl_err!(
                            EINVAL,
                            "block '{name}' is set twice in one batch: give its settings once"
                        ));
                    }
                    let prepared = prepare(name, &*entry.block, settings, net)?;
                    let deferred = Deferred {
                        block: entry.block.clone(),
                        name: *name,
                        prepared,
                    };
                    self.deferred.push(deferred, GFP_KERNEL)?;
                }
                let event = Event::new(EventKind::Set, *name);
                let _ = self.notices.push_within_capacity(Notice::One(event));
                Ok(())
            }
            Change::Subscribe { subscriber, target } => {
                registry.subscribe(subscriber, target)?;
                let event = Event::new(EventKind::Subscribe, *subscriber).with_peer(*target);
                self.log(Undo::Subscribed(*subscriber, *target), Notice::One(event))
            }
            Change::Unsubscribe { subscriber, target } => {
                registry.unsubscribe(subscriber, target)?;
                let event = Event::new(EventKind::Unsubscribe, *subscriber).with_peer(*target);
                self.log(Undo::Unsubscribed(*subscriber, *target), Notice::One(event))
            }
            Change::Attach { dev, block, tag } => {
                self.stage_attach(control, rtnl, net, dev, block, *tag, index)
            }
            Change::Detach { dev, tag } => self.stage_detach(control, net, dev, *tag),
        }
    }

    /// Stages cutting everything that uses block `name` (`rm --cascade`),
    /// each cut with its event, in the order the events come: devices,
    /// bindings, ports leading to it, its own ports, subscribers.
    fn stage_release(&mut self, control: &mut Control, name: &Name) -> CtlResult {
        let registry = &mut control.registry;
        let entry = registry.lookup(name)?;
        let id = entry.id;
        let attached = self.wanted.iter().filter(|w| w.block == id).count();
        self.notices.reserve(attached, GFP_KERNEL)?;
        for w in self.wanted.iter().filter(|w| w.block == id) {
            let event = Event::new(EventKind::Detach, *name).with_dev(w.dev.name());
            let _ = self.notices.push_within_capacity(Notice::One(event));
        }
        self.wanted.retain(|w| w.block != id);
        let name_of = |id: u32| registry.get(id).map(|e| e.name);
        let pairs = [
            entry.upper.and_then(name_of).map(|up| (up, *name)),
            entry.lower.and_then(name_of).map(|low| (*name, low)),
        ];
        for (up, low) in pairs.into_iter().flatten() {
            self.reserve_log()?;
            registry.unbind(&up, &low)?;
            let notice = Notice::Pair(EventKind::Unbind, up, low);
            self.log(Undo::Unbound(up, low, None), notice)?;
        }
        while let Some((from, port)) = registry.port_into(id) {
            self.reserve_log()?;
            registry.unbind_port(name, &from, port)?;
            let notice = Notice::Pair(EventKind::Unbind, *name, from);
            self.log(Undo::Unbound(*name, from, Some(port)), notice)?;
        }
        while let Some((port, to)) = registry.port_out_of(registry.lookup(name)?) {
            self.reserve_log()?;
            registry.unbind_port(&to, name, port)?;
            let notice = Notice::Pair(EventKind::Unbind, to, *name);
            self.log(Undo::Unbound(to, *name, Some(port)), notice)?;
        }
        loop {
            // Not `while let`: the iterator would borrow the registry
            // through the loop's body.
            let Some(subscriber) = registry.subscribers_of(id).next().map(|e| e.name) else {
                break;
            };
            self.reserve_log()?;
            registry.unsubscribe(&subscriber, name)?;
            let event = Event::new(EventKind::Unsubscribe, subscriber).with_peer(*name);
            self.log(Undo::Unsubscribed(subscriber, *name), Notice::One(event))?;
        }
        Ok(())
    }

    /// Room to log one more change.
    fn reserve_log(&mut self) -> Result {
        self.undo.reserve(1, GFP_KERNEL)?;
        self.notices.reserve(1, GFP_KERNEL)?;
        Ok(())
    }

    /// Refuses to cut `upper` above `lower` when an attached device's
    /// packets cross that binding: a real device's going up, a lana
    /// device's going down.
    fn refuse_cutting_device_traffic(
        &self,
        registry: &Registry,
        upper: &Name,
        lower: &Name,
    ) -> CtlResult {
        let low = registry.lookup(lower)?.id;
        let up = registry.lookup(upper)?;
        if up.lower != Some(low) {
            // Not bound: the unbind itself says so.
            return Ok(());
        }
        let carrying = self.wanted.iter().find(|w| match w.side {
            Side::Bottom => registry.reaches(w.block, low),
            Side::Top => registry.reaches_down(w.block, up.id),
        });
        match carrying {
            Some(w) => {
                let dev = shown(w.dev.name());
                Err(ctl_err!(
                    EBUSY,
                    "'{upper}' above '{lower}' carries device '{dev}' traffic (--force)"
                ))
            }
            None => Ok(()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn stage_attach(
        &mut self,
        control: &Control,
        rtnl: &Rtnl,
        net: &Namespace,
        dev: &CStr,
        block: &Name,
        tag: Option<Tag>,
        index: usize,
    ) -> CtlResult {
        let shown = shown(dev);
        let device = net
            .device_by_name(dev)
            .ok_or_else(|| ctl_err!(ENODEV, "no device '{shown}'"))?;
        let id = control.registry.lookup(block)?.id;
        let side = Side::of(&device);
        if side == Side::Top && tag.is_some() {
            return Err(tag_on_lana_device(&shown));
        }
        let on_device = |raw: *mut kernel::bindings::net_device| raw == device.as_raw();
        if let Some(w) = self
            .wanted
            .iter()
            .find(|w| on_device(w.dev.as_raw()) && w.tag == tag)
        {
            let on = control
                .registry
                .get(w.block)
                .map_or(Name::UNKNOWN, |e| e.name);
            return Err(already_attached(&shown, tag, on));
        }
        let ours = control.attached.iter().any(|a| a.is_on(&device))
            || self.wanted.iter().any(|w| on_device(w.dev.as_raw()));
        if !ours && side == Side::Bottom && device.has_rx_handler(rtnl) {
            return Err(held_by_another(&shown));
        }
        self.wanted.push(
            Wanted {
                dev: device,
                tag,
                block: id,
                side,
                change: Some(index),
            },
            GFP_KERNEL,
        )?;
        let event = Event::new(EventKind::Attach, *block).with_dev(dev);
        let _ = self.notices.push_within_capacity(Notice::One(event));
        Ok(())
    }

    fn stage_detach(
        &mut self,
        control: &Control,
        net: &Namespace,
        dev: &CStr,
        tag: Option<Tag>,
    ) -> CtlResult {
        let shown = shown(dev);
        let device = net
            .device_by_name(dev)
            .ok_or_else(|| ctl_err!(ENODEV, "no device '{shown}'"))?;
        let matches =
            |w: &Wanted| w.dev.as_raw() == device.as_raw() && (tag.is_none() || w.tag == tag);
        let count = self.wanted.iter().filter(|w| matches(w)).count();
        if count == 0 {
            return Err(match tag {
                Some(tag) => ctl_err!(ENOENT, "device '{shown}' {tag} is not attached"),
                None => ctl_err!(ENOENT, "device '{shown}' is not attached"),
            });
        }
        self.notices.reserve(count, GFP_KERNEL)?;
        for w in self.wanted.iter().filter(|w| matches(w)) {
            let name = control
                .registry
                .get(w.block)
                .map_or(Name::UNKNOWN, |e| e.name);
            let event = Event::new(EventKind::Detach, name).with_dev(dev);
            let _ = self.notices.push_within_capacity(Notice::One(event));
        }
        self.wanted.retain(|w| !matches(w));
        Ok(())
    }

    /// Gives every wanted attachment its slot: a device attached before
    /// keeps its own; a new device takes a slot free before and after.
    fn place(&self, control: &Control) -> Result<KVec<Placed>> {
        let mut placed: KVec<Placed> = KVec::with_capacity(self.wanted.len(), GFP_KERNEL)?;
        for (i, w) in self.wanted.iter().enumerate() {
            let earlier = self.wanted[..i]
                .iter()
                .zip(placed.iter())
                .find(|(o, _)| o.dev.as_raw() == w.dev.as_raw())
                .map(|(_, p)| p.slot);
            let kept = control
                .attached
                .iter()
                .find(|a| a.is_on(&w.dev))
                .map(|a| a.slot);
            let place = match (earlier, kept) {
                (Some(slot), _) => Placed { slot, new: false },
                (None, Some(slot)) => Placed { slot, new: false },
                (None, None) => {
                    let taken = |slot: usize| {
                        control.attached.iter().any(|a| a.slot == slot)
                            || placed.iter().any(|p| p.slot == slot)
                    };
                    let slot = (0..).find(|s| !taken(*s)).unwrap_or(usize::MAX);
                    Placed { slot, new: true }
                }
            };
            placed.push(place, GFP_KERNEL)?;
        }
        Ok(placed)
    }

    /// Replaces the engine's attachments with the wanted ones, put in
    /// `attached` (with room for them all): each device keeps its
    /// registration or takes its new one. Returns the previous attachments,
    /// holding the registrations of devices no longer attached.
    fn attach(
        &mut self,
        control: &mut Control,
        placed: KVec<Placed>,
        mut registrations: KVec<(usize, Registration)>,
        mut attached: KVec<Attached>,
    ) -> KVec<Attached> {
        let mut old = core::mem::take(&mut control.attached);
        for (w, p) in self.wanted.drain_all().zip(placed.iter()) {
            let registration = if attached.iter().any(|a| a.slot == p.slot) {
                // The device's first attachment holds it.
                None
            } else {
                old.iter_mut()
                    .find_map(|a| a.is_on(&w.dev).then(|| a.registration.take()).flatten())
                    .or_else(|| {
                        let at = registrations.iter().position(|(s, _)| *s == p.slot)?;
                        registrations.remove(at).ok().map(|(_, r)| r)
                    })
            };
            // Cannot fail: the caller made room for every wanted one.
            let _ = attached.push_within_capacity(Attached {
                slot: p.slot,
                block: w.block,
                tag: w.tag,
                side: w.side,
                dev: w.dev,
                registration,
            });
        }
        attached.sort_unstable_by_key(|a| a.slot);
        // INVARIANT: Sorted by slot; a device's attachments share its slot
        // (`place`), differ in tag (`stage_attach`), and one holds the
        // registration; every block exists (a block with attachments cannot
        // be removed).
        control.attached = attached;
        old
    }

    /// Undoes every staged change, last first.
    fn undo(mut self, control: &mut Control) {
        while let Some(undo) = self.undo.pop() {
            undo_one(control, undo);
        }
    }
}

/// Undoes one staged change. The inverse of a change just made cannot be
/// refused; only memory can fail it, which is reported.
fn undo_one(control: &mut Control, undo: Undo<'_>) {
    let registry = &mut control.registry;
    let done: CtlResult = match undo {
        Undo::Added(name) => registry.remove(&name).map(drop),
        Undo::Removed(entry) => registry.restore(entry).map_err(Into::into),
        Undo::Bound(upper, lower, Some(port)) => registry.unbind_port(&upper, &lower, port),
        Undo::Bound(upper, lower, None) => registry.unbind(&upper, &lower),
        Undo::Unbound(upper, lower, Some(port)) => registry.bind_port(&upper, &lower, port),
        Undo::Unbound(upper, lower, None) => registry.bind(&upper, &lower),
        Undo::Subscribed(subscriber, target) => registry.unsubscribe(&subscriber, &target),
        Undo::Unsubscribed(subscriber, target) => registry.subscribe(&subscriber, &target),
    };
    if let Err(e) = done {
        pr_err!("undoing a refused batch: {}\n", e.message());
    }
}
