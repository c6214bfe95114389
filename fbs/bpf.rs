// SPDX-License-Identifier: GPL-2.0-only

//! `bpf`: a filter block with the semantics of SO_ATTACH_FILTER. The program
//! sees the frame from its link-layer (Ethernet) header, whatever the
//! direction; 0 drops the packet, anything else passes it (no truncation).
//! Without a program every packet passes.
//!
//! The rule: a filter expression matches exactly the frames `tcpdump -r`
//! matches on a capture of the wire, VLAN tags included, whatever the
//! device does with VLAN offload. A received frame's outer 802.1Q or
//! 802.1ad tag, which the kernel always moves out of the frame before the
//! graph sees it, is back in the frame while the program runs, and out
//! again after it (the rest of the graph sees the frame as before). So
//! `vlan`, `vlan 10 and udp` match tagged frames, and `udp`, `ip[8] < 64`
//! match untagged ones only, as in tcpdump; a frame in VLAN 10 passes
//! `vlan 10 and udp`, not `udp`, on a tagged attachment (`--vlan 10`) too.
//! eBPF programs see the same frame: the tag at offset 12, `vlan_present`
//! 0, `protocol` the tag's TPID. Frames the kernel drops before any
//! rx_handler (a tagged frame too short for its tag) never get here.
//!
//! Showing a tagged frame takes no memory unless a clone shares its head
//! (a packet tap holds a copy); then the program runs on a private copy
//! of the head, and when that copy cannot be made the frame is dropped,
//! counted (`no_memory`, engine `drop_block` reason no memory): a filter
//! does not let through what it could not look at.
//!
//! Programs: classic BPF (`cbpf=`, in iptables' xt_bpf bytecode format,
//! what `lanactl set NAME filter=EXPR` compiles a pcap expression into), or
//! an eBPF socket-filter program pinned in bpffs (`pinned=PATH`). A new
//! program replaces the old one atomically; one the kernel refuses leaves
//! the old one in place.

use kernel::{
    new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, Mutex},
};

use crate::block::{
    Block, BlockType, BpfProg, ConfigSink, CounterSet, Counters, DropReason, Insn, Instance, Key,
    Namespace, PacketCx, Prepared, RcuBox, Setting, SkBuff, Verdict,
};
use crate::error::{ctl_err, CtlResult};

pub(crate) const TYPE: BlockType = BlockType {
    name: c"bpf",
    description: c"filters with a classic or eBPF socket filter (0 drops) on the frame as the wire carried it, VLAN tag included",
    keys: &[
        Key {
            name: c"filter",
            syntax: c"pcap expression (lanactl compiles it into cbpf)",
            default: c"-",
            help: c"what the classic program was compiled from, for people; matches what tcpdump -r matches on a capture of the wire (tagged frames need vlan)",
        },
        Key {
            name: c"cbpf",
            syntax: c"N,code jt jf k,... (tcpdump -ddd, comma-joined)",
            default: c"-",
            help: c"the classic BPF program",
        },
        Key {
            name: c"pinned",
            syntax: c"bpffs path, or none",
            default: c"none",
            help: c"an eBPF socket-filter program pinned in bpffs",
        },
    ],
    ports: &[],
    new,
};

/// Most instructions of a classic program (BPF_MAXINSNS).
const MAX_INSNS: usize = 4096;

const PASSED: usize = 0;
const DROPPED: usize = 1;
const NO_MEMORY: usize = 2;

/// The program in effect, as the user gave it.
enum Source {
    None,
    Classic { filter: KVec<u8>, insns: KVec<Insn> },
    Pinned(KVec<u8>),
}

/// The counters, by index.
const NAMES: [&CStr; 3] = [c"passed", c"dropped", c"no_memory"];

#[pin_data]
pub(crate) struct Bpf {
    prog: RcuBox<BpfProg>,
    /// Serialises changes; only read on the control path.
    #[pin]
    source: Mutex<Source>,
    counts: Counters<3>,
}

fn new() -> Result<Instance> {
    let counts = Counters::new(&NAMES)?;
    let block: Arc<Bpf> = Arc::pin_init(
        pin_init!(Bpf {
            prog: RcuBox::empty(),
            source <- new_mutex!(Source::None),
            counts,
        }),
        GFP_KERNEL,
    )?;
    Ok(Instance::Bpf(block))
}

/// Parses xt_bpf bytecode: "N,code jt jf k,code jt jf k,...".
fn parse_cbpf(text: &str) -> CtlResult<KVec<Insn>> {
    let mut parts = text.split(',');
    let count: usize = parts
        .next()
        .and_then(|n| n.trim().parse().ok())
        .filter(|&n| n > 0 && n <= MAX_INSNS)
        .ok_or_else(|| ctl_err!(EINVAL, "cbpf: first field is not a count of 1-{MAX_INSNS}"))?;
    let mut insns = KVec::with_capacity(count, GFP_KERNEL)?;
    for (i, part) in parts.enumerate() {
        let mut f = part.split_ascii_whitespace().map(|n| n.parse::<u32>().ok());
        let insn = match (f.next(), f.next(), f.next(), f.next(), f.next()) {
            (Some(Some(code)), Some(Some(jt)), Some(Some(jf)), Some(Some(k)), None) => {
                match (u16::try_from(code), u8::try_from(jt), u8::try_from(jf)) {
                    (Ok(code), Ok(jt), Ok(jf)) => Insn { code, jt, jf, k },
                    _ => return Err(ctl_err!(EINVAL, "cbpf: instruction {i} out of range")),
                }
            }
            _ => {
                return Err(ctl_err!(
                    EINVAL,
                    "cbpf: instruction {i} is not 'code jt jf k'"
                ))
            }
        };
        insns.push(insn, GFP_KERNEL)?;
    }
    if insns.len() != count {
        let got = insns.len();
        return Err(ctl_err!(
            EINVAL,
            "cbpf: count says {count}, found {got} instructions"
        ));
    }
    Ok(insns)
}

