// SPDX-License-Identifier: GPL-2.0-only

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
use crate::error::{ctl_err, CtlResult};
use crate::event::EventKind;
use crate::vlink::{
    net::device::Rtnl,
    net::link::{LinkEndpoint, LinkRegistration},
    net::rx_handler::{DeviceEvents, RxHandler, RxRegistration},
};

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

/// What tells apart several attachments of one real device (the paper's
/// tagged virtual links): each takes the frames that carry its tag, and its
/// egress frames leave carrying it. Frames with no attachment's tag are left
/// to the Linux stack as they are.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Tag {
    /// An 802.1Q VLAN id, 1 to 4094.
    Vlan(u16),
    /// An EtherType, 0x0600 to 0xffff but the VLAN ones: egress frames have
    /// it written into their Ethernet header.
    EtherType(u16),
}

/// The VLAN EtherTypes: a frame carrying one is matched by its VLAN id.
const VLAN_ETHERTYPES: [u16; 2] = [0x8100, 0x88a8];

impl Tag {
    /// Parses `vlan=ID` or `ethertype=0xTYPE`.
    pub(crate) fn parse(text: &str) -> CtlResult<Self> {
        let bad = |why: &str| ctl_err!(EINVAL, "tag '{text}': {why}");
        if let Some(id) = text.strip_prefix("vlan=") {
            return id
                .parse::<u16>()
                .ok()
                .filter(|id| (1..=4094).contains(id))
                .map(Self::Vlan)
                .ok_or_else(|| bad("a VLAN id is 1 to 4094"));
        }
        if let Some(value) = text.strip_prefix("ethertype=") {
            return value
                .strip_prefix("0x")
                .and_then(|hex| u16::from_str_radix(hex, 16).ok())
                .filter(|&t| t >= 0x0600 && !VLAN_ETHERTYPES.contains(&t))
                .map(Self::EtherType)
                .ok_or_else(|| bad("an EtherType is 0x0600 to 0xffff, not a VLAN one"));
        }
        Err(bad("not vlan=ID or ethertype=0xTYPE"))
    }

    /// The key frames carrying this tag have (see [`frame_key`]).
    pub(crate) fn key(self) -> u32 {
        match self {
            Self::Vlan(id) => 0x1_0000 | u32::from(id),
            Self::EtherType(t) => 0x2_0000 | u32::from(t),
        }
    }
}

impl core::fmt::Display for Tag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Vlan(id) => write!(f, "vlan={id}"),
            Self::EtherType(t) => write!(f, "ethertype=0x{t:04x}"),
        }
    }
}

/// The key of the tag `skb` carries: its VLAN id if it has an 802.1Q tag,
/// else its EtherType.
#[inline]
pub(crate) fn frame_key(skb: &SkBuff) -> u32 {
    skb.vlan_id()
        .map_or_else(|| Tag::EtherType(skb.protocol()), Tag::Vlan)
        .key()
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
}

impl RxHandler for Attachment {
    /// Runs a frame received on the device through the graph.
    #[inline]
    fn receive(&self, skb: SkBuff, bh: &BhContext) -> Option<SkBuff> {
        self.engine.receive(self.slot, skb, bh)
    }
}

impl LinkEndpoint for Attachment {
    /// Runs a packet the host sends through a lana device through the graph.
    #[inline]
    fn transmit(&self, skb: SkBuff, bh: &BhContext) {
        self.engine.transmit(self.slot, skb, bh)
    }
}

impl DeviceEvents for Attachment {
    /// The engine and the device's slot in it: detaching frees the
    /// attachment.
    type Owner = (Arc<Engine>, usize);

    fn device_state(&self, up: bool) {
        let kind = if up {
            EventKind::DevUp
        } else {
            EventKind::DevDown
        };
        self.engine.device_event(self.slot, kind);
    }

    fn owner(&self) -> Self::Owner {
        (self.engine.clone(), self.slot)
    }

    fn unregistering((engine, slot): Self::Owner, rtnl: &Rtnl) {
        engine.device_unregistering(rtnl, slot);
    }
}

#[kunit_tests(lana_attach)]
mod tests {
    use super::*;
    use kernel::str::CString;

    #[test]
    fn tags_parse_and_show_alike() {
        for text in [
            "vlan=1",
            "vlan=4094",
            "ethertype=0x88b5",
            "ethertype=0x0600",
        ] {
            let tag = Tag::parse(text).expect("a valid tag");
            let shown = CString::try_from_fmt(format_args!("{tag}")).expect("memory");
            assert_eq!(shown.to_bytes(), text.as_bytes());
        }
    }

    #[test]
    fn bad_tags_say_why() {
        for (text, why) in [
            ("vlan=0", "a VLAN id is 1 to 4094"),
            ("vlan=4095", "a VLAN id is 1 to 4094"),
            ("vlan=x", "a VLAN id is 1 to 4094"),
            ("ethertype=0x8100", "not a VLAN one"),
            ("ethertype=0x05ff", "an EtherType is 0x0600 to 0xffff"),
            ("ethertype=88b5", "an EtherType is 0x0600 to 0xffff"),
            ("mpls=1", "not vlan=ID or ethertype=0xTYPE"),
        ] {
            let err = Tag::parse(text).expect_err("a bad tag");
            // The message names the tag and says why.
            assert!(err.message().contains(why));
            assert!(err.message().contains(text));
        }
    }

    #[test]
    fn a_vlan_and_an_ethertype_of_one_number_differ() {
        assert_ne!(Tag::Vlan(0x700).key(), Tag::EtherType(0x700).key());
    }
}
