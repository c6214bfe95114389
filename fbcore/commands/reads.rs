// SPDX-License-Identifier: GPL-2.0-only

//! The read commands: list, show, stats, get, revision and the dumps,
//! each under the engine's control lock, each dump message checked for
//! room before every attribute.

use super::*;

impl Commands {
    pub(super) fn revision(engine: &Engine, req: &mut Request<'_>) -> CtlResult {
        let revision = engine.with_control(|c| c.revision());
        Ok(req.answer(cmd::REVISION, |r| r.put_u32(attr::REVISION, revision))?)
    }

    pub(super) fn get(engine: &Engine, req: &mut Request<'_>) -> CtlResult {
        let name = name_attr(req, attr::BLOCK_NAME, "block name")?;
        // The block's existence is checked first, so that a missing block
        // is its own refusal, not a failure to fill the reply.
        engine.with_control(|control| control.registry().lookup(&name).map(|_| ()))?;
        Ok(req.answer(cmd::GET, |reply| {
            reply.put_bytes_str(attr::BLOCK_NAME, name.as_bytes())?;
            engine.with_control(|control| {
                let entry = control.registry().lookup(&name).map_err(|_| ENOENT)?;
                reply.nest(attr::CONFIG, |w| entry.block().config(&mut ConfigWriter(w)))
            })
        })?)
    }

    /// The counters come as `STAT` attributes at the top of the reply, not
    /// in a nest: the per-CPU view of a block on many CPUs is longer than
    /// a nest can be.
    pub(super) fn stats(engine: &Engine, req: &mut Request<'_>) -> CtlResult {
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
                block_stats(reply, engine, control, entry, per_cpu)
            })
        })?)
    }

    /// The lists (subscriptions, subscribers, devices, port bindings) come
    /// at the top of the reply, after the `BLOCK` nest: a block may have
    /// more subscribers than a nest can hold.
    pub(super) fn show(engine: &Engine, req: &mut Request<'_>) -> CtlResult {
        let name = name_attr(req, attr::BLOCK_NAME, "block name")?;
        engine.with_control(|control| control.registry().lookup(&name).map(|_| ()))?;
        Ok(req.answer(cmd::SHOW, |reply| {
            engine.with_control(|control| {
                let registry = control.registry();
                let entry = registry.lookup(&name).map_err(|_| ENOENT)?;
                put_detail(
                    reply,
                    registry,
                    entry,
                    &engine.live_walks(control, &entry.walks)?,
                )?;
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

    pub(super) fn dump_blocks(engine: &Engine, dump: &mut Dump<'_>) -> Result {
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
    pub(super) fn dump_details(engine: &Engine, dump: &mut Dump<'_>) -> Result {
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
                let lives = engine.live_walks_of(control, &walks)?;
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

    pub(super) fn dump_types(dump: &mut Dump<'_>) -> Result {
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

    pub(super) fn dump_attachments(engine: &Engine, dump: &mut Dump<'_>) -> Result {
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
}

/// Appends one dump message per item, in key order, from the key where the
/// previous call stopped; when the buffer is full, records where to resume.
pub(super) fn dump_each<T>(
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
pub(super) const DETAILS_CHUNK: usize = 64;

/// The position of a dump that has sent everything.
pub(super) const DUMP_DONE: usize = usize::MAX;

/// A block in full but for who subscribes to it and which devices feed
/// it: its `BLOCK` nest, then at the top (lists may outgrow a nest) what it
/// subscribes to and where its bound ports lead, its `CONFIG` and `STATS`.
pub(super) fn put_detail(
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
    m.nest(attr::CONFIG, |w| entry.block().config(&mut ConfigWriter(w)))?;
    m.nest(attr::STATS, |w| stats_with_live(w, entry, false, live))
}

/// The attributes every block description carries: id, name, type, and
/// the blocks above and below it.
pub(super) fn put_block(m: &mut impl AttrWriter, registry: &Registry, entry: &Entry) -> Result {
    let name_of = |id: Option<u32>| id.and_then(|id| registry.get(id)).map(|e| e.name);
    m.put_u32(attr::BLOCK_ID, entry.id)?;
    m.put_bytes_str(attr::BLOCK_NAME, entry.name.as_bytes())?;
    m.put_str(attr::BLOCK_TYPE, entry.kind().name)?;
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
pub(super) fn block_stats(
    out: &mut impl AttrWriter,
    engine: &Engine,
    control: &Control,
    entry: &Entry,
    per_cpu: bool,
) -> Result {
    stats_with_live(
        out,
        entry,
        per_cpu,
        &engine.live_walks(control, &entry.walks)?,
    )
}

/// [`block_stats`] with the live walk counts already read.
pub(super) fn stats_with_live(
    out: &mut impl AttrWriter,
    entry: &Entry,
    per_cpu: bool,
    live: &Live<WALK_COUNT>,
) -> Result {
    let mut stats = StatWriter { out, per_cpu };
    entry.block().stats(&mut stats)?;
    entry.walks.report(&mut stats, live)?;
    stats.value(c"events", entry.events_received())
}

/// Reports a configuration as `OPTION` attributes, `key=value` each.
pub(super) struct ConfigWriter<'a, W: AttrWriter>(&'a mut W);

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

/// Reports statistics as nested `STAT` attributes: one per counter, or,
/// in the per-CPU view, one per counter and CPU (with `CPU`).
pub(super) struct StatWriter<'a, W: AttrWriter> {
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
