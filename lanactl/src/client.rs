// SPDX-License-Identifier: GPL-2.0-only

//! The generic-netlink conversation with the kernel: one socket, the family
//! resolved once, the request/ACK and dump exchanges on top of it, and the
//! family's multicast groups for listening to events.
//!
//! neli's `NlRouter` is not used: in neli 0.7.5 it re-parses every error
//! message through `Nlmsgerr::to_typed`, which drops the extended-ACK
//! attributes, so the kernel's explanation would never reach the user. The
//! plain `NlSocketHandle` parses replies straight from the socket buffer and
//! keeps them; the short receive loop below is what the router did for us.

use std::{
    cell::Cell,
    ffi::CStr,
    fmt,
    io::{self, Cursor},
    os::fd::AsRawFd,
};

use lana_uapi::FAMILY_VERSION;
use neli::{
    consts::{
        genl::{CtrlAttr, CtrlAttrMcastGrp, CtrlCmd},
        nl::{GenlId, NlmF, NlmsgerrAttr},
        socket::NlFamily,
    },
    err::{Nlmsgerr, SocketError},
    genl::{AttrTypeBuilder, GenlmsghdrBuilder, NlattrBuilder},
    nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder},
    socket::synchronous::NlSocketHandle,
    types::GenlBuffer,
    utils::Groups,
    FromBytes, Size,
};

use crate::wire::{Attrs, LanaMsg, WireError};

/// One message of a datagram, decoded or not.
type Received = Result<Nlmsghdr<u16, LanaMsg>, SocketError>;

/// The smallest receive buffer offered to the kernel (see
/// [`Client::recv_datagram`]).
const DUMP_PART: usize = 32 << 10;

/// Version of the nlctrl family's own protocol, used for the family lookup.
const CTRL_VERSION: u8 = 2;

/// Why talking to the kernel failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The generic-netlink family is not registered: the module is not loaded.
    FamilyNotFound(String),
    /// The kernel refused the request with `errno`, and maybe said why.
    Kernel { errno: i32, extack: Option<String> },
    /// The family has no multicast group of that name.
    GroupNotFound { family: String, group: String },
    /// The socket's receive buffer overran: multicast messages were dropped.
    EventsLost,
    /// The socket or the message stream failed below the protocol.
    Netlink(String),
    /// The request is refused before it is sent, or its refusal is
    /// explained better than the bare errno would (the text says why).
    Refused(String),
    /// The kernel refused request `index` of a batch (`APPLY`): `cause`
    /// is its refusal.
    InBatch { index: u32, cause: Box<Error> },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::FamilyNotFound(family) => write!(
                f,
                "the lana module is not loaded (generic netlink family \"{family}\" not found, and the kernel could not load it: not installed?); \
                 load it with modprobe lana or insmod lana.ko"
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
            Error::GroupNotFound { family, group } => write!(
                f,
                "generic netlink family \"{family}\" has no multicast group \"{group}\" \
                 (the loaded module is older than this lanactl)"
            ),
            Error::EventsLost => f.write_str("events were lost (socket buffer overrun)"),
            Error::Netlink(why) => write!(f, "netlink: {why}"),
            Error::Refused(why) => f.write_str(why),
            Error::InBatch { index, cause } => write!(f, "change {}: {cause}", index + 1),
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
pub(crate) fn kernel_error<M>(err: &Nlmsgerr<M>) -> Error {
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
    let refusal = Error::Kernel {
        errno: -err.error(),
        extack,
    };
    // The kernel names the refused request of a batch in the cookie.
    let index = err
        .ext_ack()
        .iter()
        .find(|nla| *nla.nla_type().nla_type() == NlmsgerrAttr::Cookie)
        .and_then(|nla| <[u8; 4]>::try_from(nla.nla_payload().as_ref()).ok())
        .map(u32::from_ne_bytes);
    match index {
        Some(index) => Error::InBatch {
            index,
            cause: Box::new(refusal),
        },
        None => refusal,
    }
}

/// What one message answering a request is.
pub(crate) enum Answer<'a, P> {
    /// One of the replies.
    Reply(&'a P),
    /// The end of the replies: the ACK, or a dump's NLMSG_DONE.
    End,
    /// The request's refusal: the kernel's error, or a failed dump's
    /// NLMSG_DONE (a dump reports its failure there).
    Refused(Error),
}

/// Reads one message answering a request, for every netlink family.
pub(crate) fn answer<T, P>(payload: &NlPayload<T, P>) -> Answer<'_, P> {
    match payload {
        NlPayload::Payload(reply) => Answer::Reply(reply),
        NlPayload::Err(e) => Answer::Refused(kernel_error(e)),
        NlPayload::DumpExtAck(done) if *done.error() < 0 => Answer::Refused(kernel_error(done)),
        NlPayload::Ack(_) | NlPayload::DumpExtAck(_) | NlPayload::Empty => Answer::End,
    }
}

