// SPDX-License-Identifier: GPL-2.0

//! `eth`: Ethernet on the way up. Accepts frames addressed to the device,
//! broadcast and multicast (all with `promisc=on`), optionally only one
//! EtherType; drops malformed frames. Packets received from a device reach
//! the graph with the Ethernet header already pulled (the driver's
//! `eth_type_trans`), so the next block sees L3.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{prelude::*, sync::Arc};

use crate::block::{
    report_counter, Addressee, Block, BlockType, ConfigSink, DropReason, Key, Namespace, PacketCx,
    PerCpuCounters, Setting, SkBuff, StatSink, Verdict,
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
            help: c"accept only this EtherType (e.g. 0x0800 for IPv4)",
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

/// The configuration, packed in one word so the packet path reads it with
/// one relaxed load and a change is atomic: bit 16 promiscuous, bit 17 an
/// EtherType filter is set, bits 0-15 that EtherType.
const PROMISC: u32 = 1 << 16;
const FILTER: u32 = 1 << 17;

struct Eth {
    config: AtomicU32,
    counts: PerCpuCounters<4>,
}

fn new() -> Result<Arc<dyn Block>> {
    Ok(Arc::new(
        Eth {
            config: AtomicU32::new(0),
            counts: PerCpuCounters::new()?,
        },
        GFP_KERNEL,
    )?)
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

impl Block for Eth {
    fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        let bh = cx.bh();
        let config = self.config.load(Ordering::Relaxed);
        if skb.mac_len() != ETH_HLEN {
            self.counts.add(bh, MALFORMED, 1);
            return Verdict::Drop(skb, DropReason::Malformed);
        }
        if skb.addressed_to() == Addressee::OtherHost && config & PROMISC == 0 {
            self.counts.add(bh, OTHER_HOST, 1);
            return Verdict::Drop(skb, DropReason::OtherHost);
        }
        if config & FILTER != 0 && u32::from(skb.protocol()) != config & 0xffff {
            self.counts.add(bh, FILTERED, 1);
            return Verdict::Drop(skb, DropReason::Filtered);
        }
        self.counts.add(bh, PASSED, 1);
        Verdict::Pass(skb)
    }

    fn stats(&self, sink: &mut dyn StatSink) -> Result {
        report_counter(sink, c"passed", &self.counts, PASSED, 0)?;
        report_counter(sink, c"malformed", &self.counts, MALFORMED, 0)?;
        report_counter(sink, c"other_host", &self.counts, OTHER_HOST, 0)?;
        report_counter(sink, c"filtered", &self.counts, FILTERED, 0)
    }

    fn configure(&self, settings: &[Setting<'_>], _net: &Namespace) -> CtlResult {
        // Parse everything first: all or nothing.
        let mut config = self.config.load(Ordering::Relaxed);
        for setting in settings {
            match setting.key {
                "promisc" => {
                    config = if parse_on_off(setting.value)? {
                        config | PROMISC
                    } else {
                        config & !PROMISC
                    };
                }
                _ => {
                    config = match parse_ethertype(setting.value)? {
                        Some(t) => (config & PROMISC) | FILTER | u32::from(t),
                        None => config & PROMISC,
                    };
                }
            }
        }
        self.config.store(config, Ordering::Relaxed);
        Ok(())
    }

    fn config(&self, sink: &mut dyn ConfigSink) -> Result {
        let config = self.config.load(Ordering::Relaxed);
        let promisc: &[u8] = if config & PROMISC != 0 { b"on" } else { b"off" };
        sink.option(c"promisc", promisc)?;
        if config & FILTER == 0 {
            return sink.option(c"ethertype", b"any");
        }
        let mut text = *b"0x0000";
        for (i, shift) in [12, 8, 4, 0].into_iter().enumerate() {
            text[2 + i] = b"0123456789abcdef"[((config >> shift) & 0xf) as usize];
        }
        sink.option(c"ethertype", &text)
    }
}
