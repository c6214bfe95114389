// SPDX-License-Identifier: GPL-2.0

//! The control-path view of the graph: named block instances and bindings.
//!
//! Only the control path touches it, under the engine's mutex. The packet
//! path never does: it follows an immutable [`Graph`](crate::graph::Graph)
//! built from this registry and published under RCU.

use core::pin::Pin;
use kernel::{alloc::KVVec, prelude::*, sync::Arc};

use crate::block::{Block, BlockType, Instance};
use crate::counters::WalkCounters;
use crate::error::{ctl_err, CtlResult};
use crate::event::{Event, Inbox};
use crate::name::Name;
use crate::vlink::notifier::{Chain, Subscription};

/// A block listening on a chain: its own, or one it subscribes to.
type Listening = Pin<KBox<Subscription<Event, Inbox>>>;

/// One block instance.
pub(crate) struct Entry {
    /// Stable for the block's lifetime, never reused while the module lives.
    pub(crate) id: u32,
    pub(crate) name: Name,
    pub(crate) kind: &'static BlockType,
    pub(crate) block: Arc<dyn Block>,
    /// The same block, as the packet path calls it.
    pub(crate) instance: Instance,
    /// The engine's counts of the walks through the block.
    pub(crate) walks: Arc<WalkCounters>,
    /// The block above this one: where its ingress packets go next.
    pub(crate) upper: Option<u32>,
    /// The block below this one: where its egress packets go next.
    pub(crate) lower: Option<u32>,
    /// The block each output port of the type leads to (`bind --port`).
    pub(crate) ports: KVec<Option<u32>>,
    /// This block's notifier chain: its events go to it and its subscribers.
    events: Arc<Chain<Event>>,
    /// Where events for this block arrive.
    pub(crate) inbox: Arc<Inbox>,
    /// The block listening on its own chain.
    _own: Listening,
    /// The blocks this one subscribes to (by id), and its registration on
    /// each one's chain.
    subscriptions: KVec<(u32, Listening)>,
}

impl Entry {
    /// Ids of the blocks this one subscribes to.
    pub(crate) fn subscribed_to(&self) -> impl Iterator<Item = u32> + '_ {
        self.subscriptions.iter().map(|(id, _)| *id)
    }

    /// Delivers `event` over this block's chain.
    pub(crate) fn notify(&self, event: &Event) {
        self.events.call(event);
    }

    fn subscribes_to(&self, id: u32) -> bool {
        self.subscribed_to().any(|t| t == id)
    }
}

/// What [`Registry::replace`] changed, to undo it without allocating
/// ([`Registry::unreplace`]) or, dropped, to finish it: the subscribers'
/// registrations on `old`'s chain go then.
pub(crate) struct Replaced {
    /// `old`'s entry, out of the registry, its bindings as they were.
    pub(crate) old: Entry,
    /// Where it was.
    old_index: usize,
    new_id: u32,
    /// Each port slot changed: (block id, port index, value before).
    ports: KVec<(u32, usize, Option<u32>)>,
    moved: SubscriptionMoves,
}

/// The subscriptions a replace moves: planned with every allocation made
/// ([`Registry::subscription_moves`]), then applied, then kept for undo.
struct SubscriptionMoves {
    /// `old`'s subscriptions `new` takes over: (target id, `new`'s
    /// registration).
    adopted: KVec<(u32, Listening)>,
    /// `old`'s subscribers: (subscriber id, its registration on `new`'s
    /// chain, none when it already has one).
    redirected: KVec<(u32, Option<Listening>)>,
    /// Once applied, each subscriber's registration on `old`'s chain, kept
    /// to put back on undo: (subscriber id, position, whether a
    /// registration on `new`'s chain took its place, the registration).
    taken: KVec<(u32, usize, bool, (u32, Listening))>,
    /// Once applied, `new`'s own subscription to `old`, taken off (a block
    /// cannot listen to itself), and its position.
    own: Option<(usize, (u32, Listening))>,
    /// Once applied, how many subscriptions `new` had before adopting.
    kept: usize,
}

impl SubscriptionMoves {
    /// Applies the planned moves from `old_id` to `registry.entries[new]`.
    /// Allocates nothing: the plan holds the registrations and the room.
    fn apply(&mut self, registry: &mut Registry, old_id: u32, new: usize) {
        let new_id = registry.entries[new].id;
        let own = &mut registry.entries[new].subscriptions;
        if let Some(at) = own.iter().position(|(id, _)| *id == old_id) {
            self.own = own.remove(at).ok().map(|taken| (at, taken));
        }
        self.kept = own.len();
        for (target, listening) in self.adopted.drain_all() {
            let _ = own.push_within_capacity((target, listening));
        }
        for (id, listening) in self.redirected.drain_all() {
            let Some(index) = registry.index_of(id) else {
                continue;
            };
            let subs = &mut registry.entries[index].subscriptions;
            let Some(at) = subs.iter().position(|(t, _)| *t == old_id) else {
                continue;
            };
            let swapped = listening.is_some();
            let taken = match listening {
                Some(listening) => core::mem::replace(&mut subs[at], (new_id, listening)),
                None => match subs.remove(at) {
                    Ok(taken) => taken,
                    Err(_) => continue,
                },
            };
            // Room: one per subscriber, reserved by the plan.
            let _ = self.taken.push_within_capacity((id, at, swapped, taken));
        }
    }

