// SPDX-License-Identifier: GPL-2.0

//! What a device's rx_handler reaches: the engine and the attachment slot
//! that names the device's entry block in every graph snapshot.

use kernel::sync::Arc;

use crate::block::{BhContext, SkBuff};
use crate::engine::Engine;
use crate::event::EventKind;

/// The rx_handler data of an attached device.
///
/// Holding an `Arc<Engine>` keeps the engine alive while any device can
/// still call into it; the engine detaches every device before it is
/// dropped, which ends the cycle (engine → registration → attachment →
/// engine).
pub(crate) struct Attachment {
    engine: Arc<Engine>,
    slot: usize,
}

impl Attachment {
    pub(crate) fn new(engine: Arc<Engine>, slot: usize) -> Self {
        Self { engine, slot }
    }

    pub(crate) fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub(crate) fn slot(&self) -> usize {
        self.slot
    }

    /// The device went up (`true`) or down.
    pub(crate) fn device_state(&self, up: bool) {
        let kind = if up {
            EventKind::DevUp
        } else {
            EventKind::DevDown
        };
        self.engine.device_event(self.slot, kind);
    }

    /// Runs a frame received on the device through the graph.
    #[inline]
    pub(crate) fn receive(&self, skb: SkBuff, bh: &BhContext) -> Option<SkBuff> {
        self.engine.receive(self.slot, skb, bh)
    }
}
