// SPDX-License-Identifier: GPL-2.0

//! Socket buffers, owned.
//!
//! Shaped like the `SkBuff` of the earlier Rust-for-Linux `kernel::net` work,
//! so that moving to an upstream abstraction later is mechanical.

use core::ptr::NonNull;
use kernel::bindings;

use super::ffi;

/// Why a packet was dropped, as reported to the kernel's drop monitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KernelDropReason {
    /// No specific reason the kernel knows of; our own reason is counted.
    NotSpecified,
}

impl KernelDropReason {
    fn as_raw(self) -> bindings::skb_drop_reason {
        match self {
            Self::NotSpecified => bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
        }
    }
}

/// A packet this code owns one reference to.
///
/// Dropping an `SkBuff` frees it as a drop; [`SkBuff::consume`] frees it as a
/// packet that reached its destination.
///
/// # Invariants
///
/// `ptr` points to a valid `sk_buff`, and this value owns one reference to it.
pub(crate) struct SkBuff {
    ptr: NonNull<bindings::sk_buff>,
}

// SAFETY: An `sk_buff` reference may be handed to and released from any CPU.
unsafe impl Send for SkBuff {}

impl SkBuff {
    /// Takes ownership of one reference to `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `sk_buff` and the caller must own one
    /// reference to it, which passes to the returned value.
    pub(crate) unsafe fn from_raw(ptr: NonNull<bindings::sk_buff>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self { ptr }
    }

    /// Gives up ownership; the caller becomes responsible for the reference.
    pub(crate) fn into_raw(self) -> NonNull<bindings::sk_buff> {
        let me = core::mem::ManuallyDrop::new(self);
        me.ptr
    }

    /// Length of the packet's data in bytes, from the current data pointer.
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: By the type invariant `ptr` is valid; `len` is only changed
        // by its owner, which is us.
        unsafe { (*self.ptr.as_ptr()).len }
    }

    /// Length of the frame in bytes from its link-layer header, wherever the
    /// data pointer is now: what an interface counter would count.
    #[inline]
    pub(crate) fn frame_len(&self) -> u32 {
        // SAFETY: By the type invariant `ptr` is valid.
        unsafe { ffi::lana_skb_frame_len(self.ptr.as_ptr()) }
    }

    /// Frees the packet as dropped, telling the kernel why.
    #[inline]
    pub(crate) fn drop_with(self, reason: KernelDropReason) {
        let ptr = self.into_raw();
        // SAFETY: We owned this reference and give it up here.
        unsafe { bindings::sk_skb_reason_drop(core::ptr::null(), ptr.as_ptr(), reason.as_raw()) };
    }

    /// Frees the packet as one that was handled, not dropped.
    #[inline]
    pub(crate) fn consume(self) {
        let ptr = self.into_raw();
        // SAFETY: We owned this reference and give it up here.
        unsafe { ffi::lana_skb_consume(ptr.as_ptr()) };
    }
}

impl Drop for SkBuff {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own this reference.
        unsafe {
            bindings::sk_skb_reason_drop(
                core::ptr::null(),
                self.ptr.as_ptr(),
                KernelDropReason::NotSpecified.as_raw(),
            )
        };
    }
}
