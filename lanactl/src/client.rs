// SPDX-License-Identifier: GPL-2.0

//! The generic-netlink conversation with the kernel: one socket, the family
//! resolved once, and the request/ACK and dump exchanges on top of it.
//!
//! neli's `NlRouter` is not used: in neli 0.7.5 it re-parses every error
//! message through `Nlmsgerr::to_typed`, which drops the extended-ACK
//! attributes, so the kernel's explanation would never reach the user. The
//! plain `NlSocketHandle` parses replies straight from the socket buffer and
//! keeps them; the short receive loop below is what the router did for us.

use std::{cell::Cell, ffi::CStr, fmt};

use lana_uapi::FAMILY_VERSION;
use neli::{
    consts::{
        genl::{CtrlAttr, CtrlCmd},
        nl::{GenlId, NlmF, NlmsgerrAttr},
        socket::NlFamily,
    },
    err::{Nlmsgerr, SocketError},
    genl::{AttrTypeBuilder, GenlmsghdrBuilder, NlattrBuilder},
    nl::{NlPayload, NlmsghdrBuilder},
    socket::synchronous::NlSocketHandle,
    types::GenlBuffer,
    utils::Groups,
};

use crate::wire::{Attrs, LanaMsg};

/// Version of the nlctrl family's own protocol, used for the family lookup.
const CTRL_VERSION: u8 = 2;

