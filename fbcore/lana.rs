// SPDX-License-Identifier: GPL-2.0-only

//! lana-rs: the Lightweight Autonomic Network Architecture, in Rust.
//!
//! Networking functions are small functional blocks bound into a graph at
//! runtime; frames received on attached devices run through the graph in the
//! rx_handler's softirq context. See `docs/ARCHITECTURE.md`.
//!
//! Crate layout: the engine lives in `fbcore/` (this directory), the block
//! library in `fbs/`, and every `unsafe` line and the C shim in `vlink/`.

// The engine and the blocks hold no unsafe code: all of it is in vlink/,
// the FFI layer, and the compiler keeps it so.
#![deny(unsafe_code)]

use kernel::prelude::*;

mod attach;
mod block;
mod commands;
mod counters;
mod engine;
mod error;
mod event;
mod graph;
mod name;
mod registry;
mod stats;
mod tally;
mod trace;
// Shared word for word with lanactl, so it is `pub` and holds constants only
// the userspace side uses.
#[allow(unreachable_pub, dead_code)]
mod uapi;

#[path = "../fbs/mod.rs"]
mod fbs;
#[allow(unsafe_code)]
#[path = "../vlink/mod.rs"]
mod vlink;

use commands::Commands;
use vlink::{
    entry::Bindings, net::device::NetdevNotifier, net::genetlink::Family, net::link::LinkType,
    net::pernet::PernetRegistration,
};

module! {
    type: Lana,
    name: "lana",
    authors: ["lana-rs developers"],
    description: "LANA functional-block packet processing engine",
    license: "GPL",
    // Loaded on demand: by the first generic-netlink request for family
    // "lana" (lanactl; MODULE_ALIAS_GENL_FAMILY) and by `ip link add ...
    // type lana` (MODULE_ALIAS_RTNL_LINK), once installed and depmod'ed.
    alias: ["net-pf-16-proto-16-family-lana", "rtnl-link-lana"],
    params: {
        backlog_limit: u32 {
            default: 1000,
            description: "Packets each CPU's backlog holds at most (copies beyond are dropped, counted)",
        },
    },
}

/// Packets each CPU's backlog holds at most: the `backlog_limit` parameter,
/// at least 1.
pub(crate) fn backlog_limit() -> u32 {
    module_parameters::backlog_limit.value().max(1)
}

/// The module. Fields drop in declaration order, which is the teardown
/// order: first the netlink family (no more commands), then the lana link
/// type (every lana device deleted, the notifier detaching each from its
/// engine), then the engines of every network namespace (each device
/// detached, blocks freed after the grace period), then the device notifier.
/// They are initialised in the opposite order.
#[pin_data]
struct Lana {
    #[pin]
    family: Family<Commands>,
    links: LinkType,
    engines: PernetRegistration,
    notifier: NetdevNotifier,
}

// SAFETY: The engine holds its reaper in its first field and its backlog in
// its second (`Engine`'s `reaper`, `sinks`): they drop before the rest of
// it (the reaper waiting for a reap in progress, the backlog for its
// deliveries), and never leave it.
#[allow(unsafe_code)]
unsafe impl Bindings for Lana {
    type Device = attach::Attachment;
    type Net = engine::Engine;
}

impl kernel::InPlaceModule for Lana {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            notifier: NetdevNotifier::register()?,
            engines: PernetRegistration::register()?,
            links: LinkType::register()?,
            family <- Family::register(
                module,
                uapi::FAMILY_NAME,
                uapi::FAMILY_VERSION,
                uapi::attr::MAX,
                &commands::POLICY,
                &commands::OPS,
                uapi::MCGRP_EVENTS,
                Commands,
            ),
        }? Error)
    }
}
