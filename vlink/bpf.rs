// SPDX-License-Identifier: GPL-2.0-only

//! BPF programs that filter packets, classic or eBPF, with the semantics of
//! SO_ATTACH_FILTER: the program sees the frame from its link-layer header
//! and returns 0 to drop, anything else to pass (no truncation).
//!
//! The frame a program sees is the frame the wire carried: the kernel moves
//! a received frame's outer VLAN tag (802.1Q or 802.1ad) out of the data
//! into the skb before rx_handlers run, so for the run the tag is put back
//! where it was, and the skb looks as a device without VLAN offload would
//! have received it (no tag outside the data, protocol the tag's TPID).
//! Afterwards the skb is exactly as before. libpcap compiles `vlan` into
//! tests of the frame's bytes, so this is what makes an expression match
//! what `tcpdump -r` matches on a capture of the wire.
//!
//! C header: [`include/linux/filter.h`](srctree/include/linux/filter.h), [`include/linux/bpf.h`](srctree/include/linux/bpf.h)

use core::ptr::NonNull;
use kernel::{bindings, error::from_err_ptr, prelude::*};

use super::{ffi, net::skbuff::SkBuff, percpu::BhContext};

/// One classic BPF instruction (`struct sock_filter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Insn {
    pub(crate) code: u16,
    pub(crate) jt: u8,
    pub(crate) jf: u8,
    pub(crate) k: u32,
}

/// A program this value holds a reference to.
///
/// # Invariants
///
/// `ptr` is a live program; `classic` says whether it was made by
/// `bpf_prog_create` (else it is an eBPF program from bpffs).
pub(crate) struct BpfProg {
    ptr: NonNull<bindings::bpf_prog>,
    classic: bool,
}

// SAFETY: A program may be run and released from any CPU.
unsafe impl Send for BpfProg {}
// SAFETY: Running a program does not change it.
unsafe impl Sync for BpfProg {}

impl BpfProg {
    /// A classic program, checked (and JIT-compiled where enabled) by the
    /// kernel.
    pub(crate) fn classic(insns: &[Insn]) -> Result<Self> {
        let mut raw = KVec::with_capacity(insns.len(), GFP_KERNEL)?;
        for i in insns {
            raw.push(
                bindings::sock_filter {
                    code: i.code,
                    jt: i.jt,
                    jf: i.jf,
                    k: i.k,
                },
                GFP_KERNEL,
            )?;
        }
        let len = u32::try_from(raw.len()).map_err(|_| EINVAL)?;
        // SAFETY: `raw` holds `len` instructions; the kernel copies them.
        let ptr = from_err_ptr(unsafe { ffi::lana_bpf_classic(raw.as_mut_ptr(), len) })?;
        // INVARIANT: A live classic program (not an error pointer).
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(EINVAL)?,
            classic: true,
        })
    }

    /// The socket-filter eBPF program pinned at `path` in bpffs.
    pub(crate) fn pinned(path: &CStr) -> Result<Self> {
        // SAFETY: `path` is NUL-terminated; a returned program carries a
        // reference for us.
        let ptr = from_err_ptr(unsafe { ffi::lana_bpf_pinned(path.as_char_ptr()) })?;
        // INVARIANT: A live eBPF program.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOENT)?,
            classic: false,
        })
    }

    /// Runs the program on `skb`, shown as the wire carried it (VLAN tag
    /// included): its verdict, 0 meaning drop. `ENOMEM` when the frame
    /// could not be shown: a tagged frame whose head a clone shares (a
    /// packet tap's) is shown through a private copy of the head, made with
    /// an atomic allocation; untagged frames and tagged ones with a private
    /// head need no memory.
    #[inline]
    pub(crate) fn run(&self, skb: &SkBuff, _bh: &BhContext) -> Result<u32> {
        // SAFETY: The program is live (type invariant), `skb` is owned by our
        // caller, and bottom halves are disabled (`_bh`), as programs need.
        // The shim puts the skb back as it found it before returning.
        let ret = unsafe { ffi::lana_bpf_run(self.ptr.as_ptr(), skb.as_raw()) };
        // A verdict is an unsigned 32-bit value; anything else is an error.
        u32::try_from(ret).map_err(|_| ENOMEM)
    }
}

impl Drop for BpfProg {
    fn drop(&mut self) {
        // SAFETY: We hold the program (type invariant) and give it up.
        unsafe { ffi::lana_bpf_release(self.ptr.as_ptr(), self.classic) };
    }
}
