// SPDX-License-Identifier: GPL-2.0-only

//! The `lana` link type: virtual link devices that are graph endpoints.
//!
//! `ip link add lana0 type lana` makes one (`link.c` beside this file). Attached to a block,
//! what the host sends through it enters the graph in the egress direction
//! at that block ([`lana_link_egress`]), and what travels up past that block
//! is received on it.
//!
//! C header: [`include/net/rtnetlink.h`](srctree/include/net/rtnetlink.h)

use core::ptr::NonNull;
use kernel::{bindings, ffi::c_void, prelude::*, sync::aref::ARef};

use crate::vlink::entry::Device as Endpoint;
use crate::vlink::{
    ffi,
    net::device::{Device, Rtnl},
    net::skbuff::SkBuff,
    percpu::BhContext,
};

/// What the host's transmits through a lana device are handed to.
pub(crate) trait LinkEndpoint: Send + Sync {
    /// Takes `skb`, sent by the host through the device.
    fn transmit(&self, skb: SkBuff, bh: &BhContext);
}

/// The `lana` link type, registered with rtnetlink while this value lives.
pub(crate) struct LinkType(());

impl LinkType {
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: Plain registration; undone in `drop`.
        kernel::error::to_result(unsafe { ffi::lana_link_register() })?;
        Ok(Self(()))
    }
}

impl Drop for LinkType {
    fn drop(&mut self) {
        // SAFETY: Registered in `register`. Deletes every lana device first;
        // the device notifier lets go of each one's endpoint.
        unsafe { ffi::lana_link_unregister() };
    }
}

/// A lana device with an endpoint: `attachment`.
///
/// # Invariants
///
/// Until `unregister` or drop, `dev` is a lana device whose endpoint is
/// `attachment`, which does not move meanwhile.
pub(crate) struct LinkRegistration {
    dev: ARef<Device>,
    attachment: Option<KBox<Endpoint>>,
}

impl LinkRegistration {
    /// Makes `attachment` the endpoint of lana device `dev` and turns its
    /// carrier on. `EBUSY` when it already has one, `EINVAL` when `dev` is
    /// not a lana device.
    pub(crate) fn register(
        _rtnl: &Rtnl,
        dev: ARef<Device>,
        attachment: KBox<Endpoint>,
    ) -> Result<Self> {
        if !dev.is_lana_link() {
            return Err(EINVAL);
        }
        // SAFETY: A live lana device; the RTNL is held (`_rtnl`).
        if !unsafe { ffi::lana_link_endpoint(dev.as_raw()) }.is_null() {
            return Err(EBUSY);
        }
        let data = (&raw const *attachment).cast_mut().cast::<c_void>();
        // SAFETY: As above; `data` stays valid until we detach, because we
        // keep the box and never move its contents.
        unsafe { ffi::lana_link_attach(dev.as_raw(), data) };
        // INVARIANT: Attached just above with `attachment`.
        Ok(Self {
            dev,
            attachment: Some(attachment),
        })
    }

    /// Clears the endpoint, waits until no CPU still uses it, and returns it.
    pub(crate) fn unregister(mut self, rtnl: &Rtnl) -> KBox<Endpoint> {
        self.detach(rtnl).expect("attachment present until detach")
    }

    fn detach(&mut self, _rtnl: &Rtnl) -> Option<KBox<Endpoint>> {
        let attachment = self.attachment.take()?;
        // SAFETY: The RTNL is held; `lana_link_detach` returns after
        // `synchronize_net`, so no transmit still uses `attachment`.
        unsafe { ffi::lana_link_detach(self.dev.as_raw()) };
        Some(attachment)
    }
}

impl Drop for LinkRegistration {
    fn drop(&mut self) {
        if self.attachment.is_some() {
            let rtnl = Rtnl::lock();
            drop(self.detach(&rtnl));
        }
    }
}

/// Entry from a lana device's transmit: the host sends `skb` through it.
///
/// # Safety
///
/// Called by `lana_link_start_xmit` with bottom halves disabled, under the
/// RCU read lock, with the endpoint of a live [`LinkRegistration`], an owned
/// `skb` and this CPU's per-CPU offset.
#[no_mangle]
unsafe extern "C" fn lana_link_egress(
    endpoint: *const c_void,
    skb: *mut bindings::sk_buff,
    cpu_offset: usize,
) {
    // SAFETY: `endpoint` is the attachment of a registration, valid until it
    // detaches, which waits for every CPU to leave this function.
    let attachment = unsafe { &*endpoint.cast::<Endpoint>() };
    // SAFETY: Bottom halves are disabled, under `rcu_read_lock`;
    // `cpu_offset` is this CPU's.
    let bh = unsafe { BhContext::new(cpu_offset) };
    // SAFETY: The transmit path owns `skb` and gives it to us; not null.
    let skb = unsafe { SkBuff::from_raw(NonNull::new_unchecked(skb)) };
    attachment.transmit(skb, &bh);
}