    /// Puts every subscription back as it was before [`Self::apply`].
    fn undo(mut self, registry: &mut Registry, new: usize) {
        while let Some((id, at, swapped, taken)) = self.taken.pop() {
            let Some(index) = registry.index_of(id) else {
                continue;
            };
            let subs = &mut registry.entries[index].subscriptions;
            if swapped {
                // Drops the registration on `new`'s chain.
                if let Some(slot) = subs.get_mut(at) {
                    *slot = taken;
                }
            } else {
                let _ = subs.insert_within_capacity(at, taken);
            }
        }
        let own = &mut registry.entries[new].subscriptions;
        // Drops the registrations adopted from `old`.
        own.truncate(self.kept);
        if let Some((at, taken)) = self.own.take() {
            let _ = own.insert_within_capacity(at, taken);
        }
    }
}

/// All block instances of an engine.
///
/// # Invariants
///
/// `entries` is sorted by id; names are unique; every `upper`/`lower` names an
/// entry, and `a.lower == Some(b)` exactly when `b.upper == Some(a)`. Every
/// subscription names another entry, at most once, and is registered on that
/// entry's chain.
pub(crate) struct Registry {
    /// Of any length: a graph of thousands of blocks outgrows what kmalloc
    /// serves in one piece, so this may be vmalloc'd.
    entries: KVVec<Entry>,
    next_id: u32,
}

