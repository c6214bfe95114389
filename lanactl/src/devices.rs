// SPDX-License-Identifier: GPL-2.0-only

//! The lana devices `lanactl apply` creates, resizes and deletes: the
//! difference between the namespace's lana devices and a graph file's
//! `[[vlink]]` tables.
//!
//! Devices are not part of the kernel's graph transaction (rtnetlink makes
//! them), so apply brackets it: the devices the file adds come first, for
//! its attachments to find; those it no longer names go last, after the
//! transaction has detached them. A refused transaction takes back what
//! came first: the devices created are deleted and MTUs put back.

use std::{
    collections::{HashMap, HashSet},
    fmt,
};

use crate::{
    client::Error,
    graphfile::Graph,
    plan::word,
    vlink::{self, Link, Rtnl},
};

/// One change to a device, as the command that makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add { name: String, mtu: Option<u32> },
    Mtu { name: String, mtu: u32, was: u32 },
    Del { name: String },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names as the shell would take them back, as the graph's changes.
        match self {
            Change::Add { name, mtu: None } => write!(f, "vlink add {}", word(name)),
            Change::Add {
                name,
                mtu: Some(mtu),
            } => write!(f, "vlink add {} --mtu {mtu}", word(name)),
            Change::Mtu { name, mtu, .. } => write!(f, "ip link set {} mtu {mtu}", word(name)),
            Change::Del { name } => write!(f, "vlink del {}", word(name)),
        }
    }
}

/// The device changes of one apply: `before` the transaction (additions,
/// MTUs) and `after` it (deletions).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub before: Vec<Change>,
    pub after: Vec<Change>,
}

impl Plan {
    pub fn len(&self) -> usize {
        self.before.len() + self.after.len()
    }

    /// Whether the file attaches to `dev` before it exists (a dry run
    /// cannot have the kernel check that attachment).
    pub fn creates(&self, dev: &str) -> bool {
        self.before
            .iter()
            .any(|c| matches!(c, Change::Add { name, .. } if name == dev))
    }

    /// Makes the changes that come before the transaction; on a failure
    /// takes back those made and says which failed.
    pub fn make_before<'a>(&'a self, rtnl: &'a Rtnl) -> Result<Made<'a>, Error> {
        let mut made = Made {
            rtnl,
            made: Vec::new(),
        };
        for change in &self.before {
            let done = match change {
                Change::Add { name, mtu } => rtnl.add(name, *mtu),
                Change::Mtu { name, mtu, .. } => rtnl.set_mtu(name, *mtu),
                Change::Del { .. } => Ok(()),
            };
            if let Err(e) = done {
                let stayed = made.undo().map(|s| format!(" ({s})")).unwrap_or_default();
                return Err(Error::Refused(format!("{change}: {e}{stayed}")));
            }
            made.made.push(change);
        }
        Ok(made)
    }

    /// Makes the changes that come after the transaction: every one, even
    /// after one failed; the error names each that failed.
    pub fn make_after(&self, rtnl: &Rtnl) -> Result<(), Error> {
        let failed: Vec<String> = self
            .after
            .iter()
            .filter_map(|change| match change {
                Change::Del { name } => rtnl.del(name).err().map(|e| format!("{change}: {e}")),
                _ => None,
            })
            .collect();
        match failed.is_empty() {
            true => Ok(()),
            false => Err(Error::Refused(failed.join("; "))),
        }
    }
}

/// The changes [`Plan::make_before`] made, to take back if the
/// transaction is refused.
pub struct Made<'a> {
    rtnl: &'a Rtnl,
    made: Vec<&'a Change>,
}

impl Made<'_> {
    /// Takes the changes back, last first, every one even after one
    /// failed; says which could not be taken back (a device that cannot be
    /// deleted now stays, as after `lanactl vlink add`).
    pub fn undo(&mut self) -> Option<String> {
        let failed: Vec<String> = self
            .made
            .drain(..)
            .rev()
            .filter_map(|change| {
                let undone = match change {
                    Change::Add { name, .. } => self.rtnl.del(name),
                    Change::Mtu { name, was, .. } => self.rtnl.set_mtu(name, *was),
                    Change::Del { .. } => Ok(()),
                };
                undone
                    .err()
                    .map(|e| format!("{change} not taken back: {e}"))
            })
            .collect();
        (!failed.is_empty()).then(|| failed.join("; "))
    }
}

