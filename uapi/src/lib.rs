// SPDX-License-Identifier: GPL-2.0-only

//! The generic-netlink interface of lana-rs for userspace.
//!
//! The definitions live in `fbcore/uapi.rs`, which the kernel module compiles
//! too; this crate only re-exports them, so no number is written twice.
#![no_std]

#[path = "../../fbcore/uapi.rs"]
mod uapi;

pub use uapi::*;
