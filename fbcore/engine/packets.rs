// SPDX-License-Identifier: GPL-2.0-only

//! The engine's packet-path entry points (receive, transmit, deliver a
//! queued copy) under the RCU read lock and nothing else, and tracing.

use super::*;

impl BacklogOwner for Engine {
    /// The packet path: a copy from the backlog, for the block its cb names.
    #[inline]
    fn deliver(&self, skb: SkBuff, bh: &BhContext) {
        match self.graph.get(bh) {
            Some(graph) => graph.receive_queued(skb, bh, self.datapath(())),
            None => {
                self.sinks.stats.add(bh, EngineDrop::Stale.into(), 1);
                drop(skb);
            }
        }
    }
}

impl Engine {
    fn datapath<R: Recorder>(&self, rec: R) -> Datapath<'_, R> {
        Datapath {
            sinks: &self.sinks,
            rec,
        }
    }

    /// The packet path: a packet the host sends through the lana device of
    /// attachment `slot`.
    #[inline]
    pub(crate) fn transmit(&self, slot: usize, skb: SkBuff, bh: &BhContext) {
        // A static branch: a nop unless some trace is armed.
        if trace_key::armed() {
            return self.transmit_tracing(slot, skb, bh);
        }
        self.transmit_with(slot, skb, bh, self.graph.get(bh), ());
    }

    /// [`Self::transmit`] while a trace is armed: this packet may be one to
    /// trace. Out of line, as all the tracing: the packet path is the same
    /// with or without the feature.
    #[inline(never)]
    #[cold]
    fn transmit_tracing(&self, slot: usize, skb: SkBuff, bh: &BhContext) {
        // One snapshot for the walk and the record's block names.
        let graph = self.graph.get(bh);
        match graph {
            Some(g) if self.tracer.take(slot).is_some() => {
                self.traced(g, |rec| self.transmit_with(slot, skb, bh, graph, rec));
            }
            _ => self.transmit_with(slot, skb, bh, graph, ()),
        }
    }

    #[inline(always)]
    fn transmit_with<R: Recorder>(
        &self,
        slot: usize,
        skb: SkBuff,
        bh: &BhContext,
        graph: Option<&Graph>,
        rec: R,
    ) {
        self.sinks.stats.add(bh, Counter::Packets, 1);
        match graph {
            Some(graph) => graph.transmit(slot, skb, bh, self.datapath(rec)),
            None => {
                self.sinks.stats.add(bh, EngineDrop::NoEntry.into(), 1);
                drop(skb);
            }
        }
    }

    /// The packet path: a frame from attachment `slot`.
    #[inline]
    pub(crate) fn receive(&self, slot: usize, skb: SkBuff, bh: &BhContext) -> Option<SkBuff> {
        // A static branch: a nop unless some trace is armed.
        if trace_key::armed() {
            return self.receive_tracing(slot, skb, bh.copy());
        }
        self.receive_with(slot, skb, bh, self.graph.get(bh), ())
    }

    /// [`Self::receive`] while a trace is armed (see [`Self::transmit_tracing`]).
    #[inline(never)]
    #[cold]
    fn receive_tracing(&self, slot: usize, skb: SkBuff, bh: BhCopy<'_>) -> Option<SkBuff> {
        let bh: &BhContext = &bh;
        // One snapshot for the walk and the record's block names.
        let graph = self.graph.get(bh);
        match graph {
            Some(g) if self.tracer.take(slot).is_some() => {
                self.traced(g, |rec| self.receive_with(slot, skb, bh, graph, rec))
            }
            _ => self.receive_with(slot, skb, bh, graph, ()),
        }
    }

    #[inline(always)]
    fn receive_with<R: Recorder>(
        &self,
        slot: usize,
        skb: SkBuff,
        bh: &BhContext,
        graph: Option<&Graph>,
        rec: R,
    ) -> Option<SkBuff> {
        match graph {
            // The graph counts the packet (its tally, for most).
            Some(graph) => graph.receive(slot, skb, bh, self.datapath(rec)),
            // Not reached while a device is attached (its attachment holds
            // the engine, which withdraws the graph only when dropped);
            // the frame would go where it goes unattached.
            None => {
                self.sinks.stats.add(bh, Counter::Packets, 1);
                self.sinks.stats.add(bh, Counter::ToStackNoEntry, 1);
                Some(skb)
            }
        }
    }

    /// Runs a traced packet through `run`, then sends its record to the
    /// socket that armed the trace. Out of line: the untraced path stays as
    /// it was.
    #[inline(never)]
    #[cold]
    fn traced<T>(&self, graph: &Graph, run: impl FnOnce(&Record) -> T) -> T {
        let record = Record::new();
        let result = run(&record);
        let portid = self.tracer.portid();
        let sent = self.events.unicast(portid, cmd::TRACE, |m| {
            for node in record.nodes() {
                if let Some(name) = graph.name_of(node) {
                    m.put_bytes_str(attr::BLOCK_NAME, name.as_bytes())?;
                }
            }
            let end = record.end_counter().map_or(c"none", EngineStats::name);
            m.put_str(attr::VERDICT, end)
        });
        // The tracing socket is gone: stop, rather than build records for
        // nobody (the key stays on until the next trace command).
        if sent == Err(ECONNREFUSED) {
            self.tracer.disarm();
        }
        result
    }

    /// Traces the next `count` packets entering device `dev` of `net`, for
    /// the socket of port `portid`; `count` 0 stops a trace.
    pub(crate) fn trace(&self, net: &Namespace, dev: &CStr, count: u32, portid: u32) -> CtlResult {
        let mut control = self.control.lock();
        if count == 0 {
            self.tracer.disarm();
            // May sleep: the control path, under our mutex.
            control.trace_key = None;
            return Ok(());
        }
        let shown = shown(dev);
        let device = net
            .device_by_name(dev)
            .ok_or_else(|| ctl_err!(ENODEV, "no device '{shown}'"))?;
        let slot = control
            .attached
            .iter()
            .find(|a| a.is_on(&device))
            .map(|a| a.slot)
            .ok_or_else(|| ctl_err!(ENOENT, "device '{shown}' is not attached"))?;
        if control.trace_key.is_none() {
            control.trace_key = Some(TraceKey::get());
        }
        self.tracer.arm(slot, count, portid);
        Ok(())
    }
}
