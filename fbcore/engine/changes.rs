// SPDX-License-Identifier: GPL-2.0

//! The changes that are not (yet) batches: settings, counters, subscriptions,
//! replace, and what the device notifier reports.

use super::checks::{check_keys, configure};
use super::*;

impl Engine {
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
    pub(super) fn pair_event(
        &self,
        control: &Control,
        kind: EventKind,
        upper: &Name,
        lower: &Name,
    ) {
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
    pub(super) fn detach_at(
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
}
