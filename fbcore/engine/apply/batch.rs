// SPDX-License-Identifier: GPL-2.0-only

//! The batch being staged: each change made on the registry and logged
//! with its inverse, device attachments planned, settings prepared.

use super::*;
use kernel::rbtree::{RBTreeNode, RBTreeNodeReservation};

/// The inverse of a staged change.
enum Undo<'a> {
    Added(Name),
    Removed(KBox<Entry>),
    Bound(Name, Name, Option<&'a str>),
    Unbound(Name, Name, Option<&'a str>),
    Subscribed(Name, Name),
    /// The registration withdrawn from the subscriber, until the batch is
    /// in ([`Batch::release_withdrawn`]).
    Unsubscribed(Name, Option<Withdrawn>),
    /// Boxed: several times the size of the others, rare in a batch.
    Replaced(KBox<Replacement>),
}

/// A staged replace: what puts it back, and what to carry once published.
struct Replacement {
    record: Replaced,
    carry_state: bool,
}

/// A device attachment as the batch leaves it.
pub(super) struct Wanted {
    pub(super) dev: ARef<Device>,
    pub(super) tag: Option<Tag>,
    pub(super) block: u32,
    pub(super) side: Side,
    /// The change that asked for it (none: attached before the batch).
    pub(super) change: Option<usize>,
}

/// New settings for a block the published graph holds: prepared while
/// staging, committed with the batch (or dropped, changing nothing).
pub(super) struct Deferred {
    pub(super) block: Arc<dyn Block>,
    pub(super) prepared: Prepared,
}

/// What to tell the blocks and `lanactl monitor` once the batch is in.
pub(super) enum Notice {
    /// An event for its block (and its subscribers), announced.
    One(Event),
    /// A binding's event for both blocks, announced once.
    Pair(EventKind, Name, Name),
}

/// The batch being staged. Its logs are as long as the batch (thousands of
/// changes): they may be vmalloc'd.
pub(super) struct Batch<'a> {
    undo: KVVec<Undo<'a>>,
    pub(super) wanted: KVec<Wanted>,
    pub(super) deferred: KVVec<Deferred>,
    /// The ids of the blocks in `deferred`: each may be set once.
    set_ids: RBTree<u32, ()>,
    /// For each block a replace of the batch took out (each leaves the
    /// registry once): that change's index in the log, whose record holds
    /// the block's entry.
    replaced_out: RBTree<u32, usize>,
    /// For each name the batch removed a block under: the last such
    /// change's index in the log.
    removed_names: RBTree<Name, usize>,
    pub(super) notices: KVVec<Notice>,
    /// Blocks with an id from here on were added by the batch: nothing
    /// published holds them yet.
    first_new_id: u32,
    /// Whether a change alters the snapshot (see [`Change::reshapes`]).
    pub(super) reshapes: bool,
}

/// A device attachment's slot in the committed batch, and whether the
/// batch registers the device.
pub(super) struct Placed {
    pub(super) slot: usize,
    pub(super) new: bool,
}

