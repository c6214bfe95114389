// SPDX-License-Identifier: GPL-2.0-only

//! A generic-netlink socket that sends raw bytes to the lana family and
//! waits, with a deadline, for the kernel's answer.

use std::{collections::HashMap, io, os::fd::AsRawFd, time::Duration};

use neli::{
    consts::{
        genl::{CtrlAttr, CtrlCmd},
        nl::{GenlId, NlmF},
        socket::{Msg, NlFamily},
    },
    genl::{AttrTypeBuilder, Genlmsghdr, GenlmsghdrBuilder, NlattrBuilder},
    nl::{NlPayload, NlmsghdrBuilder},
    socket::{synchronous::NlSocketHandle, NlSocket},
    types::GenlBuffer,
    utils::Groups,
};

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_HDRLEN: usize = 16;

/// What the kernel answered to one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Answer {
    /// An ACK or the end of a dump: 0, or the (positive) errno.
    Errno(i32),
    /// Nothing within the deadline (the kernel ignores some messages).
    Silence,
}

pub struct Socket {
    socket: NlSocket,
    family: u16,
    seq: u32,
    buf: Vec<u8>,
    /// The extended ACK's message of the last answer, if it had one.
    pub extack: Option<String>,
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl Socket {
    /// A socket speaking to family `name`, resolved through nlctrl.
    pub fn connect(name: &str) -> io::Result<Self> {
        let handle =
            NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty()).map_err(other)?;
        let nla_type = AttrTypeBuilder::default()
            .nla_type(u16::from(CtrlAttr::FamilyName))
            .build()
            .map_err(other)?;
        let attr = NlattrBuilder::default()
            .nla_type(nla_type)
            .nla_payload(name)
            .build()
            .map_err(other)?;
        let genl = GenlmsghdrBuilder::default()
            .cmd(CtrlCmd::Getfamily)
            .version(2)
            .attrs(std::iter::once(attr).collect::<GenlBuffer<_, _>>())
            .build()
            .map_err(other)?;
        let msg = NlmsghdrBuilder::default()
            .nl_type(GenlId::Ctrl)
            .nl_flags(NlmF::REQUEST)
            .nl_payload(NlPayload::Payload(genl))
            .build()
            .map_err(other)?;
        handle.send(&msg).map_err(other)?;
        let (replies, _) = handle
            .recv::<u16, Genlmsghdr<CtrlCmd, CtrlAttr>>()
            .map_err(other)?;
        let mut family = None;
        for reply in replies {
            if let NlPayload::Payload(p) = reply.map_err(other)?.nl_payload() {
                family = p
                    .attrs()
                    .get_attr_handle()
                    .get_attr_payload_as::<u16>(CtrlAttr::FamilyId)
                    .ok();
            }
        }
        let family = family.ok_or_else(|| {
            other(format!(
                "no generic netlink family '{name}' (module loaded?)"
            ))
        })?;
        let socket = NlSocket::from(handle);
        socket.enable_ext_ack(true)?;
        socket.set_recv_buffer_size(4 << 20)?;
        Ok(Self {
            socket,
            family,
            seq: 0,
            buf: vec![0; 256 * 1024],
            extack: None,
        })
    }