impl Registry {
    pub(crate) fn new() -> Self {
        Self {
            entries: KVVec::new(),
            next_id: 1,
        }
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Index of the entry with `id`.
    pub(crate) fn index_of(&self, id: u32) -> Option<usize> {
        self.entries.binary_search_by_key(&id, |e| e.id).ok()
    }

    pub(crate) fn get(&self, id: u32) -> Option<&Entry> {
        self.index_of(id).map(|i| &self.entries[i])
    }

    pub(crate) fn find(&self, name: &Name) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == *name)
    }

    /// The entry named `name`, or an error naming it.
    pub(crate) fn lookup(&self, name: &Name) -> CtlResult<&Entry> {
        self.find(name)
            .ok_or_else(|| ctl_err!(ENOENT, "no block '{name}'"))
    }

    /// The id the next block added will have.
    pub(crate) fn next_id(&self) -> u32 {
        self.next_id
    }

    /// Puts back an entry [`Registry::remove`] returned, undoing the remove
    /// (the caller undoes every later change first). No allocation: the
    /// remove left the room.
    pub(crate) fn restore(&mut self, entry: Entry) -> Result {
        if self.find(&entry.name).is_some() || self.get(entry.id).is_some() {
            return Err(EEXIST);
        }
        let at = self.entries.partition_point(|e| e.id < entry.id);
        // INVARIANT: Inserted in id order under a free name and id; it was
        // unbound with no subscriber when removed, and nothing bound to it
        // since (its id was gone); its own subscriptions are still
        // registered on their targets' chains.
        self.entries
            .insert_within_capacity(at, entry)
            .map_err(|_| ENOMEM)
    }

    fn lookup_index(&self, name: &Name) -> CtlResult<usize> {
        self.entries
            .iter()
            .position(|e| e.name == *name)
            .ok_or_else(|| ctl_err!(ENOENT, "no block '{name}'"))
    }

    fn name_of(&self, id: u32) -> Name {
        // By the type invariant every id in a binding names an entry.
        self.get(id).map_or(Name::UNKNOWN, |e| e.name)
    }

    /// Creates block `name` of type `kind`, set up by `setup` before anyone
    /// can see it; returns its id.
    pub(crate) fn add(
        &mut self,
        name: Name,
        kind: &'static BlockType,
        setup: impl FnOnce(&dyn Block) -> CtlResult,
    ) -> CtlResult<u32> {
        if self.find(&name).is_some() {
            return Err(ctl_err!(EEXIST, "block '{name}' already exists"));
        }
        self.entries.reserve(1, GFP_KERNEL)?;
        let instance = (kind.new)()?;
        let block = instance.block();
        setup(&*block)?;
        let mut ports = KVec::with_capacity(kind.ports.len(), GFP_KERNEL)?;
        for _ in kind.ports {
            ports.push(None, GFP_KERNEL)?;
        }
        let walks = Arc::new(WalkCounters::new()?, GFP_KERNEL)?;
        let events = Chain::new()?;
        let inbox = Inbox::new(block.clone())?;
        let own = Subscription::new(events.clone(), inbox.clone())?;
        let id = self.next_id;
        self.next_id = id.checked_add(1).ok_or(ENOSPC)?;
        // INVARIANT: The new id is the largest, so order is kept; unbound;
        // subscribed to nothing.
        self.entries.push(
            Entry {
                id,
                name,
                kind,
                block,
                instance,
                walks,
                upper: None,
                lower: None,
                ports,
                events,
                inbox,
                _own: own,
                subscriptions: KVec::new(),
            },
            GFP_KERNEL,
        )?;
        Ok(id)
    }

    /// Removes block `name`, which must not be bound. `attached` names a
    /// device feeding it, if any, so the refusal can say so.
    pub(crate) fn remove(&mut self, name: &Name) -> CtlResult<Entry> {
        let index = self.lookup_index(name)?;
        let entry = &self.entries[index];
        if let Some(up) = entry.upper {
            let up = self.name_of(up);
            return Err(ctl_err!(
                EBUSY,
                "block '{name}' is in use: '{up}' is bound above it"
            ));
        }
        if let Some(low) = entry.lower {
            let low = self.name_of(low);
            return Err(ctl_err!(
                EBUSY,
                "block '{name}' is in use: it is bound above '{low}'"
            ));
        }
        if let Some((from, port)) = self.port_into(entry.id) {
            return Err(ctl_err!(
                EBUSY,
                "block '{name}' is in use: port '{port}' of '{from}' leads to it"
            ));
        }
        if let Some((port, to)) = self.port_out_of(entry) {
            return Err(ctl_err!(
                EBUSY,
                "block '{name}' is in use: its port '{port}' leads to '{to}'"
            ));
        }
        if let Some(sub) = self.subscribers_of(entry.id).next() {
            let sub = sub.name;
            return Err(ctl_err!(
                EBUSY,
                "block '{name}' is in use: '{sub}' is subscribed to it"
            ));
        }
        // INVARIANT: Unbound and with no subscriber, so nothing refers to it;
        // order is kept. Its own subscriptions go with it.
        self.entries
            .remove(index)
            .map_err(|_| ctl_err!(EINVAL, "no block '{name}'"))
    }

    /// Puts `upper` above `lower`.
    pub(crate) fn bind(&mut self, upper: &Name, lower: &Name) -> CtlResult {
        if upper == lower {
            return Err(ctl_err!(EINVAL, "cannot bind block '{upper}' to itself"));
        }
        let up = self.lookup_index(upper)?;
        let low = self.lookup_index(lower)?;
        if let Some(cur) = self.entries[up].lower {
            let cur = self.name_of(cur);
            return Err(ctl_err!(
                EBUSY,
                "block '{upper}' is already bound above '{cur}'"
            ));
        }
        if let Some(cur) = self.entries[low].upper {
            let cur = self.name_of(cur);
            return Err(ctl_err!(
                EBUSY,
                "block '{lower}' already has '{cur}' bound above it"
            ));
        }
        // INVARIANT: Both sides set together.
        self.entries[up].lower = Some(self.entries[low].id);
        self.entries[low].upper = Some(self.entries[up].id);
        Ok(())
    }

    /// Puts `new` in the place of `old`: every binding and subscription of
    /// `old` now names `new`, and `old` leaves the registry. `new` must be
    /// unbound. Everything that can fail (checks, allocations) comes first,
    /// so an error changes nothing; the record returned undoes the change
    /// without allocating ([`Registry::unreplace`]).
    pub(crate) fn replace(&mut self, old: &Name, new: &Name) -> CtlResult<Replaced> {
        if old == new {
            return Err(ctl_err!(EINVAL, "cannot replace block '{old}' with itself"));
        }
        let old_index = self.lookup_index(old)?;
        let new_index = self.lookup_index(new)?;
        let new_entry = &self.entries[new_index];
        if new_entry.upper.is_some() || new_entry.lower.is_some() {
            return Err(ctl_err!(
                EBUSY,
                "block '{new}' is bound: replace needs an unbound block"
            ));
        }
        let (old_id, new_id) = (self.entries[old_index].id, new_entry.id);
        let port_moves = self.port_moves(old_index, new_index)?;
        let mut moved = self.subscription_moves(old_index, new_index)?;
        let mut ports = KVec::with_capacity(port_moves.len(), GFP_KERNEL)?;
        // From here on nothing fails.
        for (id, at, target) in port_moves {
            if let Some(index) = self.index_of(id) {
                let slot = &mut self.entries[index].ports[at];
                let _ = ports.push_within_capacity((id, at, *slot));
                *slot = target;
            }
        }
        moved.apply(self, old_id, new_index);
        let (upper, lower) = (self.entries[old_index].upper, self.entries[old_index].lower);
        // INVARIANT: Each binding of `old` moves to `new` on both sides.
        if let Some(up) = upper.and_then(|id| self.index_of(id)) {
            self.entries[up].lower = Some(new_id);
        }
        if let Some(low) = lower.and_then(|id| self.index_of(id)) {
            self.entries[low].upper = Some(new_id);
        }
        self.entries[new_index].upper = upper;
        self.entries[new_index].lower = lower;
        // INVARIANT: Nothing names `old` any more. `remove` cannot fail on an
        // index just looked up.
        let old = self
            .entries
            .remove(old_index)
            .map_err(|_| ctl_err!(EINVAL, "no block '{old}'"))?;
        Ok(Replaced {
            old,
            old_index,
            new_id,
            ports,
            moved,
        })
    }

    /// Undoes the [`Registry::replace`] that returned `replaced` (the caller
    /// undoes every later change first). Allocates nothing.
    pub(crate) fn unreplace(&mut self, replaced: Replaced) {
        let Replaced {
            old,
            old_index,
            new_id,
            ports,
            moved,
        } = replaced;
        let old_id = old.id;
        let Some(new_index) = self.index_of(new_id) else {
            return;
        };
        // INVARIANT: Each binding goes back to `old` on both sides; `new`
        // was unbound.
        if let Some(up) = old.upper.and_then(|id| self.index_of(id)) {
            self.entries[up].lower = Some(old_id);
        }
        if let Some(low) = old.lower.and_then(|id| self.index_of(id)) {
            self.entries[low].upper = Some(old_id);
        }
        self.entries[new_index].upper = None;
        self.entries[new_index].lower = None;
        for (id, at, before) in ports.iter() {
            if let Some(index) = self.index_of(*id) {
                self.entries[index].ports[*at] = *before;
            }
        }
        moved.undo(self, new_index);
        // The remove left the room, and the index is `old`'s place in id
        // order again: nothing was added in between (the caller undid it).
        let _ = self.entries.insert_within_capacity(old_index, old);
    }

    /// Whether packets entering at block `start` travel through block `id`
    /// on their way up (following `upper` links, as the packet path does,
    /// for at most the hop limit).
    pub(crate) fn reaches(&self, start: u32, id: u32) -> bool {
        let mut at = Some(start);
        for _ in 0..crate::graph::HOP_LIMIT {
            match at {
                Some(block) if block == id => return true,
                Some(block) => at = self.get(block).and_then(|e| e.upper),
                None => return false,
            }
        }
        false
    }

    /// Whether packets leaving at block `start` (sent by a lana device
    /// attached at the top) travel through block `id` on their way down
    /// (following `lower` links, for at most the hop limit).
    pub(crate) fn reaches_down(&self, start: u32, id: u32) -> bool {
        let mut at = Some(start);
        for _ in 0..crate::graph::HOP_LIMIT {
            match at {
                Some(block) if block == id => return true,
                Some(block) => at = self.get(block).and_then(|e| e.lower),
                None => return false,
            }
        }
        false
    }

    /// The entries subscribed to block `id`.
    pub(crate) fn subscribers_of(&self, id: u32) -> impl Iterator<Item = &Entry> + '_ {
        self.entries.iter().filter(move |e| e.subscribes_to(id))
    }

    /// `subscriber` receives `target`'s events from now on.
    pub(crate) fn subscribe(&mut self, subscriber: &Name, target: &Name) -> CtlResult {
        if subscriber == target {
            return Err(ctl_err!(
                EINVAL,
                "block '{subscriber}' always receives its own events"
            ));
        }
        let sub = self.lookup_index(subscriber)?;
        let tgt = self.lookup_index(target)?;
        let target_id = self.entries[tgt].id;
        if self.entries[sub].subscribes_to(target_id) {
            return Err(ctl_err!(
                EEXIST,
                "'{subscriber}' is already subscribed to '{target}'"
            ));
        }
        self.entries[sub].subscriptions.reserve(1, GFP_KERNEL)?;
        let listening = Subscription::new(
            self.entries[tgt].events.clone(),
            self.entries[sub].inbox.clone(),
        )?;
        // INVARIANT: Another entry, not yet subscribed to, registered above.
        self.entries[sub]
            .subscriptions
            .push((target_id, listening), GFP_KERNEL)?;
        Ok(())
    }

    /// Undoes `subscribe subscriber target`.
    pub(crate) fn unsubscribe(&mut self, subscriber: &Name, target: &Name) -> CtlResult {
        let sub = self.lookup_index(subscriber)?;
        let target_id = self.lookup(target)?.id;
        let subscriptions = &mut self.entries[sub].subscriptions;
        let at = subscriptions
            .iter()
            .position(|(id, _)| *id == target_id)
            .ok_or_else(|| ctl_err!(ENOENT, "'{subscriber}' is not subscribed to '{target}'"))?;
        // Dropping the registration takes it off the target's chain.
        drop(subscriptions.remove(at).map_err(|_| EINVAL)?);
        Ok(())
    }

    /// Delivers `event` over the chain of block `id`: to the block and to its
    /// subscribers.
    pub(crate) fn notify(&self, id: u32, event: &Event) {
        if let Some(entry) = self.get(id) {
            entry.notify(event);
        }
    }

    /// Plans moving the subscriptions that involve `old` to `new` (for
    /// replace): what `old` subscribed to, `new` subscribes to; who
    /// subscribed to `old`, subscribes to `new`. A subscription of `new` to
    /// itself is dropped: a block always receives its own events. Every new
    /// registration and all room are allocated here.
    fn subscription_moves(&mut self, old: usize, new: usize) -> Result<SubscriptionMoves> {
        let (old_id, new_id) = (self.entries[old].id, self.entries[new].id);
        let mut adopted = KVec::new();
        for target in self.entries[old].subscribed_to() {
            if target != new_id && !self.entries[new].subscribes_to(target) {
                let chain = self.get(target).map(|t| t.events.clone()).ok_or(EINVAL)?;
                let inbox = self.entries[new].inbox.clone();
                adopted.push((target, Subscription::new(chain, inbox)?), GFP_KERNEL)?;
            }
        }
        let mut redirected = KVec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            if index != new && index != old && entry.subscribes_to(old_id) {
                // One already subscribed to `new` just loses `old`.
                let listening = if entry.subscribes_to(new_id) {
                    None
                } else {
                    let chain = self.entries[new].events.clone();
                    Some(Subscription::new(chain, entry.inbox.clone())?)
                };
                redirected.push((entry.id, listening), GFP_KERNEL)?;
            }
        }
        self.entries[new]
            .subscriptions
            .reserve(adopted.len(), GFP_KERNEL)?;
        let taken = KVec::with_capacity(redirected.len(), GFP_KERNEL)?;
        Ok(SubscriptionMoves {
            adopted,
            redirected,
            taken,
            own: None,
            kept: 0,
        })
    }

    /// A port (block name, port name) leading to block `id`, if any.
    pub(crate) fn port_into(&self, id: u32) -> Option<(Name, &'static str)> {
        self.entries.iter().find_map(|e| {
            let at = e.ports.iter().position(|t| *t == Some(id))?;
            Some((e.name, port_name(e.kind, at)))
        })
    }

    /// A bound output port of `entry` (port name, block name), if any.
    pub(crate) fn port_out_of(&self, entry: &Entry) -> Option<(&'static str, Name)> {
        let (at, id) = entry
            .ports
            .iter()
            .enumerate()
            .find_map(|(at, t)| t.map(|id| (at, id)))?;
        Some((port_name(entry.kind, at), self.name_of(id)))
    }

    /// The bound output ports of `entry`: (port name, block name).
    pub(crate) fn port_bindings<'a>(
        &'a self,
        entry: &'a Entry,
    ) -> impl Iterator<Item = (&'static str, Name)> + 'a {
        entry
            .ports
            .iter()
            .enumerate()
            .filter_map(move |(at, t)| t.map(|id| (port_name(entry.kind, at), self.name_of(id))))
    }

    /// Sends `lower`'s output port `port` to `upper` (`bind --port`).
    pub(crate) fn bind_port(&mut self, upper: &Name, lower: &Name, port: &str) -> CtlResult {
        if upper == lower {
            return Err(ctl_err!(EINVAL, "cannot bind block '{upper}' to itself"));
        }
        let up = self.lookup_index(upper)?;
        let low = self.lookup_index(lower)?;
        let at = port_index(self.entries[low].kind, lower, port)?;
        if let Some(cur) = self.entries[low].ports[at] {
            let cur = self.name_of(cur);
            return Err(ctl_err!(
                EBUSY,
                "port '{port}' of '{lower}' already leads to '{cur}'"
            ));
        }
        // INVARIANT: `upper` is an entry.
        self.entries[low].ports[at] = Some(self.entries[up].id);
        Ok(())
    }

    /// Undoes `bind --port port upper lower`.
    pub(crate) fn unbind_port(&mut self, upper: &Name, lower: &Name, port: &str) -> CtlResult {
        let up = self.lookup(upper)?.id;
        let low = self.lookup_index(lower)?;
        let at = port_index(self.entries[low].kind, lower, port)?;
        if self.entries[low].ports[at] != Some(up) {
            return Err(ctl_err!(
                ENOENT,
                "port '{port}' of '{lower}' does not lead to '{upper}'"
            ));
        }
        self.entries[low].ports[at] = None;
        Ok(())
    }

    /// Plans moving port bindings involving `old` to `new` (for replace):
    /// ports of other blocks leading to `old` lead to `new`; `old`'s own
    /// bound ports move to `new`'s ports of the same name, which `new` must
    /// have, unbound. Returns each port slot to change: (block id, port
    /// index, new value). Checks first, so that a refusal changes nothing.
    fn port_moves(&self, old: usize, new: usize) -> CtlResult<KVec<(u32, usize, Option<u32>)>> {
        let (old_id, new_id) = (self.entries[old].id, self.entries[new].id);
        let new_name = self.entries[new].name;
        let mut moves = KVec::new();
        for (at, target) in self.entries[old].ports.iter().enumerate() {
            if let Some(target) = target {
                let port = port_name(self.entries[old].kind, at);
                let to = port_index(self.entries[new].kind, &new_name, port)?;
                if self.entries[new].ports[to].is_some() {
                    return Err(ctl_err!(EBUSY, "port '{port}' of '{new_name}' is bound"));
                }
                // A port of `old` leading to `new` would make `new` feed
                // itself.
                if *target != new_id {
                    moves.push((new_id, to, Some(*target)), GFP_KERNEL)?;
                }
            }
        }
        for entry in self.entries.iter().filter(|e| e.id != old_id) {
            for (at, target) in entry.ports.iter().enumerate() {
                if *target == Some(old_id) {
                    let to = (entry.id != new_id).then_some(new_id);
                    moves.push((entry.id, at, to), GFP_KERNEL)?;
                }
            }
        }
        Ok(moves)
    }

    /// Undoes `bind upper lower`.
    pub(crate) fn unbind(&mut self, upper: &Name, lower: &Name) -> CtlResult {
        let up = self.lookup_index(upper)?;
        let low = self.lookup_index(lower)?;
        if self.entries[up].lower != Some(self.entries[low].id) {
            return Err(ctl_err!(
                ENOENT,
                "block '{upper}' is not bound above '{lower}'"
            ));
        }
        // INVARIANT: Both sides cleared together.
        self.entries[up].lower = None;
        self.entries[low].upper = None;
        Ok(())
    }
}