impl<'a> Batch<'a> {
    pub(super) fn new(control: &Control) -> Result<Self> {
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
            set_ids: RBTree::new(),
            replaced_out: RBTree::new(),
            removed_names: RBTree::new(),
            notices: KVVec::new(),
            first_new_id: control.registry.next_id(),
            reshapes: false,
        })
    }

    /// The entry the batch removed under `name`, if any.
    pub(super) fn removed(&self, name: &Name) -> Option<&Entry> {
        let index = self.removed_names.get(name)?;
        match self.undo.get(*index)? {
            Undo::Removed(entry) => Some(entry),
            _ => None,
        }
    }

    /// Logs a staged change: room for it was reserved by [`Batch::stage`].
    fn log(&mut self, undo: Undo<'a>, notice: Notice) -> CtlResult {
        let _ = self.undo.push_within_capacity(undo);
        let _ = self.notices.push_within_capacity(notice);
        Ok(())
    }

    /// Stages `change`, the batch's `index`th.
    pub(super) fn stage(
        &mut self,
        control: &mut Control,
        rtnl: &Rtnl,
        net: &Namespace,
        change: &'a Change<'a>,
        index: usize,
    ) -> CtlResult {
        // Room to log it, so that once made, the change is logged.
        self.reserve_log()?;
        self.reshapes |= change.reshapes();
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
                let node = RBTreeNode::new(*name, self.undo.len(), GFP_KERNEL)?;
                let entry = registry.remove(name)?;
                // The latest removal under a name is the one to find.
                drop(self.removed_names.insert(node));
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
                check_keys(entry.kind(), settings)?;
                if entry.id >= self.first_new_id {
                    // Added by this batch: nothing sees it yet.
                    configure(name, entry.block(), settings, net)?;
                } else {
                    // Prepared on top of its settings in effect, which
                    // nothing else in the batch may change.
                    if self.set_ids.get(&entry.id).is_some() {
                        return Err(ctl_err!(
                            EINVAL,
                            "block '{name}' is set twice in one batch: give its settings once"
                        ));
                    }
                    let prepared = prepare(name, entry.block(), settings, net)?;
                    let deferred = Deferred {
                        block: entry.instance.block(),
                        prepared,
                    };
                    self.deferred.reserve(1, GFP_KERNEL)?;
                    self.set_ids
                        .try_create_and_insert(entry.id, (), GFP_KERNEL)?;
                    let _ = self.deferred.push_within_capacity(deferred);
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
                let withdrawn = registry.unsubscribe(subscriber, target)?;
                let event = Event::new(EventKind::Unsubscribe, *subscriber).with_peer(*target);
                let undo = Undo::Unsubscribed(*subscriber, Some(withdrawn));
                self.log(undo, Notice::One(event))
            }
            Change::Replace {
                old,
                new,
                carry_state,
            } => self.stage_replace(control, old, new, *carry_state),
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
            let withdrawn = registry.unsubscribe(&subscriber, name)?;
            let event = Event::new(EventKind::Unsubscribe, subscriber).with_peer(*name);
            let undo = Undo::Unsubscribed(subscriber, Some(withdrawn));
            self.log(undo, Notice::One(event))?;
        }
        Ok(())
    }

    /// Stages putting `new` in `old`'s place, devices included.
    fn stage_replace(
        &mut self,
        control: &mut Control,
        old: &Name,
        new: &Name,
        carry_state: bool,
    ) -> CtlResult {
        // The record's room first: once replaced, the change is logged.
        let room = KBox::<Replacement>::new_uninit(GFP_KERNEL)?;
        let node = RBTreeNodeReservation::new(GFP_KERNEL)?;
        let record = control.registry.replace(old, new)?;
        let (old_id, new_id) = (record.old.id, record.new_id());
        if let Some(w) = self.wanted.iter().find(|w| w.block == new_id) {
            control.registry.unreplace(record);
            let dev = shown(w.dev.name());
            return Err(ctl_err!(
                EBUSY,
                "block '{new}' is in use: device '{dev}' is attached to it"
            ));
        }
        // `new` had no device: those on it now are exactly `old`'s.
        for w in self.wanted.iter_mut().filter(|w| w.block == old_id) {
            w.block = new_id;
        }
        let index = self.undo.len();
        drop(self.replaced_out.insert(node.into_node(old_id, index)));
        let replacement = KBox::write(
            room,
            Replacement {
                record,
                carry_state,
            },
        );
        let event = Event::new(EventKind::Replace, *new).with_peer(*old);
        self.log(Undo::Replaced(replacement), Notice::One(event))
    }

    /// Whether the batch replaces a block (whose state is then carried).
    pub(super) fn replaces(&self) -> bool {
        self.replaced_out.iter().next().is_some()
    }

    /// Once the snapshot that held the replaced blocks is retired, merges
    /// their final state into the blocks that took their places.
    /// Allocates nothing: the batch is in.
    pub(super) fn carry_state(&self, control: &Control) {
        // In log order: a replacement replaced in turn later in the batch
        // holds this state when it passes its own on.
        for undo in self.undo.iter() {
            let Undo::Replaced(replacement) = undo else {
                continue;
            };
            let removed = &replacement.record.old;
            // The replacement may also have been removed: its state goes.
            let Some(new) = self.entry_now(control, replacement.record.new_id()) else {
                continue;
            };
            if replacement.carry_state {
                // The engine's walk counts are the same for any type.
                new.walks.carry_from(&removed.walks);
                if core::ptr::eq(removed.kind(), new.kind()) {
                    new.block().carry_from(removed.block());
                }
            }
        }
    }

    /// Block `id`'s entry once the batch is in: in the registry, or in the
    /// record of the replace that took it out.
    fn entry_now<'b>(&'b self, control: &'b Control, id: u32) -> Option<&'b Entry> {
        if let Some(entry) = control.registry.get(id) {
            return Some(entry);
        }
        match self.undo.get(*self.replaced_out.get(&id)?)? {
            Undo::Replaced(r) => Some(&r.record.old),
            _ => None,
        }
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

    /// The batch is in: the subscriptions it withdrew come off their
    /// targets' chains, before any of its events is delivered.
    pub(super) fn release_withdrawn(&mut self) {
        for undo in self.undo.iter_mut() {
            if let Undo::Unsubscribed(_, withdrawn) = undo {
                drop(withdrawn.take());
            }
        }
    }

    /// Undoes every staged change, last first.
    pub(super) fn undo(mut self, control: &mut Control) {
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
        Undo::Subscribed(subscriber, target) => {
            registry.unsubscribe(&subscriber, &target).map(drop)
        }
        Undo::Unsubscribed(subscriber, Some(withdrawn)) => {
            registry.resubscribe(&subscriber, withdrawn)
        }
        // Released only once the batch is in, never undone after.
        Undo::Unsubscribed(subscriber, None) => Err(ctl_err!(
            EINVAL,
            "'{subscriber}''s subscription was released"
        )),
        Undo::Replaced(replacement) => {
            registry.unreplace(KBox::into_inner(replacement).record);
            Ok(())
        }
    };
    if let Err(e) = done {
        pr_err!("undoing a refused batch: {}\n", e.message());
    }
}
