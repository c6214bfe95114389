// SPDX-License-Identifier: GPL-2.0-only

//! Netlink messages being written: replies and dump messages, and the
//! attribute writer they share.
//!
//! C header: [`include/net/genetlink.h`](srctree/include/net/genetlink.h), [`include/net/netlink.h`](srctree/include/net/netlink.h)

use super::*;

/// The largest reply [`Request::answer`] builds: 2 MiB with room for the
/// headers and `skb_shared_info` (one order-9 allocation). lanactl reads a
/// datagram of any size.
pub(crate) const REPLY_MAX: usize = (2 << 20) - 4096;

/// Writing attributes into a netlink message.
///
/// # Safety
///
/// Implementors return a valid message `sk_buff` they may append to.
pub(crate) unsafe trait AttrWriter {
    fn skb(&mut self) -> *mut bindings::sk_buff;

    /// Appends a NUL-terminated string attribute.
    fn put_str(&mut self, id: u16, value: &CStr) -> Result {
        let bytes = value.to_bytes_with_nul();
        let len = c_int::try_from(bytes.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: The skb is valid (trait contract); `bytes` is readable.
        to_result(unsafe {
            bindings::nla_put(self.skb(), c_int::from(id), len, bytes.as_ptr().cast())
        })
    }

    /// Appends a string attribute from bytes that hold no NUL.
    fn put_bytes_str(&mut self, id: u16, value: &[u8]) -> Result {
        let len = c_int::try_from(value.len() + 1).map_err(|_| EMSGSIZE)?;
        // Reserve the attribute (room checked: null when the message is
        // full), then copy the bytes and the NUL.
        // SAFETY: The skb is valid (trait contract).
        let attr = unsafe { bindings::nla_reserve(self.skb(), c_int::from(id), len) };
        if attr.is_null() {
            return Err(EMSGSIZE);
        }
        // SAFETY: `__nla_reserve` returned room for `len` payload bytes after
        // the attribute header.
        unsafe {
            let data = attr.cast::<u8>().add(NLA_HDRLEN);
            core::ptr::copy_nonoverlapping(value.as_ptr(), data, value.len());
            data.add(value.len()).write(0);
        }
        Ok(())
    }

    /// Appends a `u32` attribute.
    fn put_u32(&mut self, id: u16, value: u32) -> Result {
        // SAFETY: The skb is valid (trait contract); `value` is readable.
        to_result(unsafe {
            bindings::nla_put(self.skb(), c_int::from(id), 4, (&raw const value).cast())
        })
    }

    /// Appends a flag attribute (no payload).
    fn put_flag(&mut self, id: u16) -> Result {
        // SAFETY: The skb is valid (trait contract); a flag has no payload
        // to read, as `nla_put_flag` passes none.
        to_result(unsafe { bindings::nla_put(self.skb(), c_int::from(id), 0, core::ptr::null()) })
    }

    /// Appends a `u64` attribute, padded with `pad` where alignment needs it.
    fn put_u64(&mut self, id: u16, value: u64, pad: u16) -> Result {
        // SAFETY: The skb is valid (trait contract).
        to_result(unsafe {
            ffi::lana_nla_put_u64(self.skb(), c_int::from(id), value, c_int::from(pad))
        })
    }

    /// Appends a nested attribute filled by `fill`. A nest that does not
    /// fit the message, or is longer than an attribute can be (64 KiB), is
    /// removed whole and `EMSGSIZE` returned; so is one whose `fill` fails.
    fn nest(&mut self, id: u16, fill: impl FnOnce(&mut Self) -> Result) -> Result
    where
        Self: Sized,
    {
        // SAFETY: The skb is valid (trait contract).
        let start = unsafe { ffi::lana_nla_nest_start(self.skb(), c_int::from(id)) };
        if start.is_null() {
            return Err(EMSGSIZE);
        }
        if let Err(e) = fill(self) {
            // SAFETY: `start` was returned by `nla_nest_start` on this skb,
            // which has only grown since.
            unsafe { ffi::lana_nla_nest_cancel(self.skb(), start) };
            return Err(e);
        }
        // SAFETY: As above; an oversized nest is cancelled by the shim.
        to_result(unsafe { ffi::lana_nla_nest_end(self.skb(), start) })
    }
}

/// A reply message being built.
///
/// # Invariants
///
/// `skb` is an owned netlink message with a generic-netlink header at `hdr`.
pub(crate) struct Reply {
    pub(super) skb: NonNull<bindings::sk_buff>,
    pub(super) hdr: *mut c_void,
}

// SAFETY: `skb` is an owned, valid message (type invariant).
unsafe impl AttrWriter for Reply {
    fn skb(&mut self) -> *mut bindings::sk_buff {
        self.skb.as_ptr()
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        // SAFETY: Not sent (sending forgets the value), so we still own it.
        unsafe { bindings::nlmsg_free(self.skb.as_ptr()) };
    }
}

/// One call of a dump: messages are appended to the core's buffer until it is
/// full; the position to resume from is kept between calls.
///
/// # Invariants
///
/// `skb`, `cb` and `family` are the valid arguments of the running `dumpit`.
pub(crate) struct Dump<'a> {
    pub(super) skb: *mut bindings::sk_buff,
    pub(super) cb: *mut bindings::netlink_callback,
    pub(super) family: *const bindings::genl_family,
    pub(super) added: bool,
    pub(super) _lifetime: PhantomData<&'a ()>,
}

