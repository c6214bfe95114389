// SPDX-License-Identifier: GPL-2.0-only

//! The trace key: a static branch, so that the packet path's test for an
//! armed trace costs nothing while no trace is armed (a patched-out jump,
//! no load, no shared cache line).
//!
//! C header: [`include/linux/jump_label.h`](srctree/include/linux/jump_label.h)

use super::ffi;

/// Whether any trace is armed (in any namespace): rarely true.
#[inline(always)]
pub(crate) fn armed() -> bool {
    // SAFETY: `lana_trace_key` is a static key defined by C (`trace_key.c`).
    unsafe { kernel::static_branch_unlikely!(ffi::lana_trace_key, ffi::TraceKeyC, key) }
}

/// One reference on the trace key: while any is held, [`armed`] is true.
///
/// # Invariants
///
/// This value holds one increment of `lana_trace_key`.
pub(crate) struct TraceKey(());

impl TraceKey {
    /// Turns the key on (or keeps it on). May sleep: process context only.
    pub(crate) fn get() -> Self {
        // SAFETY: Process context, as required; the key is C's.
        unsafe { ffi::lana_trace_key_inc() };
        // INVARIANT: Incremented just above.
        Self(())
    }
}

impl Drop for TraceKey {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we hold one increment. Dropped in
        // process context (the engine's control path).
        unsafe { ffi::lana_trace_key_dec() };
    }
}
