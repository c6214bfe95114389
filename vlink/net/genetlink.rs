// SPDX-License-Identifier: GPL-2.0-only

//! A generic-netlink family with commands, for the control path.
//!
//! 7.3's `kernel::net::netlink` only exposes multicast groups; this adds what
//! a command family needs: an ops table and attribute policy, requests with
//! their attributes and extack, replies and dumps. One generic trampoline per
//! kind of op dispatches to a [`Commands`] implementation, found from the
//! family pointer the kernel passes back (`container_of`), so there is no
//! global state.
//!
//! C header: [`include/net/genetlink.h`](srctree/include/net/genetlink.h)

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

use crate::vlink::{ffi, net::device::Namespace};

mod attrs;
mod events;
mod message;
mod request;

use attrs::*;
pub(crate) use attrs::{AttrTable, Attrs};
pub(crate) use events::EventGroup;
use events::*;
pub(crate) use message::{AttrWriter, Dump, DumpMessage, Reply, REPLY_MAX};
pub(crate) use request::Request;

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