/// The name of output port `at` of `kind`.
fn port_name(kind: &BlockType, at: usize) -> &'static str {
    kind.ports
        .get(at)
        .and_then(|p| p.to_str().ok())
        .unwrap_or("?")
}

/// The index of output port `port` of `block`, of type `kind`.
fn port_index(kind: &BlockType, block: &Name, port: &str) -> CtlResult<usize> {
    kind.ports
        .iter()
        .position(|p| p.to_bytes() == port.as_bytes())
        .ok_or_else(|| ctl_err!(ENOENT, "block '{block}' has no port '{port}'"))
}

#[kunit_tests(lana_registry)]
mod tests {
    use super::*;
    use crate::error::CtlResult;

    fn name(s: &str) -> Name {
        Name::new(s.as_bytes(), "name").expect("valid name")
    }

    fn registry_with(names: &[&str]) -> Registry {
        let mut reg = Registry::new();
        for n in names {
            reg.add(name(n), &crate::fbs::TYPES[0], |_| Ok(()))
                .expect("add");
        }
        reg
    }

    #[test]
    fn add_gives_increasing_ids_and_refuses_duplicates() {
        let mut reg = registry_with(&["a", "b"]);
        assert_eq!(reg.lookup(&name("a")).map(|e| e.id).ok(), Some(1));
        assert_eq!(reg.lookup(&name("b")).map(|e| e.id).ok(), Some(2));
        let errno = reg
            .add(name("a"), &crate::fbs::TYPES[0], |_| Ok(()))
            .err()
            .map(|e| e.errno());
        assert_eq!(errno, Some(EEXIST));
        assert_eq!(reg.entries().len(), 2);
    }

