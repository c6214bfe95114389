// SPDX-License-Identifier: GPL-2.0

//! An `Arc` that remembers where its data is, for the packet path.

use core::{ops::Deref, ptr::NonNull};
use kernel::sync::Arc;

/// An `Arc<T>` with its data pointer computed once.
///
/// `Arc<dyn Trait>` locates its data from the start of the allocation and the
/// vtable's alignment on every dereference: five instructions per block per
/// packet on the packet path. `ArcPtr` does that once, when it is made.
///
/// # Invariants
///
/// `data` points to the value owned by `_owner`.
pub(crate) struct ArcPtr<T: ?Sized> {
    data: NonNull<T>,
    /// Keeps the data alive; only dropped.
    _owner: Arc<T>,
}

// SAFETY: `ArcPtr` is an `Arc` plus a pointer into it; it is `Send` when the
// `Arc` is.
unsafe impl<T: ?Sized> Send for ArcPtr<T> where Arc<T>: Send {}
// SAFETY: Shared access only derefs to `&T`, as `Arc` does.
unsafe impl<T: ?Sized> Sync for ArcPtr<T> where Arc<T>: Sync {}

impl<T: ?Sized> ArcPtr<T> {
    pub(crate) fn new(arc: Arc<T>) -> Self {
        // INVARIANT: The pointer is taken from `arc` itself.
        Self {
            data: NonNull::from(&*arc),
            _owner: arc,
        }
    }
}

impl<T: ?Sized> Deref for ArcPtr<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: By the type invariant `data` points into the allocation that
        // `self._owner` keeps alive for as long as `self` lives.
        unsafe { self.data.as_ref() }
    }
}
