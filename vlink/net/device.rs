// SPDX-License-Identifier: GPL-2.0-only

//! Network devices, namespaces, the RTNL, and device events.
//!
//! Shaped like the `Device`/`Namespace` wrappers of the earlier
//! Rust-for-Linux `kernel::net` work: transparent wrappers whose references
//! are counted through [`ARef`].
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h), [`include/linux/rtnetlink.h`](srctree/include/linux/rtnetlink.h)

use core::ptr::NonNull;
use kernel::{
    bindings,
    prelude::*,
    sync::aref::{ARef, AlwaysRefCounted},
    types::{NotThreadSafe, Opaque},
};

use crate::vlink::ffi;

/// Bytes of an Ethernet address.
const ETH_ALEN: usize = bindings::ETH_ALEN as usize;

/// A network device (`struct net_device`).
///
/// # Invariants
///
/// Instances are only reached through references to live devices, counted by
/// `dev_hold`/`dev_put` when held as [`ARef<Device>`].
#[repr(transparent)]
pub(crate) struct Device(Opaque<bindings::net_device>);

// SAFETY: `dev_hold`/`dev_put` keep the device alive; the type invariant says
// every instance is a live device.
unsafe impl AlwaysRefCounted for Device {
    fn inc_ref(&self) {
        // SAFETY: The device is live (type invariant).
        unsafe { ffi::lana_dev_hold(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owned.
        unsafe { ffi::lana_dev_put(obj.as_ptr().cast()) };
    }
}

// SAFETY: A `net_device` may be referenced and released from any thread.
unsafe impl Send for Device {}
// SAFETY: The accessors used here are safe to call concurrently.
unsafe impl Sync for Device {}

impl Device {
    pub(crate) fn as_raw(&self) -> *mut bindings::net_device {
        self.0.get()
    }

    /// The device's name. It can change on rename; read it under the RTNL for
    /// a stable answer.
    pub(crate) fn name(&self) -> &CStr {
        // SAFETY: `dev->name` is a NUL-terminated array inside the live device.
        unsafe { CStr::from_char_ptr(ffi::lana_dev_name(self.as_raw())) }
    }

    /// The device's interface index.
    pub(crate) fn ifindex(&self) -> i32 {
        // SAFETY: The device is live.
        unsafe { ffi::lana_dev_ifindex(self.as_raw()) }
    }

    /// The device's Ethernet address; `None` when its addresses are not
    /// Ethernet's.
    pub(crate) fn eth_addr(&self) -> Option<[u8; ETH_ALEN]> {
        // SAFETY: The device is live.
        let addr = unsafe { ffi::lana_dev_eth_addr(self.as_raw()) };
        // SAFETY: A non-null address is `dev->dev_addr`, `addr_len` =
        // ETH_ALEN bytes inside the live device. (A concurrent change of
        // address may be read half done, as `ether_addr_copy` would.)
        (!addr.is_null()).then(|| unsafe { addr.cast::<[u8; ETH_ALEN]>().read_unaligned() })
    }

    /// Whether this is a lana virtual link device (`ip link add ... type
    /// lana`): a graph endpoint on the top side.
    pub(crate) fn is_lana_link(&self) -> bool {
        // SAFETY: The device is live.
        unsafe { ffi::lana_link_is_ours(self.as_raw()) }
    }

    /// Whether some rx_handler (ours or another driver's) is registered.
    pub(crate) fn has_rx_handler(&self, _rtnl: &Rtnl) -> bool {
        // SAFETY: The device is live; the RTNL keeps the handler stable.
        unsafe { ffi::lana_dev_has_rx_handler(self.as_raw()) }
    }
}

/// A network namespace (`struct net`).
///
/// # Invariants
///
/// Instances are only reached through references to live namespaces.
#[repr(transparent)]
pub(crate) struct Namespace(Opaque<bindings::net>);

impl Namespace {
    pub(crate) fn as_raw(&self) -> *mut bindings::net {
        self.0.get()
    }

    /// # Safety
    ///
    /// `ptr` must point to a live namespace that outlives `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::net) -> &'a Self {
        // SAFETY: `Namespace` is transparent over `net`; the caller guarantees liveness.
        unsafe { &*ptr.cast() }
    }

    /// The device named `name` in this namespace, with a reference held.
    pub(crate) fn device_by_name(&self, name: &CStr) -> Option<ARef<Device>> {
        // SAFETY: The namespace is live and `name` is NUL-terminated.
        let dev = unsafe { ffi::lana_dev_get_by_name(self.0.get(), name.as_char_ptr()) };
        // SAFETY: `dev_get_by_name` returned a held reference, which we own now.
        NonNull::new(dev).map(|dev| unsafe { ARef::from_raw(dev.cast()) })
    }
}

/// The RTNL: held while a value exists.
///
/// # Invariants
///
/// The RTNL mutex is held by the current thread while the value lives; it is
/// released on drop only if `owned`.
pub(crate) struct Rtnl {
    owned: bool,
    _not_send: NotThreadSafe,
}

impl Rtnl {
    /// Takes the RTNL. Lock order: the RTNL before the engine's mutex.
    pub(crate) fn lock() -> Self {
        // SAFETY: Plain lock; may sleep, which callers in process context can.
        unsafe { ffi::lana_rtnl_lock() };
        // INVARIANT: Just locked.
        Self {
            owned: true,
            _not_send: NotThreadSafe,
        }
    }

    /// A token for code the kernel calls with the RTNL already held.
    ///
    /// # Safety
    ///
    /// The caller must hold the RTNL for as long as the value lives.
    pub(crate) unsafe fn assume_held() -> Self {
        // INVARIANT: Guaranteed by the caller; we do not release it.
        Self {
            owned: false,
            _not_send: NotThreadSafe,
        }
    }
}

impl Drop for Rtnl {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: We took the lock in `lock`.
            unsafe { ffi::lana_rtnl_unlock() };
        }
    }
}

/// Registration of the device notifier that tells the module when an attached
/// device goes away (see `lana_netdev_unregistering` in `rx_handler.rs`).
///
/// # Invariants
///
/// The notifier is registered while the value lives.
pub(crate) struct NetdevNotifier {
    _private: (),
}

impl NetdevNotifier {
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: Registers a static notifier block, once per value.
        kernel::error::to_result(unsafe { ffi::lana_netdev_notifier_register() })?;
        Ok(Self { _private: () })
    }
}

impl Drop for NetdevNotifier {
    fn drop(&mut self) {
        // SAFETY: Registered in `register` (type invariant).
        unsafe { ffi::lana_netdev_notifier_unregister() };
    }
}
