// SPDX-License-Identifier: GPL-2.0-only

//! `lanactl vlink`: lana devices created and deleted over rtnetlink, as
//! `ip link add NAME type lana` and `ip link del NAME` do.
//!
//! The same socket mechanics as the generic-netlink client (`client.rs`):
//! a plain `NlSocketHandle`, so the kernel's extended-ACK text survives.

use std::cell::Cell;

use neli::{
    consts::{
        nl::NlmF,
        rtnl::{Ifla, IflaInfo, RtAddrFamily, Rtm},
        socket::NlFamily,
    },
    nl::{NlPayload, NlmsghdrBuilder},
    rtnl::{Ifinfomsg, IfinfomsgBuilder, RtattrBuilder},
    socket::synchronous::NlSocketHandle,
    types::{Buffer, RtBuffer},
    utils::Groups,
};

use crate::client::{answer, Answer, Error};

/// The rtnetlink link kind of lana devices (vlink/net/link.c).
pub const KIND: &str = "lana";

/// Most bytes of a device name (IFNAMSIZ less its NUL).
const IFNAME_MAX: usize = 15;

/// The MTU a lana device has unless told otherwise (vlink/net/link.c).
pub const DEFAULT_MTU: u32 = 1500;

/// The MTUs a lana device takes: `ETH_MIN_MTU` to `ETH_MAX_MTU` less the
/// Ethernet header (vlink/net/link.c).
pub const MTU_RANGE: std::ops::RangeInclusive<u32> = 68..=65521;

/// A device of this network namespace, as rtnetlink lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub name: String,
    /// Its link kind (`lana`, `veth`...), none for a physical device.
    pub kind: Option<String>,
    pub mtu: u32,
}

/// Attempts at a device dump the device list keeps changing under.
const DUMP_ATTEMPTS: usize = 5;

/// An rtnetlink socket for link requests: one for all the device changes
/// of a command (an apply may make thousands).
pub struct Rtnl {
    socket: NlSocketHandle,
    seq: Cell<u32>,
}

impl Rtnl {
    pub fn connect() -> Result<Self, Error> {
        let socket = NlSocketHandle::connect(NlFamily::Route, None, Groups::empty())?;
        socket.enable_ext_ack(true)?;
        Ok(Self {
            socket,
            seq: Cell::new(0),
        })
    }

    /// Creates lana device `name`, with `mtu` if given.
    pub fn add(&self, name: &str, mtu: Option<u32>) -> Result<(), Error> {
        check_name(name)?;
        let mut info = RtBuffer::<IflaInfo, Buffer>::new();
        info.push(attr(IflaInfo::Kind, KIND)?);
        let mut attrs = RtBuffer::<Ifla, Buffer>::new();
        attrs.push(attr(Ifla::Ifname, name)?);
        if let Some(mtu) = mtu {
            attrs.push(attr(Ifla::Mtu, mtu)?);
        }
        attrs.push(attr(Ifla::Linkinfo, info)?);
        let flags = NlmF::CREATE | NlmF::EXCL;
        self.exchange(Rtm::Newlink, flags, attrs).map_err(|e| match e {
        Error::Kernel {
            errno: libc::EEXIST,
            extack: None,
        } => Error::Refused(format!("a device named '{name}' exists")),
        // rtnetlink knows no link kind "lana": the module is not loaded.
        Error::Kernel {
            errno: libc::EOPNOTSUPP,
            ..
        } => Error::Refused(
            "the lana module is not loaded (no \"lana\" link type); load it with modprobe lana or insmod lana.ko"
                .into(),
        ),
        e => e,
    })?;
        Ok(())
    }

