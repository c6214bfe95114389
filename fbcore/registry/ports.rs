// SPDX-License-Identifier: GPL-2.0-only

//! Output ports: a block's named ways out besides its upper binding (a
//! tee's copies), each bound to one block.

use super::*;

impl Registry {
    /// A port (block name, port name) leading to block `id`, if any.
    pub(crate) fn port_into(&self, id: u32) -> Option<(Name, &'static str)> {
        self.entries.iter().find_map(|e| {
            let at = e.ports.iter().position(|t| *t == Some(id))?;
            Some((e.name, port_name(e.kind(), at)))
        })
    }

    /// A bound output port of `entry` (port name, block name), if any.
    pub(crate) fn port_out_of(&self, entry: &Entry) -> Option<(&'static str, Name)> {
        let (at, id) = entry
            .ports
            .iter()
            .enumerate()
            .find_map(|(at, t)| t.map(|id| (at, id)))?;
        Some((port_name(entry.kind(), at), self.name_of(id)))
    }

    /// The bound output ports of `entry`: (port name, block name).
    pub(crate) fn port_bindings<'a>(
        &'a self,
        entry: &'a Entry,
    ) -> impl Iterator<Item = (&'static str, Name)> + 'a {
        entry
            .ports
            .iter()
            .enumerate()
            .filter_map(move |(at, t)| t.map(|id| (port_name(entry.kind(), at), self.name_of(id))))
    }

    /// Sends `lower`'s output port `port` to `upper` (`bind --port`).
    pub(crate) fn bind_port(&mut self, upper: &Name, lower: &Name, port: &str) -> CtlResult {
        if upper == lower {
            return Err(ctl_err!(EINVAL, "cannot bind block '{upper}' to itself"));
        }
        let up = self.lookup_index(upper)?;
        let low = self.lookup_index(lower)?;
        let at = port_index(self.entries[low].kind(), lower, port)?;
        if let Some(cur) = self.entries[low].ports[at] {
            let cur = self.name_of(cur);
            return Err(ctl_err!(
                EBUSY,
                "port '{port}' of '{lower}' already leads to '{cur}'"
            ));
        }
        // INVARIANT: `upper` is an entry.
        self.entries[low].ports[at] = Some(self.entries[up].id);
        Ok(())
    }

    /// Undoes `bind --port port upper lower`.
    pub(crate) fn unbind_port(&mut self, upper: &Name, lower: &Name, port: &str) -> CtlResult {
        let up = self.lookup(upper)?.id;
        let low = self.lookup_index(lower)?;
        let at = port_index(self.entries[low].kind(), lower, port)?;
        if self.entries[low].ports[at] != Some(up) {
            return Err(ctl_err!(
                ENOENT,
                "port '{port}' of '{lower}' does not lead to '{upper}'"
            ));
        }
        self.entries[low].ports[at] = None;
        Ok(())
    }
}

/// The name of output port `at` of `kind`.
pub(super) fn port_name(kind: &BlockType, at: usize) -> &'static str {
    kind.ports
        .get(at)
        .and_then(|p| p.to_str().ok())
        .unwrap_or("?")
}

/// The index of output port `port` of `block`, of type `kind`.
pub(super) fn port_index(kind: &BlockType, block: &Name, port: &str) -> CtlResult<usize> {
    kind.ports
        .iter()
        .position(|p| p.to_bytes() == port.as_bytes())
        .ok_or_else(|| ctl_err!(ENOENT, "block '{block}' has no port '{port}'"))
}
