// SPDX-License-Identifier: GPL-2.0-only

//! `eth`: Ethernet, both ways.
//!
//! Ingress: accepts frames addressed to the device, broadcast and multicast
//! (all with `promisc=on`), optionally only one EtherType; drops malformed
//! frames. Frames received from a device reach the graph with the Ethernet
//! header already pulled (the driver's `eth_type_trans`), so the next block
//! sees L3.
//!
//! VLAN-tagged frames: `ethertype=` is compared with the EtherType of what
//! the block passes up, the protocol of the packet at the data pointer.
//! The kernel takes a received frame's outer VLAN tag (802.1Q or 802.1ad)
//! out of the frame before the graph sees it, whatever the device's VLAN
//! offload, so that is the EtherType after the outer tag: an IPv4 frame in
//! VLAN 10 passes `ethertype=0x0800` as an untagged one does (the VLAN is
//! the business of tagged attachments and of `bpf`'s `vlan`); a QinQ
//! frame's (802.1ad outer, 802.1Q inner) is 0x8100, its inner tag being
//! still in the data; a tag the kernel does not take out (TPID 0x9100) is
//! the EtherType itself. In tcpdump's words, `ethertype=0x0800` accepts
//! `ether proto 0x0800 or ((ether proto 0x8100 or ether proto 0x88a8) and
//! ether[16:2] = 0x0800)` (tests/guest/bpf_oracle.py checks it).
//!
//! Egress: pushes an Ethernet header in front of the L3 packet: destination
//! `dst=`, source the MAC address of the device the packet will leave on
//! (the real device attached at the bottom of the chain), EtherType the
//! packet's protocol; with `ethertype=` set, packets of another protocol are
//! dropped as filtered.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{prelude::*, sync::Arc};

use crate::block::{
    Addressee, Block, BlockType, ConfigSink, CounterSet, Counters, Direction, DropReason, InlineCx,
    Instance, Key, Namespace, PacketCx, Prepared, RcuBox, Setting, SkBuff, Step, Verdict,
};
use crate::error::{ctl_err, CtlResult};

pub(crate) const TYPE: BlockType = BlockType {
    name: c"eth",
    description: c"Ethernet: accepts frames for this host (or all), by EtherType",
    keys: &[
        Key {
            name: c"promisc",
            syntax: c"on|off",
            default: c"off",
            help: c"also accept frames addressed to other hosts",
        },
        Key {
            name: c"ethertype",
            syntax: c"any|0xNNNN",
            default: c"any",
            help: c"accept (ingress) and send (egress) only this EtherType, e.g. 0x0800; on a VLAN-tagged frame, the one after its outer tag (IPv4 in VLAN 10 is 0x0800, a QinQ frame 0x8100)",
        },
        Key {
            name: c"dst",
            syntax: c"xx:xx:xx:xx:xx:xx",
            default: c"ff:ff:ff:ff:ff:ff",
            help: c"egress: the destination MAC address of the header pushed",
        },
    ],
    ports: &[],
    new,
};

/// Length of an Ethernet header.
const ETH_HLEN: u16 = 14;

const PASSED: usize = 0;
const MALFORMED: usize = 1;
const OTHER_HOST: usize = 2;
const FILTERED: usize = 3;
const SENT: usize = 4;
const NO_MEMORY: usize = 5;

/// The configuration. Replaced whole (published under RCU), so a packet
/// sees either the old settings or the new ones, never a mix.
#[derive(Clone, Copy)]

struct Config {
    promisc: bool,
    ethertype: Option<u16>,
    dst: [u8; 6],
}

const DEFAULT: Config = Config {
    promisc: false,
    ethertype: None,
    dst: [0xff; 6],
};

/// The counters, by index.
const NAMES: [&CStr; 6] = [
    c"passed",
    c"malformed",
    c"other_host",
    c"filtered",
    c"sent",
    c"no_memory",
];

pub(crate) struct Eth {
    config: RcuBox<Config>,
    /// What ingress reads of `config`, in one word ([`Config::ingress`]):
    /// one load, no pointer to follow, and both keys seen from one version
    /// of the settings.
    ingress: AtomicU32,
    counts: Counters<6>,
}

/// In [`Eth::ingress`]: accept frames for other hosts. The low 16 bits are
/// the EtherType accepted, in network order as the skb holds it (no byte
/// swap per frame), 0 for any (no EtherType is below 0x0600).
const INGRESS_PROMISC: u32 = 1 << 16;

impl Config {
    /// The word ingress reads.
    fn ingress(&self) -> u32 {
        let promisc = if self.promisc { INGRESS_PROMISC } else { 0 };
        promisc | u32::from(self.ethertype.unwrap_or(0).to_be())
    }
}

fn new() -> Result<Instance> {
    let eth = Eth {
        config: RcuBox::empty(),
        ingress: AtomicU32::new(DEFAULT.ingress()),
        counts: Counters::new(&NAMES)?,
    };
    drop(eth.config.publish(Some(KBox::new(DEFAULT, GFP_KERNEL)?)));
    Ok(Instance::Eth(Arc::new(eth, GFP_KERNEL)?))
}

fn parse_on_off(value: &str) -> CtlResult<bool> {
    match value {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(ctl_err!(EINVAL, "promisc '{value}' is not on or off")),
    }
}

fn parse_ethertype(value: &str) -> CtlResult<Option<u16>> {
    if value == "any" {
        return Ok(None);
    }
    value
        .strip_prefix("0x")
        .and_then(|hex| u16::from_str_radix(hex, 16).ok())
        .filter(|&t| t >= 0x0600)
        .map(Some)
        .ok_or_else(|| ctl_err!(EINVAL, "ethertype '{value}' is not any or 0x0600-0xffff"))
}

