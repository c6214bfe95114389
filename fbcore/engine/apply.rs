// SPDX-License-Identifier: GPL-2.0-only

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
    rbtree::RBTree,
    sync::{aref::ARef, Arc, ArcBorrow},
};

use super::checks::{
    already_attached, check_keys, configure, held_by_another, prepare, tag_on_lana_device,
};
use super::{Attached, Control, Engine, Wait};
use crate::attach::{Attachment, Registration, Side, Tag};
use crate::block::{Block, BlockType, Device, Prepared, Setting};
use crate::error::{ctl_err, shown, CtlError, CtlResult};
use crate::event::{Event, EventKind};
use crate::graph::{Endpoint, Graph};
use crate::name::Name;
use crate::registry::{Entry, Registry, Replaced, Withdrawn};
use crate::vlink::net::device::{Namespace, Rtnl};

mod batch;
mod devices;

use batch::{Batch, Notice};

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
    /// `new` takes `old`'s place: its bindings, ports, subscriptions and
    /// attached devices; `old` is removed. With `carry_state`, `old`'s
    /// counters (and, same type, its state) merge into `new` once no CPU
    /// can be in `old` any more.
    Replace {
        old: Name,
        new: Name,
        carry_state: bool,
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

impl Change<'_> {
    /// Whether the change alters what the packet path follows: a batch
    /// of only settings and subscriptions publishes no new snapshot.
    fn reshapes(&self) -> bool {
        !matches!(
            self,
            Change::Set { .. } | Change::Subscribe { .. } | Change::Unsubscribe { .. }
        )
    }
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
    if !batch.reshapes && !control.bypassed {
        // Settings and subscriptions only: the published snapshot stays.
        for d in batch.deferred.drain_all() {
            d.block.commit(d.prepared);
        }
        control.changed();
        batch.release_withdrawn();
        for notice in batch.notices.iter() {
            this.deliver_notice(control, &batch, notice);
        }
        return Ok(());
    }
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
    // The registrations left in `retired` are the devices no longer
    // attached at all.
    let detaches = retired.iter().any(|a| a.registration.is_some());
    // Devices no longer attached let go first, as a single detach does:
    // once these return their frames reach the stack, and no frame meets
    // the new snapshot without an entry for its slot.
    for a in retired.iter_mut() {
        if let Some(registration) = a.registration.take() {
            drop(registration.unregister(rtnl));
        }
    }
    // Carrying a replaced block's state needs it unreachable; a detached
    // device must be let go of: those wait for the old snapshot to go.
    let wait = if batch.replaces() || detaches {
        Wait::Yes
    } else {
        Wait::No
    };
    this.retire(control, this.graph.publish(Some(graph)), wait);
    control.published();
    batch.carry_state(control);
    batch.release_withdrawn();
    for notice in batch.notices.iter() {
        this.deliver_notice(control, &batch, notice);
    }
    // Blocks removed by the batch go now, or with the pending snapshot
    // that still holds them (engine/retire.rs).
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
