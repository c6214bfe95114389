// SPDX-License-Identifier: GPL-2.0-only

//! The family's multicast group, for events and trace records sent
//! outside a request.
//!
//! C header: [`include/net/genetlink.h`](srctree/include/net/genetlink.h)

use super::*;

/// The registered family, for multicasts made outside a request (events).
/// Set once the family is registered; cleared, and a grace period waited
/// for, before it is unregistered. Read under the RCU read lock.
pub(super) static REGISTERED: AtomicPtr<bindings::genl_family> = AtomicPtr::new(null_mut());

/// The events multicast group of the family, in one network namespace.
///
/// # Invariants
///
/// `net` is a live namespace for as long as the value lives: the value is
/// owned by that namespace's engine, which the namespace outlives.
pub(crate) struct EventGroup {
    net: NonNull<bindings::net>,
}

// SAFETY: A namespace may be referenced from any thread.
unsafe impl Send for EventGroup {}
// SAFETY: The methods only pass `net` to thread-safe kernel functions.
unsafe impl Sync for EventGroup {}

impl EventGroup {
    /// # Safety
    ///
    /// `net` must outlive the returned value.
    pub(crate) unsafe fn new(net: NonNull<bindings::net>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self { net }
    }

    /// Sends one message with command `cmd`, filled by `fill`, to the socket
    /// of port `portid` in the namespace. Atomic: callable from the packet
    /// path. `ECONNREFUSED` when that socket is gone.
    pub(crate) fn unicast(
        &self,
        portid: u32,
        cmd: u8,
        fill: impl FnOnce(&mut DumpMessage) -> Result,
    ) -> Result {
        let _guard = rcu::read_lock();
        let family = REGISTERED.load(Ordering::Acquire);
        if family.is_null() {
            return Err(ESRCH);
        }
        // SAFETY: We hold the RCU read lock, so `family` stays registered.
        let skb = unsafe { build(family, portid, cmd, fill)? };
        // SAFETY: We hand over the finished message; `net` is live (type
        // invariant).
        to_result(unsafe { ffi::lana_genlmsg_unicast(self.net.as_ptr(), skb.as_ptr(), portid) })
    }

    /// Multicasts one message with command `cmd`, filled by `fill`, to the
    /// group's listeners in the namespace; does nothing when there are none
    /// or the family is not registered. `fill` runs under the RCU read lock:
    /// it must not sleep.
    pub(crate) fn send(&self, cmd: u8, fill: impl FnOnce(&mut DumpMessage) -> Result) -> Result {
        let _guard = rcu::read_lock();
        let family = REGISTERED.load(Ordering::Acquire);
        if family.is_null() {
            return Ok(());
        }
        // SAFETY: `family` stays registered while we hold the RCU read lock
        // (see `REGISTERED`); `net` is live (type invariant).
        if unsafe { bindings::genl_has_listeners(family, self.net.as_ptr(), 0) } == 0 {
            return Ok(());
        }
        // SAFETY: As above: `family` is registered.
        let skb = unsafe { build(family, 0, cmd, fill)? };
        // SAFETY: We hand over the finished message; `net` is live.
        let ret = unsafe {
            ffi::lana_genlmsg_multicast_netns(family, self.net.as_ptr(), skb.as_ptr(), 0)
        };
        // Nobody listening (-ESRCH) is not a failure.
        match to_result(ret) {
            Err(e) if e == ESRCH => Ok(()),
            other => other,
        }
    }
}

/// A finished message of `family` with command `cmd`, addressed to port
/// `portid` (0 for multicast), filled by `fill`; allocated atomically.
///
/// # Safety
///
/// `family` must be registered for the duration of the call.
pub(super) unsafe fn build(
    family: *const bindings::genl_family,
    portid: u32,
    cmd: u8,
    fill: impl FnOnce(&mut DumpMessage) -> Result,
) -> Result<NonNull<bindings::sk_buff>> {
    let mut hdr = core::ptr::null_mut();
    // SAFETY: `family` is registered (contract); `hdr` is writable.
    let skb = NonNull::new(unsafe { ffi::lana_genlmsg_new_atomic(family, portid, cmd, &mut hdr) })
        .ok_or(ENOMEM)?;
    let mut msg = DumpMessage { skb: skb.as_ptr() };
    if fill(&mut msg).is_err() {
        // SAFETY: We still own the message.
        unsafe { bindings::nlmsg_free(skb.as_ptr()) };
        return Err(EMSGSIZE);
    }
    // SAFETY: `hdr` heads the message in `skb`.
    unsafe { bindings::genlmsg_end(skb.as_ptr(), hdr) };
    Ok(skb)
}
