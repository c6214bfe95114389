// SPDX-License-Identifier: GPL-2.0

//! One engine per network namespace (`pernet_operations`).
//!
//! The C shim registers the operations and keeps, in each namespace's
//! generic storage, a pointer made by `Arc::into_raw`: the namespace owns one
//! reference to its engine from `init` to `exit`.

use core::{ffi::c_void, ptr::NonNull};
use kernel::{
    bindings,
    ffi::c_int,
    prelude::*,
    sync::{Arc, ArcBorrow},
};

use super::{backlog::Backlog, ffi, genl::EventGroup, netdev::Namespace};
use crate::engine::Engine;

/// Registration of the per-namespace engines: while it lives, every network
/// namespace has one, created with the namespace (or at registration for the
/// namespaces that already exist) and shut down with it (or at drop).
///
/// # Invariants
///
/// The pernet operations are registered while the value lives.
pub(crate) struct PernetEngines {
    _private: (),
}

impl PernetEngines {
    /// Registers the operations; only one value may exist at a time.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: Registers the shim's static operations once per value.
        kernel::error::to_result(unsafe { ffi::lana_pernet_register() })?;
        Ok(Self { _private: () })
    }
}

impl Drop for PernetEngines {
    fn drop(&mut self) {
        // SAFETY: Registered in `register`. Runs `exit` for every namespace.
        unsafe { ffi::lana_pernet_unregister() };
    }
}

impl Namespace {
    /// This namespace's engine, borrowed for as long as the namespace.
    pub(crate) fn engine(&self) -> ArcBorrow<'_, Engine> {
        // SAFETY: While the operations are registered (they are whenever the
        // module can be called) every live namespace holds an engine from
        // `Arc::into_raw`, released only when the namespace exits, which
        // cannot happen while `self` is borrowed.
        unsafe { ArcBorrow::from_raw(ffi::lana_net_engine(self.as_raw()).cast()) }
    }
}

/// Creates a namespace's engine into `slot` (its generic storage).
///
/// # Safety
///
/// Called by the shim's pernet `init` with the namespace and its storage slot.
#[no_mangle]
unsafe extern "C" fn lana_net_init_rust(net: *mut bindings::net, slot: *mut c_void) -> c_int {
    let Some(net) = NonNull::new(net) else {
        return EINVAL.to_errno();
    };
    // SAFETY: The engine, which owns the group, is released in the
    // namespace's `exit`, before the namespace goes.
    let events = unsafe { EventGroup::new(net) };
    let engine = Engine::new(events).and_then(|engine| {
        // SAFETY: The engine is pinned in its `Arc` and drops its backlog
        // first, so the backlog never outlives its owner.
        let backlog = unsafe { Backlog::new(NonNull::from(&*engine), crate::backlog_limit()) }?;
        engine.set_backlog(backlog);
        Ok(engine)
    });
    match engine {
        Ok(engine) => {
            // SAFETY: `slot` is the namespace's pointer-sized storage.
            unsafe { slot.cast::<*const Engine>().write(Arc::into_raw(engine)) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Shuts down and releases the engine in `slot`.
///
/// # Safety
///
/// Called by the shim's pernet `exit`, once, after a successful init.
#[no_mangle]
unsafe extern "C" fn lana_net_exit_rust(slot: *mut c_void) {
    // SAFETY: `init` stored an `Arc::into_raw` pointer here; we take that
    // reference back exactly once.
    let engine = unsafe { Arc::from_raw(slot.cast::<*const Engine>().read()) };
    engine.shutdown();
}
