// SPDX-License-Identifier: GPL-2.0

//! The generic-netlink commands: decode a request, call the engine, answer.

use kernel::{alloc::KVVec, prelude::*, str::CString, sync::ArcBorrow};

use crate::attach::{Side, Tag};
use crate::block::{ConfigSink, Setting, StatSink};
use crate::counters::{Live, WALK_COUNT};
use crate::engine::{Change, Engine, Mode};
use crate::error::{ctl_err, shown, CtlError, CtlResult};
use crate::event::Event;
use crate::fbs;
use crate::name::Name;
use crate::registry::{Entry, Registry};
use crate::uapi::{attr, cmd, NAME_MAX, OPTION_MAX};
use crate::vlink::genl::{
    self, AttrKind, AttrSpec, AttrWriter, Attrs, Dump, DumpMessage, OpKind, OpSpec, Request,
};

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

    fn revision(engine: &Engine, req: &mut Request<'_>) -> CtlResult {
        let revision = engine.with_control(|c| c.revision());
        Ok(req.answer(cmd::REVISION, |r| r.put_u32(attr::REVISION, revision))?)
    }

    fn get(engine: &Engine, req: &mut Request<'_>) -> CtlResult {
        let name = name_attr(req, attr::BLOCK_NAME, "block name")?;
        // The block's existence is checked first, so that a missing block
        // is its own refusal, not a failure to fill the reply.
        engine.with_control(|control| control.registry().lookup(&name).map(|_| ()))?;
        Ok(req.answer(cmd::GET, |reply| {
            reply.put_bytes_str(attr::BLOCK_NAME, name.as_bytes())?;
            engine.with_control(|control| {
                let entry = control.registry().lookup(&name).map_err(|_| ENOENT)?;
                reply.nest(attr::CONFIG, |w| entry.block.config(&mut ConfigWriter(w)))
            })
        })?)
    }

    /// The counters come as `STAT` attributes at the top of the reply, not
    /// in a nest: the per-CPU view of a block on many CPUs is longer than
    /// a nest can be.
    fn stats(engine: &Engine, req: &mut Request<'_>) -> CtlResult {
        let per_cpu = req.flag(attr::PER_CPU);
        let Some(raw) = req.str_attr(attr::BLOCK_NAME) else {
            return Ok(req.answer(cmd::STATS, |out| {
                engine.stats(&mut StatWriter { out, per_cpu })
            })?);
        };
        let name = Name::new(raw.to_bytes(), "block name")?;
        engine.with_control(|control| control.registry().lookup(&name).map(|_| ()))?;
        Ok(req.answer(cmd::STATS, |reply| {
            reply.put_str(attr::BLOCK_NAME, raw)?;
            engine.with_control(|control| {
                let entry = control.registry().lookup(&name).map_err(|_| ENOENT)?;
                block_stats(reply, engine, entry, per_cpu)
            })
        })?)
    }

    /// The lists (subscriptions, subscribers, devices, port bindings) come
    /// at the top of the reply, after the `BLOCK` nest: a block may have
    /// more subscribers than a nest can hold.
    fn show(engine: &Engine, req: &mut Request<'_>) -> CtlResult {
        let name = name_attr(req, attr::BLOCK_NAME, "block name")?;
        engine.with_control(|control| control.registry().lookup(&name).map(|_| ()))?;
        Ok(req.answer(cmd::SHOW, |reply| {
            engine.with_control(|control| {
                let registry = control.registry();
                let entry = registry.lookup(&name).map_err(|_| ENOENT)?;
                put_detail(reply, registry, entry, &engine.live_walks(&entry.walks)?)?;
                for subscriber in registry.subscribers_of(entry.id) {
                    reply.put_bytes_str(attr::SUBSCRIBER, subscriber.name.as_bytes())?;
                }
                for a in control.attached().iter().filter(|a| a.block() == entry.id) {
                    reply.put_str(attr::DEV_NAME, a.device_name())?;
                }
                Ok(())
            })
        })?)
    }

    fn dump_blocks(engine: &Engine, dump: &mut Dump<'_>) -> Result {
        engine.with_control(|control| {
            let registry = control.registry();
            // Keyed by id: blocks added or removed between calls do not
            // shift the others.
            let blocks = registry.entries().iter().map(|e| (e.id as usize, e));
            dump_each(dump, cmd::LIST, blocks, |m, entry| {
                m.nest(attr::BLOCK, |m| put_block(m, registry, entry))
            })
        })
    }

    /// Every block in full, one message each (`DETAILS`); a block whose
    /// detail does not fit a message of its own comes as its `BLOCK` nest
    /// marked `INCOMPLETE`, so the dump neither fails nor stalls on it.
    fn dump_details(engine: &Engine, dump: &mut Dump<'_>) -> Result {
        engine.with_control(|control| {
            let registry = control.registry();
            let entries = registry.entries();
            // Keyed by id, as `LIST`; entries are in id order.
            let from = entries.partition_point(|e| (e.id as usize) < dump.position());
            // The live walk counts of a few blocks at a time: one pass over
            // the tally each, not one per block.
            for chunk in entries[from..].chunks(DETAILS_CHUNK) {
                let mut walks = KVec::with_capacity(chunk.len(), GFP_KERNEL)?;
                for entry in chunk {
                    walks.push(&*entry.walks, GFP_KERNEL)?;
                }
                let lives = engine.live_walks_of(&walks)?;
                for (entry, live) in chunk.iter().zip(lives.iter()) {
                    let full = |m: &mut DumpMessage| put_detail(m, registry, entry, live);
                    let written = match dump.message(cmd::DETAILS, full) {
                        Err(e) if e == EMSGSIZE => dump.message(cmd::DETAILS, |m| {
                            m.nest(attr::BLOCK, |m| put_block(m, registry, entry))?;
                            m.put_flag(attr::INCOMPLETE)
                        })?,
                        written => written?,
                    };
                    if !written {
                        dump.set_position(entry.id as usize);
                        return Ok(());
                    }
                }
            }
            dump.set_position(DUMP_DONE);
            Ok(())
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
                    m.put_str(attr::DESCRIPTION, kind.description)?;
                    for key in kind.keys {
                        m.nest(attr::KEY, |m| {
                            m.put_str(attr::KEY_NAME, key.name)?;
                            m.put_str(attr::KEY_SYNTAX, key.syntax)?;
                            m.put_str(attr::KEY_DEFAULT, key.default)?;
                            m.put_str(attr::DESCRIPTION, key.help)
                        })?;
                    }
                    Ok(())
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
                        let side = match a.side() {
                            Side::Bottom => c"bottom",
                            Side::Top => c"top",
                        };
                        m.put_str(attr::SIDE, side)?;
                        if let Some(tag) = a.tag() {
                            m.put_str(attr::TAG, &CString::try_from_fmt(format_args!("{tag}"))?)?;
                        }
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
            cmd @ (cmd::ADD | cmd::RM | cmd::BIND | cmd::UNBIND | cmd::ATTACH | cmd::DETACH) => {
                Self::change(engine, req, cmd)
            }
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
            cmd::SET => engine.set(
                &name_attr(req, attr::BLOCK_NAME, "block name")?,
                &settings(req)?,
                net,
            ),
            cmd::SUBSCRIBE => engine.subscribe(
                &name_attr(req, attr::BLOCK_NAME, "block name")?,
                &name_attr(req, attr::PEER, "block name to subscribe to")?,
            ),
            cmd::UNSUBSCRIBE => engine.unsubscribe(
                &name_attr(req, attr::BLOCK_NAME, "block name")?,
                &name_attr(req, attr::PEER, "block name to unsubscribe from")?,
            ),
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
            cmd::DETAILS => Self::dump_details(&engine, dump),
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

/// Blocks whose live counts a `DETAILS` dump reads at once: about what
/// one dump message holds.
const DETAILS_CHUNK: usize = 64;

/// The position of a dump that has sent everything.
const DUMP_DONE: usize = usize::MAX;

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

/// A block in full but for who subscribes to it and which devices feed
/// it: its `BLOCK` nest, then at the top (lists may outgrow a nest) what it
/// subscribes to and where its bound ports lead, its `CONFIG` and `STATS`.
fn put_detail(
    m: &mut impl AttrWriter,
    registry: &Registry,
    entry: &Entry,
    live: &Live<WALK_COUNT>,
) -> Result {
    m.nest(attr::BLOCK, |m| put_block(m, registry, entry))?;
    for id in entry.subscribed_to() {
        if let Some(target) = registry.get(id) {
            m.put_bytes_str(attr::SUBSCRIBED_TO, target.name.as_bytes())?;
        }
    }
    for (port, to) in registry.port_bindings(entry) {
        let mut text = KVec::new();
        text.extend_from_slice(port.as_bytes(), GFP_KERNEL)?;
        text.push(b'=', GFP_KERNEL)?;
        text.extend_from_slice(to.as_bytes(), GFP_KERNEL)?;
        m.put_bytes_str(attr::PORT_BINDING, &text)?;
    }
    m.nest(attr::CONFIG, |w| entry.block.config(&mut ConfigWriter(w)))?;
    m.nest(attr::STATS, |w| stats_with_live(w, entry, false, live))
}

/// The attributes every block description carries: id, name, type, and
/// the blocks above and below it.
fn put_block(m: &mut impl AttrWriter, registry: &Registry, entry: &Entry) -> Result {
    let name_of = |id: Option<u32>| id.and_then(|id| registry.get(id)).map(|e| e.name);
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
}

/// A block's statistics, plus the events it has received (kept by the
/// engine for every block).
/// The statistics of block `entry`; the engine's control lock is held.
fn block_stats(out: &mut impl AttrWriter, engine: &Engine, entry: &Entry, per_cpu: bool) -> Result {
    stats_with_live(out, entry, per_cpu, &engine.live_walks(&entry.walks)?)
}

/// [`block_stats`] with the live walk counts already read.
fn stats_with_live(
    out: &mut impl AttrWriter,
    entry: &Entry,
    per_cpu: bool,
    live: &Live<WALK_COUNT>,
) -> Result {
    let mut stats = StatWriter { out, per_cpu };
    entry.block.stats(&mut stats)?;
    entry.walks.report(&mut stats, live)?;
    stats.value(c"events", entry.inbox.received())
}

/// The `key=value` options of a request (`OPTIONS`), in order.
fn settings<'a>(req: &Attrs<'a>) -> CtlResult<KVec<Setting<'a>>> {
    let mut settings = KVec::new();
    for option in req.strings(attr::OPTIONS) {
        let text = option
            .to_str()
            .map_err(|_| ctl_err!(EINVAL, "option is not UTF-8"))?;
        let (key, value) = text
            .split_once('=')
            .filter(|(key, _)| !key.is_empty())
            .ok_or_else(|| ctl_err!(EINVAL, "option '{text}' is not key=value"))?;
        settings.push(Setting { key, value }, GFP_KERNEL)?;
    }
    Ok(settings)
}

/// Reports a configuration as `OPTION` attributes, `key=value` each.
struct ConfigWriter<'a, W: AttrWriter>(&'a mut W);

