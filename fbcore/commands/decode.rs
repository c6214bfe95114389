// SPDX-License-Identifier: GPL-2.0-only

//! Requests decoded once, for single commands and batches alike: names,
//! settings, tags, ports, and the change a command asks for.

use super::*;

/// The `key=value` options of a request (`OPTIONS`), in order.
pub(super) fn settings<'a>(req: &Attrs<'a>) -> CtlResult<KVec<Setting<'a>>> {
    let mut settings = KVec::new();
    for option in req.strings(attr::OPTIONS) {
        let text = option
            .to_str()
            .map_err(|_| ctl_err!(EINVAL, "option is not UTF-8"))?;
        let (key, value) = text
            .split_once('=')
            .filter(|(key, _)| !key.is_empty())
            .ok_or_else(|| ctl_err!(EINVAL, "option '{text}' is not key=value"))?;
        settings.push(Setting { key, value }, GFP_KERNEL)?;
    }
    Ok(settings)
}

/// The block type named by `BLOCK_TYPE`.
pub(super) fn block_type(req: &Attrs<'_>) -> CtlResult<&'static crate::block::BlockType> {
    let raw = str_attr(req, attr::BLOCK_TYPE, "block type")?;
    fbs::find(raw.to_bytes()).ok_or_else(|| {
        let kind = shown(raw);
        ctl_err!(ENOENT, "unknown block type '{kind}' (see lanactl types)")
    })
}

/// One request of an `APPLY` batch, decoded.
pub(super) fn batch_change<'a>(req: &Attrs<'a>) -> CtlResult<Change<'a>> {
    let cmd = req
        .u32_attr(attr::REQUEST_CMD)
        .ok_or_else(|| ctl_err!(EINVAL, "batch request without a command"))?;
    let not_in_batch = || ctl_err!(EINVAL, "command {cmd} cannot be part of a batch");
    let cmd = u8::try_from(cmd).map_err(|_| not_in_batch())?;
    match requested_change(cmd, req) {
        // The batch as a whole says where a device's traffic goes.
        Ok(Change::Unbind {
            upper, lower, port, ..
        }) => Ok(Change::Unbind {
            upper,
            lower,
            port,
            force: true,
        }),
        Err(e) if e.errno() == EOPNOTSUPP => Err(not_in_batch()),
        other => other,
    }
}

/// The change command `cmd` with attributes `req` asks for, alone or in a
/// batch.
pub(super) fn requested_change<'a>(cmd: u8, req: &Attrs<'a>) -> CtlResult<Change<'a>> {
    let upper = || name_attr(req, attr::UPPER, "upper block name");
    let lower = || name_attr(req, attr::LOWER, "lower block name");
    let block = || name_attr(req, attr::BLOCK_NAME, "block name");
    let peer = || name_attr(req, attr::PEER, "block name to subscribe to");
    let dev = || str_attr(req, attr::DEV_NAME, "device name");
    Ok(match cmd {
        cmd::ADD => Change::Add {
            name: block()?,
            kind: block_type(req)?,
            settings: settings(req)?,
        },
        cmd::RM => Change::Rm {
            name: block()?,
            cascade: req.flag(attr::CASCADE),
        },
        cmd::BIND => Change::Bind {
            upper: upper()?,
            lower: lower()?,
            port: port_attr(req)?,
        },
        cmd::UNBIND => Change::Unbind {
            upper: upper()?,
            lower: lower()?,
            port: port_attr(req)?,
            force: req.flag(attr::CASCADE),
        },
        cmd::SET => Change::Set {
            name: block()?,
            settings: settings(req)?,
        },
        cmd::SUBSCRIBE => Change::Subscribe {
            subscriber: block()?,
            target: peer()?,
        },
        cmd::UNSUBSCRIBE => Change::Unsubscribe {
            subscriber: block()?,
            target: name_attr(req, attr::PEER, "block name to unsubscribe from")?,
        },
        cmd::REPLACE => Change::Replace {
            old: block()?,
            new: name_attr(req, attr::NEW_NAME, "new block name")?,
            carry_state: !req.flag(attr::DROP_STATE),
        },
        cmd::ATTACH => Change::Attach {
            dev: dev()?,
            block: block()?,
            tag: tag_attr(req)?,
        },
        cmd::DETACH => Change::Detach {
            dev: dev()?,
            tag: tag_attr(req)?,
        },
        _ => return Err(ctl_err!(EOPNOTSUPP, "command {cmd} is not a change")),
    })
}

/// The optional output port of a bind or unbind.
pub(super) fn port_attr<'a>(req: &Attrs<'a>) -> CtlResult<Option<&'a str>> {
    req.str_attr(attr::PORT)
        .map(|port| {
            port.to_str()
                .map_err(|_| ctl_err!(EINVAL, "port name is not UTF-8"))
        })
        .transpose()
}

/// A required string attribute.
pub(super) fn str_attr<'a>(req: &Attrs<'a>, id: u16, what: &str) -> CtlResult<&'a CStr> {
    req.str_attr(id)
        .ok_or_else(|| ctl_err!(EINVAL, "missing {what}"))
}

/// The optional `TAG` attribute, parsed.
pub(super) fn tag_attr(req: &Attrs<'_>) -> CtlResult<Option<Tag>> {
    let Some(text) = req.str_attr(attr::TAG) else {
        return Ok(None);
    };
    let text = text
        .to_str()
        .map_err(|_| ctl_err!(EINVAL, "tag is not UTF-8"))?;
    Tag::parse(text).map(Some)
}

/// A required name attribute, validated.
pub(super) fn name_attr(req: &Attrs<'_>, id: u16, what: &str) -> CtlResult<Name> {
    Name::new(str_attr(req, id, what)?.to_bytes(), what)
}
