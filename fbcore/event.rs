// SPDX-License-Identifier: GPL-2.0-only

//! Engine events: what happened to a block, delivered over its notifier
//! chain to the block itself and to the blocks subscribed to it, and
//! multicast to userspace (`lanactl monitor`).

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{prelude::*, sync::Arc};

use crate::block::Block;
use crate::name::Name;
use crate::vlink::notifier::Listener;

/// What happened.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum EventKind {
    Add,
    Rm,
    Bind,
    Unbind,
    Replace,
    Set,
    Subscribe,
    Unsubscribe,
    Attach,
    Detach,
    DevUp,
    DevDown,
    DevUnregister,
}

impl EventKind {
    /// The name userspace sees.
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            Self::Add => c"add",
            Self::Rm => c"rm",
            Self::Bind => c"bind",
            Self::Unbind => c"unbind",
            Self::Replace => c"replace",
            Self::Set => c"set",
            Self::Subscribe => c"subscribe",
            Self::Unsubscribe => c"unsubscribe",
            Self::Attach => c"attach",
            Self::Detach => c"detach",
            Self::DevUp => c"dev_up",
            Self::DevDown => c"dev_down",
            Self::DevUnregister => c"dev_unregister",
        }
    }
}

/// Longest device name plus its NUL (IFNAMSIZ).
const DEV_NAME_LEN: usize = 16;

/// One event about `block`.
pub(crate) struct Event {
    pub(crate) kind: EventKind,
    /// The block whose chain carries the event.
    pub(crate) block: Name,
    /// The other block involved: the peer of a binding, the block replaced,
    /// the block subscribed to.
    pub(crate) peer: Option<Name>,
    /// The device involved, NUL-padded.
    dev: [u8; DEV_NAME_LEN],
}

impl Event {
    pub(crate) fn new(kind: EventKind, block: Name) -> Self {
        Self {
            kind,
            block,
            peer: None,
            dev: [0; DEV_NAME_LEN],
        }
    }

    pub(crate) fn with_peer(mut self, peer: Name) -> Self {
        self.peer = Some(peer);
        self
    }

    pub(crate) fn with_dev(mut self, dev: &CStr) -> Self {
        let bytes = dev.to_bytes();
        let len = bytes.len().min(DEV_NAME_LEN - 1);
        self.dev[..len].copy_from_slice(&bytes[..len]);
        self
    }

    /// The device involved, if any.
    pub(crate) fn dev(&self) -> Option<&[u8]> {
        let len = self
            .dev
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(DEV_NAME_LEN);
        (len > 0).then(|| &self.dev[..len])
    }
}

/// Where a block's events arrive: counts them and hands them to the block.
pub(crate) struct Inbox {
    block: Arc<dyn Block>,
    received: AtomicU64,
}

impl Inbox {
    pub(crate) fn new(block: Arc<dyn Block>) -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                block,
                received: AtomicU64::new(0),
            },
            GFP_KERNEL,
        )?)
    }

    /// Events delivered so far.
    pub(crate) fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

impl Listener<Event> for Inbox {
    fn notify(&self, event: &Event) {
        deliver(&*self.block, &self.received, event);
    }
}

/// Hands `event` to `block`, counted in `received`: how every event
/// reaches a block, through a chain (an [`Inbox`]) or not.
pub(crate) fn deliver(block: &dyn Block, received: &AtomicU64, event: &Event) {
    received.fetch_add(1, Ordering::Relaxed);
    block.event(event);
}