    #[test]
    fn ids_are_not_reused_after_remove() {
        let mut reg = registry_with(&["a", "b"]);
        assert!(reg.remove(&name("b")).is_ok());
        assert_eq!(
            reg.add(name("c"), &crate::fbs::TYPES[0], |_| Ok(())).ok(),
            Some(3)
        );
    }

    #[test]
    fn bind_links_both_sides_and_unbind_clears_them() {
        let mut reg = registry_with(&["up", "low"]);
        assert!(reg.bind(&name("up"), &name("low")).is_ok());
        assert_eq!(reg.lookup(&name("up")).ok().and_then(|e| e.lower), Some(2));
        assert_eq!(reg.lookup(&name("low")).ok().and_then(|e| e.upper), Some(1));
        assert!(reg.unbind(&name("up"), &name("low")).is_ok());
        assert_eq!(reg.lookup(&name("up")).ok().and_then(|e| e.lower), None);
        assert_eq!(reg.lookup(&name("low")).ok().and_then(|e| e.upper), None);
    }

    #[test]
    fn bind_refuses_self_unknown_and_taken_slots() {
        let mut reg = registry_with(&["a", "b", "c"]);
        assert_eq!(
            reg.bind(&name("a"), &name("a")).err().map(|e| e.errno()),
            Some(EINVAL)
        );
        assert_eq!(
            reg.bind(&name("a"), &name("x")).err().map(|e| e.errno()),
            Some(ENOENT)
        );
        assert!(reg.bind(&name("a"), &name("b")).is_ok());
        assert_eq!(
            reg.bind(&name("a"), &name("c")).err().map(|e| e.errno()),
            Some(EBUSY)
        );
        assert_eq!(
            reg.bind(&name("c"), &name("b")).err().map(|e| e.errno()),
            Some(EBUSY)
        );
        assert_eq!(
            reg.unbind(&name("b"), &name("a")).err().map(|e| e.errno()),
            Some(ENOENT)
        );
    }