fn copy(bytes: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(bytes.len(), GFP_KERNEL)?;
    v.extend_from_slice(bytes, GFP_KERNEL)?;
    Ok(v)
}

impl Block for Bpf {
    fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict {
        let bh = cx.bh();
        if let Some(prog) = self.prog.get(bh) {
            match prog.run(&skb, bh) {
                Ok(0) => {
                    self.counts.add(bh, DROPPED, 1);
                    return cx.drop(skb, DropReason::Filtered);
                }
                Ok(_) => {}
                Err(_) => {
                    self.counts.add(bh, NO_MEMORY, 1);
                    return cx.drop(skb, DropReason::NoMemory);
                }
            }
        }
        self.counts.add(bh, PASSED, 1);
        Verdict::Pass(skb)
    }

    fn counters(&self) -> Option<&dyn CounterSet> {
        Some(&self.counts)
    }

    fn prepare(&self, settings: &[Setting<'_>], _net: &Namespace) -> CtlResult<Prepared> {
        let (mut filter, mut cbpf, mut pinned) = (None, None, None);
        for setting in settings {
            match setting.key {
                "filter" => filter = Some(setting.value),
                "cbpf" => cbpf = Some(setting.value),
                _ => pinned = Some(setting.value),
            }
        }
        let (prog, source) = match (cbpf, pinned) {
            (Some(_), Some(_)) => {
                return Err(ctl_err!(EINVAL, "give cbpf or pinned, not both"));
            }
            (Some(text), None) => {
                let insns = parse_cbpf(text)?;
                let prog = BpfProg::classic(&insns)
                    .map_err(|e| ctl_err!(e, "cbpf: the kernel refused the program"))?;
                let filter = copy(filter.unwrap_or("-").as_bytes())?;
                (Some(prog), Source::Classic { filter, insns })
            }
            (None, Some("none")) => (None, Source::None),
            (None, Some(path)) => {
                let cpath = CString::try_from_fmt(fmt!("{path}"))?;
                let prog = BpfProg::pinned(&cpath)
                    .map_err(|e| ctl_err!(e, "pinned: no socket filter program at '{path}'"))?;
                (Some(prog), Source::Pinned(copy(path.as_bytes())?))
            }
            (None, None) => {
                return match filter {
                    Some(_) => Err(ctl_err!(EINVAL, "filter needs cbpf (lanactl compiles it)")),
                    None => Ok(Prepared::nothing()),
                };
            }
        };
        let prog = prog.map(|p| KBox::new(p, GFP_KERNEL)).transpose()?;
        Ok(Prepared::new((prog, source))?)
    }

    fn commit(&self, prepared: Prepared) {
        let Some((prog, new_source)) = prepared.take::<(Option<KBox<BpfProg>>, Source)>() else {
            return;
        };
        let mut source = self.source.lock();
        // Packets see the old program or the new one; the old one is
        // released after the grace period.
        drop(self.prog.publish(prog));
        *source = new_source;
    }

    fn config(&self, sink: &mut dyn ConfigSink) -> Result {
        let source = self.source.lock();
        match &*source {
            Source::None => {
                sink.option(c"filter", b"-")?;
                sink.option(c"cbpf", b"-")?;
                sink.option(c"pinned", b"none")
            }
            Source::Classic { filter, insns } => {
                sink.option(c"filter", filter)?;
                let mut text = KVec::new();
                let mut buf = NumBuf::default();
                text.extend_from_slice(buf.num(insns.len() as u64), GFP_KERNEL)?;
                for i in insns.iter() {
                    text.push(b',', GFP_KERNEL)?;
                    for (n, v) in [
                        u64::from(i.code),
                        u64::from(i.jt),
                        u64::from(i.jf),
                        u64::from(i.k),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        if n > 0 {
                            text.push(b' ', GFP_KERNEL)?;
                        }
                        text.extend_from_slice(buf.num(v), GFP_KERNEL)?;
                    }
                }
                sink.option(c"cbpf", &text)?;
                sink.option(c"pinned", b"none")
            }
            Source::Pinned(path) => {
                sink.option(c"filter", b"-")?;
                sink.option(c"cbpf", b"-")?;
                sink.option(c"pinned", path)
            }
        }
    }
}

/// Formats unsigned numbers in decimal without allocating.
#[derive(Default)]
struct NumBuf([u8; 20]);

impl NumBuf {
    fn num(&mut self, mut v: u64) -> &[u8] {
        let mut at = self.0.len();
        loop {
            at -= 1;
            self.0[at] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                return &self.0[at..];
            }
        }
    }
}