impl<W: AttrWriter> ConfigSink for ConfigWriter<'_, W> {
    fn option(&mut self, key: &CStr, value: &[u8]) -> Result {
        let key = key.to_bytes();
        let mut text = KVec::with_capacity(key.len() + 1 + value.len(), GFP_KERNEL)?;
        text.extend_from_slice(key, GFP_KERNEL)?;
        text.push(b'=', GFP_KERNEL)?;
        text.extend_from_slice(value, GFP_KERNEL)?;
        self.0.put_bytes_str(attr::OPTION, &text)
    }
}

/// The block type named by `BLOCK_TYPE`.
fn block_type(req: &Attrs<'_>) -> CtlResult<&'static crate::block::BlockType> {
    let raw = str_attr(req, attr::BLOCK_TYPE, "block type")?;
    fbs::find(raw.to_bytes()).ok_or_else(|| {
        let kind = shown(raw);
        ctl_err!(ENOENT, "unknown block type '{kind}' (see lanactl types)")
    })
}

/// One request of an `APPLY` batch, decoded.
fn batch_change<'a>(req: &Attrs<'a>) -> CtlResult<Change<'a>> {
    let cmd = req
        .u32_attr(attr::REQUEST_CMD)
        .ok_or_else(|| ctl_err!(EINVAL, "batch request without a command"))?;
    let not_in_batch = || ctl_err!(EINVAL, "command {cmd} cannot be part of a batch");
    let cmd = u8::try_from(cmd).map_err(|_| not_in_batch())?;
    match requested_change(cmd, req) {
        // The batch as a whole says where a device's traffic goes.
        Ok(Change::Unbind {
            upper, lower, port, ..
        }) => Ok(Change::Unbind {
            upper,
            lower,
            port,
            force: true,
        }),
        Err(e) if e.errno() == EOPNOTSUPP => Err(not_in_batch()),
        other => other,
    }
}

