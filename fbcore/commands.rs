// SPDX-License-Identifier: GPL-2.0

//! The generic-netlink commands: decode a request, call the engine, answer.

use kernel::prelude::*;

use crate::block::StatSink;
use crate::engine::Engine;
use crate::error::{ctl_err, shown, CtlError, CtlResult};
use crate::fbs;
use crate::name::Name;
use crate::uapi::{attr, cmd, NAME_MAX};
use crate::vlink::genl::{
    self, AttrKind, AttrSpec, AttrWriter, Dump, DumpMessage, OpKind, OpSpec, Request,
};

/// Longest device name (IFNAMSIZ - 1).
const DEV_NAME_MAX: u16 = 15;

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
pub(crate) const POLICY: [AttrSpec; 7] = [
    string(attr::BLOCK_NAME, NAME_MAX),
    string(attr::BLOCK_TYPE, NAME_MAX),
    string(attr::UPPER, NAME_MAX),
    string(attr::LOWER, NAME_MAX),
    string(attr::NEW_NAME, NAME_MAX),
    string(attr::DEV_NAME, DEV_NAME_MAX as usize),
    flag(attr::DROP_STATE),
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
pub(crate) const OPS: [OpSpec; 11] = [
    change(cmd::ADD),
    change(cmd::RM),
    change(cmd::BIND),
    change(cmd::UNBIND),
    change(cmd::ATTACH),
    change(cmd::DETACH),
    change(cmd::REPLACE),
    read(cmd::LIST, OpKind::Dump),
    read(cmd::STATS, OpKind::Do),
    read(cmd::TYPES, OpKind::Dump),
    read(cmd::ATTACHMENTS, OpKind::Dump),
];

/// Serves the family's commands, each with the engine of the caller's
/// network namespace.
pub(crate) struct Commands;

impl Commands {
    fn add(engine: &Engine, req: &Request<'_>) -> CtlResult {
        let name = name_attr(req, attr::BLOCK_NAME, "block name")?;
        let kind_raw = str_attr(req, attr::BLOCK_TYPE, "block type")?;
        let kind = fbs::find(kind_raw.to_bytes()).ok_or_else(|| {
            let kind = shown(kind_raw);
            ctl_err!(ENOENT, "unknown block type '{kind}' (see lanactl types)")
        })?;
        engine.add(name, kind).map(|_| ())
    }

    fn stats(engine: &Engine, req: &Request<'_>) -> CtlResult {
        let mut reply = req.reply(cmd::STATS)?;
        match req.str_attr(attr::BLOCK_NAME) {
            Some(raw) => {
                let name = Name::new(raw.to_bytes(), "block name")?;
                reply.put_str(attr::BLOCK_NAME, raw)?;
                engine.with_control(|control| -> CtlResult {
                    let entry = control.registry().lookup(&name)?;
                    reply.nest(attr::STATS, |w| entry.block.stats(&mut StatWriter(w)))?;
                    Ok(())
                })?;
            }
            None => reply.nest(attr::STATS, |w| engine.stats(&mut StatWriter(w)))?,
        }
        Ok(req.send(reply)?)
    }

    fn dump_blocks(engine: &Engine, dump: &mut Dump<'_>) -> Result {
        engine.with_control(|control| {
            let registry = control.registry();
            let name_of = |id: Option<u32>| id.and_then(|id| registry.get(id)).map(|e| e.name);
            // Keyed by id: blocks added or removed between calls do not
            // shift the others.
            let blocks = registry.entries().iter().map(|e| (e.id as usize, e));
            dump_each(dump, cmd::LIST, blocks, |m, entry| {
                m.nest(attr::BLOCK, |m| {
                    m.put_u32(attr::BLOCK_ID, entry.id)?;
                    m.put_bytes_str(attr::BLOCK_NAME, entry.name.as_bytes())?;
                    m.put_str(attr::BLOCK_TYPE, entry.kind.name)?;
                    if let Some(up) = name_of(entry.upper) {
                        m.put_bytes_str(attr::UPPER, up.as_bytes())?;
                    }
                    if let Some(low) = name_of(entry.lower) {
                        m.put_bytes_str(attr::LOWER, low.as_bytes())?;
                    }
                    Ok(())
                })
            })
        })
    }

    fn dump_types(dump: &mut Dump<'_>) -> Result {
        dump_each(
            dump,
            cmd::TYPES,
            fbs::TYPES.iter().enumerate(),
            |m, kind| {
                m.nest(attr::TYPE, |m| {
                    m.put_str(attr::BLOCK_TYPE, kind.name)?;
                    m.put_str(attr::DESCRIPTION, kind.description)
                })
            },
        )
    }

    fn dump_attachments(engine: &Engine, dump: &mut Dump<'_>) -> Result {
        engine.with_control(|control| {
            dump_each(
                dump,
                cmd::ATTACHMENTS,
                control.attached().iter().enumerate(),
                |m, a| {
                    let block = control.registry().get(a.block()).map(|e| e.name);
                    m.nest(attr::ATTACHMENT, |m| {
                        m.put_str(attr::DEV_NAME, a.device_name())?;
                        m.put_u32(attr::DEV_IFINDEX, a.ifindex() as u32)?;
                        match block {
                            Some(name) => m.put_bytes_str(attr::BLOCK_NAME, name.as_bytes()),
                            None => Ok(()),
                        }
                    })
                },
            )
        })
    }

    fn run(req: &mut Request<'_>) -> CtlResult {
        let net = req.net();
        let engine = net.engine();
        match req.cmd() {
            cmd::ADD => Self::add(&engine, req),
            cmd::RM => engine.remove(&name_attr(req, attr::BLOCK_NAME, "block name")?),
            cmd::BIND => engine.bind(
                &name_attr(req, attr::UPPER, "upper block name")?,
                &name_attr(req, attr::LOWER, "lower block name")?,
            ),
            cmd::UNBIND => engine.unbind(
                &name_attr(req, attr::UPPER, "upper block name")?,
                &name_attr(req, attr::LOWER, "lower block name")?,
            ),
            cmd::ATTACH => Engine::attach(
                engine,
                net,
                str_attr(req, attr::DEV_NAME, "device name")?,
                &name_attr(req, attr::BLOCK_NAME, "block name")?,
            ),
            cmd::DETACH => engine.detach(net, str_attr(req, attr::DEV_NAME, "device name")?),
            cmd::STATS => Self::stats(&engine, req),
            cmd::REPLACE => engine.replace(
                &name_attr(req, attr::BLOCK_NAME, "block name")?,
                &name_attr(req, attr::NEW_NAME, "new block name")?,
                !req.flag(attr::DROP_STATE),
            ),
            other => Err(ctl_err!(EOPNOTSUPP, "unknown command {other}")),
        }
    }
}

impl genl::Commands for Commands {
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
        let engine = dump.net().engine();
        match dump.cmd() {
            cmd::LIST => Self::dump_blocks(&engine, dump),
            cmd::TYPES => Self::dump_types(dump),
            cmd::ATTACHMENTS => Self::dump_attachments(&engine, dump),
            _ => Err(EOPNOTSUPP),
        }
    }
}

