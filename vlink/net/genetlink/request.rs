// SPDX-License-Identifier: GPL-2.0-only

//! A `doit` request being served: its attributes, its namespace, its
//! extack and its reply.
//!
//! C header: [`include/net/genetlink.h`](srctree/include/net/genetlink.h)

use super::*;

/// A `doit` request being served.
///
/// # Invariants
///
/// `info` and `family` are the valid arguments of the running `doit`
/// call, which outlives `'a`.
pub(crate) struct Request<'a> {
    pub(super) info: *mut bindings::genl_info,
    pub(super) family: *const bindings::genl_family,
    /// The request's attributes, `info->attrs`.
    pub(super) attrs: Attrs<'a>,
}

impl<'a> core::ops::Deref for Request<'a> {
    type Target = Attrs<'a>;

    fn deref(&self) -> &Attrs<'a> {
        &self.attrs
    }
}

impl<'a> Request<'a> {
    /// The command number.
    pub(crate) fn cmd(&self) -> u8 {
        // SAFETY: `info` is valid (type invariant) and has a header.
        unsafe { (*(*self.info).genlhdr).cmd }
    }

    /// The network namespace of the caller's socket.
    pub(crate) fn net(&self) -> &'a Namespace {
        // SAFETY: `info` is valid; its namespace outlives the request.
        unsafe { Namespace::from_raw(ffi::lana_genl_info_net(self.info)) }
    }

    /// The elements of every [`AttrKind::Requests`] attribute `id` of the
    /// request, in order, as one list: a batch larger than one attribute
    /// (64 KiB) comes as several, in one message.
    pub(crate) fn all_requests(&self, id: u16) -> Result<KVVec<AttrTable<'a>>> {
        let mut len: c_int = 0;
        // SAFETY: `info` is valid for the request (type invariant).
        let start = unsafe { ffi::lana_genl_info_attrs(self.info, &mut len) };
        let len = usize::try_from(len).map_err(|_| EINVAL)?;
        // SAFETY: The request's attributes: `len` bytes, valid for `'a`.
        let all = unsafe { core::slice::from_raw_parts(start.cast::<u8>(), len) };
        let mut out = KVVec::new();
        for (ty, payload) in (NlaIter { rest: all }) {
            if ty == id {
                // Every occurrence, not only the last that `info->attrs`
                // keeps, was validated against the policy.
                self.attrs.push_requests(payload, &mut out)?;
            }
        }
        Ok(out)
    }

    /// The netlink port of the caller's socket, where [`EventGroup::unicast`]
    /// can send it messages later.
    pub(crate) fn portid(&self) -> u32 {
        // SAFETY: `info` is valid for the request.
        unsafe { ffi::lana_genl_info_portid(self.info) }
    }

    /// Sets the message returned with an error (extack). At most 79 bytes
    /// are kept.
    pub(crate) fn set_error(&mut self, args: fmt::Arguments<'_>) {
        // SAFETY: `info->extack` is null or valid during the request.
        unsafe { set_extack((*self.info).extack, args) };
    }

    /// Returns `value` with the ACK, as its cookie (`NLMSGERR_ATTR_COOKIE`,
    /// four bytes in host order): which element of a batch was refused.
    pub(crate) fn set_cookie(&mut self, value: u32) {
        // SAFETY: `info->extack` is null or valid during the request.
        let Some(extack) = (unsafe { (*self.info).extack.as_mut() }) else {
            return;
        };
        let bytes = value.to_ne_bytes();
        extack.cookie[..bytes.len()].copy_from_slice(&bytes);
        extack.cookie_len = bytes.len() as u8;
    }

    /// Answers this request with one message carrying command `cmd`,
    /// filled by `fill`. The message starts at the default size and, when
    /// `fill` finds it full (`EMSGSIZE`), is filled again in a larger one,
    /// up to [`REPLY_MAX`]; a reply larger still is refused with `EMSGSIZE`
    /// and an explanation. `fill` may run several times.
    pub(crate) fn answer(&mut self, cmd: u8, mut fill: impl FnMut(&mut Reply) -> Result) -> Result {
        let mut size: usize = bindings::GENLMSG_DEFAULT_SIZE;
        loop {
            let mut reply = self.reply_sized(cmd, size)?;
            match fill(&mut reply) {
                Ok(()) => return self.send(reply),
                Err(e) if e == EMSGSIZE && size < REPLY_MAX => size = (size * 8).min(REPLY_MAX),
                Err(e) if e == EMSGSIZE => {
                    self.set_error(format_args!(
                        "the reply would exceed {} KiB",
                        REPLY_MAX / 1024
                    ));
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Starts the reply to this request, carrying command `cmd`, with room
    /// for `size` bytes of attributes.
    fn reply_sized(&self, cmd: u8, size: usize) -> Result<Reply> {
        // SAFETY: Plain allocation.
        let skb = NonNull::new(unsafe { ffi::lana_genlmsg_new(size) }).ok_or(ENOMEM)?;
        // SAFETY: `skb` is a fresh message; `info` and `family` are valid.
        let hdr = unsafe { ffi::lana_genlmsg_put_reply(skb.as_ptr(), self.info, self.family, cmd) };
        if hdr.is_null() {
            // SAFETY: We own the fresh message.
            unsafe { bindings::nlmsg_free(skb.as_ptr()) };
            return Err(EMSGSIZE);
        }
        Ok(Reply { skb, hdr })
    }

    /// Starts a reply of the default size, carrying command `cmd`: what a
    /// change allocates before it is made, so that once made it cannot
    /// fail to say so for want of memory.
    pub(crate) fn prepare_reply(&self, cmd: u8) -> Result<Reply> {
        self.reply_sized(cmd, bindings::GENLMSG_DEFAULT_SIZE)
    }

    /// Sends `reply` to the requester.
    pub(crate) fn send(&self, reply: Reply) -> Result {
        let reply = core::mem::ManuallyDrop::new(reply);
        // SAFETY: We own the message and hand it to the core, which frees it.
        unsafe {
            bindings::genlmsg_end(reply.skb.as_ptr(), reply.hdr);
            to_result(ffi::lana_genlmsg_reply(reply.skb.as_ptr(), self.info))
        }
    }
}
