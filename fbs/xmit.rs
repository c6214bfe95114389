// SPDX-License-Identifier: GPL-2.0-only

//! `xmit`: a terminal block that transmits every packet on a device, as the
//! frame it was received as (link-layer header restored). It holds the
//! device safely and lets go when the device unregisters; from then on it
//! drops, counted, until another device is set.

use kernel::{prelude::*, str::CString, sync::Arc};

use crate::block::{
    Block, BlockType, ConfigSink, CounterSet, Counters, DeviceSlot, DropReason, HeldDevice,
    Instance, Key, Namespace, PacketCx, Prepared, Setting, SkBuff, Verdict,
};
use crate::error::{ctl_err, CtlResult};

pub(crate) const TYPE: BlockType = BlockType {
    name: c"xmit",
    description: c"transmits every packet on a device (terminal)",
    keys: &[Key {
        name: c"dev",
        syntax: c"device name in this namespace, or none",
        default: c"none",
        help: c"the device to transmit on",
    }],
    ports: &[],
    new,
};

const TX_PACKETS: usize = 0;
const TX_BYTES: usize = 1;
const TX_ERRORS: usize = 2;
const NO_DEVICE: usize = 3;

/// The counters, by index.
const NAMES: [&CStr; 4] = [c"tx_packets", c"tx_bytes", c"tx_errors", c"no_device"];

#[pin_data]
pub(crate) struct Xmit {
    counts: Counters<4>,
    #[pin]
    dev: DeviceSlot,
}

fn new() -> Result<Instance> {
    let counts = Counters::new(&NAMES)?;
    let block: Arc<Xmit> = Arc::pin_init(
        try_pin_init!(Xmit {
            counts,
            dev <- DeviceSlot::new(),
        }? Error),
        GFP_KERNEL,
    )?;
    Ok(Instance::Xmit(block))
}

impl Block for Xmit {
    fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        let bh = cx.bh();
        let Some(dev) = self.dev.get(bh) else {
            self.counts.add(bh, NO_DEVICE, 1);
            return cx.drop(skb, DropReason::NoDevice);
        };
        let len = skb.frame_len();
        match skb.transmit(dev) {
            Ok(()) => {
                self.counts.add(bh, TX_PACKETS, 1);
                self.counts.add(bh, TX_BYTES, u64::from(len));
            }
            Err(()) => self.counts.add(bh, TX_ERRORS, 1),
        }
        Verdict::Consumed
    }

    fn counters(&self) -> Option<&dyn CounterSet> {
        Some(&self.counts)
    }

    fn prepare(&self, settings: &[Setting<'_>], net: &Namespace) -> CtlResult<Prepared> {
        // `dev` is the only key (the engine checked); the last one counts.
        let Some(setting) = settings.last() else {
            return Ok(Prepared::nothing());
        };
        let dev = match setting.value {
            "none" => None,
            name => {
                let cname = CString::try_from_fmt(fmt!("{name}"))?;
                let dev = net
                    .device_by_name(&cname)
                    .ok_or_else(|| ctl_err!(ENODEV, "dev: no device '{name}'"))?;
                let held = HeldDevice::new(dev).map_err(|e| {
                    if e == ENODEV {
                        ctl_err!(ENODEV, "dev: '{name}' is going away")
                    } else {
                        e.into()
                    }
                })?;
                Some(held)
            }
        };
        Ok(Prepared::new(dev)?)
    }

    fn commit(&self, prepared: Prepared) {
        if let Some(dev) = prepared.take::<Option<HeldDevice>>() {
            self.dev.set(dev);
        }
    }

    fn config(&self, sink: &mut dyn ConfigSink) -> Result {
        // Copied out first: the sink may sleep, which it must not under RCU.
        let mut name = [0u8; 16];
        let len = self.dev.with(|dev| {
            let held = dev.map_or(&b"none"[..], |d| d.name().to_bytes());
            let len = held.len().min(name.len());
            name[..len].copy_from_slice(&held[..len]);
            len
        });
        sink.option(c"dev", &name[..len])
    }
}
