// SPDX-License-Identifier: GPL-2.0-only

//! The functional-block model: what every block type implements.

use core::{any::Any, cell::Cell, mem::ManuallyDrop};
use kernel::prelude::*;

use crate::error::{ctl_err, CtlResult};
use crate::event::Event;

use crate::counters::carry;
pub(crate) use crate::counters::{CounterSet, Counters};
pub(crate) use crate::fbs::Instance;
pub(crate) use crate::vlink::bpf::{BpfProg, Insn};
pub(crate) use crate::vlink::net::device::{Device, Namespace};
pub(crate) use crate::vlink::net::devslot::{DeviceSlot, HeldDevice};
pub(crate) use crate::vlink::net::skbuff::{Addressee, SkBuff};
pub(crate) use crate::vlink::percpu::BhContext;
pub(crate) use crate::vlink::percpu::BhCopy;
pub(crate) use crate::vlink::percpu::{possible_cpus, PerCpuCounters};
pub(crate) use crate::vlink::rcu::RcuBox;

/// Why a block dropped a packet; the engine counts drops by reason.
///
/// In the order of the engine's drop counters, from
/// `Counter::DropBlock` on: a reason's counter is an addition away.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum DropReason {
    /// A `drop` block: dropping is its job.
    DropBlock = 0,
    /// The frame is not well formed for the block (a missing header).
    Malformed = 1,
    /// The frame is addressed to another host.
    OtherHost = 2,
    /// A filter rejected the packet (an EtherType, a BPF program).
    Filtered = 3,
    /// The block sends to a device, and has none (not set, or gone).
    NoDevice = 4,
    /// Memory was short (no headroom could be made for a header).
    NoMemory = 5,
}

/// Which way a packet travels through the graph (`bind A B` puts A above
/// B).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Direction {
    /// Upward: received on a device attached at the bottom, toward the host
    /// (a lana device attached at the top).
    Ingress,
    /// Downward: sent by the host through a lana device attached at the top,
    /// toward a device attached at the bottom.
    Egress,
}

/// What a block did with a packet.
///
/// Every variant carries the packet or nothing: a verdict is a (tag,
/// pointer) pair, returned in two registers rather than through memory on
/// every hop (make bench). A drop's reason travels in the [`PacketCx`]:
/// blocks drop with [`PacketCx::drop`].
#[must_use = "the engine takes a copy left in the context only with its verdict"]
pub(crate) enum Verdict {
    /// Hand the packet to the next block in its direction.
    Pass(SkBuff),
    /// As `Pass`, with a copy for an output port: made with
    /// [`PacketCx::pass_with_copy`], the one way to leave a copy.
    PassWithCopy(SkBuff),
    /// Hand the packet to the Linux stack as if lana-rs were not there.
    Host(SkBuff),
    /// The block took the packet (transmitted it): the path ends here.
    Consumed,
    /// Free the packet, counted under the reason left in the context.
    Drop(SkBuff),
}

/// What a block decided in line about a packet ([`Block::receive_inline`]):
/// the verdicts that need no call.
pub(crate) enum Step {
    /// On to the next block in its direction.
    Pass(SkBuff),
    /// To the Linux stack, as if lana-rs were not there.
    Host(SkBuff),
    /// Freed, counted under the reason.
    Drop(SkBuff, DropReason),
}

/// What a block's in-line part sees of a packet's journey: this CPU and the
/// direction. Small enough to live in registers: the walk builds no
/// [`PacketCx`] in memory until a block needs a call.
#[derive(Clone, Copy)]
pub(crate) struct InlineCx<'a> {
    bh: &'a BhContext,
    direction: Direction,
}

impl<'a> InlineCx<'a> {
    #[inline(always)]
    pub(crate) fn new(bh: &'a BhContext, direction: Direction) -> Self {
        Self { bh, direction }
    }

    #[inline(always)]
    pub(crate) fn bh(&self) -> &BhContext {
        self.bh
    }

    #[inline(always)]
    pub(crate) fn direction(&self) -> Direction {
        self.direction
    }
}