    #[test]
    fn replace_moves_every_binding_to_the_new_block() {
        let mut reg = registry_with(&["top", "mid", "low", "new"]);
        assert!(reg.bind(&name("top"), &name("mid")).is_ok());
        assert!(reg.bind(&name("mid"), &name("low")).is_ok());
        let old = reg.replace(&name("mid"), &name("new"));
        assert_eq!(old.map(|r| r.old.id).ok(), Some(2));
        assert!(reg.find(&name("mid")).is_none());
        let new = reg.lookup(&name("new")).map(|e| (e.upper, e.lower)).ok();
        assert_eq!(new, Some((Some(1), Some(3))));
        assert_eq!(reg.lookup(&name("top")).ok().and_then(|e| e.lower), Some(4));
        assert_eq!(reg.lookup(&name("low")).ok().and_then(|e| e.upper), Some(4));
    }

    #[test]
    fn replace_refuses_bound_or_same_blocks() {
        let mut reg = registry_with(&["a", "b", "c"]);
        assert!(reg.bind(&name("a"), &name("b")).is_ok());
        assert_eq!(
            reg.replace(&name("c"), &name("a")).err().map(|e| e.errno()),
            Some(EBUSY)
        );
        assert_eq!(
            reg.replace(&name("c"), &name("c")).err().map(|e| e.errno()),
            Some(EINVAL)
        );
        assert_eq!(
            reg.replace(&name("x"), &name("c")).err().map(|e| e.errno()),
            Some(ENOENT)
        );
        assert_eq!(reg.entries().len(), 3);
    }