    /// Sends `payload` (a generic-netlink header and attributes) as one
    /// request, as a dump when `dump`, and returns the kernel's answer.
    pub fn exchange(&mut self, payload: &[u8], dump: bool) -> io::Result<Answer> {
        self.seq = self.seq.wrapping_add(1);
        let mut flags = libc::NLM_F_REQUEST as u16 | libc::NLM_F_ACK as u16;
        if dump {
            flags |= libc::NLM_F_DUMP as u16;
        }
        let mut msg = Vec::with_capacity(NLMSG_HDRLEN + payload.len());
        msg.extend_from_slice(&((NLMSG_HDRLEN + payload.len()) as u32).to_ne_bytes());
        msg.extend_from_slice(&self.family.to_ne_bytes());
        msg.extend_from_slice(&flags.to_ne_bytes());
        msg.extend_from_slice(&self.seq.to_ne_bytes());
        msg.extend_from_slice(&0u32.to_ne_bytes());
        msg.extend_from_slice(payload);
        self.socket.send(&msg, Msg::empty())?;
        loop {
            if !self.readable(Duration::from_secs(2))? {
                return Ok(Answer::Silence);
            }
            let n = match self.socket.recv(&mut self.buf[..], Msg::empty()) {
                Ok((n, _)) => n,
                // The socket overran (a dump's replies); the answer may be
                // among what was lost: counted as such, the next request
                // goes on.
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    return Ok(Answer::Errno(libc::ENOBUFS));
                }
                Err(e) => return Err(e),
            };
            if let Some((answer, extack)) = self.final_answer(n) {
                self.extack = extack;
                return Ok(answer);
            }
        }
    }

    /// The ACK, error or end of dump for the current request among the
    /// first `n` received bytes.
    fn final_answer(&self, n: usize) -> Option<(Answer, Option<String>)> {
        let mut at = 0;
        let buf = &self.buf[..n];
        while at + NLMSG_HDRLEN <= n {
            let word =
                |off: usize| u32::from_ne_bytes(buf[at + off..at + off + 4].try_into().unwrap());
            let len = word(0) as usize;
            let ty = u16::from_ne_bytes([buf[at + 4], buf[at + 5]]);
            let seq = word(8);
            if len < NLMSG_HDRLEN || at + len > n {
                return None;
            }
            if seq == self.seq && (ty == NLMSG_ERROR || ty == NLMSG_DONE) {
                let code = buf
                    .get(at + NLMSG_HDRLEN..at + NLMSG_HDRLEN + 4)
                    .map_or(0, |b| i32::from_ne_bytes(b.try_into().unwrap()));
                let flags = u16::from_ne_bytes([buf[at + 6], buf[at + 7]]);
                let extack = (ty == NLMSG_ERROR)
                    .then(|| extack_message(&buf[at..at + len], flags))
                    .flatten();
                return Some((Answer::Errno(-code), extack));
            }
            at += len.next_multiple_of(4);
        }
        None
    }

    fn readable(&self, timeout: Duration) -> io::Result<bool> {
        let mut pfd = libc::pollfd {
            fd: self.socket.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid pollfd for the duration of the call.
        let ret = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as libc::c_int) };
        match ret {
            r if r < 0 => Err(io::Error::last_os_error()),
            0 => Ok(false),
            _ => Ok(true),
        }
    }
}

/// The `NLMSGERR_ATTR_MSG` of an error message `msg` (header included).
fn extack_message(msg: &[u8], flags: u16) -> Option<String> {
    const NLM_F_CAPPED: u16 = 0x100;
    const NLM_F_ACK_TLVS: u16 = 0x200;
    const NLMSGERR_ATTR_MSG: u16 = 1;
    if flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    // The error code, then the request's header, and its payload unless
    // capped.
    let request = NLMSG_HDRLEN + 4;
    let request_len = if flags & NLM_F_CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        u32::from_ne_bytes(msg.get(request..request + 4)?.try_into().ok()?) as usize
    };
    let tlvs = msg.get((request + request_len).next_multiple_of(4)..)?;
    let attrs = crate::attr::decode(tlvs)?;
    let text = attrs.iter().find(|a| a.ty & 0x3fff == NLMSGERR_ATTR_MSG)?;
    let text = text.payload.split(|&b| b == 0).next()?;
    Some(String::from_utf8_lossy(text).into_owned())
}

/// Answers counted by kind, for the summary.
#[derive(Default)]
pub struct Tally(pub HashMap<Answer, u64>);

impl Tally {
    pub fn add(&mut self, answer: Answer) {
        *self.0.entry(answer).or_default() += 1;
    }
}
