// SPDX-License-Identifier: GPL-2.0-only

//! One value per network namespace (`pernet_operations`): the module's
//! [`Net`], a [`PernetData`].
//!
//! The C shim registers the operations and keeps, in each namespace's
//! generic storage, a pointer made by `Arc::into_raw`: the namespace owns one
//! reference to its value from `init` to `exit`.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h), [`include/net/netns/generic.h`](srctree/include/net/netns/generic.h)

use core::{ffi::c_void, ptr::NonNull};
use kernel::{
    bindings,
    ffi::c_int,
    prelude::*,
    sync::{Arc, ArcBorrow},
};

use crate::vlink::{
    entry::Net,
    ffi,
    net::backlog::{Backlog, BacklogOwner},
    net::device::Namespace,
    net::genetlink::EventGroup,
    rcu::Reaper,
};

/// What each network namespace holds, from its creation to its exit.
pub(crate) trait PernetData: BacklogOwner + Sized {
    /// The value for a new namespace, whose events go to `events`.
    fn new(events: EventGroup) -> Result<Arc<Self>>;

    /// Packets each CPU's queue of the value's backlog holds at most.
    fn backlog_limit() -> u32;

    /// Gives the value its backlog, made once it has its final address.
    fn set_backlog(&self, backlog: Backlog);

    /// Gives the value its reaper, made once it has its final address.
    fn set_reaper(&self, reaper: Reaper);

    /// The namespace is going: lets go of what refers back to the value.
    fn shutdown(&self);
}

/// Registration of the per-namespace values: while it lives, every network
/// namespace has one, created with the namespace (or at registration for the
/// namespaces that already exist) and shut down with it (or at drop).
///
/// # Invariants
///
/// The pernet operations are registered while the value lives.
pub(crate) struct PernetRegistration {
    _private: (),
}

impl PernetRegistration {
    /// Registers the operations; only one value may exist at a time.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: Registers the shim's static operations once per value.
        kernel::error::to_result(unsafe { ffi::lana_pernet_register() })?;
        Ok(Self { _private: () })
    }
}

impl Drop for PernetRegistration {
    fn drop(&mut self) {
        // SAFETY: Registered in `register`. Runs `exit` for every namespace.
        unsafe { ffi::lana_pernet_unregister() };
    }
}

impl Namespace {
    /// This namespace's value, borrowed for as long as the namespace.
    pub(crate) fn pernet(&self) -> ArcBorrow<'_, Net> {
        // SAFETY: While the operations are registered (they are whenever the
        // module can be called) every live namespace holds a value from
        // `Arc::into_raw`, released only when the namespace exits, which
        // cannot happen while `self` is borrowed.
        unsafe { ArcBorrow::from_raw(ffi::lana_net_data(self.as_raw()).cast()) }
    }
}

/// Creates a namespace's value into `slot` (its generic storage).
///
/// # Safety
///
/// Called by the shim's pernet `init` with the namespace and its storage slot.
#[no_mangle]
unsafe extern "C" fn lana_net_init_rust(net: *mut bindings::net, slot: *mut c_void) -> c_int {
    let Some(net) = NonNull::new(net) else {
        return EINVAL.to_errno();
    };
    // SAFETY: The value, which owns the group, is released in the
    // namespace's `exit`, before the namespace goes.
    let events = unsafe { EventGroup::new(net) };
    let data = Net::new(events).and_then(|data| {
        // SAFETY: The value is pinned in its `Arc` and drops its backlog
        // and its reaper first (the `Bindings` promise), so neither
        // outlives it.
        let backlog = unsafe { Backlog::new(NonNull::from(&*data), Net::backlog_limit()) }?;
        data.set_backlog(backlog);
        // SAFETY: As above.
        let reaper = unsafe { Reaper::new(NonNull::from(&*data)) }?;
        data.set_reaper(reaper);
        Ok(data)
    });
    match data {
        Ok(data) => {
            // SAFETY: `slot` is the namespace's pointer-sized storage.
            unsafe { slot.cast::<*const Net>().write(Arc::into_raw(data)) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Shuts down and releases the value in `slot`.
///
/// # Safety
///
/// Called by the shim's pernet `exit`, once, after a successful init.
#[no_mangle]
unsafe extern "C" fn lana_net_exit_rust(slot: *mut c_void) {
    // SAFETY: `init` stored an `Arc::into_raw` pointer here; we take that
    // reference back exactly once.
    let data = unsafe { Arc::from_raw(slot.cast::<*const Net>().read()) };
    data.shutdown();
}
