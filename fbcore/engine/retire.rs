// SPDX-License-Identifier: GPL-2.0-only

//! Retiring snapshots: each replaced snapshot is folded into the counters
//! and freed once its RCU grace period has passed, without the change that
//! replaced it waiting for that, unless the change needs it gone.
//!
//! A change that must see the old snapshot gone waits ([`Wait::Yes`]): a
//! detach (the snapshot holds the device, whose unregistering waits for it)
//! and a replace (the old block's state is carried once no packet can reach
//! it). The others leave it pending: it is folded by the next change that
//! finds its grace period over, or by the reaper a grace period later. At
//! most [`PENDING_MAX`] are pending; one more waits for them all. Until a
//! snapshot is folded its tally still counts: readers add the pending
//! snapshots' tallies to the published one's, under the control lock, so
//! they see every count once, in a tally or folded.

use super::*;

/// Retired snapshots left pending at most: one more makes the change that
/// retires it wait for them all.
pub(super) const PENDING_MAX: usize = 4;

/// Whether a change waits for the snapshot it retires to be gone.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Wait {
    Yes,
    No,
}

impl Engine {
    /// Retires `retired`, the snapshot a change replaced: folds and frees it
    /// now (`Wait::Yes`: every pending one with it), or leaves it pending
    /// for a later change or the reaper.
    pub(super) fn retire(&self, control: &mut Control, retired: Retired<Graph>, wait: Wait) {
        let pending = retired.defer();
        // What is due goes first: a full list may have room again.
        self.retire_elapsed(control);
        let full = control.pending.len() >= PENDING_MAX;
        let reaper = match self.reaper.as_ref() {
            Some(reaper) if wait == Wait::No && !full && !control.closed => reaper,
            _ => {
                // Every pending snapshot was retired before this one: its
                // grace period covers theirs.
                self.fold(&mut control.spare_tally, pending.wait());
                self.retire_all(control);
                return;
            }
        };
        // Room is reserved for PENDING_MAX: never fails.
        if let Err(full) = control.pending.push_within_capacity(pending) {
            self.fold(&mut control.spare_tally, full.0.wait());
        }
        reaper.queue();
    }

    /// Folds and frees every pending snapshot, waiting for their grace
    /// period.
    pub(super) fn retire_all(&self, control: &mut Control) {
        // Newest first: its grace period covers the older ones'. Popped,
        // not drained, to keep the room reserved.
        while let Some(pending) = control.pending.pop() {
            self.fold(&mut control.spare_tally, pending.wait());
        }
    }

    /// Folds and frees the pending snapshots whose grace period is over.
    fn retire_elapsed(&self, control: &mut Control) {
        let mut at = 0;
        while at < control.pending.len() {
            if !control.pending[at].elapsed() {
                at += 1;
                continue;
            }
            if let Ok(pending) = control.pending.remove(at) {
                self.fold(&mut control.spare_tally, pending.wait());
            }
        }
    }

    /// Adds `graph`'s tally to the counters and frees it, its tally kept as
    /// the `spare`. The control lock is held: readers, who hold it too, see
    /// its counts in its tally or folded, never both nor neither.
    fn fold(&self, spare: &mut Option<Tally>, graph: Option<KBox<Graph>>) {
        if let Some(graph) = graph {
            Graph::retire(graph, &self.sinks.stats, spare);
        }
    }

    /// The pending snapshots, whose tallies count beside the published
    /// one's. Ours while `control` is held: read outside any RCU read-side
    /// section.
    pub(super) fn pending(control: &Control) -> impl Iterator<Item = &Graph> + '_ {
        control.pending.iter().filter_map(Pending::get)
    }
}

impl Reap for Engine {
    /// A grace period after the reaper was queued: folds what is due, and
    /// queues the reaper again for what is not.
    fn reap(&self) {
        let mut control = self.control.lock();
        self.retire_elapsed(&mut control);
        if !control.pending.is_empty() && !control.closed {
            if let Some(reaper) = self.reaper.as_ref() {
                reaper.queue();
            }
        }
    }
}