    /// Every device of this network namespace (`ip -d link`): one dump, taken
    /// again if the list changed while it was read.
    pub fn links(&self) -> Result<Vec<Link>, Error> {
        let mut attempt = 1;
        let replies = loop {
            match self.exchange(Rtm::Getlink, NlmF::DUMP, RtBuffer::new()) {
                Err(Error::Kernel {
                    errno: libc::EINTR, ..
                }) => {
                    if attempt == DUMP_ATTEMPTS {
                        return Err(Error::Refused(format!(
                        "the device list changed {DUMP_ATTEMPTS} times while it was read; try again"
                    )));
                    }
                    attempt += 1;
                }
                other => break other?,
            }
        };
        let mut links = Vec::with_capacity(replies.len());
        for link in &replies {
            let handle = link.rtattrs().get_attr_handle();
            let Ok(name) = handle.get_attr_payload_as_with_len::<String>(Ifla::Ifname) else {
                continue;
            };
            links.push(Link {
                name: name.trim_end_matches('\0').to_owned(),
                kind: kind_in(link),
                mtu: handle.get_attr_payload_as::<u32>(Ifla::Mtu).unwrap_or(0),
            });
        }
        Ok(links)
    }

    /// Sets the MTU of device `name`, as `ip link set NAME mtu MTU` does.
    pub fn set_mtu(&self, name: &str, mtu: u32) -> Result<(), Error> {
        let mut attrs = RtBuffer::<Ifla, Buffer>::new();
        attrs.push(attr(Ifla::Ifname, name)?);
        attrs.push(attr(Ifla::Mtu, mtu)?);
        self.exchange(Rtm::Newlink, NlmF::empty(), attrs)?;
        Ok(())
    }

    /// Deletes lana device `name`; refuses a device of another kind.
    pub fn del(&self, name: &str) -> Result<(), Error> {
        check_name(name)?;
        let kind = self.kind_of(name)?;
        if kind.as_deref() != Some(KIND) {
            let kind = kind.unwrap_or_else(|| "a device with no link kind".into());
            return Err(Error::Refused(format!(
                "'{name}' is not a lana device ({kind}); delete it with ip link del"
            )));
        }
        let mut attrs = RtBuffer::<Ifla, Buffer>::new();
        attrs.push(attr(Ifla::Ifname, name)?);
        self.exchange(Rtm::Dellink, NlmF::empty(), attrs)?;
        Ok(())
    }

    /// The link kind of device `name` (`ip -d link`'s first detail line), or
    /// `None` for a device without one (a physical device, loopback).
    fn kind_of(&self, name: &str) -> Result<Option<String>, Error> {
        let mut attrs = RtBuffer::<Ifla, Buffer>::new();
        attrs.push(attr(Ifla::Ifname, name)?);
        let replies = self
            .exchange(Rtm::Getlink, NlmF::empty(), attrs)
            .map_err(|e| match e {
                Error::Kernel {
                    errno: libc::ENODEV,
                    ..
                } => Error::Refused(format!("no device named '{name}'")),
                e => e,
            })?;
        let Some(link) = replies.first() else {
            return Err(Error::Refused(format!("no reply about device '{name}'")));
        };
        Ok(kind_in(link))
    }

    /// Sends one rtnetlink link request and collects its replies up to the ACK.
    fn exchange(
        &self,
        kind: Rtm,
        flags: NlmF,
        attrs: RtBuffer<Ifla, Buffer>,
    ) -> Result<Vec<Ifinfomsg>, Error> {
        let seq = self.seq.get().wrapping_add(1);
        self.seq.set(seq);
        let payload = IfinfomsgBuilder::default()
            .ifi_family(RtAddrFamily::Unspecified)
            .rtattrs(attrs)
            .build()
            .map_err(|e| Error::Netlink(e.to_string()))?;
        let request = NlmsghdrBuilder::default()
            .nl_type(kind)
            .nl_flags(flags | NlmF::REQUEST | NlmF::ACK)
            .nl_seq(seq)
            .nl_pid(self.socket.pid())
            .nl_payload(NlPayload::Payload(payload))
            .build()
            .map_err(|e| Error::Netlink(e.to_string()))?;
        self.socket.send(&request)?;
        let mut replies = Vec::new();
        // The device list changed during the dump: its parts may not agree (a
        // device missed, or seen twice). The dump is read to its end all the
        // same: the socket serves the next request, and the kernel refuses a
        // dump on a socket whose last one is still running (EBUSY).
        let mut interrupted = false;
        loop {
            let (messages, _) = self.socket.recv::<Rtm, Ifinfomsg>()?;
            for message in messages {
                let message = message?;
                // Left over from an earlier request abandoned at its error.
                if *message.nl_seq() != seq {
                    continue;
                }
                interrupted |= message.nl_flags().contains(NlmF::DUMP_INTR);
                match answer(message.nl_payload()) {
                    Answer::Reply(link) => replies.push(link.clone()),
                    Answer::Refused(e) => return Err(e),
                    Answer::End if interrupted => {
                        return Err(Error::Kernel {
                            errno: libc::EINTR,
                            extack: None,
                        })
                    }
                    Answer::End => return Ok(replies),
                }
            }
        }
    }
}

