// SPDX-License-Identifier: GPL-2.0-only

//! Subscriptions: a block receiving another's events, and their delivery.

use super::*;

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

    /// Undoes `subscribe subscriber target`.
    pub(crate) fn unsubscribe(&mut self, subscriber: &Name, target: &Name) -> CtlResult {
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
}
