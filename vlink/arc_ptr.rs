// SPDX-License-Identifier: GPL-2.0-only

//! An `Arc` held as a pointer to its data, for the packet path.

use core::{ops::Deref, ptr::NonNull};
use kernel::sync::Arc;

/// An `Arc<T>` kept as the pointer to its data ([`Arc::into_raw`]).
///
/// `Arc<dyn Trait>` locates its data from the start of the allocation and the
/// vtable's alignment on every dereference: five instructions per block per
/// packet on the packet path. `ArcPtr` holds the data pointer itself, and is
/// no bigger than the `Arc` (two words for a trait object).
///
/// # Invariants
///
/// `data` was returned by [`Arc::into_raw`], and this value owns the
/// reference count that call gave up.
pub(crate) struct ArcPtr<T: ?Sized> {
    data: NonNull<T>,
}

// SAFETY: `ArcPtr` is an `Arc` in another form; it is `Send` when the `Arc`
// is.
unsafe impl<T: ?Sized> Send for ArcPtr<T> where Arc<T>: Send {}
// SAFETY: Shared access only derefs to `&T`, as `Arc` does.
unsafe impl<T: ?Sized> Sync for ArcPtr<T> where Arc<T>: Sync {}

impl<T: ?Sized> ArcPtr<T> {
    pub(crate) fn new(arc: Arc<T>) -> Self {
        let raw = Arc::into_raw(arc).cast_mut();
        // INVARIANT: `raw` comes from `Arc::into_raw`, whose count we keep.
        Self {
            // SAFETY: `into_raw` points into a live allocation: never null.
            data: unsafe { NonNull::new_unchecked(raw) },
        }
    }
}

impl<T: ?Sized> Deref for ArcPtr<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: By the type invariant we own a reference count, so the data
        // lives at least as long as `self`.
        unsafe { self.data.as_ref() }
    }
}

impl<T: ?Sized> Drop for ArcPtr<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `data` came from `Arc::into_raw` and
        // its count is ours; it is given back exactly once, here.
        drop(unsafe { Arc::from_raw(self.data.as_ptr()) });
    }
}
