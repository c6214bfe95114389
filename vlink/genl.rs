// SPDX-License-Identifier: GPL-2.0

//! A generic-netlink family with commands, for the control path.
//!
//! 7.3's `kernel::net::netlink` only exposes multicast groups; this adds what
//! a command family needs: an ops table and attribute policy, requests with
//! their attributes and extack, replies and dumps. One generic trampoline per
//! kind of op dispatches to a [`Commands`] implementation, found from the
//! family pointer the kernel passes back (`container_of`), so there is no
//! global state.

use core::{
    ffi::c_void,
    fmt,
    marker::PhantomData,
    ptr::{null_mut, NonNull},
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::{
    alloc::KVVec,
    bindings, container_of,
    error::to_result,
    ffi::{c_char, c_int, c_long},
    prelude::*,
    sync::rcu,
    types::Opaque,
};

use super::{ffi, netdev::Namespace};

/// Size of an attribute header (NLA_HDRLEN; already 4-byte aligned).
const NLA_HDRLEN: usize = core::mem::size_of::<bindings::nlattr>();

/// How the kernel validates one attribute of a request.
#[derive(Clone, Copy)]
pub(crate) enum AttrKind {
    /// A NUL-terminated string of at most `max_len` bytes before the NUL.
    String { max_len: u16 },
    /// A flag: present or absent, no payload.
    Flag,
    /// A nest of strings, each attribute `inner` of at most `max_len` bytes.
    Strings { inner: u16, max_len: u16 },
    /// A 32-bit unsigned integer.
    U32,
    /// An array of nests, each holding attributes of the family's own
    /// policy: one request per element (a batch of requests in one message).
    Requests,
}

/// One attribute of the family's policy.
pub(crate) struct AttrSpec {
    pub(crate) id: u16,
    pub(crate) kind: AttrKind,
}

/// Whether a command answers once (`doit`) or with a dump.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    Do,
    Dump,
}

/// One command of the family.
pub(crate) struct OpSpec {
    pub(crate) cmd: u8,
    pub(crate) kind: OpKind,
    /// Requires CAP_NET_ADMIN in the user namespace owning the caller's
    /// network namespace.
    pub(crate) admin: bool,
}