/// Why talking to the kernel failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The generic-netlink family is not registered: the module is not loaded.
    FamilyNotFound(String),
    /// The kernel refused the request with `errno`, and maybe said why.
    Kernel { errno: i32, extack: Option<String> },
    /// The socket or the message stream failed below the protocol.
    Netlink(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::FamilyNotFound(family) => write!(
                f,
                "the lana module is not loaded (generic netlink family \"{family}\" not found); \
                 load it with insmod lana.ko"
            ),
            Error::Kernel {
                errno,
                extack: Some(msg),
            } => write!(f, "{msg} ({})", strerror(*errno)),
            // Without an explanation EPERM is almost always a missing
            // capability: the lana operations are GENL_ADMIN_PERM.
            Error::Kernel {
                errno: libc::EPERM,
                extack: None,
            } => write!(
                f,
                "{} (the command needs CAP_NET_ADMIN)",
                strerror(libc::EPERM)
            ),
            Error::Kernel {
                errno,
                extack: None,
            } => f.write_str(&strerror(*errno)),
            Error::Netlink(why) => write!(f, "netlink: {why}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<SocketError> for Error {
    fn from(e: SocketError) -> Self {
        Error::Netlink(e.to_string())
    }
}

/// The C library's text for `errno`, as `ip` and friends print it.
fn strerror(errno: i32) -> String {
    let mut buf = [0 as libc::c_char; 128];
    // SAFETY: `buf` is writable for its whole length, which is passed along;
    // the XSI strerror_r (what libc binds) NUL-terminates on success.
    let ret = unsafe { libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) };
    if ret != 0 {
        return format!("error {errno}");
    }
    // SAFETY: strerror_r succeeded, so `buf` holds a NUL-terminated string.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// Turns a netlink error message (NLMSG_ERROR, or the NLMSG_DONE of a failed
/// dump) into an [`Error::Kernel`], keeping the extended-ACK text.
fn kernel_error<M>(err: &Nlmsgerr<M>) -> Error {
    let extack = err
        .ext_ack()
        .iter()
        .find(|nla| *nla.nla_type().nla_type() == NlmsgerrAttr::Msg)
        .map(|nla| {
            let payload = nla.nla_payload().as_ref();
            let text = payload.split(|&b| b == 0).next().unwrap_or_default();
            String::from_utf8_lossy(text).into_owned()
        })
        .filter(|text| !text.is_empty());
    Error::Kernel {
        errno: -err.error(),
        extack,
    }
}

/// A one-attribute request body for the nlctrl family.
fn ctrl_string_attr(ty: CtrlAttr, value: &str) -> Result<Attrs, Error> {
    let nla_type = AttrTypeBuilder::default()
        .nla_type(u16::from(ty))
        .build()
        .map_err(|e| Error::Netlink(e.to_string()))?;
    let nla = NlattrBuilder::default()
        .nla_type(nla_type)
        .nla_payload(value)
        .build()
        .map_err(|e| Error::Netlink(e.to_string()))?;
    Ok(std::iter::once(nla).collect())
}

/// A generic-netlink socket bound to one resolved family.
pub struct Client {
    socket: NlSocketHandle,
    family: u16,
    seq: Cell<u32>,
}

impl Client {
    /// Opens a socket with extended ACKs enabled and resolves `family`.
    pub fn connect(family: &str) -> Result<Self, Error> {
        let socket = NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty())?;
        // Before anything is sent, so every error, even the family lookup's,
        // can carry the kernel's explanation.
        socket.enable_ext_ack(true)?;
        // Speaks to nlctrl until the lookup has found `family`.
        let mut client = Client {
            socket,
            family: u16::from(GenlId::Ctrl),
            seq: Cell::new(0),
        };
        client.family = client.resolve(family)?;
        Ok(client)
    }

    /// Asks nlctrl for the id of the family `name`.
    fn resolve(&self, name: &str) -> Result<u16, Error> {
        let replies = match self.exchange(
            u16::from(GenlId::Ctrl),
            CTRL_VERSION,
            u8::from(CtrlCmd::Getfamily),
            NlmF::ACK,
            ctrl_string_attr(CtrlAttr::FamilyName, name)?,
        ) {
            Err(Error::Kernel {
                errno: libc::ENOENT,
                ..
            }) => return Err(Error::FamilyNotFound(name.to_owned())),
            other => other?,
        };
        replies
            .iter()
            .find_map(|reply| {
                let handle = reply.attrs().get_attr_handle();
                handle
                    .get_attr_payload_as::<u16>(u16::from(CtrlAttr::FamilyId))
                    .ok()
            })
            .ok_or_else(|| Error::Netlink(format!("nlctrl returned no id for \"{name}\"")))
    }

    /// Sends a request and waits for its ACK, so a refusal is never missed;
    /// replies sent before the ACK (none for mutating commands) are returned.
    pub fn request(&self, cmd: u8, attrs: Attrs) -> Result<Vec<LanaMsg>, Error> {
        self.exchange(self.family, FAMILY_VERSION, cmd, NlmF::ACK, attrs)
    }

    /// Sends a request that must be answered by exactly one reply.
    pub fn query(&self, cmd: u8, attrs: Attrs) -> Result<LanaMsg, Error> {
        let mut replies = self.request(cmd, attrs)?;
        match replies.len() {
            1 => Ok(replies.remove(0)),
            n => Err(Error::Netlink(format!("expected one reply, got {n}"))),
        }
    }

    /// Runs a dump and returns every message of it.
    pub fn dump(&self, cmd: u8) -> Result<Vec<LanaMsg>, Error> {
        // No ACK flag: a dump ends with NLMSG_DONE, never with an ACK.
        self.exchange(
            self.family,
            FAMILY_VERSION,
            cmd,
            NlmF::DUMP,
            GenlBuffer::new(),
        )
    }

    /// Sends one request and collects its replies up to the message that
    /// ends it: the ACK, an error, or NLMSG_DONE.
    fn exchange(
        &self,
        family: u16,
        version: u8,
        cmd: u8,
        flags: NlmF,
        attrs: Attrs,
    ) -> Result<Vec<LanaMsg>, Error> {
        let seq = self.seq.get().wrapping_add(1);
        self.seq.set(seq);
        let genl = GenlmsghdrBuilder::default()
            .cmd(cmd)
            .version(version)
            .attrs(attrs)
            .build()
            .map_err(|e| Error::Netlink(e.to_string()))?;
        let request = NlmsghdrBuilder::default()
            .nl_type(family)
            .nl_flags(flags | NlmF::REQUEST)
            .nl_seq(seq)
            .nl_pid(self.socket.pid())
            .nl_payload(NlPayload::Payload(genl))
            .build()
            .map_err(|e| Error::Netlink(e.to_string()))?;
        self.socket.send(&request)?;

        let mut replies = Vec::new();
        loop {
            // One recv returns one datagram; a dump spans several.
            let (messages, _) = self.socket.recv::<u16, LanaMsg>()?;
            for message in messages {
                let message = message?;
                // Left over from an earlier request that was abandoned
                // after its error: not ours to interpret.
                if *message.nl_seq() != seq {
                    continue;
                }
                match message.nl_payload() {
                    NlPayload::Payload(reply) => replies.push(reply.clone()),
                    NlPayload::Err(e) => return Err(kernel_error(e)),
                    // A dump that fails reports it in its NLMSG_DONE.
                    NlPayload::DumpExtAck(done) if *done.error() < 0 => {
                        return Err(kernel_error(done))
                    }
                    NlPayload::Ack(_) | NlPayload::DumpExtAck(_) | NlPayload::Empty => {
                        return Ok(replies)
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! These talk to the running kernel's own "nlctrl" family, which every
    //! Linux has, to check the socket mechanics the lana family relies on.

    use super::*;

    const CTRL: &str = "nlctrl";

    #[test]
    fn unknown_family_means_module_not_loaded() {
        let err = Client::connect("lana-absent").err().unwrap();
        assert_eq!(err, Error::FamilyNotFound("lana-absent".into()));
    }

    #[test]
    fn dump_collects_every_message() {
        let client = Client::connect(CTRL).unwrap();
        let families = client.dump(u8::from(CtrlCmd::Getfamily)).unwrap();
        let names: Vec<String> = families
            .iter()
            .filter_map(|m| {
                m.attrs()
                    .get_attr_handle()
                    .get_attr_payload_as_with_len::<String>(u16::from(CtrlAttr::FamilyName))
                    .ok()
            })
            .collect();
        assert!(names.len() > 1, "{names:?}");
        assert!(names.iter().any(|n| n == CTRL), "{names:?}");
    }

    #[test]
    fn query_returns_the_single_reply() {
        let client = Client::connect(CTRL).unwrap();
        let reply = client
            .query(
                u8::from(CtrlCmd::Getfamily),
                ctrl_string_attr(CtrlAttr::FamilyName, CTRL).unwrap(),
            )
            .unwrap();
        assert_eq!(*reply.cmd(), u8::from(CtrlCmd::Newfamily));
    }

    #[test]
    fn refusal_carries_errno_and_extack() {
        let client = Client::connect(CTRL).unwrap();
        // Longer than GENL_NAMSIZ: fails nlctrl's attribute policy, which
        // the kernel explains in an extended ACK.
        let err = client
            .request(
                u8::from(CtrlCmd::Getfamily),
                ctrl_string_attr(CtrlAttr::FamilyName, "a-name-beyond-genl-namsiz").unwrap(),
            )
            .unwrap_err();
        let Error::Kernel { errno, extack } = &err else {
            panic!("not a kernel error: {err:?}");
        };
        assert_eq!(*errno, libc::EINVAL);
        let text = extack.as_deref().expect("no extended ACK message");
        assert_eq!(err.to_string(), format!("{text} (Invalid argument)"));
        // The socket stays usable after a refusal.
        assert!(client.dump(u8::from(CtrlCmd::Getfamily)).is_ok());
    }

    #[test]
    fn refused_dump_ends_with_the_error() {
        let client = Client::connect(CTRL).unwrap();
        // NEWFAMILY is a reply-only command: nlctrl has no handler for it.
        let err = client.dump(u8::from(CtrlCmd::Newfamily)).unwrap_err();
        assert!(matches!(err, Error::Kernel { errno, .. } if errno == libc::EOPNOTSUPP));
    }

    #[test]
    fn messages_for_errors() {
        let eperm = Error::Kernel {
            errno: libc::EPERM,
            extack: None,
        };
        assert_eq!(
            eperm.to_string(),
            "Operation not permitted (the command needs CAP_NET_ADMIN)"
        );
        let busy = Error::Kernel {
            errno: libc::EBUSY,
            extack: None,
        };
        assert_eq!(busy.to_string(), "Device or resource busy");
        let explained = Error::Kernel {
            errno: libc::EEXIST,
            extack: Some("block in0 exists".into()),
        };
        assert_eq!(explained.to_string(), "block in0 exists (File exists)");
        assert_eq!(
            Error::FamilyNotFound("lana".into()).to_string(),
            "the lana module is not loaded (generic netlink family \"lana\" not found); \
             load it with insmod lana.ko"
        );
    }
}
