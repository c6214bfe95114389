// SPDX-License-Identifier: GPL-2.0-only

//! `lanactl dot`: the graph as Graphviz DOT, with live counters.
//!
//! Blocks are boxes labelled with their type and counters; bindings are
//! edges from the lower block to the upper one, labelled with the packets
//! that crossed them each way; attached devices are ellipses. The kernel
//! counts, for every block, the walks that start and end there (two counts
//! per packet, none per hop); a packet crosses every edge between the two,
//! so the packets on an edge of a chain are what started below it and did
//! not end below it (going up), or likewise above it (going down). Counters
//! are read one block at a time: while traffic flows, an edge's count can
//! lag its neighbours' by the packets in flight.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::wire::{Attachment, Block, Stats};

/// Everything `dot` draws: the blocks, each with its statistics and bound
/// output ports, and the attachments.
pub struct Snapshot {
    pub blocks: Vec<BlockView>,
    pub attachments: Vec<Attachment>,
}

pub struct BlockView {
    pub block: Block,
    pub stats: Stats,
    /// `(port, block)` pairs.
    pub ports: Vec<(String, String)>,
}

impl BlockView {
    fn stat(&self, name: &str) -> u64 {
        self.stats
            .entries
            .iter()
            .filter(|s| s.name == name && s.cpu.is_none())
            .map(|s| s.value)
            .next()
            .unwrap_or(0)
    }

    /// Walks that started here and did not end here, going up (or down).
    fn net(&self, up: bool) -> i128 {
        let dir = if up { "up" } else { "down" };
        i128::from(self.stat(&format!("walk_start_{dir}")))
            - i128::from(self.stat(&format!("walk_end_{dir}")))
    }
}

/// The DOT text of `snapshot`.
pub fn render(snapshot: &Snapshot) -> String {
    let by_name: BTreeMap<&str, &BlockView> = snapshot
        .blocks
        .iter()
        .map(|b| (b.block.name.as_str(), b))
        .collect();
    let mut out = String::from(
        "digraph lana {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n  \
         edge [fontname=\"monospace\", fontsize=10];\n",
    );
    for view in &snapshot.blocks {
        let _ = writeln!(
            out,
            "  {} [label=\"{}\"];",
            quote(&view.block.name),
            escape(&node_label(view))
        );
    }
    for view in &snapshot.blocks {
        let Some(upper) = view.block.upper.as_deref() else {
            continue;
        };
        let label = match crossings(&by_name, view, upper) {
            Some((up, down)) => format!("up {up}\\ndown {down}"),
            None => "?".into(),
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label=\"{label}\"];",
            quote(&view.block.name),
            quote(upper)
        );
    }
    for view in &snapshot.blocks {
        for (port, target) in &view.ports {
            let _ = writeln!(
                out,
                "  {} -> {} [style=dashed, label=\"{}\"];",
                quote(&view.block.name),
                quote(target),
                escape(port)
            );
        }
    }
    for a in &snapshot.attachments {
        let dev = format!("dev:{}", a.dev);
        let _ = writeln!(
            out,
            "  {} [shape=ellipse, label=\"{}\"];",
            quote(&dev),
            escape(&a.dev)
        );
        let entered = by_name.get(a.block.as_str()).map_or(0, |b| {
            let dir = if a.side == "top" { "down" } else { "up" };
            b.stat(&format!("walk_start_{dir}"))
        });
        let tag = a
            .tag
            .as_deref()
            .map(|t| format!("{t}\\n"))
            .unwrap_or_default();
        let label = format!("{tag}in {entered}");
        // A real device below its block, a lana device above (rankdir=BT
        // puts an edge's head above its tail); the arrow shows the way
        // packets enter, up from a real device, down from a lana device.
        let (tail, head, dir) = if a.side == "top" {
            (a.block.as_str(), dev.as_str(), ", dir=back")
        } else {
            (dev.as_str(), a.block.as_str(), "")
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label=\"{}\"{dir}];",
            quote(tail),
            quote(head),
            escape_keep_newlines(&label)
        );
    }
    out.push_str("}\n");
    out
}

/// The packets that crossed the edge from `lower` up to `upper`, and down
/// from `upper` to `lower`; `None` in a cycle, where a walk's start and end
/// do not say which edges it crossed.
fn crossings(
    by_name: &BTreeMap<&str, &BlockView>,
    lower: &BlockView,
    upper: &str,
) -> Option<(u64, u64)> {
    let limit = by_name.len();
    // Up: what started at `lower` or below and ended above it.
    let mut up = 0i128;
    let mut at = Some(lower);
    for _ in 0..=limit {
        let Some(view) = at else { break };
        up += view.net(true);
        at = view
            .block
            .lower
            .as_deref()
            .and_then(|n| by_name.get(n).copied());
        if at.is_some_and(|v| v.block.name == lower.block.name) {
            return None;
        }
    }
    if at.is_some() {
        return None;
    }
    let mut down = 0i128;
    let mut at = by_name.get(upper).copied();
    for _ in 0..=limit {
        let Some(view) = at else { break };
        down += view.net(false);
        at = view
            .block
            .upper
            .as_deref()
            .and_then(|n| by_name.get(n).copied());
    }
    if at.is_some() {
        return None;
    }
    // Reads of a moving count can make a sum dip below zero for a moment.
    Some((up.max(0) as u64, down.max(0) as u64))
}

