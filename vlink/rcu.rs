// SPDX-License-Identifier: GPL-2.0-only

//! An RCU-published pointer to an immutable value.
//!
//! 7.3's `kernel::sync::rcu` has the read-side guard and `synchronize_rcu`
//! but no `rcu_dereference`/`rcu_assign_pointer`; this is the smallest safe
//! wrapper over that pair for one use: the engine publishes a whole new graph
//! snapshot, readers on the packet path follow it without a lock, and the old
//! snapshot is freed only after every reader that could see it has left.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use core::ptr::{null_mut, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{
    bindings,
    ffi::{c_ulong, c_void},
    prelude::*,
    sync::rcu,
};

use super::{entry::Net, ffi, percpu::BhContext};

/// Evidence of an RCU read-side critical section, for [`RcuBox::get`].
///
/// # Safety
///
/// While a value of the implementing type exists, `synchronize_rcu` cannot
/// return.
pub(crate) unsafe trait ReadSide {}

// SAFETY: The guard holds `rcu_read_lock` (its type invariant).
unsafe impl ReadSide for rcu::Guard {}

// SAFETY: Bottom halves are disabled while a `BhContext` exists (its type
// invariant); since the RCU flavours were consolidated, `synchronize_rcu`
// waits for such regions too.
unsafe impl ReadSide for BhContext {}

/// A published `KBox<T>` that readers reach under the RCU read lock.
///
/// # Invariants
///
/// `ptr` is null or comes from [`KBox::into_raw`] and is owned by this value.
/// A value that was reachable through `ptr` is only freed after an RCU grace
/// period has elapsed since it stopped being reachable.
pub(crate) struct RcuBox<T: Sync> {
    ptr: AtomicPtr<T>,
}

impl<T: Sync> RcuBox<T> {
    /// Creates an empty pointer.
    pub(crate) const fn empty() -> Self {
        // INVARIANT: Null.
        Self {
            ptr: AtomicPtr::new(null_mut()),
        }
    }

    /// The published value, valid while `_reader` stays in its read-side
    /// critical section.
    #[inline]
    pub(crate) fn get<'a>(&'a self, _reader: &'a impl ReadSide) -> Option<&'a T> {
        // Acquire pairs with the Release in `publish`: the reader sees the
        // value fully initialised (what rcu_dereference guarantees).
        let ptr = self.ptr.load(Ordering::Acquire);
        // SAFETY: By the type invariant a reachable value is freed only after
        // a grace period, and `_reader` is in a read-side critical section
        // for all of 'a, so the grace period cannot end before 'a does.
        unsafe { ptr.as_ref() }
    }

    /// Runs `f` on the published value, from process context (under a
    /// read-side critical section of its own: `f` must not sleep).
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        let guard = rcu::read_lock();
        f(self.get(&guard))
    }

    /// Publishes `value` and returns the previous one, which readers may still
    /// be using: it is freed only after a grace period (see [`Retired`]).
    pub(crate) fn publish(&self, value: Option<KBox<T>>) -> Retired<T> {
        let new = value.map_or(null_mut(), KBox::into_raw);
        // INVARIANT: `new` is null or from `KBox::into_raw`; the old value is
        // handed to `Retired`, which waits for a grace period before freeing.
        let old = self.ptr.swap(new, Ordering::AcqRel);
        Retired {
            ptr: NonNull::new(old),
        }
    }
}

impl<T: Sync> Drop for RcuBox<T> {
    fn drop(&mut self) {
        // Dropping the retired value waits for a grace period.
        drop(self.publish(None));
    }
}

/// A value no longer published, that readers may still hold.
///
/// # Invariants
///
/// `ptr` is null or comes from [`KBox::into_raw`], is owned by this value and
/// is no longer reachable through any [`RcuBox`].
pub(crate) struct Retired<T> {
    ptr: Option<NonNull<T>>,
}

// SAFETY: A `Retired` owns its value, as a `KBox` would.
unsafe impl<T: Send> Send for Retired<T> {}
// SAFETY: Shared access reads the value only (`Pending::get`).
unsafe impl<T: Sync> Sync for Retired<T> {}

impl<T> Retired<T> {
    fn take_after_grace_period(&mut self) -> Option<KBox<T>> {
        let ptr = self.ptr.take()?;
        rcu::synchronize_rcu();
        // SAFETY: By the type invariant `ptr` came from `KBox::into_raw` and
        // we own it; after the grace period no reader can reach it.
        Some(unsafe { KBox::from_raw(ptr.as_ptr()) })
    }
}

impl<T> Drop for Retired<T> {
    fn drop(&mut self) {
        drop(self.take_after_grace_period());
    }
}