    fn received(reg: &Registry, n: &str) -> u64 {
        reg.lookup(&name(n))
            .map_or(u64::MAX, |e| e.inbox.received())
    }

    fn notify(reg: &Registry, n: &str) {
        let id = reg.lookup(&name(n)).map_or(0, |e| e.id);
        reg.notify(id, &Event::new(crate::event::EventKind::Bind, name(n)));
    }

    #[test]
    fn events_reach_the_block_and_its_subscribers_only() {
        let mut reg = registry_with(&["a", "b", "c"]);
        assert!(reg.subscribe(&name("a"), &name("b")).is_ok());
        notify(&reg, "b");
        assert_eq!(
            (
                received(&reg, "a"),
                received(&reg, "b"),
                received(&reg, "c")
            ),
            (1, 1, 0)
        );
        assert!(reg.unsubscribe(&name("a"), &name("b")).is_ok());
        notify(&reg, "b");
        assert_eq!((received(&reg, "a"), received(&reg, "b")), (1, 2));
    }

    #[test]
    fn subscribe_refuses_self_duplicates_and_unknown() {
        let mut reg = registry_with(&["a", "b"]);
        let errno = |r: CtlResult| r.err().map(|e| e.errno());
        assert_eq!(errno(reg.subscribe(&name("a"), &name("a"))), Some(EINVAL));
        assert_eq!(errno(reg.subscribe(&name("a"), &name("x"))), Some(ENOENT));
        assert!(reg.subscribe(&name("a"), &name("b")).is_ok());
        assert_eq!(errno(reg.subscribe(&name("a"), &name("b"))), Some(EEXIST));
        assert_eq!(errno(reg.unsubscribe(&name("b"), &name("a"))), Some(ENOENT));
    }

    #[test]
    fn remove_refuses_a_block_with_subscribers() {
        let mut reg = registry_with(&["a", "b"]);
        assert!(reg.subscribe(&name("a"), &name("b")).is_ok());
        assert_eq!(reg.remove(&name("b")).err().map(|e| e.errno()), Some(EBUSY));
        // The subscriber itself may go; its subscription goes with it.
        assert!(reg.remove(&name("a")).is_ok());
        assert!(reg.remove(&name("b")).is_ok());
    }

    #[test]
    fn replace_moves_subscriptions_both_ways() {
        let mut reg = registry_with(&["watcher", "old", "watched", "new"]);
        assert!(reg.subscribe(&name("watcher"), &name("old")).is_ok());
        assert!(reg.subscribe(&name("old"), &name("watched")).is_ok());
        assert!(reg.replace(&name("old"), &name("new")).is_ok());
        notify(&reg, "new");
        assert_eq!(received(&reg, "watcher"), 1);
        notify(&reg, "watched");
        assert_eq!(received(&reg, "new"), 2);
    }

    fn typed(blocks: &[(&str, &str)]) -> Registry {
        let mut reg = Registry::new();
        for (n, t) in blocks {
            let kind = crate::fbs::find(t.as_bytes()).expect("known type");
            reg.add(name(n), kind, |_| Ok(())).expect("add");
        }
        reg
    }

    #[test]
    fn ports_bind_by_name_once_and_hold_both_blocks() {
        let mut reg = typed(&[("t", "tee"), ("x", "counter"), ("y", "counter")]);
        let errno = |r: CtlResult| r.err().map(|e| e.errno());
        assert_eq!(
            errno(reg.bind_port(&name("x"), &name("t"), "nope")),
            Some(ENOENT)
        );
        assert_eq!(
            errno(reg.bind_port(&name("t"), &name("x"), "clone")),
            Some(ENOENT)
        );
        assert!(reg.bind_port(&name("x"), &name("t"), "clone").is_ok());
        assert_eq!(
            errno(reg.bind_port(&name("y"), &name("t"), "clone")),
            Some(EBUSY)
        );
        assert_eq!(errno(reg.remove(&name("x")).map(|_| ())), Some(EBUSY));
        assert_eq!(errno(reg.remove(&name("t")).map(|_| ())), Some(EBUSY));
        assert_eq!(
            errno(reg.unbind_port(&name("y"), &name("t"), "clone")),
            Some(ENOENT)
        );
        assert!(reg.unbind_port(&name("x"), &name("t"), "clone").is_ok());
        assert!(reg.remove(&name("x")).is_ok());
    }