fn parse_mac(value: &str) -> CtlResult<[u8; 6]> {
    let bad = || {
        ctl_err!(
            EINVAL,
            "dst '{value}' is not a MAC address (xx:xx:xx:xx:xx:xx)"
        )
    };
    let mut mac = [0u8; 6];
    let mut parts = value.split(':');
    for byte in mac.iter_mut() {
        let part = parts.next().filter(|p| p.len() == 2).ok_or_else(bad)?;
        *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(mac)
}

/// `mac` as xx:xx:xx:xx:xx:xx.
fn format_mac(mac: &[u8; 6]) -> [u8; 17] {
    let mut text = [b':'; 17];
    for (i, byte) in mac.iter().enumerate() {
        text[3 * i] = HEX[usize::from(byte >> 4)];
        text[3 * i + 1] = HEX[usize::from(byte & 0xf)];
    }
    text
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Eth {
    /// The ingress checks, in order; `other_host`: the frame may be for
    /// another host.
    #[inline(always)]
    fn accept(&self, skb: SkBuff, cx: &InlineCx<'_>, other_host: bool) -> Step {
        let bh = cx.bh();
        if skb.mac_len() != ETH_HLEN {
            self.counts.add(bh, MALFORMED, 1);
            return Step::Drop(skb, DropReason::Malformed);
        }
        let config = self.ingress.load(Ordering::Relaxed);
        if other_host && skb.addressed_to() == Addressee::OtherHost && config & INGRESS_PROMISC == 0
        {
            self.counts.add(bh, OTHER_HOST, 1);
            return Step::Drop(skb, DropReason::OtherHost);
        }
        let ethertype_be = config as u16;
        if ethertype_be != 0 && ethertype_be != skb.protocol_be() {
            self.counts.add(bh, FILTERED, 1);
            return Step::Drop(skb, DropReason::Filtered);
        }
        self.counts.add(bh, PASSED, 1);
        Step::Pass(skb)
    }

    // Out of line: its call to push the header would otherwise make
    // `receive`'s ingress save registers it never uses.
    #[inline(never)]
    fn egress(&self, mut skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        let bh = cx.bh();
        let config = self.config.get(bh).unwrap_or(&DEFAULT);
        // A packet of no known protocol (a raw socket's) takes the
        // configured EtherType; others must match it.
        let proto = match (skb.protocol(), config.ethertype) {
            (0, Some(t)) => t,
            (0, None) => {
                self.counts.add(bh, MALFORMED, 1);
                return cx.drop(skb, DropReason::Malformed);
            }
            (p, Some(t)) if p != t => {
                self.counts.add(bh, FILTERED, 1);
                return cx.drop(skb, DropReason::Filtered);
            }
            (p, _) => p,
        };
        if !skb.push_eth(&config.dst, cx.egress_device(), proto) {
            self.counts.add(bh, NO_MEMORY, 1);
            return cx.drop(skb, DropReason::NoMemory);
        }
        self.counts.add(bh, SENT, 1);
        Verdict::Pass(skb)
    }
}

impl Block for Eth {
    fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        match cx.direction() {
            Direction::Ingress => cx.verdict(self.accept(skb, &cx.inline(), true)),
            Direction::Egress => self.egress(skb, cx),
        }
    }

    /// Frames for this host take the short way, in line; the others (and
    /// egress, which pushes a header) go to `receive`.
    #[inline(always)]
    fn receive_inline(&self, skb: SkBuff, cx: &InlineCx<'_>) -> Result<Step, SkBuff> {
        // The device's eth_type_trans has classified the frame already.
        match cx.direction() {
            Direction::Ingress if skb.addressed_to() == Addressee::Host => {
                Ok(self.accept(skb, cx, false))
            }
            _ => Err(skb),
        }
    }

    fn counters(&self) -> Option<&dyn CounterSet> {
        Some(&self.counts)
    }

    fn prepare(&self, settings: &[Setting<'_>], _net: &Namespace) -> CtlResult<Prepared> {
        let mut config = self.config.with(|c| c.copied().unwrap_or(DEFAULT));
        for setting in settings {
            match setting.key {
                "promisc" => config.promisc = parse_on_off(setting.value)?,
                "ethertype" => config.ethertype = parse_ethertype(setting.value)?,
                _ => config.dst = parse_mac(setting.value)?,
            }
        }
        Ok(Prepared::new(KBox::new(config, GFP_KERNEL)?)?)
    }

    fn commit(&self, prepared: Prepared) {
        let Some(config) = prepared.take::<KBox<Config>>() else {
            return;
        };
        self.ingress.store(config.ingress(), Ordering::Relaxed);
        // Returns after a grace period: no packet sees the old settings.
        drop(self.config.publish(Some(config)));
    }

    fn config(&self, sink: &mut dyn ConfigSink) -> Result {
        let config = self.config.with(|c| c.copied().unwrap_or(DEFAULT));
        let promisc: &[u8] = if config.promisc { b"on" } else { b"off" };
        sink.option(c"promisc", promisc)?;
        match config.ethertype {
            None => sink.option(c"ethertype", b"any")?,
            Some(t) => {
                let mut text = *b"0x0000";
                for (i, shift) in [12, 8, 4, 0].into_iter().enumerate() {
                    text[2 + i] = HEX[usize::from((t >> shift) & 0xf)];
                }
                sink.option(c"ethertype", &text)?;
            }
        }
        sink.option(c"dst", &format_mac(&config.dst))
    }
}
