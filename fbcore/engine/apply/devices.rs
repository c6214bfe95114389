// SPDX-License-Identifier: GPL-2.0-only

//! A batch's device attachments: planned while staging, given their slots
//! and registrations when the batch commits.

use super::batch::{Placed, Wanted};
use super::*;

impl<'a> Batch<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn stage_attach(
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

    pub(super) fn stage_detach(
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
    pub(super) fn place(&self, control: &Control) -> Result<KVec<Placed>> {
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
    pub(super) fn attach(
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
}
