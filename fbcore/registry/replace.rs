// SPDX-License-Identifier: GPL-2.0-only

//! Replacing a block: everything checked and allocated first, then moved,
//! with a record that puts it all back without allocating.

use super::ports::{port_index, port_name};
use super::*;

/// What [`Registry::replace`] changed, to undo it without allocating
/// ([`Registry::unreplace`]) or, dropped, to finish it: the subscribers'
/// registrations on `old`'s chain go then.
pub(crate) struct Replaced {
    /// `old`'s entry, out of the registry, its bindings as they were.
    pub(crate) old: KBox<Entry>,
    /// Where it was.
    old_index: usize,
    new_id: u32,
    /// Each port slot changed: (block id, port index, value before).
    ports: KVec<(u32, usize, Option<u32>)>,
    moved: SubscriptionMoves,
}

impl Replaced {
    /// The block that took `old`'s place.
    pub(crate) fn new_id(&self) -> u32 {
        self.new_id
    }
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
        // None only if `new` neither subscribes nor adopts anything.
        if let Some(own) = registry.entries[new].subscriptions_mut() {
            if let Some(at) = own.iter().position(|(id, _)| *id == old_id) {
                self.own = own.remove(at).ok().map(|taken| (at, taken));
            }
            self.kept = own.len();
            for (target, listening) in self.adopted.drain_all() {
                let _ = own.push_within_capacity((target, listening));
            }
        }
        for (id, listening) in self.redirected.drain_all() {
            let Some(index) = registry.index_of(id) else {
                continue;
            };
            let Some(subs) = registry.entries[index].subscriptions_mut() else {
                continue;
            };
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
            let Some(subs) = registry.entries[index].subscriptions_mut() else {
                continue;
            };
            if swapped {
                // Drops the registration on `new`'s chain.
                if let Some(slot) = subs.get_mut(at) {
                    *slot = taken;
                }
            } else {
                let _ = subs.insert_within_capacity(at, taken);
            }
        }
        let Some(own) = registry.entries[new].subscriptions_mut() else {
            return;
        };
        // Drops the registrations adopted from `old`.
        own.truncate(self.kept);
        if let Some((at, taken)) = self.own.take() {
            let _ = own.insert_within_capacity(at, taken);
        }
    }
}

impl Registry {
    /// Puts `new` in the place of `old`: every binding and subscription of
    /// `old` now names `new`, and `old` leaves the registry. `new` must be
    /// unbound. Everything that can fail (checks, allocations) comes first,
    /// so an error changes nothing one can see (`new` may keep the inbox
    /// and chain made for it); the record returned undoes the change
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
        let mut ports = KVec::with_capacity(port_moves.len(), GFP_KERNEL)?;
        // Last: it may make `new`'s events (which a refusal leaves, unseen).
        let mut moved = self.subscription_moves(old_index, new_index)?;
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
            .take_out(old_index)
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
        let _ = self.put_back(old_index, old);
    }

    /// Plans moving the subscriptions that involve `old` to `new` (for
    /// replace): what `old` subscribed to, `new` subscribes to; who
    /// subscribed to `old`, subscribes to `new`. A subscription of `new` to
    /// itself is dropped: a block always receives its own events. Every new
    /// registration and all room are allocated here.
    fn subscription_moves(&mut self, old: usize, new: usize) -> Result<SubscriptionMoves> {
        let (old_id, new_id) = (self.entries[old].id, self.entries[new].id);
        // `new` takes over `old`'s subscriptions with its own inbox.
        let subscribes = self.entries[old].subscribed_to().next().is_some();
        let new_inbox = subscribes
            .then(|| self.events(new).map(|e| e.inbox.clone()))
            .transpose()?;
        let mut adopted = KVec::new();
        for target in self.entries[old].subscribed_to() {
            if target != new_id && !self.entries[new].subscribes_to(target) {
                // `old` is subscribed to it: it has its chain.
                let chain = self
                    .get(target)
                    .and_then(Entry::own_chain)
                    .cloned()
                    .ok_or(EINVAL)?;
                let inbox = new_inbox.clone().ok_or(EINVAL)?;
                adopted.push((target, Subscription::new(chain, inbox)?), GFP_KERNEL)?;
            }
        }
        // `old`'s subscribers move to `new`'s chain: only a block with a
        // chain has subscribers.
        let listened = self.entries[old].own_chain().is_some();
        let new_chain = listened.then(|| self.chain(new)).transpose()?;
        let mut redirected = KVec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            if index != new && index != old && entry.subscribes_to(old_id) {
                // One already subscribed to `new` just loses `old`.
                let listening = if entry.subscribes_to(new_id) {
                    None
                } else {
                    let chain = new_chain.clone().ok_or(EINVAL)?;
                    // A subscriber has its inbox.
                    let inbox = entry.events.as_ref().map(|e| e.inbox.clone());
                    let inbox = inbox.ok_or(EINVAL)?;
                    Some(Subscription::new(chain, inbox)?)
                };
                redirected.push((entry.id, listening), GFP_KERNEL)?;
            }
        }
        // `new` has its events (made with its inbox above) if it adopts any.
        if let Some(own) = self.entries[new].subscriptions_mut() {
            own.reserve(adopted.len(), GFP_KERNEL)?;
        }
        let taken = KVec::with_capacity(redirected.len(), GFP_KERNEL)?;
        Ok(SubscriptionMoves {
            adopted,
            redirected,
            taken,
            own: None,
            kept: 0,
        })
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
                let port = port_name(self.entries[old].kind(), at);
                let to = port_index(self.entries[new].kind(), &new_name, port)?;
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
}