/// One message of a dump being built.
pub(crate) struct DumpMessage {
    pub(super) skb: *mut bindings::sk_buff,
}

// SAFETY: The dump's skb is valid while the message is built.
unsafe impl AttrWriter for DumpMessage {
    fn skb(&mut self) -> *mut bindings::sk_buff {
        self.skb
    }
}

impl<'a> Dump<'a> {
    /// Where the previous call stopped (0 at the start).
    pub(crate) fn position(&self) -> usize {
        // SAFETY: `cb` is valid; `args` is ours to use for the dump's state.
        unsafe { (*self.cb).__bindgen_anon_1.args[0] as usize }
    }

    /// Records where the next call resumes.
    pub(crate) fn set_position(&mut self, position: usize) {
        // SAFETY: As in `position`.
        unsafe { (*self.cb).__bindgen_anon_1.args[0] = position as c_long };
    }

    /// The network namespace of the dumping socket.
    pub(crate) fn net(&self) -> &'a Namespace {
        // SAFETY: `cb` is valid; its socket's namespace outlives the dump.
        unsafe { Namespace::from_raw(ffi::lana_genl_dump_net(self.cb)) }
    }

    /// The command being dumped.
    pub(crate) fn cmd(&self) -> u8 {
        // SAFETY: `cb` is the valid callback of one of our dumps.
        unsafe { ffi::lana_genl_dump_cmd(self.cb) }
    }

    /// Appends one message with command `cmd`, filled by `fill`. Returns
    /// `false`, with nothing appended, when the buffer is full: stop and let
    /// the next call resume. A message that does not fit even a buffer of
    /// its own (the first of this call) is `EMSGSIZE`: the dump fails
    /// rather than end early or stall.
    pub(crate) fn message(
        &mut self,
        cmd: u8,
        fill: impl FnOnce(&mut DumpMessage) -> Result,
    ) -> Result<bool> {
        // SAFETY: Valid dump arguments (type invariant).
        let hdr = unsafe { ffi::lana_genlmsg_put_dump(self.skb, self.cb, self.family, cmd) };
        if hdr.is_null() {
            return self.full();
        }
        let mut msg = DumpMessage { skb: self.skb };
        match fill(&mut msg) {
            Ok(()) => {
                // SAFETY: `hdr` heads the message just written to `skb`.
                unsafe { bindings::genlmsg_end(self.skb, hdr) };
                self.added = true;
                Ok(true)
            }
            Err(e) => {
                // SAFETY: As above; this removes the partial message.
                unsafe { bindings::genlmsg_cancel(self.skb, hdr) };
                if e == EMSGSIZE {
                    self.full()
                } else {
                    Err(e)
                }
            }
        }
    }

    /// The buffer had no room for a message: the next call resumes, unless
    /// nothing at all was added in this one.
    fn full(&self) -> Result<bool> {
        if self.added {
            Ok(false)
        } else {
            Err(EMSGSIZE)
        }
    }
}
