// SPDX-License-Identifier: GPL-2.0-only

//! The module's bindings: the types that vlink's entry points from C call.
//!
//! C calls into Rust by name (`lana_rx`, `lana_link_egress`,
//! `lana_backlog_deliver`, the device notifier's and the pernet
//! operations' callbacks), so each entry point is one function for one
//! type. vlink knows those types only as the roles they play (the traits
//! [`RxHandler`], [`LinkEndpoint`], [`DeviceEvents`],
//! [`BacklogOwner`](super::net::backlog::BacklogOwner),
//! [`PernetData`]); the module's root names them once, by implementing
//! [`Bindings`], as `module!` names the module's type.

use super::{
    net::link::LinkEndpoint,
    net::pernet::PernetData,
    net::rx_handler::{DeviceEvents, RxHandler},
    rcu::Reap,
};

/// Which types the entry points from C call.
///
/// # Safety
///
/// `Net` drops the backlog and the reaper it is given
/// ([`PernetData::set_backlog`], [`PernetData::set_reaper`]) before anything
/// its [`deliver`](super::net::backlog::BacklogOwner::deliver) and
/// [`Reap::reap`] use, and never lets them outlive it: their C side calls
/// the value by address until they drop.
pub(crate) unsafe trait Bindings {
    /// What an attached device's frames, transmits and state changes reach.
    type Device: RxHandler + LinkEndpoint + DeviceEvents;
    /// What each network namespace holds, and its backlog and reaper call.
    type Net: PernetData + Reap;
}

/// The module's [`Bindings::Device`].
pub(crate) type Device = <crate::Lana as Bindings>::Device;
/// The module's [`Bindings::Net`].
pub(crate) type Net = <crate::Lana as Bindings>::Net;