/// What a block sees of the packet's journey besides the packet.
///
/// Packets received from a device enter at the block it is attached to and
/// go up to the block bound above (`bind A B` puts A above B); packets sent
/// through a lana device enter at its block and go down.
pub(crate) struct PacketCx<'a> {
    /// Held by value: a block's per-CPU counter is then one load of this
    /// CPU's offset away, not two (make bench).
    bh: BhCopy<'a>,
    direction: Direction,
    /// In the egress direction, the device the packet leaves on at the
    /// bottom of the chain (the same for every block of a chain).
    egress: Option<&'a Device>,
    /// The copy of the block that just returned [`Verdict::PassWithCopy`],
    /// which the engine always takes: never dropped with the context, so the
    /// walk has no copy to look for when it ends.
    copy: ManuallyDrop<Cell<Option<(usize, SkBuff)>>>,
    /// Why the block that returned [`Verdict::Drop`] dropped the packet.
    reason: Cell<DropReason>,
}

impl<'a> PacketCx<'a> {
    pub(crate) fn new(bh: &'a BhContext, direction: Direction, egress: Option<&'a Device>) -> Self {
        Self {
            bh: bh.copy(),
            direction,
            egress,
            copy: ManuallyDrop::new(Cell::new(None)),
            reason: Cell::new(DropReason::DropBlock),
        }
    }

    /// What the in-line part of a block sees of this context.
    #[inline(always)]
    pub(crate) fn inline(&self) -> InlineCx<'_> {
        InlineCx::new(&self.bh, self.direction)
    }

    /// The verdict of an in-line decision: for the blocks whose whole work
    /// is in line, [`Block::receive`] is their `receive_inline`.
    #[inline(always)]
    pub(crate) fn verdict(&self, step: Step) -> Verdict {
        match step {
            Step::Pass(skb) => Verdict::Pass(skb),
            Step::Host(skb) => Verdict::Host(skb),
            Step::Drop(skb, reason) => self.drop(skb, reason),
        }
    }

    /// Drops `skb`, counted under `reason`: return the verdict this makes.
    #[inline]
    pub(crate) fn drop(&self, skb: SkBuff, reason: DropReason) -> Verdict {
        self.reason.set(reason);
        Verdict::Drop(skb)
    }

    /// The reason of the drop verdict just returned.
    #[inline]
    pub(crate) fn drop_reason(&self) -> DropReason {
        self.reason.get()
    }

    /// The way the packet travels.
    #[inline]
    pub(crate) fn direction(&self) -> Direction {
        self.direction
    }

    /// In the egress direction, the device the packet will leave on if it
    /// goes all the way down: the real device attached at the bottom of the
    /// running block's chain.
    #[inline]
    pub(crate) fn egress_device(&self) -> Option<&Device> {
        self.egress
    }

    /// The packet-path context: per-CPU data is reached through it.
    #[inline]
    pub(crate) fn bh(&self) -> &BhContext {
        &self.bh
    }

    /// Passes `skb` on and `copy` to output port `port` (an index into the
    /// block type's `ports`), which the engine queues on this CPU's backlog:
    /// return the verdict this makes.
    #[inline]
    pub(crate) fn pass_with_copy(&self, skb: SkBuff, port: usize, copy: SkBuff) -> Verdict {
        // Empty: the engine took the last copy with its verdict.
        drop(self.copy.replace(Some((port, copy))));
        Verdict::PassWithCopy(skb)
    }

    /// The copy of the [`Verdict::PassWithCopy`] just returned.
    #[inline]
    pub(crate) fn take_copy(&self) -> Option<(usize, SkBuff)> {
        self.copy.take()
    }
}

/// Where a block reports its statistics.
pub(crate) trait StatSink {
    /// A counter kept per CPU: its total, and its value on each CPU for the
    /// per-CPU view (`lanactl stats --per-cpu`).
    fn counter(
        &mut self,
        name: &CStr,
        total: u64,
        per_cpu: &mut dyn Iterator<Item = (u32, u64)>,
    ) -> Result;

    /// A value with no per-CPU breakdown.
    fn value(&mut self, name: &CStr, value: u64) -> Result;

    /// A label (text) that explains the counts, such as a drop's reason.
    fn label(&mut self, name: &CStr, text: &[u8]) -> Result;
}

