// SPDX-License-Identifier: GPL-2.0-only

//! Control-path errors that carry a message for the user.
//!
//! Every refusal names what is at fault ("no block 'c1'"); the message goes
//! back to userspace as the netlink extack, which holds 80 bytes.

use core::fmt;
use kernel::prelude::*;

/// Capacity of a message, the size of the kernel's extack buffer.
const MSG_CAP: usize = 80;

/// An errno with a message for the user.
pub(crate) struct CtlError {
    errno: Error,
    msg: [u8; MSG_CAP],
    len: usize,
}

impl CtlError {
    /// An error with a formatted message, truncated to fit the extack.
    pub(crate) fn new(errno: Error, args: fmt::Arguments<'_>) -> Self {
        let mut err = Self {
            errno,
            msg: [0; MSG_CAP],
            len: 0,
        };
        let _ = fmt::write(&mut err, args);
        err
    }

    pub(crate) fn errno(&self) -> Error {
        self.errno
    }

    /// The message; empty for plain errors such as allocation failures.
    pub(crate) fn message(&self) -> &str {
        // Only whole UTF-8 sequences are ever copied in (see `write_str`).
        core::str::from_utf8(&self.msg[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for CtlError {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Leave room for the NUL the extack needs; cut at a char boundary.
        let room = MSG_CAP - 1 - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.msg[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

impl From<Error> for CtlError {
    fn from(errno: Error) -> Self {
        Self {
            errno,
            msg: [0; MSG_CAP],
            len: 0,
        }
    }
}

impl From<kernel::alloc::AllocError> for CtlError {
    fn from(_: kernel::alloc::AllocError) -> Self {
        ENOMEM.into()
    }
}

/// A C string for a message: as text when it is UTF-8.
pub(crate) fn shown(s: &CStr) -> &str {
    s.to_str().unwrap_or("<not UTF-8>")
}

impl fmt::Debug for CtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.errno, self.message())
    }
}

/// Builds a [`CtlError`]: `ctl_err!(ENOENT, "no block '{}'", name)`.
macro_rules! ctl_err {
    ($errno:expr, $($arg:tt)+) => {
        $crate::error::CtlError::new($errno, core::format_args!($($arg)+))
    };
}
pub(crate) use ctl_err;

/// Result of a control-path operation.
pub(crate) type CtlResult<T = ()> = core::result::Result<T, CtlError>;