/// Appends one dump message per item, in key order, from the key where the
/// previous call stopped; when the buffer is full, records where to resume.
fn dump_each<T>(
    dump: &mut Dump<'_>,
    cmd: u8,
    items: impl Iterator<Item = (usize, T)>,
    mut fill: impl FnMut(&mut DumpMessage, T) -> Result,
) -> Result {
    let from = dump.position();
    for (key, item) in items.filter(|(key, _)| *key >= from) {
        if !dump.message(cmd, |m| fill(m, item))? {
            dump.set_position(key);
            return Ok(());
        }
    }
    dump.set_position(DUMP_DONE);
    Ok(())
}

/// The position of a dump that has sent everything.
const DUMP_DONE: usize = usize::MAX;

/// A required string attribute.
fn str_attr<'a>(req: &Request<'a>, id: u16, what: &str) -> CtlResult<&'a CStr> {
    req.str_attr(id)
        .ok_or_else(|| ctl_err!(EINVAL, "missing {what}"))
}

/// A required name attribute, validated.
fn name_attr(req: &Request<'_>, id: u16, what: &str) -> CtlResult<Name> {
    Name::new(str_attr(req, id, what)?.to_bytes(), what)
}

/// Reports statistics as nested `STAT` attributes.
struct StatWriter<'a, W: AttrWriter>(&'a mut W);

impl<W: AttrWriter> StatSink for StatWriter<'_, W> {
    fn stat(&mut self, name: &CStr, value: u64) -> Result {
        self.0.nest(attr::STAT, |w| {
            w.put_str(attr::STAT_NAME, name)?;
            w.put_u64(attr::STAT_VALUE, value, attr::PAD)
        })
    }
}

impl From<CtlError> for Error {
    fn from(e: CtlError) -> Self {
        e.errno()
    }
}