/// What the family's commands do.
pub(crate) trait Commands: Send + Sync + 'static {
    /// Handles a `doit` command. An error is returned to the caller as its
    /// netlink ACK; set a message with [`Request::set_error`] first.
    fn doit(&self, req: &mut Request<'_>) -> Result;
    /// Fills one part of a dump; called until it adds nothing.
    fn dumpit(&self, dump: &mut Dump<'_>) -> Result;
}

/// The tables a family points to: attribute policy, ops, multicast groups.
struct Tables {
    policy: KVec<bindings::nla_policy>,
    /// The policies of nested attributes, pointed to from `policy`: only
    /// kept alive.
    _nested: KVec<KVec<bindings::nla_policy>>,
    ops: KVec<bindings::genl_ops>,
    mcgrps: KVec<bindings::genl_multicast_group>,
}

impl Tables {
    fn new<T: Commands + 'static>(
        max_attr: u16,
        attrs: &[AttrSpec],
        ops: &[OpSpec],
        mcgrp: &CStr,
    ) -> Result<Self> {
        let mut policy = KVec::with_capacity(usize::from(max_attr) + 1, GFP_KERNEL)?;
        for _ in 0..=max_attr {
            policy.push(bindings::nla_policy::default(), GFP_KERNEL)?;
        }
        let mut nested = KVec::new();
        // The table's heap buffer is allocated at its final size above and
        // never grows, so its address is stable from here on.
        let own = policy.as_ptr();
        for spec in attrs {
            let entry = policy.get_mut(usize::from(spec.id)).ok_or(EINVAL)?;
            match spec.kind {
                AttrKind::String { max_len } => {
                    entry.type_ = bindings::NLA_NUL_STRING as u8;
                    entry.len = max_len;
                }
                AttrKind::Flag => entry.type_ = bindings::NLA_FLAG as u8,
                AttrKind::U32 => entry.type_ = bindings::NLA_U32 as u8,
                AttrKind::Requests => {
                    // The core validates each element against `own`, so an
                    // element's attributes are checked like a request's.
                    entry.type_ = bindings::NLA_NESTED_ARRAY as u8;
                    entry.len = max_attr;
                    entry.__bindgen_anon_1.nested_policy = own;
                }
                AttrKind::Strings { inner, max_len } => {
                    let mut table = KVec::with_capacity(usize::from(inner) + 1, GFP_KERNEL)?;
                    for _ in 0..=inner {
                        table.push(bindings::nla_policy::default(), GFP_KERNEL)?;
                    }
                    table[usize::from(inner)].type_ = bindings::NLA_NUL_STRING as u8;
                    table[usize::from(inner)].len = max_len;
                    entry.type_ = bindings::NLA_NESTED as u8;
                    entry.len = inner;
                    // The table's heap buffer stays put when the vector moves
                    // into `nested`.
                    entry.__bindgen_anon_1.nested_policy = table.as_ptr();
                    nested.push(table, GFP_KERNEL)?;
                }
            }
        }
        let mut raw_ops = KVec::with_capacity(ops.len(), GFP_KERNEL)?;
        for op in ops {
            let mut raw = bindings::genl_ops {
                cmd: op.cmd,
                flags: if op.admin {
                    bindings::GENL_UNS_ADMIN_PERM as u8
                } else {
                    0
                },
                ..Default::default()
            };
            match op.kind {
                OpKind::Do => raw.doit = Some(doit_trampoline::<T>),
                OpKind::Dump => raw.dumpit = Some(dumpit_trampoline::<T>),
            }
            raw_ops.push(raw, GFP_KERNEL)?;
        }
        let mut group = bindings::genl_multicast_group::default();
        let name = mcgrp.to_bytes_with_nul();
        if name.len() > group.name.len() {
            return Err(EINVAL);
        }
        for (dst, src) in group.name.iter_mut().zip(name) {
            *dst = *src as c_char;
        }
        let mut mcgrps = KVec::with_capacity(1, GFP_KERNEL)?;
        mcgrps.push(group, GFP_KERNEL)?;
        Ok(Self {
            policy,
            _nested: nested,
            ops: raw_ops,
            mcgrps,
        })
    }
}

/// A registered generic-netlink family.
///
/// # Invariants
///
/// `raw` is registered with the generic-netlink core from the end of
/// initialisation until drop; its `ops` and `policy` point into `tables`,
/// whose buffers never move or change while registered.
#[pin_data(PinnedDrop)]
pub(crate) struct Family<T: Commands> {
    handler: T,
    tables: Tables,
    #[pin]
    raw: Opaque<bindings::genl_family>,
}

// SAFETY: After registration the raw family is only changed by the genetlink
// core under its own locks; the tables are immutable; the handler is
// `Send + Sync`.
unsafe impl<T: Commands> Send for Family<T> {}
// SAFETY: See `Send`.
unsafe impl<T: Commands> Sync for Family<T> {}

