// SPDX-License-Identifier: GPL-2.0-only

//! What `lanactl apply` changes: the difference between the running graph
//! and a graph file, as the single commands that make it, in an order the
//! kernel accepts step by step: first what goes (detach, unsubscribe,
//! unbind, rm), then what comes (add, set, bind, subscribe, attach).
//!
//! A block whose type differs is removed and added again, with everything
//! that involved it. Settings are compared key by key, only for the keys
//! the file gives.

use std::{
    collections::{HashMap, HashSet},
    fmt,
};

use crate::graphfile::{Attach, Bind, Block, Graph, Line, Subscription};
use crate::wire::Request;

/// One change, as the lanactl command of the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Detach {
        dev: String,
        tag: Option<String>,
    },
    Unsubscribe {
        block: String,
        to: String,
    },
    Unbind {
        upper: String,
        lower: String,
        port: Option<String>,
    },
    Rm {
        name: String,
    },
    Add {
        name: String,
        kind: String,
        options: Vec<String>,
    },
    Set {
        name: String,
        options: Vec<String>,
    },
    Bind {
        upper: String,
        lower: String,
        port: Option<String>,
    },
    Subscribe {
        block: String,
        to: String,
    },
    Attach {
        dev: String,
        block: String,
        tag: Option<String>,
    },
}

/// A step and the line of the file that asked for it (none: the running
/// graph has something the file does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub step: Step,
    pub line: Option<usize>,
}

/// `--vlan ID` or `--ethertype 0xTYPE` for a tag `vlan=ID` or
/// `ethertype=0xTYPE`.
fn tag_flag(tag: &str) -> String {
    match tag.split_once('=') {
        Some((kind, value)) => format!(" --{kind} {value}"),
        None => format!(" {tag}"),
    }
}

/// A word as the shell would take it back.
pub(crate) fn word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:,/=@+".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let port = |port: &Option<String>| {
            port.as_ref()
                .map(|p| format!(" --port {}", word(p)))
                .unwrap_or_default()
        };
        let options = |options: &[String]| {
            options
                .iter()
                .map(|o| format!(" {}", word(o)))
                .collect::<String>()
        };
        let tag = |tag: &Option<String>| tag.as_deref().map(tag_flag).unwrap_or_default();
        match self {
            Step::Detach { dev, tag: t } => write!(f, "detach {}{}", word(dev), tag(t)),
            Step::Unsubscribe { block, to } => {
                write!(f, "unsubscribe {} {}", word(block), word(to))
            }
            Step::Unbind {
                upper,
                lower,
                port: p,
            } => {
                write!(f, "unbind {} {}{}", word(upper), word(lower), port(p))
            }
            Step::Rm { name } => write!(f, "rm {}", word(name)),
            Step::Add {
                name,
                kind,
                options: o,
            } => write!(f, "add {} {}{}", word(name), word(kind), options(o)),
            Step::Set { name, options: o } => write!(f, "set {}{}", word(name), options(o)),
            Step::Bind {
                upper,
                lower,
                port: p,
            } => {
                write!(f, "bind {} {}{}", word(upper), word(lower), port(p))
            }
            Step::Subscribe { block, to } => write!(f, "subscribe {} {}", word(block), word(to)),
            Step::Attach { dev, block, tag: t } => {
                write!(f, "attach {} {}{}", word(dev), word(block), tag(t))
            }
        }
    }
}

impl Step {
    /// The request that makes this step.
    pub fn request(&self) -> Request<'_> {
        match self {
            Step::Detach { dev, tag } => Request::Detach {
                dev,
                tag: tag.as_deref(),
            },
            Step::Unsubscribe { block, to } => Request::Unsubscribe { block, target: to },
            Step::Unbind { upper, lower, port } => Request::Unbind {
                upper,
                lower,
                port: port.as_deref(),
                force: false,
            },
            Step::Rm { name } => Request::Rm {
                name,
                cascade: false,
            },
            Step::Add {
                name,
                kind,
                options,
            } => Request::Add {
                name,
                kind,
                options,
            },
            Step::Set { name, options } => Request::Set { name, options },
            Step::Bind { upper, lower, port } => Request::Bind {
                upper,
                lower,
                port: port.as_deref(),
            },
            Step::Subscribe { block, to } => Request::Subscribe { block, target: to },
            Step::Attach { dev, block, tag } => Request::Attach {
                dev,
                block,
                tag: tag.as_deref(),
            },
        }
    }
}

