// SPDX-License-Identifier: GPL-2.0-only

//! The changes that are not batches: counters reset, and what the device
//! notifier and shutdown report.

use super::*;

impl Engine {
    /// Sets block `name`'s counters to zero: its own, if its type keeps
    /// any, and the engine's counts of the walks through it.
    pub(crate) fn reset(&self, name: &Name) -> CtlResult {
        let control = self.control.lock();
        let entry = control.registry.lookup(name)?;
        entry.walks.reset(&self.live_walks(&control, &entry.walks)?);
        match entry.block().reset() {
            Err(e) if e.errno() != EOPNOTSUPP => {
                let kind = shown(entry.kind().name);
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
        self.publish_or_bypass(control)?;
        if let (Some((id, _)), Some(event)) = (block, event) {
            Self::notify(control, id, &event);
            self.announce(&event);
        }
        Ok(())
    }

    /// Publishes the snapshot of `control` after a device left it; with no
    /// memory for it, the empty one kept for this instead, so that no
    /// snapshot holds a device that is going away (its unregister would wait
    /// for the next change). Frames then reach the stack (counted
    /// `to_stack_no_entry`) until the next change publishes the graph.
    fn publish_or_bypass(&self, control: &mut Control) -> CtlResult {
        let Err(e) = self.publish(control) else {
            return Ok(());
        };
        if control.bypassed {
            // The empty snapshot is out already: it holds no device.
            control.changed();
            return Ok(());
        }
        let Some(empty) = control.bypass.take() else {
            return Err(e);
        };
        pr_warn!(
            "no memory for the graph without a detached device: bypassed until the next change\n"
        );
        self.retire(control, self.graph.publish(Some(empty)), Wait::Yes);
        control.changed();
        control.bypassed = true;
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
            // A failed detach has still removed the attachment: the loop
            // ends, and the device's other attachments go too.
            if let Err(e) = self.detach_at(rtnl, &mut control, index, EventKind::DevUnregister) {
                pr_warn!("detaching an unregistering device: {:?}\n", e);
            }
        }
    }
}