    #[test]
    fn replace_moves_ports_both_ways() {
        let mut reg = typed(&[
            ("t", "tee"),
            ("x", "counter"),
            ("t2", "tee"),
            ("x2", "counter"),
        ]);
        assert!(reg.bind_port(&name("x"), &name("t"), "clone").is_ok());
        // The block a port leads to is replaced: the port follows.
        assert!(reg.replace(&name("x"), &name("x2")).is_ok());
        assert_eq!(
            reg.port_into(4).map(|(from, _)| from == name("t")),
            Some(true)
        );
        // The block with the port is replaced: its binding moves along.
        assert!(reg.replace(&name("t"), &name("t2")).is_ok());
        assert_eq!(
            reg.port_into(4).map(|(from, _)| from == name("t2")),
            Some(true)
        );
        // A type without the port cannot take the place of a bound one.
        let mut reg = typed(&[("t", "tee"), ("x", "counter"), ("f", "forward")]);
        assert!(reg.bind_port(&name("x"), &name("t"), "clone").is_ok());
        let errno = reg.replace(&name("t"), &name("f")).err().map(|e| e.errno());
        assert_eq!(errno, Some(ENOENT));
        assert!(reg.find(&name("t")).is_some());
    }

    /// A block as a replace changes it: id, upper, lower, ports,
    /// subscriptions.
    type Shape = (u32, Option<u32>, Option<u32>, KVec<Option<u32>>, KVec<u32>);

    /// Everything a replace changes, as comparable values.
    fn shape(reg: &Registry) -> KVec<Shape> {
        let mut out = KVec::new();
        for e in reg.entries() {
            let mut ports = KVec::new();
            for p in e.ports.iter() {
                ports.push(*p, GFP_KERNEL).expect("room");
            }
            let mut subs = KVec::new();
            for t in e.subscribed_to() {
                subs.push(t, GFP_KERNEL).expect("room");
            }
            out.push((e.id, e.upper, e.lower, ports, subs), GFP_KERNEL)
                .expect("room");
        }
        out
    }

    #[test]
    fn unreplace_puts_everything_back() {
        let mut reg = typed(&[
            ("top", "tee"),
            ("old", "tee"),
            ("low", "counter"),
            ("new", "tee"),
            ("copy", "counter"),
            ("w1", "counter"),
            ("w2", "counter"),
        ]);
        assert!(reg.bind(&name("top"), &name("old")).is_ok());
        assert!(reg.bind(&name("old"), &name("low")).is_ok());
        assert!(reg.bind_port(&name("copy"), &name("old"), "clone").is_ok());
        assert!(reg.bind_port(&name("old"), &name("top"), "clone").is_ok());
        assert!(reg.subscribe(&name("w1"), &name("old")).is_ok());
        // w2 listens to both: it keeps one subscription to `new`.
        assert!(reg.subscribe(&name("w2"), &name("old")).is_ok());
        assert!(reg.subscribe(&name("w2"), &name("new")).is_ok());
        assert!(reg.subscribe(&name("old"), &name("w1")).is_ok());
        assert!(reg.subscribe(&name("new"), &name("old")).is_ok());
        assert!(reg.subscribe(&name("new"), &name("w2")).is_ok());
        let before = shape(&reg);
        let replaced = reg.replace(&name("old"), &name("new")).expect("replace");
        assert!(reg.find(&name("old")).is_none());
        assert_eq!(
            reg.lookup(&name("w2"))
                .map(|e| e.subscribed_to().count())
                .ok(),
            Some(1)
        );
        reg.unreplace(replaced);
        assert!(shape(&reg) == before);
        // The registrations are live again: events reach the listeners.
        notify(&reg, "old");
        assert_eq!(received(&reg, "w1"), 1);
        assert_eq!(received(&reg, "w2"), 1);
        assert_eq!(received(&reg, "new"), 1);
        notify(&reg, "new");
        assert_eq!(received(&reg, "w2"), 2);
        assert_eq!(received(&reg, "old"), 1);
    }

    #[test]
    fn remove_refuses_bound_blocks() {
        let mut reg = registry_with(&["a", "b"]);
        assert!(reg.bind(&name("a"), &name("b")).is_ok());
        assert_eq!(reg.remove(&name("a")).err().map(|e| e.errno()), Some(EBUSY));
        assert_eq!(reg.remove(&name("b")).err().map(|e| e.errno()), Some(EBUSY));
        assert!(reg.unbind(&name("a"), &name("b")).is_ok());
        assert!(reg.remove(&name("a")).is_ok());
        assert_eq!(
            reg.remove(&name("a")).err().map(|e| e.errno()),
            Some(ENOENT)
        );
    }
}