/// A functional block: called for every packet that reaches it, in softirq
/// context, with no lock held and nothing allocated on its behalf.
pub(crate) trait Block: Send + Sync {
    /// Handles one packet.
    fn receive(&self, skb: SkBuff, cx: &PacketCx<'_>) -> Verdict;

    /// Handles one packet in line in the walk, if the block can without a
    /// call: `Err` hands it to [`Self::receive`], out of line, where the
    /// walk goes on. A walk runs in line, with nothing to save around calls,
    /// until a block needs one (make bench). Must decide as `receive` would.
    #[inline(always)]
    fn receive_inline(&self, skb: SkBuff, _cx: &InlineCx<'_>) -> Result<Step, SkBuff> {
        Err(skb)
    }

    /// The block's counters, if it keeps [`Counters`]: the defaults of
    /// `stats`, `carry_from` and `reset` use them, so that
    /// every block's counts survive a replace and reset alike.
    fn counters(&self) -> Option<&dyn CounterSet> {
        None
    }

    /// Reports the block's statistics.
    fn stats(&self, sink: &mut dyn StatSink) -> Result {
        self.counters().map_or(Ok(()), |c| c.report(sink))
    }

    /// Takes over the state of `old`, a block of the same type this one
    /// replaced, which no packet can reach any more (its state is final).
    /// Packets may already be reaching this block: merge, do not
    /// overwrite. Called after the replace is published: it cannot fail,
    /// so it allocates nothing.
    fn carry_from(&self, old: &dyn Block) {
        if let (Some(mine), Some(theirs)) = (self.counters(), old.counters()) {
            carry(theirs, mine);
        }
    }

    /// Checks `settings` (later ones win) against the block's current
    /// configuration and makes all that putting them in effect takes,
    /// changing nothing: an error names the key and why. The engine only
    /// passes keys of the block's type. `net` is the engine's network
    /// namespace, where device names are looked up.
    fn prepare(&self, _settings: &[Setting<'_>], _net: &Namespace) -> CtlResult<Prepared> {
        Ok(Prepared::nothing())
    }

    /// Puts in effect what [`Self::prepare`] made. Cannot fail: a batch
    /// prepares the settings of all its blocks before it commits any.
    fn commit(&self, _prepared: Prepared) {}

    /// Reports every key with its current value.
    fn config(&self, _sink: &mut dyn ConfigSink) -> Result {
        Ok(())
    }

    /// Sets the block's counters to zero (`lanactl reset`). Readers see
    /// counts from then on; the packet path is not disturbed.
    fn reset(&self) -> CtlResult {
        match self.counters() {
            Some(counters) => {
                counters.reset();
                Ok(())
            }
            None => Err(ctl_err!(
                EOPNOTSUPP,
                "this block type has no counters to reset"
            )),
        }
    }

    /// Receives an event about this block or a block it subscribes to.
    /// Process context, with the engine's control mutex held: it must not
    /// call back into the engine.
    fn event(&self, _event: &Event) {}
}

/// A configuration key of a block type, as `lanactl types` lists it.
pub(crate) struct Key {
    pub(crate) name: &'static CStr,
    /// The values it takes, for people.
    pub(crate) syntax: &'static CStr,
    /// Its value until set.
    pub(crate) default: &'static CStr,
    pub(crate) help: &'static CStr,
}

/// One `key=value` of a configuration change.
pub(crate) struct Setting<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: &'a str,
}

/// Settings a block checked and built (see [`Block::prepare`]), not in
/// effect yet: a value of the block's own type, or nothing to do.
pub(crate) struct Prepared(Option<KBox<dyn Any + Send>>);

impl Prepared {
    /// Nothing to put in effect.
    pub(crate) fn nothing() -> Self {
        Self(None)
    }

    /// `value`, for [`Block::commit`] to take back.
    pub(crate) fn new<T: Any + Send>(value: T) -> Result<Self> {
        let value: KBox<dyn Any + Send> = KBox::new(Some(value), GFP_KERNEL)?;
        Ok(Self(Some(value)))
    }

    /// The value given to [`Self::new`], if there was one of type `T`.
    pub(crate) fn take<T: Any + Send>(mut self) -> Option<T> {
        let typed = self.0.as_mut()?.downcast_mut::<Option<T>>();
        // A commit taking another type than its prepare gave is a bug in the
        // block type: the settings would silently not take effect.
        if kernel::warn_on!(typed.is_none()) {
            return None;
        }
        typed?.take()
    }
}

/// Where a block reports its configuration: each key with its value.
pub(crate) trait ConfigSink {
    fn option(&mut self, key: &CStr, value: &[u8]) -> Result;
}

/// A block type: registered once at module load, instantiated by `add`.
pub(crate) struct BlockType {
    /// The name users give to `lanactl add NAME TYPE`.
    pub(crate) name: &'static CStr,
    /// One line for `lanactl types`.
    pub(crate) description: &'static CStr,
    /// The keys `lanactl set` takes.
    pub(crate) keys: &'static [Key],
    /// Output ports besides the main path (`lanactl bind --port NAME`).
    pub(crate) ports: &'static [&'static CStr],
    /// Creates an instance with default configuration.
    pub(crate) new: fn() -> Result<Instance>,
}
