// SPDX-License-Identifier: GPL-2.0-only

//! The generic-netlink interface of lana-rs: family, commands, attributes.
//!
//! This one file is compiled into both `lana.ko` and the userspace crates
//! (through the `lana-uapi` crate), so every number is written exactly once.
//! It must stay free of dependencies: plain `core` constants only.

/// Name of the generic-netlink family.
pub const FAMILY_NAME: &core::ffi::CStr = c"lana";
/// Version of the family; bumped on incompatible changes.
pub const FAMILY_VERSION: u8 = 1;

/// Multicast group carrying engine events (`cmd::EVENT`).
pub const MCGRP_EVENTS: &core::ffi::CStr = c"events";

/// Longest `key=value` option, in bytes, without the terminating NUL.
pub const OPTION_MAX: usize = 8191;

/// Longest block name, in bytes, without the terminating NUL.
pub const NAME_MAX: usize = 31;

/// Commands (`genlmsghdr.cmd`).
pub mod cmd {
    /// Create a block: `BLOCK_NAME`, `BLOCK_TYPE`.
    pub const ADD: u8 = 1;
    /// Remove a block: `BLOCK_NAME`.
    pub const RM: u8 = 2;
    /// Put `UPPER` above `LOWER`: `UPPER`, `LOWER`.
    pub const BIND: u8 = 3;
    /// Undo a bind: `UPPER`, `LOWER`.
    pub const UNBIND: u8 = 4;
    /// Feed a device's received frames to a block: `DEV_NAME`, `BLOCK_NAME`.
    pub const ATTACH: u8 = 5;
    /// Stop feeding a device's frames to the graph: `DEV_NAME`.
    pub const DETACH: u8 = 6;
    /// Dump every block (one message per block, nested `BLOCK`).
    pub const LIST: u8 = 7;
    /// Statistics of one block (`BLOCK_NAME`), or of the engine without it;
    /// per CPU with `PER_CPU`.
    pub const STATS: u8 = 8;
    /// Dump the block types (one message per type, nested `TYPE`).
    pub const TYPES: u8 = 9;
    /// Dump the device attachments (one message per device, nested `ATTACHMENT`).
    pub const ATTACHMENTS: u8 = 10;
    /// Put block `NEW_NAME` in the place of `BLOCK_NAME`, which is removed;
    /// state moves across unless `DROP_STATE`.
    pub const REPLACE: u8 = 11;
    /// Block `BLOCK_NAME` receives the events of block `PEER` from now on.
    pub const SUBSCRIBE: u8 = 12;
    /// Undo a subscribe: `BLOCK_NAME`, `PEER`.
    pub const UNSUBSCRIBE: u8 = 13;
    /// An event, multicast on the `events` group: `EVENT`, `BLOCK_NAME`,
    /// optionally `PEER` and `DEV_NAME`.
    pub const EVENT: u8 = 14;
    /// One block in full (`BLOCK_NAME`): a `BLOCK` nest with its bindings,
    /// subscriptions and devices, and its `STATS`.
    pub const SHOW: u8 = 15;
    /// Configure block `BLOCK_NAME` with `OPTIONS`: all or nothing.
    pub const SET: u8 = 16;
    /// A block's configuration (`BLOCK_NAME`): a `CONFIG` nest.
    pub const GET: u8 = 17;
    /// Set block `BLOCK_NAME`'s counters to zero.
    pub const RESET: u8 = 18;
    /// Trace the next `COUNT` packets entering device `DEV_NAME` (0 stops
    /// a trace). Each traced packet is then sent to the asking socket as a
    /// `TRACE` message: a `BLOCK_NAME` per block it visited, in order, and
    /// the `VERDICT` its path ended in.
    pub const TRACE: u8 = 19;
    /// Apply a batch of changes as one transaction: `REQUESTS`, each an
    /// `ADD`, `RM`, `BIND`, `UNBIND`, `SET`, `SUBSCRIBE`, `UNSUBSCRIBE`,
    /// `REPLACE`, `ATTACH` or `DETACH` with that command's attributes (`UNBIND` cuts
    /// even bindings that carry a device's traffic). All are checked, then
    /// published at once, or none is applied: the refusal's extack cookie is
    /// the index (u32) of the request at fault. With `REVISION`, refused
    /// unless the graph is at that revision; with `DRY_RUN`, checked only.
    /// The reply carries the new `REVISION`.
    pub const APPLY: u8 = 20;
    /// The graph's revision: a `REVISION` reply.
    pub const REVISION: u8 = 21;
    /// Dump every block in full, one message per block: what a `SHOW`
    /// reply carries but the `SUBSCRIBER`s and `DEV_NAME`s (the
    /// `SUBSCRIBED_TO`s and `ATTACHMENTS` give the same edges). What reads
    /// the whole graph asks this once rather than `SHOW` once per block. A
    /// block too large for a dump message of its own comes as its `BLOCK`
    /// nest and `INCOMPLETE`: ask `SHOW` for it.
    pub const DETAILS: u8 = 22;
}