/// A graph file that cannot be applied to these devices: the line and why.
pub type Refusal = (Option<usize>, String);

/// What makes the lana devices of `links` those `wanted` declares.
pub fn plan(links: &[Link], wanted: &Graph) -> Result<Plan, Refusal> {
    let is_lana = |l: &Link| l.kind.as_deref() == Some(vlink::KIND);
    // By name, once: a namespace may hold thousands of devices and a file
    // thousands of blocks.
    let by_name: HashMap<&str, &Link> = links.iter().map(|l| (l.name.as_str(), l)).collect();
    let mut plan = Plan::default();
    for v in &wanted.vlinks {
        match by_name.get(v.name.as_str()) {
            None => plan.before.push(Change::Add {
                name: v.name.clone(),
                mtu: v.mtu,
            }),
            Some(link) if !is_lana(link) => {
                let kind = link.kind.as_deref().unwrap_or("a device with no link kind");
                return Err((
                    v.line.0,
                    format!("'{}' exists and is not a lana device ({kind})", v.name),
                ));
            }
            Some(link) => {
                let mtu = v.mtu.unwrap_or(vlink::DEFAULT_MTU);
                if link.mtu != mtu {
                    plan.before.push(Change::Mtu {
                        name: v.name.clone(),
                        mtu,
                        was: link.mtu,
                    });
                }
            }
        }
    }
    let declared: HashSet<&str> = wanted.vlinks.iter().map(|v| v.name.as_str()).collect();
    // The first line that needs each device: a block that transmits on it
    // (xmit dev=), or an attachment.
    let mut needed: HashMap<&str, Option<usize>> = HashMap::new();
    let dev_settings = wanted.blocks.iter().flat_map(|b| {
        b.config
            .iter()
            .filter(|(k, _)| k == "dev")
            .map(move |(_, v)| (v.as_str(), b.line.0))
    });
    let attached = wanted
        .attachments
        .iter()
        .map(|a| (a.dev.as_str(), a.line.0));
    for (dev, line) in dev_settings.chain(attached) {
        needed.entry(dev).or_insert(line);
    }
    for link in links.iter().filter(|l| is_lana(l)) {
        if declared.contains(link.name.as_str()) {
            continue;
        }
        if let Some(&line) = needed.get(link.name.as_str()) {
            return Err((
                line,
                format!(
                    "'{}' is a lana device the file does not declare, which apply \
                     deletes: declare it ([[vlink]] name = \"{}\")",
                    link.name, link.name
                ),
            ));
        }
        plan.after.push(Change::Del {
            name: link.name.clone(),
        });
    }
    Ok(plan)
}