fn key_options(config: &[(String, String)]) -> Vec<String> {
    config.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// A graph's blocks by name (the first of a name).
fn by_name(graph: &Graph) -> HashMap<&str, &Block> {
    let mut by_name = HashMap::new();
    for b in &graph.blocks {
        by_name.entry(b.name.as_str()).or_insert(b);
    }
    by_name
}

/// What tells attachments apart: device and tag.
fn attach_key(a: &Attach) -> (&str, Option<&str>) {
    (a.dev.as_str(), a.tag.as_deref())
}

/// What tells subscriptions apart: subscriber and target.
fn sub_key(s: &Subscription) -> (&str, &str) {
    (s.block.as_str(), s.to.as_str())
}

/// What tells bindings apart: upper, lower and port.
fn bind_key(b: &Bind) -> (&str, &str, Option<&str>) {
    (b.upper.as_str(), b.lower.as_str(), b.port.as_deref())
}

/// The steps that turn `running` into `wanted`. Every lookup goes through
/// an index: a graph of thousands of blocks is planned in linear time.
pub fn plan(running: &Graph, wanted: &Graph) -> Vec<Planned> {
    let (running_blocks, wanted_blocks) = (by_name(running), by_name(wanted));
    // Blocks that go, whether for good or to come back with another type.
    let leaving: Vec<&str> = running
        .blocks
        .iter()
        .filter(|b| {
            wanted_blocks
                .get(b.name.as_str())
                .is_none_or(|w| w.kind != b.kind)
        })
        .map(|b| b.name.as_str())
        .collect();
    let leaving_set: HashSet<&str> = leaving.iter().copied().collect();
    let stays = |name: &str| !leaving_set.contains(name);
    let line = |l: &Line| l.0;
    let mut out = Vec::new();
    let mut push = |step: Step, line: Option<usize>| out.push(Planned { step, line });

    // Attachments, by (device, tag). Detaching a device's untagged
    // attachment detaches all of it: the ones that stay come back.
    let wanted_attached: HashSet<_> = wanted
        .attachments
        .iter()
        .map(|w| (attach_key(w), w.block.as_str()))
        .collect();
    let keeps = |a: &Attach| {
        stays(&a.block) && wanted_attached.contains(&(attach_key(a), a.block.as_str()))
    };
    let whole_devices: HashSet<&str> = running
        .attachments
        .iter()
        .filter(|a| !keeps(a) && a.tag.is_none())
        .map(|a| a.dev.as_str())
        .collect();
    let mut detached: HashSet<(&str, Option<&str>)> = HashSet::new();
    for a in running.attachments.iter() {
        if whole_devices.contains(a.dev.as_str()) {
            if a.tag.is_none() {
                push(
                    Step::Detach {
                        dev: a.dev.clone(),
                        tag: None,
                    },
                    None,
                );
            }
            detached.insert(attach_key(a));
        } else if !keeps(a) {
            push(
                Step::Detach {
                    dev: a.dev.clone(),
                    tag: a.tag.clone(),
                },
                None,
            );
            detached.insert(attach_key(a));
        }
    }

    let wanted_subs: HashSet<_> = wanted.subscriptions.iter().map(sub_key).collect();
    let running_subs: HashSet<_> = running.subscriptions.iter().map(sub_key).collect();
    let sub_kept = |s: &Subscription, other: &HashSet<(&str, &str)>| {
        stays(&s.block) && stays(&s.to) && other.contains(&sub_key(s))
    };
    for s in &running.subscriptions {
        if !sub_kept(s, &wanted_subs) {
            push(
                Step::Unsubscribe {
                    block: s.block.clone(),
                    to: s.to.clone(),
                },
                None,
            );
        }
    }

    let wanted_binds: HashSet<_> = wanted.binds.iter().map(bind_key).collect();
    let running_binds: HashSet<_> = running.binds.iter().map(bind_key).collect();
    let bind_kept = |b: &Bind, other: &HashSet<(&str, &str, Option<&str>)>| {
        stays(&b.upper) && stays(&b.lower) && other.contains(&bind_key(b))
    };
    for b in running
        .binds
        .iter()
        .filter(|b| !bind_kept(b, &wanted_binds))
    {
        push(
            Step::Unbind {
                upper: b.upper.clone(),
                lower: b.lower.clone(),
                port: b.port.clone(),
            },
            None,
        );
    }

    for name in &leaving {
        let line = wanted_blocks.get(name).and_then(|w| w.line.0);
        push(
            Step::Rm {
                name: (*name).to_owned(),
            },
            line,
        );
    }

    for w in &wanted.blocks {
        match running_blocks.get(w.name.as_str()) {
            Some(r) if r.kind == w.kind => {
                let changed: Vec<(String, String)> = w
                    .config
                    .iter()
                    .filter(|(k, v)| !r.config.iter().any(|(rk, rv)| rk == k && rv == v))
                    .cloned()
                    .collect();
                if !changed.is_empty() {
                    push(
                        Step::Set {
                            name: w.name.clone(),
                            options: key_options(&changed),
                        },
                        line(&w.line),
                    );
                }
            }
            _ => push(
                Step::Add {
                    name: w.name.clone(),
                    kind: w.kind.clone(),
                    options: key_options(&w.config),
                },
                line(&w.line),
            ),
        }
    }

    // A wanted binding is made unless the running graph has it and keeps
    // it (both its blocks stay).
    for w in &wanted.binds {
        if !bind_kept(w, &running_binds) {
            push(
                Step::Bind {
                    upper: w.upper.clone(),
                    lower: w.lower.clone(),
                    port: w.port.clone(),
                },
                line(&w.line),
            );
        }
    }

    for w in &wanted.subscriptions {
        if !sub_kept(w, &running_subs) {
            push(
                Step::Subscribe {
                    block: w.block.clone(),
                    to: w.to.clone(),
                },
                line(&w.line),
            );
        }
    }

    let running_attached: HashSet<_> = running
        .attachments
        .iter()
        .map(|a| (attach_key(a), a.block.as_str()))
        .collect();
    for w in &wanted.attachments {
        let attached = running_attached.contains(&(attach_key(w), w.block.as_str()))
            && !detached.contains(&attach_key(w));
        if !attached {
            push(
                Step::Attach {
                    dev: w.dev.clone(),
                    block: w.block.clone(),
                    tag: w.tag.clone(),
                },
                line(&w.line),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphfile::parse;

    fn steps(running: &str, wanted: &str) -> Vec<String> {
        plan(&parse(running).unwrap(), &parse(wanted).unwrap())
            .iter()
            .map(|p| p.step.to_string())
            .collect()
    }

    const CHAIN: &str = r#"
[[block]]
name = "e0"
type = "eth"
[block.config]
promisc = "on"

[[block]]
name = "c0"
type = "counter"

[[bind]]
upper = "c0"
lower = "e0"

[[subscribe]]
block = "c0"
to = "e0"

[[attach]]
dev = "veth0"
block = "e0"
"#;

    #[test]
    fn the_same_graph_needs_nothing() {
        assert!(steps(CHAIN, CHAIN).is_empty());
    }

    #[test]
    fn from_nothing_everything_is_made_in_order() {
        assert_eq!(
            steps("", CHAIN),
            [
                "add e0 eth promisc=on",
                "add c0 counter",
                "bind c0 e0",
                "subscribe c0 e0",
                "attach veth0 e0",
            ]
        );
    }

    #[test]
    fn to_nothing_everything_goes_in_order() {
        assert_eq!(
            steps(CHAIN, ""),
            [
                "detach veth0",
                "unsubscribe c0 e0",
                "unbind c0 e0",
                "rm e0",
                "rm c0",
            ]
        );
    }

    #[test]
    fn a_changed_key_is_set_alone_and_lines_follow_the_file() {
        let wanted = CHAIN.replace("promisc = \"on\"", "promisc = \"off\"");
        let planned = plan(&parse(CHAIN).unwrap(), &parse(&wanted).unwrap());
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].step.to_string(), "set e0 promisc=off");
        assert_eq!(planned[0].line, Some(2));
    }

    #[test]
    fn keys_the_file_leaves_out_are_left_alone() {
        let wanted = CHAIN.replace("[block.config]\npromisc = \"on\"\n", "");
        assert!(steps(CHAIN, &wanted).is_empty());
    }

    #[test]
    fn a_type_change_rebuilds_the_block_and_what_involved_it() {
        let wanted = CHAIN.replace("type = \"counter\"", "type = \"forward\"");
        assert_eq!(
            steps(CHAIN, &wanted),
            [
                "unsubscribe c0 e0",
                "unbind c0 e0",
                "rm c0",
                "add c0 forward",
                "bind c0 e0",
                "subscribe c0 e0",
            ]
        );
    }

    #[test]
    fn moving_an_attachment_detaches_then_attaches() {
        let wanted = CHAIN.replace(
            "dev = \"veth0\"\nblock = \"e0\"",
            "dev = \"veth0\"\nblock = \"c0\"",
        );
        assert_eq!(steps(CHAIN, &wanted), ["detach veth0", "attach veth0 c0"]);
    }

    #[test]
    fn removing_an_untagged_attachment_keeps_the_tagged_ones() {
        let running = format!("{CHAIN}\n[[attach]]\ndev = \"veth0\"\nblock = \"c0\"\nvlan = 7\n");
        let wanted = running.replace("[[attach]]\ndev = \"veth0\"\nblock = \"e0\"\n", "");
        assert_eq!(
            steps(&running, &wanted),
            ["detach veth0", "attach veth0 c0 --vlan 7"]
        );
        // A tagged one alone goes alone.
        let wanted = running.replace(
            "\n[[attach]]\ndev = \"veth0\"\nblock = \"c0\"\nvlan = 7\n",
            "",
        );
        assert_eq!(steps(&running, &wanted), ["detach veth0 --vlan 7"]);
    }

    #[test]
    fn port_bindings_are_told_apart_from_plain_ones() {
        let running = "[[bind]]\nupper = \"x\"\nlower = \"t\"\n";
        let wanted = "[[bind]]\nupper = \"x\"\nlower = \"t\"\nport = \"clone\"\n";
        assert_eq!(
            steps(running, wanted),
            ["unbind x t", "bind x t --port clone"]
        );
    }

    #[test]
    fn steps_read_back_as_shell_words() {
        let step = Step::Set {
            name: "f".into(),
            options: vec!["filter=udp port 53".into()],
        };
        assert_eq!(step.to_string(), "set f 'filter=udp port 53'");
    }
}
