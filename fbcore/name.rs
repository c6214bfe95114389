// SPDX-License-Identifier: GPL-2.0-only

//! Block names: short, printable, stored inline (no allocation).

use core::fmt;
use kernel::prelude::*;

use crate::error::{ctl_err, CtlResult};
use crate::uapi::NAME_MAX;

/// A validated block name: 1 to `NAME_MAX` bytes of `[A-Za-z0-9_.:-]`.
///
/// # Invariants
///
/// `bytes[..len]` is a valid name as above, or `?` for [`Name::UNKNOWN`].
///
/// Ordered by length, then bytes: any total order serves the registry's
/// name index.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Name {
    len: u8,
    bytes: [u8; NAME_MAX],
}

impl Name {
    /// Shown where a name should exist but does not.
    pub(crate) const UNKNOWN: Self = {
        let mut bytes = [0; NAME_MAX];
        bytes[0] = b'?';
        Self { len: 1, bytes }
    };

    /// A name known at compile time; it must be valid (checked at compile
    /// time when used in a constant).
    pub(crate) const fn literal(raw: &[u8]) -> Self {
        assert!(!raw.is_empty() && raw.len() <= NAME_MAX);
        let mut bytes = [0; NAME_MAX];
        let mut i = 0;
        while i < raw.len() {
            let b = raw[i];
            assert!(b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b':' || b == b'-');
            bytes[i] = b;
            i += 1;
        }
        // INVARIANT: Validated above.
        Self {
            len: raw.len() as u8,
            bytes,
        }
    }

    /// Validates `raw`; `what` says what it names, for the error message.
    pub(crate) fn new(raw: &[u8], what: &str) -> CtlResult<Self> {
        let shown = core::str::from_utf8(raw).unwrap_or("<not UTF-8>");
        if raw.is_empty() {
            return Err(ctl_err!(EINVAL, "{what} is empty"));
        }
        if raw.len() > NAME_MAX {
            return Err(ctl_err!(
                EINVAL,
                "{what} '{shown}' is longer than {NAME_MAX} bytes"
            ));
        }
        if !raw
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
        {
            return Err(ctl_err!(
                EINVAL,
                "{what} '{shown}' may only hold A-Z a-z 0-9 _ . : -"
            ));
        }
        let mut bytes = [0; NAME_MAX];
        bytes[..raw.len()].copy_from_slice(raw);
        // INVARIANT: Validated above.
        Ok(Self {
            len: raw.len() as u8,
            bytes,
        })
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // By the type invariant the bytes are ASCII.
        f.write_str(core::str::from_utf8(self.as_bytes()).unwrap_or("?"))
    }
}