impl<T: Commands + 'static> Family<T> {
    /// Registers family `name` with `ops`, the attribute policy `attrs`
    /// (ids up to `max_attr`) and the multicast group `mcgrp` (the group of
    /// [`EventGroup`]), serving them with `handler`. Only one family may be
    /// registered at a time.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn register(
        module: &'static ThisModule,
        name: &'static CStr,
        version: u8,
        max_attr: u16,
        attrs: &[AttrSpec],
        ops: &[OpSpec],
        mcgrp: &CStr,
        handler: T,
    ) -> impl PinInit<Self, Error> {
        let tables = Tables::new::<T>(max_attr, attrs, ops, mcgrp);
        // The vectors' heap buffers do not move when the vectors move into
        // `Self`, so their addresses can be taken now.
        let pointers = tables
            .as_ref()
            .map(|t| {
                let mcgrps = t.mcgrps.as_ptr();
                (t.policy.as_ptr(), t.ops.as_ptr(), t.ops.len(), mcgrps)
            })
            .map_err(|e| *e);
        try_pin_init!(Self {
            handler,
            tables: tables?,
            raw <- Opaque::try_ffi_init(move |raw: *mut bindings::genl_family| {
                let (policy, ops, n_ops, mcgrps) = pointers?;
                let mut family = bindings::genl_family {
                    version: u32::from(version),
                    maxattr: u32::from(max_attr),
                    policy,
                    ops,
                    n_ops: u8::try_from(n_ops).map_err(|_| EINVAL)?,
                    mcgrps,
                    n_mcgrps: 1,
                    // Strict validation for every command: none is legacy.
                    resv_start_op: 0,
                    module: module.as_ptr(),
                    ..Default::default()
                };
                let bytes = name.to_bytes_with_nul();
                if bytes.len() > family.name.len() {
                    return Err(EINVAL);
                }
                for (dst, src) in family.name.iter_mut().zip(bytes) {
                    *dst = *src as c_char;
                }
                // Every network namespace has its own engine.
                family.set_netnsok(1);
                // SAFETY: `raw` is ours to initialise.
                unsafe { raw.write(family) };
                // SAFETY: The family and the tables it points to live as long
                // as `Self`, which unregisters in its `PinnedDrop`.
                to_result(unsafe { bindings::genl_register_family(raw) })?;
                // Published for `EventGroup` only once registered.
                REGISTERED.store(raw, Ordering::Release);
                Ok(())
            }),
        }? Error)
    }

    fn as_raw(&self) -> *const bindings::genl_family {
        self.raw.get()
    }
}

#[pinned_drop]
impl<T: Commands> PinnedDrop for Family<T> {
    fn drop(self: Pin<&mut Self>) {
        // Withdrawn from `EventGroup` first; once the grace period has
        // passed, no multicast can still be using the family.
        REGISTERED.store(null_mut(), Ordering::Release);
        rcu::synchronize_rcu();
        // SAFETY: Registered by the type invariant. Unregistering waits for
        // running commands and dumps to finish.
        unsafe { bindings::genl_unregister_family(self.raw.get()) };
    }
}

/// Recovers the family from the pointer the core hands to a callback.
///
/// # Safety
///
/// `raw` must be the `raw` field of a live, registered `Family<T>`.
unsafe fn family_of<'a, T: Commands>(raw: *const bindings::genl_family) -> &'a Family<T> {
    let field = raw.cast_mut().cast::<Opaque<bindings::genl_family>>();
    // SAFETY: Guaranteed by the caller: `raw` is inside a `Family<T>`.
    unsafe { &*container_of!(field, Family<T>, raw) }
}