/// The change command `cmd` with attributes `req` asks for, alone or in a
/// batch.
fn requested_change<'a>(cmd: u8, req: &Attrs<'a>) -> CtlResult<Change<'a>> {
    let upper = || name_attr(req, attr::UPPER, "upper block name");
    let lower = || name_attr(req, attr::LOWER, "lower block name");
    let block = || name_attr(req, attr::BLOCK_NAME, "block name");
    let peer = || name_attr(req, attr::PEER, "block name to subscribe to");
    let dev = || str_attr(req, attr::DEV_NAME, "device name");
    Ok(match cmd {
        cmd::ADD => Change::Add {
            name: block()?,
            kind: block_type(req)?,
            settings: settings(req)?,
        },
        cmd::RM => Change::Rm {
            name: block()?,
            cascade: req.flag(attr::CASCADE),
        },
        cmd::BIND => Change::Bind {
            upper: upper()?,
            lower: lower()?,
            port: port_attr(req)?,
        },
        cmd::UNBIND => Change::Unbind {
            upper: upper()?,
            lower: lower()?,
            port: port_attr(req)?,
            force: req.flag(attr::CASCADE),
        },
        cmd::SET => Change::Set {
            name: block()?,
            settings: settings(req)?,
        },
        cmd::SUBSCRIBE => Change::Subscribe {
            subscriber: block()?,
            target: peer()?,
        },
        cmd::UNSUBSCRIBE => Change::Unsubscribe {
            subscriber: block()?,
            target: peer()?,
        },
        cmd::ATTACH => Change::Attach {
            dev: dev()?,
            block: block()?,
            tag: tag_attr(req)?,
        },
        cmd::DETACH => Change::Detach {
            dev: dev()?,
            tag: tag_attr(req)?,
        },
        _ => return Err(ctl_err!(EOPNOTSUPP, "command {cmd} is not a change")),
    })
}

