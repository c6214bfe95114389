// SPDX-License-Identifier: GPL-2.0-only

//! Device attachment: a device's received frames go to its handler.
//!
//! The C trampoline in `rx_handler.c` (the rx_handler) calls [`lana_rx`] with the
//! handler data registered here: the module's device handler
//! ([`Handler`], an [`RxHandler`]). The device notifier tells it of the device's state and
//! unregistering ([`DeviceEvents`]).
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use core::ptr::NonNull;
use kernel::{bindings, ffi::c_void, prelude::*, sync::aref::ARef};

use crate::vlink::entry::Device as Handler;
use crate::vlink::{
    ffi,
    net::device::{Device, Rtnl},
    net::skbuff::SkBuff,
    percpu::BhContext,
};

/// What a device's received frames are handed to.
pub(crate) trait RxHandler: Send + Sync {
    /// Takes `skb`, or gives it back for the stack to go on with.
    fn receive(&self, skb: SkBuff, bh: &BhContext) -> Option<SkBuff>;
}

/// What hears of its device's state: the handler of an attached device or
/// the endpoint of a lana device.
pub(crate) trait DeviceEvents: Send + Sync {
    /// What is left to act on the device's unregistering once the handler
    /// itself may be freed.
    type Owner;

    /// The device went up (`true`) or down.
    fn device_state(&self, up: bool);

    /// Taken from the handler before [`DeviceEvents::unregistering`], which
    /// may free it.
    fn owner(&self) -> Self::Owner;

    /// The device is unregistering: its handler must be let go of.
    fn unregistering(owner: Self::Owner, rtnl: &Rtnl);
}

/// A device whose received frames are handed to a [`Handler`].
///
/// # Invariants
///
/// Until `unregister` or drop, our rx_handler is registered on `dev` with
/// `attachment` as its handler data; `attachment` does not move meanwhile.
pub(crate) struct RxRegistration {
    dev: ARef<Device>,
    attachment: Option<KBox<Handler>>,
}

impl RxRegistration {
    /// Starts delivering `dev`'s frames to `attachment`. Fails with `EBUSY`
    /// when another rx_handler (a bridge, a bond, another attachment) holds
    /// the device.
    pub(crate) fn register(
        rtnl: &Rtnl,
        dev: ARef<Device>,
        attachment: KBox<Handler>,
    ) -> Result<Self> {
        if dev.has_rx_handler(rtnl) {
            return Err(EBUSY);
        }
        let data = (&raw const *attachment).cast_mut().cast::<c_void>();
        // SAFETY: The RTNL is held (`rtnl`); `data` stays valid until we
        // unregister, because we keep the box and never move its contents.
        kernel::error::to_result(unsafe { ffi::lana_dev_attach(dev.as_raw(), data) })?;
        // INVARIANT: Registered just above with `attachment` as the data.
        Ok(Self {
            dev,
            attachment: Some(attachment),
        })
    }

    /// Stops delivery and waits until no CPU is still in our handler for this
    /// device; returns the attachment.
    pub(crate) fn unregister(mut self, rtnl: &Rtnl) -> KBox<Handler> {
        self.detach(rtnl).expect("attachment present until detach")
    }

    fn detach(&mut self, _rtnl: &Rtnl) -> Option<KBox<Handler>> {
        let attachment = self.attachment.take()?;
        // SAFETY: The RTNL is held. `netdev_rx_handler_unregister` returns
        // after `synchronize_net`, so no reader still uses `attachment`.
        unsafe { ffi::lana_dev_detach(self.dev.as_raw()) };
        Some(attachment)
    }
}

impl Drop for RxRegistration {
    fn drop(&mut self) {
        if self.attachment.is_some() {
            // Callers that hold the RTNL use `unregister`; only those that do
            // not can get here.
            let rtnl = Rtnl::lock();
            drop(self.detach(&rtnl));
        }
    }
}

/// `rx_handler_result_t` values (`rx_handler.c` asserts them): the graph kept the
/// frame, or the stack goes on with it.
const RX_HANDLER_CONSUMED: u32 = 0;
const RX_HANDLER_PASS: u32 = 3;

/// Entry from the rx_handler trampoline, which returns what this returns:
/// `RX_HANDLER_PASS` with the frame left in `*pskb` for the stack to go on
/// with, or `RX_HANDLER_CONSUMED` when the graph kept it.
///
/// # Safety
///
/// Called by `lana_rx_handler` in softirq context with the handler data of a
/// live [`RxRegistration`], `pskb` pointing to an owned `skb`, and this
/// CPU's per-CPU offset.
#[no_mangle]
unsafe extern "C" fn lana_rx(
    pskb: *mut *mut bindings::sk_buff,
    data: *const c_void,
    cpu_offset: usize,
) -> u32 {
    // SAFETY: `data` is the attachment of a registration, valid until it
    // unregisters, which waits for every CPU to leave this function.
    let attachment = unsafe { &*data.cast::<Handler>() };
    // SAFETY: rx_handlers run in softirq context (or with BHs disabled) under
    // `rcu_read_lock`; `cpu_offset` is this CPU's, read by the trampoline.
    let bh = unsafe { BhContext::new(cpu_offset) };
    // SAFETY: The rx_handler owns `*pskb` and passes it to us; not null.
    let skb = unsafe { SkBuff::from_raw(NonNull::new_unchecked(*pskb)) };
    match attachment.receive(skb, &bh) {
        Some(skb) => {
            // SAFETY: `pskb` is the rx_handler's, valid for the call; the
            // reference we give back passes to the stack with it.
            unsafe { *pskb = skb.into_raw().as_ptr() };
            RX_HANDLER_PASS
        }
        None => RX_HANDLER_CONSUMED,
    }
}

/// Entry from the device notifier: an attached device is unregistering.
///
/// # Safety
///
/// Called with the RTNL held and the handler data of a live [`RxRegistration`]
/// or the endpoint of a live lana device (`LinkRegistration`): the same type.
#[no_mangle]
unsafe extern "C" fn lana_netdev_unregistering(data: *const c_void) {
    // Copy out what we need first: detaching frees the attachment.
    let owner = {
        // SAFETY: `data` is a live attachment, by the function's contract.
        let attachment = unsafe { &*data.cast::<Handler>() };
        attachment.owner()
    };
    // SAFETY: The notifier runs with the RTNL held.
    let rtnl = unsafe { Rtnl::assume_held() };
    Handler::unregistering(owner, &rtnl);
}

/// Entry from the device notifier: an attached device went up or down.
///
/// # Safety
///
/// Called with the RTNL held and the handler data of a live [`RxRegistration`]
/// or the endpoint of a live lana device (`LinkRegistration`): the same type.
#[no_mangle]
unsafe extern "C" fn lana_netdev_state(data: *const c_void, up: bool) {
    // SAFETY: `data` is a live attachment, by the function's contract; the
    // RTNL keeps it registered for the duration of the call.
    let attachment = unsafe { &*data.cast::<Handler>() };
    attachment.device_state(up);
}