/// The link kind a link message carries.
fn kind_in(link: &Ifinfomsg) -> Option<String> {
    let handle = link.rtattrs().get_attr_handle();
    let info = handle
        .get_nested_attributes::<IflaInfo>(Ifla::Linkinfo)
        .ok()?;
    info.get_attr_payload_as_with_len::<String>(IflaInfo::Kind)
        .ok()
        .map(|k| k.trim_end_matches('\0').to_owned())
}

/// Refuses a name the kernel would, with a message that says why.
pub fn check_name(name: &str) -> Result<(), Error> {
    let bad = if name.is_empty() {
        "is empty"
    } else if name.len() > IFNAME_MAX {
        "is longer than 15 bytes"
    } else if name == "." || name == ".." {
        "is not a device name"
    } else if name.contains(['/', ':'])
        || name
            .bytes()
            .any(|b| matches!(b, b' ' | b'\t'..=b'\r' | 0xa0))
    {
        // The kernel's dev_valid_name, byte by byte (its isspace()
        // counts 0xa0 too).
        "contains '/', ':' or white space"
    } else if name.contains('%') {
        "contains '%' (a template: the kernel would choose the name)"
    } else {
        return Ok(());
    };
    Err(Error::Refused(format!("device name '{name}' {bad}")))
}

fn attr<T, P>(kind: T, payload: P) -> Result<neli::rtnl::Rtattr<T, Buffer>, Error>
where
    T: neli::consts::rtnl::RtaType,
    P: neli::ToBytes + neli::Size,
{
    RtattrBuilder::default()
        .rta_type(kind)
        .rta_payload(payload)
        .build()
        .map_err(|e| Error::Netlink(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_kernel_would_refuse_are_refused_first() {
        for (name, why) in [
            ("", "is empty"),
            ("a-name-of-16-byt", "longer than 15 bytes"),
            ("..", "not a device name"),
            ("a/b", "'/'"),
            ("a b", "white space"),
            ("a\u{e0}", "white space"),
            ("a%d", "a template"),
        ] {
            let err = check_name(name).unwrap_err().to_string();
            assert!(err.contains(why), "{name:?}: {err}");
        }
        assert!(check_name("lana0").is_ok());
        assert!(check_name("a-name-of-15-by").is_ok());
    }

    #[test]
    fn a_device_that_is_not_there_is_named_in_the_error() {
        // Read-only: any user may ask rtnetlink about a device.
        let err = Rtnl::connect()
            .unwrap()
            .kind_of("lanactl-none0")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "no device named 'lanactl-none0'");
    }

    #[test]
    fn loopback_has_no_link_kind() {
        assert_eq!(Rtnl::connect().unwrap().kind_of("lo").unwrap(), None);
    }

    #[test]
    fn the_dump_lists_loopback_with_its_mtu() {
        let links = Rtnl::connect().unwrap().links().unwrap();
        let lo = links.iter().find(|l| l.name == "lo").expect("no lo");
        assert_eq!(lo.kind, None);
        assert!(lo.mtu >= 1500, "{lo:?}");
    }
}
