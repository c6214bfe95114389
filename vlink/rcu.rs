// SPDX-License-Identifier: GPL-2.0

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
use kernel::{prelude::*, sync::rcu};

use super::percpu::BhContext;

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

impl<T> Retired<T> {
    /// Waits for the grace period: the value, if any, is then the caller's
    /// alone.
    pub(crate) fn wait(mut self) -> Option<KBox<T>> {
        self.take_after_grace_period()
    }

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