impl<T> Retired<T> {
    /// Lets the grace period run without waiting for it: the value is the
    /// caller's once [`Pending::elapsed`] says so, or after [`Pending::wait`].
    pub(crate) fn defer(self) -> Pending<T> {
        // SAFETY: No preconditions; a snapshot of RCU's state, taken after
        // the value stopped being reachable.
        let cookie = unsafe { bindings::get_state_synchronize_rcu() };
        Pending {
            retired: self,
            cookie,
        }
    }
}

/// A retired value whose grace period runs while nobody waits for it.
///
/// # Invariants
///
/// `cookie` is RCU's state taken after `retired`'s value stopped being
/// reachable: once it has elapsed, no reader can hold the value. Dropping
/// an unfinished one waits for a grace period (as [`Retired`] does).
pub(crate) struct Pending<T> {
    retired: Retired<T>,
    cookie: c_ulong,
}

impl<T: Sync> Pending<T> {
    /// The value, for reading beside the readers that may still hold it.
    pub(crate) fn get(&self) -> Option<&T> {
        // SAFETY: By `Retired`'s invariant the value is ours and is freed
        // only when we give it up, and readers only read it (`T: Sync`).
        self.retired.ptr.map(|ptr| unsafe { ptr.as_ref() })
    }
}

impl<T> Pending<T> {
    /// Whether the grace period has passed: [`Pending::wait`] then returns
    /// at once.
    pub(crate) fn elapsed(&self) -> bool {
        // SAFETY: No preconditions.
        unsafe { bindings::poll_state_synchronize_rcu(self.cookie) }
    }

    /// Waits for the rest of the grace period, if any: the value is then
    /// the caller's alone.
    pub(crate) fn wait(mut self) -> Option<KBox<T>> {
        let ptr = self.retired.ptr.take()?;
        // SAFETY: No preconditions; may sleep (process context: every
        // caller holds a mutex).
        unsafe { bindings::cond_synchronize_rcu(self.cookie) };
        // SAFETY: By `Retired`'s invariant `ptr` came from `KBox::into_raw`
        // and is ours; the grace period of `cookie` (type invariant) has
        // passed, so no reader can reach it.
        Some(unsafe { KBox::from_raw(ptr.as_ptr()) })
    }
}

/// What a [`Reaper`] calls, in process context, a grace period after it was
/// queued.
pub(crate) trait Reap: Send + Sync {
    fn reap(&self);
}

/// Runs its owner's [`Reap::reap`] a grace period after [`Reaper::queue`]
/// (the kernel's `rcu_work`), so that retired values are freed without
/// anyone waiting for them.
///
/// # Invariants
///
/// `raw` comes from `lana_reaper_create` with this value's owner and is
/// destroyed (after the last reap has finished) on drop.
pub(crate) struct Reaper {
    raw: NonNull<c_void>,
}

// SAFETY: The C reaper is a work item: queued from any CPU, run by a worker.
unsafe impl Send for Reaper {}
// SAFETY: See `Send`.
unsafe impl Sync for Reaper {}

impl Reaper {
    /// A reaper calling `owner`.
    ///
    /// # Safety
    ///
    /// `owner` must be valid, and not move, for as long as the returned
    /// value lives, and hold it (the [`Bindings`](super::entry::Bindings)
    /// promise: dropped before anything `reap` uses).
    pub(crate) unsafe fn new(owner: NonNull<Net>) -> Result<Self> {
        // SAFETY: Plain allocation; `owner` is only handed back to
        // `lana_reap`.
        let raw = unsafe { ffi::lana_reaper_create(owner.as_ptr().cast()) };
        // INVARIANT: Created just now with `owner`.
        Ok(Self {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
        })
    }

    /// Has the owner reap once a grace period from now has passed (or
    /// sooner, if a reap is already queued: [`Reap::reap`] queues again
    /// what is not due).
    pub(crate) fn queue(&self) {
        // SAFETY: Live (type invariant).
        unsafe { ffi::lana_reaper_queue(self.raw.as_ptr()) };
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        // SAFETY: Created in `new`; waits for a queued or running reap.
        unsafe { ffi::lana_reaper_destroy(self.raw.as_ptr()) };
    }
}

/// Entry from a reaper's work: its owner's reap.
///
/// # Safety
///
/// Called by the reaper's work item, in process context, with the owner
/// given to [`Reaper::new`] (valid while the reaper lives, which waits for
/// this call on drop).
#[no_mangle]
unsafe extern "C" fn lana_reap(owner: *const c_void) {
    // SAFETY: The reaper's owner outlives it (see `Reaper::new`).
    let net = unsafe { &*owner.cast::<Net>() };
    net.reap();
}
