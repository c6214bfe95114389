// SPDX-License-Identifier: GPL-2.0-only

//! Per-CPU backlogs: where packets a block creates wait to be delivered.
//!
//! A tee's copy is not run through the graph inside the call that made it
//! (that would nest graph runs without bound); it is queued on the current
//! CPU's bounded queue and delivered by that CPU's NAPI instance, in NET_RX
//! softirq context, with a budget per run. The C side (`backlog.c`) owns the
//! queues and the NAPI instances; their owner (the module's [`Net`], a
//! [`BacklogOwner`]) is called back through [`lana_backlog_deliver`]. What
//! may be queued is decided here.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use core::ptr::NonNull;
use kernel::{bindings, ffi::c_void, prelude::*};

use crate::vlink::entry::Net;
use crate::vlink::{ffi, net::skbuff::SkBuff, percpu::possible_cpus, percpu::BhContext};

/// What a backlog delivers its packets to.
pub(crate) trait BacklogOwner: Send + Sync {
    /// Runs `skb`, taken off this CPU's queue, in softirq context.
    fn deliver(&self, skb: SkBuff, bh: &BhContext);
}

/// Why a backlog refused a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// This CPU's queue is full.
    Full,
    /// The packet is a copy of a copy of ... beyond the generations a copy
    /// may have ([`COPY_GENERATIONS`]): a port bound so that copies come
    /// back to the block that makes them.
    TooDeep,
}

/// Generations a copy may have. A copy's generation is 1 for a copy of a
/// received or sent packet, one more for each copy of a copy: it bounds
/// copies of copies, which a port bound to a block whose walk leads back to
/// the copying block would otherwise make without end (each copy walks from
/// the start, with a fresh hop count).
pub(crate) const COPY_GENERATIONS: u32 = 8;

/// The backlog of one [`Net`]: a bounded queue and a NAPI instance per CPU.
///
/// # Invariants
///
/// `raw` comes from `lana_backlog_create` and is destroyed on drop; its
/// owner is the [`Net`] that holds this value, and packets are only
/// delivered to it while this value lives.
pub(crate) struct Backlog {
    raw: NonNull<c_void>,
}

// SAFETY: The C backlog locks its queues; it may be used from any CPU.
unsafe impl Send for Backlog {}
// SAFETY: See `Send`.
unsafe impl Sync for Backlog {}

impl Backlog {
    /// A backlog delivering to `owner`, holding at most `limit` packets per
    /// CPU.
    ///
    /// # Safety
    ///
    /// `owner` must be valid, and not move, for as long as the returned value
    /// lives (`owner` holds its backlog, dropped before its other fields:
    /// the [`Bindings`](crate::vlink::entry::Bindings) promise).
    pub(crate) unsafe fn new(owner: NonNull<Net>, limit: u32) -> Result<Self> {
        // SAFETY: Plain allocation and setup; `owner` is only handed back to
        // `lana_backlog_deliver`.
        let raw = unsafe { ffi::lana_backlog_create(owner.as_ptr().cast(), limit) };
        // INVARIANT: Created just now; the caller keeps `owner` valid.
        Ok(Self {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
        })
    }

    /// Queues the copy `skb` on this CPU's backlog; gives it back, with
    /// the reason, when refused.
    #[inline]
    pub(crate) fn enqueue(
        &self,
        mut skb: SkBuff,
        _bh: &BhContext,
    ) -> Result<(), (SkBuff, Refused)> {
        // SAFETY: The backlog is live (type invariant); bottom halves are off
        // (`_bh`), so the CPU is this one throughout.
        let delivering = unsafe { ffi::lana_backlog_delivering(self.raw.as_ptr()) };
        let generation = delivering.saturating_add(1);
        if generation > COPY_GENERATIONS {
            return Err((skb, Refused::TooDeep));
        }
        skb.set_copy_generation(generation);
        let raw = skb.into_raw();
        // SAFETY: The backlog is live (type invariant); bottom halves are off
        // (`_bh`); on success the queue owns the reference we give up.
        let ret = unsafe { ffi::lana_backlog_enqueue(self.raw.as_ptr(), raw.as_ptr()) };
        if ret == 0 {
            return Ok(());
        }
        // SAFETY: Refused (the queue is full), so the reference is still ours.
        let skb = unsafe { SkBuff::from_raw(raw) };
        Err((skb, Refused::Full))
    }

    /// Packets waiting on each possible CPU.
    pub(crate) fn depth(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        possible_cpus().map(move |cpu| {
            // SAFETY: The backlog is live and `cpu` is a possible CPU.
            let depth = unsafe { ffi::lana_backlog_depth(self.raw.as_ptr(), cpu) };
            (cpu, u64::from(depth))
        })
    }
}

impl Drop for Backlog {
    fn drop(&mut self) {
        // SAFETY: Created in `new`; destroying waits for running deliveries
        // and frees what is still queued.
        unsafe { ffi::lana_backlog_destroy(self.raw.as_ptr()) };
    }
}

/// Entry from a backlog's NAPI poll: one queued packet for its owner,
/// this CPU's `delivering` generation set to the packet's meanwhile (the
/// copies its delivery makes are one generation further).
///
/// # Safety
///
/// Called in softirq context with the owner given to [`Backlog::new`] (valid
/// while the backlog lives), an owned `skb`, this CPU's per-CPU offset, and
/// this CPU's `delivering` word of the backlog, which nothing else touches
/// meanwhile.
#[no_mangle]
unsafe extern "C" fn lana_backlog_deliver(
    owner: *const c_void,
    skb: *mut bindings::sk_buff,
    cpu_offset: usize,
    delivering: *mut u32,
) {
    // SAFETY: The backlog's owner outlives it (see `Backlog::new`).
    let net = unsafe { &*owner.cast::<Net>() };
    // SAFETY: NAPI polls run in softirq context; `cpu_offset` is this CPU's.
    let bh = unsafe { BhContext::new(cpu_offset) };
    // SAFETY: The poll dequeued `skb` and hands its reference to us.
    let skb = unsafe { SkBuff::from_raw(NonNull::new_unchecked(skb)) };
    // SAFETY: This CPU's word, ours during the call (the caller's promise).
    unsafe { delivering.write(skb.copy_generation()) };
    net.deliver(skb, &bh);
    // SAFETY: As above.
    unsafe { delivering.write(0) };
}
