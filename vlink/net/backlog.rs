// SPDX-License-Identifier: GPL-2.0-only

//! Per-CPU backlogs: where packets a block creates wait to be delivered.
//!
//! A tee's copy is not run through the graph inside the call that made it
//! (that would nest graph runs without bound); it is queued on the current
//! CPU's bounded queue and delivered by that CPU's NAPI instance, in NET_RX
//! softirq context, with a budget per run. The C side (`backlog.c`) owns the
//! queues and the NAPI instances; their owner (the module's [`Net`], a
//! [`BacklogOwner`]) is called back through [`lana_backlog_deliver`].
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
    /// may have (`LANA_COPY_GENERATIONS`, 8): a port bound so that copies
    /// come back to the block that makes them.
    TooDeep,
}

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
    pub(crate) fn enqueue(&self, skb: SkBuff, _bh: &BhContext) -> Result<(), (SkBuff, Refused)> {
        let raw = skb.into_raw();
        // SAFETY: The backlog is live (type invariant); bottom halves are off
        // (`_bh`); on success the queue owns the reference we give up.
        let ret = unsafe { ffi::lana_backlog_enqueue(self.raw.as_ptr(), raw.as_ptr()) };
        if ret == 0 {
            return Ok(());
        }
        // SAFETY: Refused, so the reference is still ours.
        let skb = unsafe { SkBuff::from_raw(raw) };
        let why = if ret == ELOOP.to_errno() {
            Refused::TooDeep
        } else {
            Refused::Full
        };
        Err((skb, why))
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

/// Entry from a backlog's NAPI poll: one queued packet for its owner.
///
/// # Safety
///
/// Called in softirq context with the owner given to [`Backlog::new`] (valid
/// while the backlog lives), an owned `skb` and this CPU's per-CPU offset.
#[no_mangle]
unsafe extern "C" fn lana_backlog_deliver(
    owner: *const c_void,
    skb: *mut bindings::sk_buff,
    cpu_offset: usize,
) {
    // SAFETY: The backlog's owner outlives it (see `Backlog::new`).
    let net = unsafe { &*owner.cast::<Net>() };
    // SAFETY: NAPI polls run in softirq context; `cpu_offset` is this CPU's.
    let bh = unsafe { BhContext::new(cpu_offset) };
    // SAFETY: The poll dequeued `skb` and hands its reference to us.
    let skb = unsafe { SkBuff::from_raw(NonNull::new_unchecked(skb)) };
    net.deliver(skb, &bh);
}
