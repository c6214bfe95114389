// SPDX-License-Identifier: GPL-2.0-only

//! The corpus seeds: one valid request per command and form, the messages
//! mutations start from. `genl-fuzz --write-seeds DIR` writes them (the
//! committed ones in `seeds/`); the fuzzer reads them back with `--seeds`.
//!
//! Blocks are named from a small pool (`fz*`) and the device is `fz0`, so
//! valid messages keep making, binding and removing the same few blocks
//! while traffic flows.

use lana_uapi::{attr, cmd, FAMILY_VERSION};

use crate::attr::Attr;

/// A request: the generic-netlink header, then the attributes.
pub fn message(command: u8, attrs: &[Attr]) -> Vec<u8> {
    let mut out = vec![command, FAMILY_VERSION, 0, 0];
    out.extend(crate::attr::encode(attrs));
    out
}

fn name(ty: u16, name: &str) -> Attr {
    Attr::string(ty, name)
}

fn options(list: &[&str]) -> Attr {
    let inner: Vec<Attr> = list.iter().map(|o| Attr::string(attr::OPTION, o)).collect();
    Attr::nest(attr::OPTIONS, &inner)
}

/// One request of an `APPLY` batch: its command and attributes.
fn request(index: u16, command: u8, attrs: &[Attr]) -> Attr {
    let mut inner = vec![Attr::u32(attr::REQUEST_CMD, u32::from(command))];
    inner.extend_from_slice(attrs);
    Attr::nest(index, &inner)
}

/// Every seed: a file name and the message.
pub fn all() -> Vec<(&'static str, Vec<u8>)> {
    let b = |n: &str| name(attr::BLOCK_NAME, n);
    let dev = || name(attr::DEV_NAME, "fz0");
    let pair = |up: &str, low: &str| vec![name(attr::UPPER, up), name(attr::LOWER, low)];
    vec![
        (
            "add-counter",
            message(cmd::ADD, &[b("fza"), name(attr::BLOCK_TYPE, "counter")]),
        ),
        (
            "add-forward",
            message(cmd::ADD, &[b("fzb"), name(attr::BLOCK_TYPE, "forward")]),
        ),
        (
            "add-tee",
            message(cmd::ADD, &[b("fzc"), name(attr::BLOCK_TYPE, "tee")]),
        ),
        (
            "add-drop-options",
            message(
                cmd::ADD,
                &[
                    b("fzd"),
                    name(attr::BLOCK_TYPE, "drop"),
                    options(&["reason=fuzz"]),
                ],
            ),
        ),
        (
            "add-eth-options",
            message(
                cmd::ADD,
                &[
                    b("fze"),
                    name(attr::BLOCK_TYPE, "eth"),
                    options(&["promisc=on", "ethertype=0x0800"]),
                ],
            ),
        ),
        (
            "add-bpf-cbpf",
            message(
                cmd::ADD,
                &[
                    b("fzf"),
                    name(attr::BLOCK_TYPE, "bpf"),
                    options(&["cbpf=1,6 0 0 65535"]),
                ],
            ),
        ),
        ("rm", message(cmd::RM, &[b("fza")])),
        (
            "rm-cascade",
            message(cmd::RM, &[b("fzb"), Attr::flag(attr::CASCADE)]),
        ),
        ("bind", message(cmd::BIND, &pair("fzb", "fza"))),
        ("bind-port", {
            let mut attrs = pair("fza", "fzc");
            attrs.push(name(attr::PORT, "clone"));
            message(cmd::BIND, &attrs)
        }),
        ("unbind", message(cmd::UNBIND, &pair("fzb", "fza"))),
        ("unbind-force", {
            let mut attrs = pair("fzc", "fzb");
            attrs.push(Attr::flag(attr::CASCADE));
            message(cmd::UNBIND, &attrs)
        }),
        ("attach", message(cmd::ATTACH, &[dev(), b("fza")])),
        (
            "attach-tag",
            message(cmd::ATTACH, &[dev(), b("fzb"), name(attr::TAG, "vlan=5")]),
        ),
        ("detach", message(cmd::DETACH, &[dev()])),
        (
            "detach-tag",
            message(cmd::DETACH, &[dev(), name(attr::TAG, "vlan=5")]),
        ),
        (
            "replace",
            message(cmd::REPLACE, &[b("fza"), name(attr::NEW_NAME, "fzg")]),
        ),
        (
            "replace-drop-state",
            message(
                cmd::REPLACE,
                &[
                    b("fzg"),
                    name(attr::NEW_NAME, "fza"),
                    Attr::flag(attr::DROP_STATE),
                ],
            ),
        ),
        (
            "set",
            message(cmd::SET, &[b("fzd"), options(&["reason=again"])]),
        ),
        ("get", message(cmd::GET, &[b("fzd")])),
        ("reset", message(cmd::RESET, &[b("fza")])),
        (
            "subscribe",
            message(cmd::SUBSCRIBE, &[b("fza"), name(attr::PEER, "fzb")]),
        ),
        (
            "unsubscribe",
            message(cmd::UNSUBSCRIBE, &[b("fza"), name(attr::PEER, "fzb")]),
        ),
        ("stats", message(cmd::STATS, &[])),
        (
            "stats-block-per-cpu",
            message(cmd::STATS, &[b("fza"), Attr::flag(attr::PER_CPU)]),
        ),
        ("show", message(cmd::SHOW, &[b("fza")])),
        ("revision", message(cmd::REVISION, &[])),
        (
            "trace",
            message(cmd::TRACE, &[dev(), Attr::u32(attr::COUNT, 2)]),
        ),
        (
            "trace-stop",
            message(cmd::TRACE, &[dev(), Attr::u32(attr::COUNT, 0)]),
        ),
        ("list", message(cmd::LIST, &[])),
        ("types", message(cmd::TYPES, &[])),
        ("attachments", message(cmd::ATTACHMENTS, &[])),
        ("details", message(cmd::DETAILS, &[])),
        (
            "apply",
            message(
                cmd::APPLY,
                &[Attr::nest(
                    attr::REQUESTS,
                    &[
                        request(1, cmd::ADD, &[b("fzh"), name(attr::BLOCK_TYPE, "counter")]),
                        request(2, cmd::BIND, &pair("fzh", "fza")),
                        request(3, cmd::ATTACH, &[dev(), b("fza")]),
                    ],
                )],
            ),
        ),
        (
            "apply-dry-run-revision",
            message(
                cmd::APPLY,
                &[
                    Attr::nest(
                        attr::REQUESTS,
                        &[
                            request(1, cmd::UNBIND, &pair("fzh", "fza")),
                            request(2, cmd::RM, &[b("fzh")]),
                            request(3, cmd::SET, &[b("fzd"), options(&["reason=batch"])]),
                        ],
                    ),
                    Attr::u32(attr::REVISION, 3),
                    Attr::flag(attr::DRY_RUN),
                ],
            ),
        ),
        (
            "apply-undo",
            message(
                cmd::APPLY,
                &[Attr::nest(
                    attr::REQUESTS,
                    &[
                        request(1, cmd::UNBIND, &pair("fzh", "fza")),
                        request(2, cmd::RM, &[b("fzh")]),
                        request(3, cmd::ADD, &[b("fzi"), name(attr::BLOCK_TYPE, "nope")]),
                    ],
                )],
            ),
        ),
    ]
}
