// SPDX-License-Identifier: GPL-2.0-only

//! Networking: the parts of the kernel's network stack lana-rs uses, named
//! after their C headers (`include/linux/skbuff.h` is `skbuff`, the
//! device's `netdevice.h` is `device`, `net/genetlink.h` is `genetlink`).

pub(crate) mod backlog;
pub(crate) mod device;
pub(crate) mod devslot;
pub(crate) mod genetlink;
pub(crate) mod link;
pub(crate) mod pernet;
pub(crate) mod rx_handler;
pub(crate) mod skbuff;
