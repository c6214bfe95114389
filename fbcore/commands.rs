// SPDX-License-Identifier: GPL-2.0-only

//! The generic-netlink commands: decode a request, call the engine, answer.

use kernel::{alloc::KVVec, prelude::*, str::CString, sync::ArcBorrow};

use crate::attach::{Side, Tag};
use crate::block::{ConfigSink, Setting, StatSink};
use crate::counters::{Live, WALK_COUNT};
use crate::engine::{Change, Control, Engine, Mode};
use crate::error::{ctl_err, shown, CtlError, CtlResult};
use crate::event::Event;
use crate::fbs;
use crate::name::Name;
use crate::registry::{Entry, Registry};
use crate::uapi::{attr, cmd, NAME_MAX, OPTION_MAX};
use crate::vlink::net::genetlink::{
    self, AttrKind, AttrSpec, AttrWriter, Attrs, Dump, DumpMessage, OpKind, OpSpec, Request,
};

mod decode;
mod reads;

use decode::*;
use reads::*;

/// Longest device name (IFNAMSIZ - 1).
const DEV_NAME_MAX: u16 = 15;

/// Longest tag text ("ethertype=0xffff" and some).
const TAG_MAX: usize = 31;

const fn string(id: u16, max_len: usize) -> AttrSpec {
    AttrSpec {
        id,
        kind: AttrKind::String {
            max_len: max_len as u16,
        },
    }
}

const fn flag(id: u16) -> AttrSpec {
    AttrSpec {
        id,
        kind: AttrKind::Flag,
    }
}

/// How the kernel validates each request attribute.
pub(crate) const POLICY: [AttrSpec; 18] = [
    string(attr::BLOCK_NAME, NAME_MAX),
    string(attr::BLOCK_TYPE, NAME_MAX),
    string(attr::UPPER, NAME_MAX),
    string(attr::LOWER, NAME_MAX),
    string(attr::NEW_NAME, NAME_MAX),
    string(attr::PEER, NAME_MAX),
    string(attr::PORT, NAME_MAX),
    string(attr::DEV_NAME, DEV_NAME_MAX as usize),
    string(attr::TAG, TAG_MAX),
    AttrSpec {
        id: attr::COUNT,
        kind: AttrKind::U32,
    },
    AttrSpec {
        id: attr::REQUEST_CMD,
        kind: AttrKind::U32,
    },
    AttrSpec {
        id: attr::REVISION,
        kind: AttrKind::U32,
    },
    AttrSpec {
        id: attr::REQUESTS,
        kind: AttrKind::Requests,
    },
    flag(attr::DRY_RUN),
    flag(attr::DROP_STATE),
    flag(attr::PER_CPU),
    flag(attr::CASCADE),
    AttrSpec {
        id: attr::OPTIONS,
        kind: AttrKind::Strings {
            inner: attr::OPTION,
            max_len: OPTION_MAX as u16,
        },
    },
];

/// A command that changes the engine: needs CAP_NET_ADMIN.
const fn change(cmd: u8) -> OpSpec {
    OpSpec {
        cmd,
        kind: OpKind::Do,
        admin: true,
    }
}

/// A command that reads, answered in one message or as a dump.
const fn read(cmd: u8, kind: OpKind) -> OpSpec {
    OpSpec {
        cmd,
        kind,
        admin: false,
    }
}

/// Every command.
pub(crate) const OPS: [OpSpec; 21] = [
    change(cmd::ADD),
    change(cmd::RM),
    change(cmd::BIND),
    change(cmd::UNBIND),
    change(cmd::ATTACH),
    change(cmd::DETACH),
    change(cmd::REPLACE),
    change(cmd::SET),
    change(cmd::RESET),
    change(cmd::SUBSCRIBE),
    change(cmd::UNSUBSCRIBE),
    // Tracing shows what packets went where: an administrator's business.
    change(cmd::TRACE),
    change(cmd::APPLY),
    read(cmd::REVISION, OpKind::Do),
    read(cmd::LIST, OpKind::Dump),
    read(cmd::STATS, OpKind::Do),
    read(cmd::SHOW, OpKind::Do),
    read(cmd::GET, OpKind::Do),
    read(cmd::TYPES, OpKind::Dump),
    read(cmd::ATTACHMENTS, OpKind::Dump),
    read(cmd::DETAILS, OpKind::Dump),
];

/// Serves the family's commands, each with the engine of the caller's
/// network namespace.
pub(crate) struct Commands;