/// The optional output port of a bind or unbind.
fn port_attr<'a>(req: &Attrs<'a>) -> CtlResult<Option<&'a str>> {
    req.str_attr(attr::PORT)
        .map(|port| {
            port.to_str()
                .map_err(|_| ctl_err!(EINVAL, "port name is not UTF-8"))
        })
        .transpose()
}

/// A required string attribute.
fn str_attr<'a>(req: &Attrs<'a>, id: u16, what: &str) -> CtlResult<&'a CStr> {
    req.str_attr(id)
        .ok_or_else(|| ctl_err!(EINVAL, "missing {what}"))
}

/// The optional `TAG` attribute, parsed.
fn tag_attr(req: &Attrs<'_>) -> CtlResult<Option<Tag>> {
    let Some(text) = req.str_attr(attr::TAG) else {
        return Ok(None);
    };
    let text = text
        .to_str()
        .map_err(|_| ctl_err!(EINVAL, "tag is not UTF-8"))?;
    Tag::parse(text).map(Some)
}

/// A required name attribute, validated.
fn name_attr(req: &Attrs<'_>, id: u16, what: &str) -> CtlResult<Name> {
    Name::new(str_attr(req, id, what)?.to_bytes(), what)
}

/// Reports statistics as nested `STAT` attributes: one per counter, or,
/// in the per-CPU view, one per counter and CPU (with `CPU`).
struct StatWriter<'a, W: AttrWriter> {
    out: &'a mut W,
    per_cpu: bool,
}

impl<W: AttrWriter> StatWriter<'_, W> {
    fn put(&mut self, name: &CStr, cpu: Option<u32>, value: u64) -> Result {
        self.out.nest(attr::STAT, |w| {
            w.put_str(attr::STAT_NAME, name)?;
            if let Some(cpu) = cpu {
                w.put_u32(attr::CPU, cpu)?;
            }
            w.put_u64(attr::STAT_VALUE, value, attr::PAD)
        })
    }
}

impl<W: AttrWriter> StatSink for StatWriter<'_, W> {
    fn counter(
        &mut self,
        name: &CStr,
        total: u64,
        per_cpu: &mut dyn Iterator<Item = (u32, u64)>,
    ) -> Result {
        if !self.per_cpu {
            return self.put(name, None, total);
        }
        for (cpu, value) in per_cpu {
            self.put(name, Some(cpu), value)?;
        }
        Ok(())
    }

    fn value(&mut self, name: &CStr, value: u64) -> Result {
        self.put(name, None, value)
    }

    fn label(&mut self, name: &CStr, text: &[u8]) -> Result {
        self.out.nest(attr::STAT, |w| {
            w.put_str(attr::STAT_NAME, name)?;
            w.put_bytes_str(attr::STAT_TEXT, text)
        })
    }
}

impl From<CtlError> for Error {
    fn from(e: CtlError) -> Self {
        e.errno()
    }
}
