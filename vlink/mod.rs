// SPDX-License-Identifier: GPL-2.0-only

//! The FFI layer: everything lana-rs needs from the kernel that 7.3's Rust
//! abstractions do not offer, wrapped in safe types. All `unsafe` code and
//! all C of the module (a `.c` file beside the `.rs` file that wraps it,
//! their interface `shim.h`) live here; `fbcore` and `fbs` use only the
//! safe API.

pub(crate) mod arc_ptr;
pub(crate) mod bpf;
pub(crate) mod entry;
mod ffi;
pub(crate) mod net;
pub(crate) mod notifier;
pub(crate) mod percpu;
pub(crate) mod rcu;
pub(crate) mod trace_key;