/// The `doit` of every command: dispatches to `T::doit`.
///
/// # Safety
///
/// Called by the generic-netlink core only, for a family registered by
/// [`Family::register`] with this `T`.
unsafe extern "C" fn doit_trampoline<T: Commands>(
    _skb: *mut bindings::sk_buff,
    info: *mut bindings::genl_info,
) -> c_int {
    // SAFETY: The core calls us with a valid `info` whose family is ours.
    let family = unsafe { family_of::<T>((*info).family) };
    // SAFETY: The core parsed the request against our policy into
    // `info->attrs`, an entry per id up to `maxattr`, valid during the call.
    let table = unsafe {
        core::slice::from_raw_parts((*info).attrs, (*family.as_raw()).maxattr as usize + 1)
    };
    let mut req = Request {
        info,
        family: family.as_raw(),
        // INVARIANT: Validated against the family's policy, as above.
        attrs: Attrs { table },
    };
    match family.handler.doit(&mut req) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The `dumpit` of every dump command: dispatches to `T::dumpit`.
///
/// # Safety
///
/// As for [`doit_trampoline`].
unsafe extern "C" fn dumpit_trampoline<T: Commands>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> c_int {
    // SAFETY: The core calls us with a valid `cb` of a dump of our family.
    let raw = unsafe { ffi::lana_genl_dump_family(cb) };
    // SAFETY: That family is ours.
    let family = unsafe { family_of::<T>(raw) };
    let mut dump = Dump {
        skb,
        cb,
        family: raw,
        added: false,
        _lifetime: PhantomData,
    };
    match family.handler.dumpit(&mut dump) {
        // A dump ends when a call adds nothing; otherwise it is called again.
        // SAFETY: `skb` is valid for the duration of the call.
        Ok(()) if dump.added => unsafe { (*skb).len as c_int },
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Writes `args` into an extack's message buffer (NL_SET_ERR_MSG_FMT).
///
/// # Safety
///
/// `extack` must be null or valid for writes.
unsafe fn set_extack(extack: *mut bindings::netlink_ext_ack, args: fmt::Arguments<'_>) {
    // SAFETY: Guaranteed by the caller.
    let Some(extack) = (unsafe { extack.as_mut() }) else {
        return;
    };
    let mut buf = MessageBuf {
        buf: &mut extack._msg_buf,
        len: 0,
    };
    let _ = fmt::write(&mut buf, args);
    let end = buf.len;
    extack._msg_buf[end] = 0;
    extack._msg = extack._msg_buf.as_ptr();
}

/// Formats into a fixed C buffer, truncating, always leaving room for a NUL.
struct MessageBuf<'a> {
    buf: &'a mut [c_char],
    len: usize,
}

impl fmt::Write for MessageBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len + 1 >= self.buf.len() {
                break;
            }
            self.buf[self.len] = b as c_char;
            self.len += 1;
        }
        Ok(())
    }
}

/// The payload of `attr` (empty when null).
///
/// # Safety
///
/// `attr` must be null or a validated attribute, valid for `'a`.
unsafe fn nla_payload<'a>(attr: *const bindings::nlattr) -> &'a [u8] {
    if attr.is_null() {
        return &[];
    }
    // SAFETY: A validated attribute has `nla_len` bytes, header included.
    unsafe {
        let len = usize::from((*attr).nla_len).saturating_sub(NLA_HDRLEN);
        core::slice::from_raw_parts(attr.cast::<u8>().add(NLA_HDRLEN), len)
    }
}

/// The attributes of a validated request (or of one element of an
/// [`AttrKind::Requests`] array), indexed by id.
///
/// # Invariants
///
/// `table` has an entry for every id of the family's policy, each null or
/// an attribute validated against that policy, valid for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Attrs<'a> {
    table: &'a [*mut bindings::nlattr],
}

impl<'a> Attrs<'a> {
    /// Attribute `id`, if present (null if not, or not in the policy).
    fn raw(&self, id: u16) -> *mut bindings::nlattr {
        self.table
            .get(usize::from(id))
            .copied()
            .unwrap_or(null_mut())
    }

