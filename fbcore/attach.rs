// SPDX-License-Identifier: GPL-2.0

//! Graph endpoints: what an attached device reaches (the engine, and the
//! attachment slot that names the device's block in every graph snapshot),
//! and how a device is attached.
//!
//! Real devices are endpoints at the bottom of the graph: frames they
//! receive enter at their block going up (ingress), and egress packets that
//! pass below their block leave on them. lana devices (`type lana`) are
//! endpoints at the top: what the host sends through them enters at their
//! block going down (egress), and ingress packets that pass above their block
//! are received on them.

use kernel::{
    prelude::*,
    sync::{aref::ARef, Arc},
};

use crate::block::{BhContext, Device, SkBuff};
use crate::engine::Engine;
use crate::event::EventKind;
use crate::vlink::{link::LinkRegistration, netdev::Rtnl, rx::RxRegistration};

/// Which side of the graph a device is attached on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Side {
    /// A real device: ingress enters here, egress leaves here.
    Bottom,
    /// A lana device: egress enters here, ingress leaves here.
    Top,
}

impl Side {
    /// The side `dev` is attached on: the top for a lana device, the bottom
    /// for any other.
    pub(crate) fn of(dev: &Device) -> Self {
        if dev.is_lana_link() {
            Self::Top
        } else {
            Self::Bottom
        }
    }
}

/// How a device is attached: through our rx_handler, or as the endpoint of a
/// lana device.
pub(crate) enum Registration {
    Rx(RxRegistration),
    Link(LinkRegistration),
}

impl Registration {
    /// Attaches `dev` on the side its kind calls for.
    pub(crate) fn register(
        rtnl: &Rtnl,
        dev: ARef<Device>,
        attachment: KBox<Attachment>,
    ) -> Result<Self> {
        match Side::of(&dev) {
            Side::Top => LinkRegistration::register(rtnl, dev, attachment).map(Self::Link),
            Side::Bottom => RxRegistration::register(rtnl, dev, attachment).map(Self::Rx),
        }
    }

    pub(crate) fn device(&self) -> &Device {
        match self {
            Self::Rx(r) => r.device(),
            Self::Link(l) => l.device(),
        }
    }

    pub(crate) fn side(&self) -> Side {
        match self {
            Self::Rx(_) => Side::Bottom,
            Self::Link(_) => Side::Top,
        }
    }

    /// Detaches; returns once no CPU can be using the attachment.
    pub(crate) fn unregister(self, rtnl: &Rtnl) -> KBox<Attachment> {
        match self {
            Self::Rx(r) => r.unregister(rtnl),
            Self::Link(l) => l.unregister(rtnl),
        }
    }
}

/// The rx_handler data of an attached device.
///
/// Holding an `Arc<Engine>` keeps the engine alive while any device can
/// still call into it; the engine detaches every device before it is
/// dropped, which ends the cycle (engine → registration → attachment →
/// engine).
pub(crate) struct Attachment {
    engine: Arc<Engine>,
    slot: usize,
}

impl Attachment {
    pub(crate) fn new(engine: Arc<Engine>, slot: usize) -> Self {
        Self { engine, slot }
    }

    pub(crate) fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub(crate) fn slot(&self) -> usize {
        self.slot
    }

    /// The device went up (`true`) or down.
    pub(crate) fn device_state(&self, up: bool) {
        let kind = if up {
            EventKind::DevUp
        } else {
            EventKind::DevDown
        };
        self.engine.device_event(self.slot, kind);
    }

    /// Runs a frame received on the device through the graph.
    #[inline]
    pub(crate) fn receive(&self, skb: SkBuff, bh: &BhContext) -> Option<SkBuff> {
        self.engine.receive(self.slot, skb, bh)
    }

    /// Runs a packet the host sends through a lana device through the graph.
    pub(crate) fn transmit(&self, skb: SkBuff, bh: &BhContext) {
        self.engine.transmit(self.slot, skb, bh)
    }
}
