// SPDX-License-Identifier: GPL-2.0-only

//! Refusals and settings shared by single commands and batches.

use super::*;

/// The refusal of a second attachment of device `dev` with `tag`: block
/// `on` has it.
pub(super) fn already_attached(
    dev: &impl core::fmt::Display,
    tag: Option<Tag>,
    on: Name,
) -> CtlError {
    match tag {
        Some(tag) => ctl_err!(EBUSY, "device '{dev}' {tag} is already attached to '{on}'"),
        None => ctl_err!(EBUSY, "device '{dev}' is already attached to '{on}'"),
    }
}

/// The refusal of a device whose rx_handler another driver holds.
pub(super) fn held_by_another(dev: &impl core::fmt::Display) -> CtlError {
    ctl_err!(
        EBUSY,
        "device '{dev}' is in use by another rx_handler (bridge, bond...)"
    )
}

/// The refusal of a tag on a lana device.
pub(super) fn tag_on_lana_device(dev: &impl core::fmt::Display) -> CtlError {
    ctl_err!(EINVAL, "device '{dev}' is a lana device: it takes no tag")
}

/// Refuses settings whose key the block type does not have.
pub(super) fn check_keys(kind: &BlockType, settings: &[Setting<'_>]) -> CtlResult {
    for setting in settings {
        if !kind
            .keys
            .iter()
            .any(|k| k.name.to_bytes() == setting.key.as_bytes())
        {
            let (key, kind) = (setting.key, shown(kind.name));
            return Err(ctl_err!(
                EINVAL,
                "type '{kind}' has no key '{key}' (see lanactl types)"
            ));
        }
    }
    Ok(())
}

/// Prepares `settings` of `block`, naming it in any refusal.
pub(super) fn prepare(
    name: &Name,
    block: &dyn Block,
    settings: &[Setting<'_>],
    net: &Namespace,
) -> CtlResult<Prepared> {
    if settings.is_empty() {
        return Ok(Prepared::nothing());
    }
    block
        .prepare(settings, net)
        .map_err(|e| ctl_err!(e.errno(), "block '{name}': {}", e.message()))
}

/// Configures `block`: all of `settings` or, on a refusal naming it, none.
pub(super) fn configure(
    name: &Name,
    block: &dyn Block,
    settings: &[Setting<'_>],
    net: &Namespace,
) -> CtlResult {
    block.commit(prepare(name, block, settings, net)?);
    Ok(())
}