/// The lana devices of `links` as a graph file declares them.
pub fn declared(links: &[Link]) -> Vec<crate::graphfile::Vlink> {
    links
        .iter()
        .filter(|l| l.kind.as_deref() == Some(vlink::KIND))
        .map(|l| crate::graphfile::Vlink {
            name: l.name.clone(),
            mtu: (l.mtu != vlink::DEFAULT_MTU).then_some(l.mtu),
            line: crate::graphfile::Line(None),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphfile::parse;

    fn link(name: &str, kind: Option<&str>, mtu: u32) -> Link {
        Link {
            name: name.into(),
            kind: kind.map(Into::into),
            mtu,
        }
    }

    #[test]
    fn changes_name_devices_as_the_shell_reads_them() {
        // The kernel takes names a shell would split or expand.
        let del = Change::Del {
            name: "x$y'z".into(),
        };
        assert_eq!(del.to_string(), r"vlink del 'x$y'\''z'");
        let mtu = Change::Mtu {
            name: "lana0".into(),
            mtu: 1400,
            was: 1500,
        };
        assert_eq!(mtu.to_string(), "ip link set lana0 mtu 1400");
    }

    #[test]
    fn adds_resizes_and_deletes_only_lana_devices() {
        let links = [
            link("lo", None, 65536),
            link("veth0", Some("veth"), 1500),
            link("keep", Some("lana"), 1500),
            link("resize", Some("lana"), 1500),
            link("gone", Some("lana"), 1500),
        ];
        let wanted = parse(
            "[[vlink]]\nname = \"keep\"\n[[vlink]]\nname = \"resize\"\nmtu = 9000\n\
             [[vlink]]\nname = \"new\"\n",
        )
        .unwrap();
        let plan = plan(&links, &wanted).unwrap();
        let shown: Vec<String> = plan.before.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["ip link set resize mtu 9000", "vlink add new"]);
        assert_eq!(
            plan.after,
            [Change::Del {
                name: "gone".into()
            }]
        );
        assert!(plan.creates("new") && !plan.creates("keep"));
    }

    #[test]
    fn a_device_back_at_the_default_mtu_is_resized() {
        let links = [link("l0", Some("lana"), 1400)];
        let wanted = parse("[[vlink]]\nname = \"l0\"\n").unwrap();
        assert_eq!(
            plan(&links, &wanted).unwrap().before,
            [Change::Mtu {
                name: "l0".into(),
                mtu: 1500,
                was: 1400
            }]
        );
    }

    #[test]
    fn refuses_another_kind_and_an_undeclared_lana_device_attached() {
        let links = [
            link("veth0", Some("veth"), 1500),
            link("l0", Some("lana"), 1500),
        ];
        let (line, why) =
            plan(&links, &parse("\n[[vlink]]\nname = \"veth0\"\n").unwrap()).unwrap_err();
        assert_eq!(line, Some(2));
        assert_eq!(why, "'veth0' exists and is not a lana device (veth)");
        let file =
            "[[block]]\nname = \"b\"\ntype = \"drop\"\n[[attach]]\ndev = \"l0\"\nblock = \"b\"\n";
        let (line, why) = plan(&links, &parse(file).unwrap()).unwrap_err();
        assert_eq!(line, Some(4));
        assert!(why.contains("[[vlink]] name = \"l0\""), "{why}");
    }

    #[test]
    fn plans_thousands_of_devices_beside_thousands_of_blocks() {
        // 3 000 lana devices, the file declaring the first 2 000 (every
        // 500th with another MTU) and 4 000 new ones, not lv2000-lv2999; 10 000 blocks with
        // 31-byte names, each attached to a declared device.
        let links: Vec<Link> = (0..3000)
            .map(|i| link(&format!("lv{i}"), Some("lana"), 1500))
            .collect();
        let mut file = String::new();
        for i in (0..2000).chain(3000..7000) {
            let mtu = if i % 500 == 0 { "mtu = 9000\n" } else { "" };
            file.push_str(&format!("[[vlink]]\nname = \"lv{i}\"\n{mtu}"));
        }
        for i in 0..10_000 {
            let name = format!("{i:0>31}");
            file.push_str(&format!(
                "[[block]]\nname = \"{name}\"\ntype = \"counter\"\n\
                 [[attach]]\ndev = \"lv{}\"\nblock = \"{name}\"\n",
                i % 2000
            ));
        }
        let plan = plan(&links, &parse(&file).unwrap()).unwrap();
        let adds = plan
            .before
            .iter()
            .filter(|c| matches!(c, Change::Add { .. }));
        let mtus = plan
            .before
            .iter()
            .filter(|c| matches!(c, Change::Mtu { .. }));
        assert_eq!(adds.count(), 4000);
        // lv0, lv500, lv1000, lv1500 exist; the new ones get theirs at add.
        assert_eq!(mtus.count(), 4);
        assert_eq!(plan.after.len(), 1000);
        assert_eq!(
            plan.after[0],
            Change::Del {
                name: "lv2000".into()
            }
        );
    }

    #[test]
    fn the_declared_devices_plan_nothing() {
        let links = [link("a", Some("lana"), 1500), link("b", Some("lana"), 1280)];
        let wanted = Graph {
            vlinks: declared(&links),
            ..Graph::default()
        };
        assert_eq!(wanted.vlinks[0].mtu, None);
        assert_eq!(wanted.vlinks[1].mtu, Some(1280));
        assert_eq!(plan(&links, &wanted).unwrap().len(), 0);
    }
}