    /// String attribute `id`, if present. `id` must be in the policy.
    pub(crate) fn str_attr(&self, id: u16) -> Option<&'a CStr> {
        let attr = self.raw(id);
        // SAFETY: `attr` is null or validated as NLA_NUL_STRING, valid for
        // `'a` (type invariant).
        let payload = unsafe { nla_payload(attr) };
        // The policy guaranteed a NUL in a present string.
        (!attr.is_null())
            .then(|| CStr::from_bytes_until_nul(payload).ok())
            .flatten()
    }

    /// The strings in nest `id` (an [`AttrKind::Strings`] attribute), in
    /// order; none when the nest is absent.
    pub(crate) fn strings(&self, id: u16) -> impl Iterator<Item = &'a CStr> {
        // SAFETY: A present nest was validated: `nla_len` bytes holding
        // well-formed string attributes (type invariant).
        let rest = unsafe { nla_payload(self.raw(id)) };
        // The policy guaranteed a NUL in each string.
        NlaIter { rest }.filter_map(|(_, payload)| CStr::from_bytes_until_nul(payload).ok())
    }

    /// Whether flag attribute `id` is present.
    pub(crate) fn flag(&self, id: u16) -> bool {
        !self.raw(id).is_null()
    }

    /// The value of [`AttrKind::U32`] attribute `id`, if present.
    pub(crate) fn u32_attr(&self, id: u16) -> Option<u32> {
        // SAFETY: A present NLA_U32 attribute was validated: at least 4
        // payload bytes (type invariant).
        let payload = unsafe { nla_payload(self.raw(id)) };
        Some(u32::from_ne_bytes(payload.get(..4)?.try_into().ok()?))
    }

    /// Appends the elements of an [`AttrKind::Requests`] array's payload
    /// `rest` (validated against the policy, valid for `'a`) to `out`, each
    /// as a table of its attributes.
    fn push_requests(&self, rest: &'a [u8], out: &mut KVVec<AttrTable<'a>>) -> Result {
        for (_, element) in (NlaIter { rest }) {
            let mut table = KVec::new();
            table.resize(self.table.len(), null_mut(), GFP_KERNEL)?;
            for (ty, payload) in (NlaIter { rest: element }) {
                if let Some(slot) = table.get_mut(usize::from(ty)) {
                    // The attribute's header precedes its payload; the last
                    // of a repeated id wins, as in `nla_parse`.
                    *slot = payload.as_ptr().wrapping_sub(NLA_HDRLEN).cast_mut().cast();
                }
            }
            out.push(
                AttrTable {
                    table,
                    _lifetime: PhantomData,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(())
    }
}

/// The attribute table of one element of an [`AttrKind::Requests`] array.
///
/// # Invariants
///
/// As for [`Attrs`]: an entry per policy id, each null or a validated
/// attribute valid for `'a`.
pub(crate) struct AttrTable<'a> {
    table: KVec<*mut bindings::nlattr>,
    _lifetime: PhantomData<&'a ()>,
}

impl<'a> AttrTable<'a> {
    pub(crate) fn attrs(&self) -> Attrs<'_> {
        // INVARIANT: Built by `Attrs::requests` from validated attributes.
        Attrs { table: &self.table }
    }
}

/// The attributes in a validated run of attributes: (type without flags,
/// payload) each.
struct NlaIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for NlaIter<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let len = usize::from(u16::from_ne_bytes([
            *self.rest.first()?,
            *self.rest.get(1)?,
        ]));
        let ty = u16::from_ne_bytes([*self.rest.get(2)?, *self.rest.get(3)?]);
        let payload = self.rest.get(NLA_HDRLEN..len)?;
        self.rest = self.rest.get(len.next_multiple_of(4)..).unwrap_or(&[]);
        Some((ty & NLA_TYPE_MASK, payload))
    }
}

/// The bits of `nla_type` that are the type (NLA_TYPE_MASK).
const NLA_TYPE_MASK: u16 = !((bindings::NLA_F_NESTED | bindings::NLA_F_NET_BYTEORDER) as u16);

/// A `doit` request being served.
///
/// # Invariants
///
/// `info` and `family` are the valid arguments of the running `doit`
/// call, which outlives `'a`.
pub(crate) struct Request<'a> {
    info: *mut bindings::genl_info,
    family: *const bindings::genl_family,
    /// The request's attributes, `info->attrs`.
    attrs: Attrs<'a>,
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
    skb: NonNull<bindings::sk_buff>,
    hdr: *mut c_void,
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
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
    family: *const bindings::genl_family,
    added: bool,
    _lifetime: PhantomData<&'a ()>,
}

