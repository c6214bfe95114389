// SPDX-License-Identifier: GPL-2.0-only

//! Subscriptions: a block receiving another's events, and their delivery.

use super::*;

/// A subscription taken out of its subscriber by
/// [`Registry::unsubscribe`], still registered on the target's chain until
/// dropped: putting it back ([`Registry::resubscribe`]) then allocates
/// nothing and keeps its place on the chain.
pub(crate) struct Withdrawn {
    /// Its place among the subscriber's subscriptions.
    at: usize,
    /// The block it subscribed to.
    target: u32,
    /// The registration; dropping it takes it off the target's chain.
    _listening: Listening,
}

impl Registry {
    /// The entries subscribed to block `id`.
    pub(crate) fn subscribers_of(&self, id: u32) -> impl Iterator<Item = &Entry> + '_ {
        self.entries
            .iter()
            .map(|e| &**e)
            .filter(move |e| e.subscribes_to(id))
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
        self.events(sub)?.subscriptions.reserve(1, GFP_KERNEL)?;
        let chain = self.chain(tgt)?;
        let inbox = self.events(sub)?.inbox.clone();
        let listening = Subscription::new(chain, inbox)?;
        // INVARIANT: Another entry, not yet subscribed to, registered above
        // with `sub`'s inbox.
        self.events(sub)?
            .subscriptions
            .push((target_id, listening), GFP_KERNEL)?;
        Ok(())
    }

    /// Undoes `subscribe subscriber target`. The registration is handed
    /// back, still on the target's chain: dropping it takes it off (once the
    /// change is final), [`Registry::resubscribe`] puts it back (undo).
    pub(crate) fn unsubscribe(
        &mut self,
        subscriber: &Name,
        target: &Name,
    ) -> Result<Withdrawn, CtlError> {
        let sub = self.lookup_index(subscriber)?;
        let target_id = self.lookup(target)?.id;
        let not_subscribed = || ctl_err!(ENOENT, "'{subscriber}' is not subscribed to '{target}'");
        let subscriptions = self.entries[sub]
            .subscriptions_mut()
            .ok_or_else(not_subscribed)?;
        let at = subscriptions
            .iter()
            .position(|(id, _)| *id == target_id)
            .ok_or_else(not_subscribed)?;
        let (target, listening) = subscriptions.remove(at).map_err(|_| EINVAL)?;
        Ok(Withdrawn {
            at,
            target,
            _listening: listening,
        })
    }

    /// Puts back a subscription of `subscriber` that [`Registry::unsubscribe`]
    /// withdrew, where it was among the block's subscriptions: undoing it
    /// allocates nothing, so it cannot fail for want of memory.
    pub(crate) fn resubscribe(&mut self, subscriber: &Name, withdrawn: Withdrawn) -> CtlResult {
        let sub = self.lookup_index(subscriber)?;
        let subscriptions = self.entries[sub].subscriptions_mut().ok_or(EINVAL)?;
        let Withdrawn {
            at,
            target,
            _listening: listening,
        } = withdrawn;
        // The withdrawal left the room, and the subscriptions are as it left
        // them: what the batch did after it was undone first.
        subscriptions
            .insert_within_capacity(at, (target, listening))
            .map_err(|_| EINVAL)?;
        Ok(())
    }

    /// Delivers `event` over the chain of block `id`: to the block and to its
    /// subscribers.
    pub(crate) fn notify(&self, id: u32, event: &Event) {
        if let Some(entry) = self.get(id) {
            entry.notify(event);
        }
    }
}