/// Attributes. Nested attributes reuse the same number space.
pub mod attr {
    /// String: block name.
    pub const BLOCK_NAME: u16 = 1;
    /// String: block type name.
    pub const BLOCK_TYPE: u16 = 2;
    /// String: name of the upper block of a binding.
    pub const UPPER: u16 = 3;
    /// String: name of the lower block of a binding.
    pub const LOWER: u16 = 4;
    /// String: network device name (repeated in a `SHOW` reply's `BLOCK`
    /// nest: the devices attached to the block).
    pub const DEV_NAME: u16 = 5;
    /// u32: block id, stable for the block's lifetime.
    pub const BLOCK_ID: u16 = 6;
    /// Nested: one block in a `LIST` reply.
    pub const BLOCK: u16 = 7;
    /// Nested: statistics, a `STAT` per counter.
    pub const STATS: u16 = 11;
    /// Nested: one named statistic (`STAT_NAME`, `STAT_VALUE`).
    pub const STAT: u16 = 12;
    /// String: statistic name.
    pub const STAT_NAME: u16 = 13;
    /// u64: statistic value.
    pub const STAT_VALUE: u16 = 14;
    /// Nested: one block type in a `TYPES` reply.
    pub const TYPE: u16 = 15;
    /// String: one-line description.
    pub const DESCRIPTION: u16 = 16;
    /// Nested: one device attachment in an `ATTACHMENTS` reply.
    pub const ATTACHMENT: u16 = 17;
    /// u32: network device index.
    pub const DEV_IFINDEX: u16 = 18;
    /// Padding, for 64-bit values on architectures that need them aligned.
    pub const PAD: u16 = 19;
    /// String: the block that takes another's place (`REPLACE`).
    pub const NEW_NAME: u16 = 20;
    /// Flag: do not carry state over (`REPLACE`).
    pub const DROP_STATE: u16 = 21;
    /// String: what happened (`EVENT`): add, rm, bind, unbind, replace, set,
    /// subscribe, unsubscribe, attach, detach, dev_up, dev_down,
    /// dev_unregister.
    pub const EVENT: u16 = 22;
    /// String: the other block of an event (the lower block of a binding, the
    /// block replaced, the block subscribed to) or of a `SUBSCRIBE` request.
    pub const PEER: u16 = 23;
    /// u32: in a `STAT` nest, the CPU the value belongs to (per-CPU view).
    pub const CPU: u16 = 24;
    /// Flag: report statistics per CPU (`STATS`).
    pub const PER_CPU: u16 = 25;
    /// String, repeated in a `BLOCK` nest: a block this block subscribes to.
    pub const SUBSCRIBED_TO: u16 = 26;
    /// String, repeated in a `BLOCK` nest: a block subscribed to this block.
    pub const SUBSCRIBER: u16 = 27;
    /// Flag: `RM` also unbinds, detaches and unsubscribes what uses the
    /// block; `UNBIND` cuts a binding that carries a device's traffic.
    pub const CASCADE: u16 = 28;
    /// Nested: `OPTION`s to apply (`ADD`, `SET`).
    pub const OPTIONS: u16 = 29;
    /// String `key=value`, in an `OPTIONS` or `CONFIG` nest.
    pub const OPTION: u16 = 30;
    /// Nested, repeated in a `TYPE` nest: one configuration key
    /// (`KEY_NAME`, `KEY_SYNTAX`, `KEY_DEFAULT`, `DESCRIPTION`).
    pub const KEY: u16 = 31;
    /// String: a key's name.
    pub const KEY_NAME: u16 = 32;
    /// String: the values a key takes.
    pub const KEY_SYNTAX: u16 = 33;
    /// String: a key's value when not set.
    pub const KEY_DEFAULT: u16 = 34;
    /// Nested: a block's configuration, an `OPTION` per key (`GET`, `SHOW`).
    pub const CONFIG: u16 = 35;
    /// String: an output port of the lower block (`BIND`, `UNBIND`): the
    /// upper block receives what leaves that port instead of being above it.
    pub const PORT: u16 = 36;
    /// String `port=block`, repeated in a `SHOW` reply's `BLOCK` nest: where
    /// each bound output port leads.
    pub const PORT_BINDING: u16 = 37;
    /// String in an `ATTACHMENT` nest: the side of the graph the device is
    /// attached on, "bottom" (a real device: its frames go up from the
    /// block) or "top" (a lana device: what it sends goes down).
    pub const SIDE: u16 = 38;
    /// String in a `STAT` nest in place of `STAT_VALUE`: a label rather than
    /// a count (a drop block's reason).
    pub const STAT_TEXT: u16 = 39;
    /// String `vlan=ID` or `ethertype=0xTYPE`: the tag of a real device's
    /// attachment (`ATTACH`, `DETACH`, an `ATTACHMENT` nest): it takes only
    /// the frames carrying that tag, and gives the tag to what it sends.
    pub const TAG: u16 = 40;
    /// String in a `TRACE` record: the engine counter the packet's path
    /// ended in (as `STATS` names it: `drop_filtered`, `delivered`, ...).
    pub const VERDICT: u16 = 41;
    /// u32: packets to trace (`TRACE`); 0 stops the trace.
    pub const COUNT: u16 = 42;
    /// Nested array (`APPLY`): one nest per request of the batch.
    pub const REQUESTS: u16 = 43;
    /// u32 in a `REQUESTS` element: the request's command.
    pub const REQUEST_CMD: u16 = 44;
    /// u32: the graph's revision, one more with every change made to it
    /// (`REVISION`, `APPLY` replies); in an `APPLY` request, the revision
    /// the batch was planned against.
    pub const REVISION: u16 = 45;
    /// Flag: check an `APPLY` batch, change nothing.
    pub const DRY_RUN: u16 = 46;
    /// Flag in a `DETAILS` message: the block's detail did not fit, only
    /// its `BLOCK` nest is there.
    pub const INCOMPLETE: u16 = 47;
    /// Highest attribute number.
    pub const MAX: u16 = INCOMPLETE;
}