impl Commands {
    /// Makes the change a single command asks for: a batch of one, through
    /// the same transaction as `APPLY`, so that it is made whole or not at
    /// all.
    fn change(engine: ArcBorrow<'_, Engine>, req: &Request<'_>, cmd: u8) -> CtlResult {
        let change = requested_change(cmd, req)?;
        Engine::apply(
            engine,
            req.net(),
            core::slice::from_ref(&change),
            None,
            Mode::Commit,
        )
        .map(drop)
        .map_err(|refusal| refusal.error)
    }

    /// Applies the batch of `REQUESTS` as one transaction; a refusal's
    /// cookie is the index of the request at fault.
    fn apply(engine: ArcBorrow<'_, Engine>, req: &mut Request<'_>) -> CtlResult {
        // A batch too large for one attribute comes as several in the
        // message: one transaction all the same.
        let tables = req.all_requests(attr::REQUESTS)?;
        let mut changes = KVVec::with_capacity(tables.len(), GFP_KERNEL)?;
        for (index, table) in tables.iter().enumerate() {
            match batch_change(&table.attrs()) {
                Ok(change) => changes.push(change, GFP_KERNEL)?,
                Err(e) => {
                    req.set_cookie(index as u32);
                    return Err(e);
                }
            }
        }
        let mode = if req.flag(attr::DRY_RUN) {
            Mode::DryRun
        } else {
            Mode::Commit
        };
        let expect = req.u32_attr(attr::REVISION);
        // The answer exists before the batch is made: a batch made cannot
        // then be reported as failed for want of memory.
        let mut reply = req.prepare_reply(cmd::APPLY)?;
        match Engine::apply(engine, req.net(), &changes, expect, mode) {
            Ok(revision) => {
                reply.put_u32(attr::REVISION, revision)?;
                Ok(req.send(reply)?)
            }
            Err(refusal) => {
                if let Some(index) = refusal.index {
                    req.set_cookie(index as u32);
                }
                Err(refusal.error)
            }
        }
    }

    fn run(req: &mut Request<'_>) -> CtlResult {
        let net = req.net();
        let engine = net.pernet();
        match req.cmd() {
            cmd @ (cmd::ADD
            | cmd::RM
            | cmd::BIND
            | cmd::UNBIND
            | cmd::ATTACH
            | cmd::DETACH
            | cmd::SET
            | cmd::SUBSCRIBE
            | cmd::UNSUBSCRIBE
            | cmd::REPLACE) => Self::change(engine, req, cmd),
            cmd::TRACE => engine.trace(
                net,
                str_attr(req, attr::DEV_NAME, "device name")?,
                req.u32_attr(attr::COUNT)
                    .ok_or_else(|| ctl_err!(EINVAL, "missing packet count"))?,
                req.portid(),
            ),
            cmd::APPLY => Self::apply(engine, req),
            cmd::REVISION => Self::revision(&engine, req),
            cmd::STATS => Self::stats(&engine, req),
            cmd::SHOW => Self::show(&engine, req),
            cmd::GET => Self::get(&engine, req),
            cmd::RESET => engine.reset(&name_attr(req, attr::BLOCK_NAME, "block name")?),
            other => Err(ctl_err!(EOPNOTSUPP, "unknown command {other}")),
        }
    }
}

impl genetlink::Commands for Commands {
    fn doit(&self, req: &mut Request<'_>) -> Result {
        Self::run(req).map_err(|e| {
            if !e.message().is_empty() {
                req.set_error(format_args!("{}", e.message()));
            }
            e.errno()
        })
    }

    fn dumpit(&self, dump: &mut Dump<'_>) -> Result {
        // A dump that already finished is called once more; report the end.
        if dump.position() == DUMP_DONE {
            return Ok(());
        }
        let engine = dump.net().pernet();
        match dump.cmd() {
            cmd::LIST => Self::dump_blocks(&engine, dump),
            cmd::TYPES => Self::dump_types(dump),
            cmd::ATTACHMENTS => Self::dump_attachments(&engine, dump),
            cmd::DETAILS => Self::dump_details(&engine, dump),
            _ => Err(EOPNOTSUPP),
        }
    }
}

/// Writes `event` as the attributes of an `EVENT` message.
pub(crate) fn put_event(m: &mut impl AttrWriter, event: &Event) -> Result {
    m.put_str(attr::EVENT, event.kind.name())?;
    m.put_bytes_str(attr::BLOCK_NAME, event.block.as_bytes())?;
    if let Some(peer) = event.peer {
        m.put_bytes_str(attr::PEER, peer.as_bytes())?;
    }
    if let Some(dev) = event.dev() {
        m.put_bytes_str(attr::DEV_NAME, dev)?;
    }
    Ok(())
}

impl From<CtlError> for Error {
    fn from(e: CtlError) -> Self {
        e.errno()
    }
}