/// One message of a dump being built.
pub(crate) struct DumpMessage {
    skb: *mut bindings::sk_buff,
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

/// The registered family, for multicasts made outside a request (events).
/// Set once the family is registered; cleared, and a grace period waited
/// for, before it is unregistered. Read under the RCU read lock.
static REGISTERED: AtomicPtr<bindings::genl_family> = AtomicPtr::new(null_mut());

/// The events multicast group of the family, in one network namespace.
///
/// # Invariants
///
/// `net` is a live namespace for as long as the value lives: the value is
/// owned by that namespace's engine, which the namespace outlives.
pub(crate) struct EventGroup {
    net: NonNull<bindings::net>,
}

// SAFETY: A namespace may be referenced from any thread.
unsafe impl Send for EventGroup {}
// SAFETY: The methods only pass `net` to thread-safe kernel functions.
unsafe impl Sync for EventGroup {}

impl EventGroup {
    /// # Safety
    ///
    /// `net` must outlive the returned value.
    pub(crate) unsafe fn new(net: NonNull<bindings::net>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self { net }
    }

    /// Sends one message with command `cmd`, filled by `fill`, to the socket
    /// of port `portid` in the namespace. Atomic: callable from the packet
    /// path. `ECONNREFUSED` when that socket is gone.
    pub(crate) fn unicast(
        &self,
        portid: u32,
        cmd: u8,
        fill: impl FnOnce(&mut DumpMessage) -> Result,
    ) -> Result {
        let _guard = rcu::read_lock();
        let family = REGISTERED.load(Ordering::Acquire);
        if family.is_null() {
            return Err(ESRCH);
        }
        // SAFETY: We hold the RCU read lock, so `family` stays registered.
        let skb = unsafe { build(family, portid, cmd, fill)? };
        // SAFETY: We hand over the finished message; `net` is live (type
        // invariant).
        to_result(unsafe { ffi::lana_genlmsg_unicast(self.net.as_ptr(), skb.as_ptr(), portid) })
    }

    /// Multicasts one message with command `cmd`, filled by `fill`, to the
    /// group's listeners in the namespace; does nothing when there are none
    /// or the family is not registered. `fill` runs under the RCU read lock:
    /// it must not sleep.
    pub(crate) fn send(&self, cmd: u8, fill: impl FnOnce(&mut DumpMessage) -> Result) -> Result {
        let _guard = rcu::read_lock();
        let family = REGISTERED.load(Ordering::Acquire);
        if family.is_null() {
            return Ok(());
        }
        // SAFETY: `family` stays registered while we hold the RCU read lock
        // (see `REGISTERED`); `net` is live (type invariant).
        if unsafe { bindings::genl_has_listeners(family, self.net.as_ptr(), 0) } == 0 {
            return Ok(());
        }
        // SAFETY: As above: `family` is registered.
        let skb = unsafe { build(family, 0, cmd, fill)? };
        // SAFETY: We hand over the finished message; `net` is live.
        let ret = unsafe {
            ffi::lana_genlmsg_multicast_netns(family, self.net.as_ptr(), skb.as_ptr(), 0)
        };
        // Nobody listening (-ESRCH) is not a failure.
        match to_result(ret) {
            Err(e) if e == ESRCH => Ok(()),
            other => other,
        }
    }
}

/// A finished message of `family` with command `cmd`, addressed to port
/// `portid` (0 for multicast), filled by `fill`; allocated atomically.
///
/// # Safety
///
/// `family` must be registered for the duration of the call.
unsafe fn build(
    family: *const bindings::genl_family,
    portid: u32,
    cmd: u8,
    fill: impl FnOnce(&mut DumpMessage) -> Result,
) -> Result<NonNull<bindings::sk_buff>> {
    let mut hdr = core::ptr::null_mut();
    // SAFETY: `family` is registered (contract); `hdr` is writable.
    let skb = NonNull::new(unsafe { ffi::lana_genlmsg_new_atomic(family, portid, cmd, &mut hdr) })
        .ok_or(ENOMEM)?;
    let mut msg = DumpMessage { skb: skb.as_ptr() };
    if fill(&mut msg).is_err() {
        // SAFETY: We still own the message.
        unsafe { bindings::nlmsg_free(skb.as_ptr()) };
        return Err(EMSGSIZE);
    }
    // SAFETY: `hdr` heads the message in `skb`.
    unsafe { bindings::genlmsg_end(skb.as_ptr(), hdr) };
    Ok(skb)
}