/// A block's label: name, type, then its own counters (a block that drops
/// packets counts them itself).
fn node_label(view: &BlockView) -> String {
    let mut label = format!("{}\n{}", view.block.name, view.block.kind);
    for stat in &view.stats.entries {
        if stat.cpu.is_some() || stat.name.starts_with("walk_") || stat.name == "events" {
            continue;
        }
        match &stat.text {
            Some(text) => label.push_str(&format!("\n{} {text}", stat.name)),
            None => label.push_str(&format!("\n{} {}", stat.name, stat.value)),
        }
    }
    label
}

/// A DOT identifier: always quoted, so any block or device name is one.
fn quote(id: &str) -> String {
    format!("\"{}\"", escape(id))
}

/// Text for inside a DOT string: quotes and backslashes escaped, newlines
/// as DOT's `\n`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// As [`escape`], for a label already holding DOT `\n`s.
fn escape_keep_newlines(text: &str) -> String {
    text.split("\\n")
        .map(escape)
        .collect::<Vec<_>>()
        .join("\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Stat;

    fn stat(name: &str, value: u64) -> Stat {
        Stat {
            name: name.into(),
            cpu: None,
            value,
            text: None,
        }
    }

    fn block(
        name: &str,
        kind: &str,
        upper: Option<&str>,
        lower: Option<&str>,
        stats: Vec<Stat>,
    ) -> BlockView {
        BlockView {
            block: Block {
                id: 0,
                name: name.into(),
                kind: kind.into(),
                upper: upper.map(Into::into),
                lower: lower.map(Into::into),
            },
            stats: Stats {
                block: Some(name.into()),
                entries: stats,
            },
            ports: Vec::new(),
        }
    }

    fn walks(start_up: u64, end_up: u64, start_down: u64, end_down: u64) -> Vec<Stat> {
        vec![
            stat("walk_start_up", start_up),
            stat("walk_start_down", start_down),
            stat("walk_end_up", end_up),
            stat("walk_end_down", end_down),
            stat("events", 3),
        ]
    }

    /// dev -> c (counter) -> f -> d (drop): 100 frames in at c, all
    /// dropped at d; 7 packets sent down from a lana device at f end at c.
    fn chain() -> Snapshot {
        let mut c = walks(100, 0, 0, 7);
        c.insert(0, stat("packets", 107));
        Snapshot {
            blocks: vec![
                block("c", "counter", Some("f"), None, c),
                block("f", "forward", Some("d"), Some("c"), walks(0, 0, 7, 0)),
                block("d", "drop", None, Some("f"), {
                    let mut d = walks(0, 100, 0, 0);
                    d.insert(0, stat("dropped", 100));
                    d
                }),
            ],
            attachments: vec![
                Attachment {
                    dev: "veth0".into(),
                    ifindex: 3,
                    block: "c".into(),
                    side: "bottom".into(),
                    tag: Some("vlan=10".into()),
                },
                Attachment {
                    dev: "lana0".into(),
                    ifindex: 4,
                    block: "f".into(),
                    side: "top".into(),
                    tag: None,
                },
            ],
        }
    }

    #[test]
    fn edges_carry_what_started_below_and_ended_above() {
        let s = chain();
        let by_name: BTreeMap<&str, &BlockView> = s
            .blocks
            .iter()
            .map(|b| (b.block.name.as_str(), b))
            .collect();
        // c's 100 frames went up through both edges; the 7 sent at f went
        // down the lower edge only.
        assert_eq!(crossings(&by_name, &s.blocks[0], "f"), Some((100, 7)));
        assert_eq!(crossings(&by_name, &s.blocks[1], "d"), Some((100, 0)));
    }

    #[test]
    fn a_cycle_has_no_counts() {
        let mut s = chain();
        s.blocks[2].block.upper = Some("c".into());
        s.blocks[0].block.lower = Some("d".into());
        let by_name: BTreeMap<&str, &BlockView> = s
            .blocks
            .iter()
            .map(|b| (b.block.name.as_str(), b))
            .collect();
        assert_eq!(crossings(&by_name, &s.blocks[0], "f"), None);
    }

    #[test]
    fn renders_blocks_edges_ports_and_devices() {
        let mut s = chain();
        s.blocks[1].ports.push(("clone".into(), "d".into()));
        let expected = r#"digraph lana {
  rankdir=BT;
  node [shape=box, fontname="monospace"];
  edge [fontname="monospace", fontsize=10];
  "c" [label="c\ncounter\npackets 107"];
  "f" [label="f\nforward"];
  "d" [label="d\ndrop\ndropped 100"];
  "c" -> "f" [label="up 100\ndown 7"];
  "f" -> "d" [label="up 100\ndown 0"];
  "f" -> "d" [style=dashed, label="clone"];
  "dev:veth0" [shape=ellipse, label="veth0"];
  "dev:veth0" -> "c" [label="vlan=10\nin 100"];
  "dev:lana0" [shape=ellipse, label="lana0"];
  "f" -> "dev:lana0" [label="in 7", dir=back];
}
"#;
        assert_eq!(render(&s), expected);
    }

    #[test]
    fn names_are_quoted_and_escaped() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