/// A receive failure; an overrun is told apart, since listening can go on.
fn recv_error(e: SocketError) -> Error {
    match &e {
        SocketError::Io(io) if io.raw_os_error() == Some(libc::ENOBUFS) => Error::EventsLost,
        _ => e.into(),
    }
}

/// A multicast group of a generic-netlink family.
#[derive(Debug, Clone, PartialEq, Eq)]
struct McastGroup {
    name: String,
    id: u32,
}

/// The multicast groups of a GETFAMILY reply: a `CTRL_ATTR_MCAST_GROUPS`
/// nest holding one nest per group, each with a name and an id. A family
/// without groups has no such nest.
fn mcast_groups(reply: &LanaMsg) -> Result<Vec<McastGroup>, Error> {
    let malformed = |e: neli::err::DeError| Error::Netlink(format!("multicast groups: {e}"));
    let top = reply.attrs().get_attr_handle();
    let Some(groups) = top.get_attribute(u16::from(CtrlAttr::McastGroups)) else {
        return Ok(Vec::new());
    };
    let groups = groups.get_attr_handle::<u16>().map_err(malformed)?;
    groups
        .iter()
        .map(|group| {
            let group = group.get_attr_handle::<u16>().map_err(malformed)?;
            let name = group
                .get_attribute(u16::from(CtrlAttrMcastGrp::Name))
                .ok_or_else(|| Error::Netlink("multicast group without a name".into()))?;
            let name = name.nla_payload().as_ref();
            let name = name.split(|&b| b == 0).next().unwrap_or_default();
            Ok(McastGroup {
                name: String::from_utf8_lossy(name).into_owned(),
                id: group
                    .get_attr_payload_as::<u32>(u16::from(CtrlAttrMcastGrp::Id))
                    .map_err(malformed)?,
            })
        })
        .collect()
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
    /// The family's name, for error messages.
    name: String,
    family: u16,
    /// The family's multicast groups, as nlctrl listed them.
    groups: Vec<McastGroup>,
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
            name: family.to_owned(),
            family: u16::from(GenlId::Ctrl),
            groups: Vec::new(),
            seq: Cell::new(0),
        };
        (client.family, client.groups) = client.resolve(family)?;
        Ok(client)
    }

    /// Asks nlctrl for the id and the multicast groups of the family `name`.
    fn resolve(&self, name: &str) -> Result<(u16, Vec<McastGroup>), Error> {
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
        let (reply, id) = replies
            .iter()
            .find_map(|reply| {
                let handle = reply.attrs().get_attr_handle();
                let id = handle
                    .get_attr_payload_as::<u16>(u16::from(CtrlAttr::FamilyId))
                    .ok()?;
                Some((reply, id))
            })
            .ok_or_else(|| Error::Netlink(format!("nlctrl returned no id for \"{name}\"")))?;
        Ok((id, mcast_groups(reply)?))
    }

    /// Joins the family's multicast group `group`: from now on, what the
    /// kernel sends to it queues on this socket for [`Client::receive`].
    pub fn join(&self, group: &str) -> Result<(), Error> {
        let id = self
            .groups
            .iter()
            .find(|g| g.name == group)
            .ok_or_else(|| Error::GroupNotFound {
                family: self.name.clone(),
                group: group.to_owned(),
            })?
            .id;
        self.socket
            .add_mcast_membership(Groups::new_groups(&[id]))
            .map_err(|e| match &e {
                // A group may require CAP_NET_ADMIN to join: reported like
                // the kernel's other refusals.
                SocketError::Io(io) => match io.raw_os_error() {
                    Some(errno) => Error::Kernel {
                        errno,
                        extack: None,
                    },
                    None => e.into(),
                },
                _ => e.into(),
            })
    }

    /// Waits for the next datagram and returns the family's messages in it,
    /// each decoded or the reason why not; other messages are skipped.
    /// [`Error::EventsLost`] means the kernel dropped messages because the
    /// socket's buffer was full; the socket stays usable.
    pub fn receive(&self) -> Result<Vec<Result<LanaMsg, WireError>>, Error> {
        let messages = self.recv().map_err(recv_error)?;
        // neli stops at the first message it cannot decode: the rest of the
        // datagram has no trustworthy boundary.
        Ok(messages
            .into_iter()
            .filter_map(|message| match message {
                Ok(message) => match message.nl_payload() {
                    NlPayload::Payload(msg) if *message.nl_type() == self.family => {
                        Some(Ok(msg.clone()))
                    }
                    _ => None,
                },
                Err(e) => Some(Err(WireError::Encoding(e.to_string()))),
            })
            .collect())
    }

    /// The messages of the next datagram, each decoded or the reason why
    /// not (decoding stops at the first it cannot decode: the rest has no
    /// trustworthy boundary). The datagram is read whole, however large:
    /// neli's own receive reads at most 32 KiB and would cut a large reply.
    fn recv(&self) -> Result<Vec<Received>, SocketError> {
        let datagram = self.recv_datagram()?;
        let len = datagram.len() as u64;
        let mut cursor = Cursor::new(datagram);
        let mut messages = Vec::new();
        while cursor.position() < len {
            match Nlmsghdr::from_bytes(&mut cursor) {
                Ok(message) => messages.push(Ok(message)),
                Err(e) => {
                    messages.push(Err(e.into()));
                    break;
                }
            }
        }
        Ok(messages)
    }

    /// The next datagram, whole: its length is peeked first.
    fn recv_datagram(&self) -> Result<Vec<u8>, SocketError> {
        let fd = self.socket.as_raw_fd();
        loop {
            // SAFETY: A zero-length peek writes nothing; with MSG_TRUNC it
            // returns the length of the datagram waiting.
            let len = unsafe {
                libc::recv(
                    fd,
                    std::ptr::null_mut(),
                    0,
                    libc::MSG_PEEK | libc::MSG_TRUNC,
                )
            };
            if len < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e.into());
            }
            // At least 32 KiB: the kernel sizes a dump's parts by the
            // largest buffer a reader has offered.
            let mut buf = vec![0u8; (len as usize).max(DUMP_PART)];
            // SAFETY: `buf` is writable for its whole length, passed along.
            let got = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if got < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e.into());
            }
            buf.truncate(got as usize);
            return Ok(buf);
        }
    }

    /// Lets the socket send a message of `len` bytes: netlink refuses one
    /// larger than the send buffer (a large `apply` batch). Raising it
    /// beyond `net.core.wmem_max` needs CAP_NET_ADMIN, which such a
    /// request needs anyway; when it cannot be raised, the send fails with
    /// EMSGSIZE.
    fn make_room_to_send(&self, len: usize) {
        const DEFAULT_SNDBUF: usize = 200 << 10;
        if len <= DEFAULT_SNDBUF {
            return;
        }
        let size = libc::c_int::try_from(len + (64 << 10)).unwrap_or(libc::c_int::MAX);
        let fd = self.socket.as_raw_fd();
        for option in [libc::SO_SNDBUFFORCE, libc::SO_SNDBUF] {
            // SAFETY: `size` is a readable int of the length passed.
            let ret = unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    option,
                    std::ptr::addr_of!(size).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
            if ret == 0 {
                return;
            }
        }
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
        self.make_room_to_send(request.padded_size());
        self.socket.send(&request)?;

        let mut replies = Vec::new();
        loop {
            // One recv returns one datagram; a dump spans several.
            for message in self.recv()? {
                let message = message?;
                // Left over from an earlier request that was abandoned
                // after its error: not ours to interpret.
                if *message.nl_seq() != seq {
                    continue;
                }
                match answer(message.nl_payload()) {
                    Answer::Reply(reply) => replies.push(reply.clone()),
                    Answer::Refused(e) => return Err(e),
                    Answer::End => return Ok(replies),
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
    fn joins_a_multicast_group_resolved_by_name() {
        let client = Client::connect(CTRL).unwrap();
        let notify = client
            .groups
            .iter()
            .find(|g| g.name == "notify")
            .unwrap_or_else(|| panic!("nlctrl lists no \"notify\": {:?}", client.groups))
            .id;
        assert_ne!(notify, 0);
        let joined = || client.socket.list_mcast_membership().unwrap().to_vec();
        assert!(!joined().contains(&notify));
        client.join("notify").unwrap();
        assert!(joined().contains(&notify), "{:?}", joined());
    }

    #[test]
    fn unknown_group_is_reported() {
        let client = Client::connect(CTRL).unwrap();
        let err = client.join("no-such-group").unwrap_err();
        assert_eq!(
            err,
            Error::GroupNotFound {
                family: CTRL.into(),
                group: "no-such-group".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "generic netlink family \"nlctrl\" has no multicast group \"no-such-group\" \
             (the loaded module is older than this lanactl)"
        );
        assert!(client
            .socket
            .list_mcast_membership()
            .unwrap()
            .to_vec()
            .is_empty());
    }

    /// One netlink message: header, genl header, NUL-terminated string
    /// attributes.
    fn message(nl_type: u16, cmd: u8, attrs: &[(u16, &str)]) -> Vec<u8> {
        let mut body = vec![cmd, FAMILY_VERSION, 0, 0];
        for (ty, value) in attrs {
            let len = u16::try_from(4 + value.len() + 1).unwrap();
            body.extend_from_slice(&len.to_ne_bytes());
            body.extend_from_slice(&ty.to_ne_bytes());
            body.extend_from_slice(value.as_bytes());
            body.push(0);
            body.resize(body.len().next_multiple_of(4), 0);
        }
        let len = u32::try_from(16 + body.len()).unwrap();
        let mut out = Vec::new();
        out.extend_from_slice(&len.to_ne_bytes());
        out.extend_from_slice(&nl_type.to_ne_bytes());
        out.extend_from_slice(&0u16.to_ne_bytes()); // flags
        out.extend_from_slice(&0u32.to_ne_bytes()); // seq
        out.extend_from_slice(&0u32.to_ne_bytes()); // sender's port
        out.extend(body);
        out
    }

    /// Sends `datagram` from another socket straight to `port`, as the
    /// kernel's multicast would deliver it.
    fn send_to(port: u32, datagram: &[u8]) {
        let sender = NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty()).unwrap();
        // SAFETY: an all-zero sockaddr_nl is valid; the fields are set below.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        addr.nl_pid = port;
        // SAFETY: `datagram` and `addr` are valid for the lengths passed.
        let sent = unsafe {
            libc::sendto(
                std::os::fd::AsRawFd::as_raw_fd(&sender),
                datagram.as_ptr().cast(),
                datagram.len(),
                0,
                std::ptr::addr_of!(addr).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        assert_eq!(
            sent,
            datagram.len() as isize,
            "{}",
            io::Error::last_os_error()
        );
    }

    #[test]
    fn receive_returns_the_familys_messages() {
        use lana_uapi::{attr, cmd};

        let client = Client::connect(CTRL).unwrap();
        let port = client.socket.pid();
        let event = |kind: &str, block: &str| {
            message(
                client.family,
                cmd::EVENT,
                &[(attr::EVENT, kind), (attr::BLOCK_NAME, block)],
            )
        };
        // Another family's message is not ours to show.
        send_to(port, &message(client.family + 1, cmd::EVENT, &[]));
        assert!(client.receive().unwrap().is_empty());

        // Every message of a datagram, in order.
        send_to(port, &[event("add", "in0"), event("rm", "in0")].concat());
        let received = client.receive().unwrap();
        let events: Vec<_> = received
            .iter()
            .map(|m| crate::wire::parse_event(m.as_ref().unwrap()).unwrap())
            .map(|e| (e.kind, e.block))
            .collect();
        assert_eq!(
            events,
            [("add".into(), "in0".into()), ("rm".into(), "in0".into())]
        );

        // A message longer than its datagram cannot be decoded: reported,
        // and the socket stays usable.
        let mut truncated = event("bind", "top");
        truncated[0] += 8;
        send_to(port, &truncated);
        let received = client.receive().unwrap();
        assert!(
            matches!(received.as_slice(), [Err(WireError::Encoding(_))]),
            "{received:?}"
        );
        send_to(port, &event("unbind", "top"));
        assert_eq!(client.receive().unwrap().len(), 1);
    }

    #[test]
    fn overrun_is_told_apart() {
        let overrun = SocketError::from(io::Error::from_raw_os_error(libc::ENOBUFS));
        assert_eq!(recv_error(overrun), Error::EventsLost);
        assert_eq!(
            Error::EventsLost.to_string(),
            "events were lost (socket buffer overrun)"
        );
        let other = SocketError::from(io::Error::from_raw_os_error(libc::EBADF));
        assert!(matches!(recv_error(other), Error::Netlink(_)));
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
            "the lana module is not loaded (generic netlink family \"lana\" not found, and the kernel could not load it: not installed?); \
             load it with modprobe lana or insmod lana.ko"
        );
    }
}
