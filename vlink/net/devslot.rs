// SPDX-License-Identifier: GPL-2.0-only

//! A device a block sends to, held safely.
//!
//! The block holds a reference to the device (so it cannot go away under
//! the packet path) and lets go of it when the device unregisters: the
//! device notifier (`device.c`) walks every slot and each clears itself if it
//! holds that device. The packet path reads the slot under RCU.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use kernel::{
    bindings, container_of,
    prelude::*,
    sync::{aref::ARef, rcu},
    types::Opaque,
};

use crate::vlink::{
    ffi,
    net::device::Device,
    rcu::{RcuBox, ReadSide},
};

/// The device slots' lock (in `device.c`): serialises setting a slot, adding
/// and removing slots, and the notifier's walk.
struct SlotsLock;

impl SlotsLock {
    fn acquire() -> Self {
        // SAFETY: A plain mutex; nothing else is held that it could invert
        // with (its holders take neither the RTNL nor the engine's mutex).
        unsafe { ffi::lana_devslots_lock_acquire() };
        Self
    }
}

impl Drop for SlotsLock {
    fn drop(&mut self) {
        // SAFETY: Acquired in `acquire`.
        unsafe { ffi::lana_devslots_lock_release() };
    }
}

/// A device held for a slot (see [`DeviceSlot::set`]): everything setting
/// it takes is allocated.
pub(crate) struct HeldDevice(KBox<ARef<Device>>);

impl HeldDevice {
    /// Holds `dev`; `ENODEV` if it is on its way out already.
    pub(crate) fn new(dev: ARef<Device>) -> Result<Self> {
        let dev = KBox::new(dev, GFP_KERNEL)?;
        if !is_registered(&dev) {
            return Err(ENODEV);
        }
        Ok(Self(dev))
    }
}

fn is_registered(dev: &Device) -> bool {
    // SAFETY: We hold a reference, so the device is live.
    unsafe { ffi::lana_dev_is_registered(dev.as_raw()) }
}

/// A device a block sends to, or none.
///
/// # Invariants
///
/// `node` is on the slots list from the end of initialisation until drop.
/// While `dev` holds a device, that device is registered or its unregister
/// notification has not yet reached this slot.
#[pin_data(PinnedDrop)]
pub(crate) struct DeviceSlot {
    dev: RcuBox<ARef<Device>>,
    #[pin]
    node: Opaque<bindings::list_head>,
}

// SAFETY: The list node is only touched under the slots lock; `dev` is an
// RCU-published pointer to a refcounted device.
unsafe impl Send for DeviceSlot {}
// SAFETY: See `Send`.
unsafe impl Sync for DeviceSlot {}

impl DeviceSlot {
    /// An empty slot.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            dev: RcuBox::empty(),
            node <- Opaque::ffi_init(|node| {
                let _lock = SlotsLock::acquire();
                // SAFETY: `node` is ours; the lock protects the list.
                unsafe { ffi::lana_devslot_add(node) };
            }),
        }? Error)
    }

    /// Holds `dev` from now on (`None`: no device), letting go of the
    /// previous one after a grace period. Cannot fail: a device that began
    /// to unregister since it was held may have had its notification pass
    /// this slot already, so it is let go at once, as that notification
    /// would have; the slot is then empty.
    pub(crate) fn set(&self, dev: Option<HeldDevice>) {
        let _lock = SlotsLock::acquire();
        let dev = dev.map(|held| held.0).filter(|dev| is_registered(dev));
        // INVARIANT: Registered, and the notifier cannot run before we let
        // go of the lock.
        drop(self.dev.publish(dev));
    }

    /// The device, for the packet path.
    #[inline]
    pub(crate) fn get<'a>(&'a self, reader: &'a impl ReadSide) -> Option<&'a Device> {
        self.dev.get(reader).map(|dev| &**dev)
    }

    /// Runs `f` with the device, on the control path.
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&Device>) -> R) -> R {
        let guard = rcu::read_lock();
        f(self.get(&guard))
    }
}

#[pinned_drop]
impl PinnedDrop for DeviceSlot {
    fn drop(self: Pin<&mut Self>) {
        let _lock = SlotsLock::acquire();
        // SAFETY: On the list (type invariant); the lock protects it.
        unsafe { ffi::lana_devslot_del(self.node.get()) };
        // `dev` lets go of its device when dropped, after a grace period.
    }
}

/// Entry from the device notifier: `dev` is unregistering; the slot of
/// `node` lets go of it if it holds it.
///
/// # Safety
///
/// Called with the slots lock and the RTNL held, with the `node` of a live
/// slot (on the list) and a live device.
#[no_mangle]
unsafe extern "C" fn lana_devslot_unregistering(
    node: *mut bindings::list_head,
    dev: *mut bindings::net_device,
) {
    let node = node.cast::<Opaque<bindings::list_head>>();
    // SAFETY: `node` is the `node` field of a live slot (contract).
    let slot = unsafe { &*container_of!(node, DeviceSlot, node) };
    let ours = slot.with(|held| held.is_some_and(|d| d.as_raw() == dev));
    if ours {
        // Waits for the packet path to let go, then drops the reference:
        // the device's unregistration can complete.
        drop(slot.dev.publish(None));
    }
}
