// SPDX-License-Identifier: GPL-2.0

//! Rendering replies for people (aligned text) and for programs (JSON).
//!
//! Every function returns the complete text, ending in a newline, so the
//! exact output can be tested.

use serde_json::{json, Map, Value};

use crate::wire::{Attachment, Block, Event, Stats, TypeInfo};

/// Shown where a block has no upper or lower neighbour.
const NONE: &str = "-";

/// How replies are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

pub fn blocks(blocks: &[Block], format: Format) -> String {
    match format {
        Format::Text => {
            let header = ["ID", "NAME", "TYPE", "UPPER", "LOWER"].map(str::to_owned);
            let rows = blocks.iter().map(|b| {
                [
                    b.id.to_string(),
                    b.name.clone(),
                    b.kind.clone(),
                    b.upper.clone().unwrap_or_else(|| NONE.to_owned()),
                    b.lower.clone().unwrap_or_else(|| NONE.to_owned()),
                ]
            });
            table(std::iter::once(header).chain(rows))
        }
        Format::Json => to_json(
            blocks
                .iter()
                .map(|b| {
                    json!({
                        "id": b.id,
                        "name": b.name,
                        "type": b.kind,
                        "upper": b.upper,
                        "lower": b.lower,
                    })
                })
                .collect(),
        ),
    }
}

pub fn types(types: &[TypeInfo], format: Format) -> String {
    match format {
        Format::Text => table(
            types
                .iter()
                .map(|t| [t.name.clone(), t.description.clone()]),
        ),
        Format::Json => to_json(
            types
                .iter()
                .map(|t| json!({ "name": t.name, "description": t.description }))
                .collect(),
        ),
    }
}

pub fn attachments(attachments: &[Attachment], format: Format) -> String {
    match format {
        Format::Text => table(
            attachments
                .iter()
                .map(|a| [a.dev.clone(), a.ifindex.to_string(), a.block.clone()]),
        ),
        Format::Json => to_json(
            attachments
                .iter()
                .map(|a| json!({ "dev": a.dev, "ifindex": a.ifindex, "block": a.block }))
                .collect(),
        ),
    }
}

/// One `<name> <value>` line per counter, single-spaced, so scripts can
/// split it with awk; JSON keeps the kernel's order too.
pub fn stats(stats: &Stats, format: Format) -> String {
    match format {
        Format::Text => stats
            .entries
            .iter()
            .map(|(name, value)| format!("{name} {value}\n"))
            .collect(),
        Format::Json => {
            let counters: Map<String, Value> = stats
                .entries
                .iter()
                .map(|(name, value)| (name.clone(), json!(value)))
                .collect();
            to_json(json!({ "block": stats.block, "stats": counters }))
        }
    }
}

/// One line per event, so a reader can act on each as it arrives:
/// `<event> block=<name>[ peer=<peer>][ dev=<dev>]`, or a compact JSON
/// object with every key present, null where the event has no value.
pub fn event(event: &Event, format: Format) -> String {
    match format {
        Format::Text => {
            let mut line = format!("{} block={}", event.kind, event.block);
            if let Some(peer) = &event.peer {
                line.push_str(&format!(" peer={peer}"));
            }
            if let Some(dev) = &event.dev {
                line.push_str(&format!(" dev={dev}"));
            }
            line + "\n"
        }
        Format::Json => format!(
            "{}\n",
            json!({
                "event": event.kind,
                "block": event.block,
                "peer": event.peer,
                "dev": event.dev,
            })
        ),
    }
}

fn to_json(value: Value) -> String {
    format!("{value:#}\n")
}

/// Left-aligned columns two spaces apart, without trailing blanks.
fn table<const N: usize>(rows: impl Iterator<Item = [String; N]>) -> String {
    let rows: Vec<[String; N]> = rows.collect();
    let mut widths = [0; N];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let line = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_blocks() -> Vec<Block> {
        vec![
            Block {
                id: 1,
                name: "in0".into(),
                kind: "counter".into(),
                upper: Some("top".into()),
                lower: None,
            },
            Block {
                id: 12,
                name: "top".into(),
                kind: "tee".into(),
                upper: None,
                lower: Some("in0".into()),
            },
        ]
    }

    fn sample_stats() -> Stats {
        Stats {
            block: Some("in0".into()),
            entries: vec![("rx_packets".into(), 5), ("bytes".into(), 300)],
        }
    }

    #[test]
    fn block_table() {
        assert_eq!(
            blocks(&sample_blocks(), Format::Text),
            "ID  NAME  TYPE     UPPER  LOWER\n\
             1   in0   counter  top    -\n\
             12  top   tee      -      in0\n"
        );
    }

    #[test]
    fn empty_block_table_has_only_the_header() {
        assert_eq!(blocks(&[], Format::Text), "ID  NAME  TYPE  UPPER  LOWER\n");
    }

    #[test]
    fn block_json() {
        let value: Value = serde_json::from_str(&blocks(&sample_blocks(), Format::Json)).unwrap();
        assert_eq!(
            value,
            json!([
                { "id": 1, "name": "in0", "type": "counter", "upper": "top", "lower": null },
                { "id": 12, "name": "top", "type": "tee", "upper": null, "lower": "in0" },
            ])
        );
    }

    #[test]
    fn stats_text_is_name_space_value() {
        assert_eq!(
            stats(&sample_stats(), Format::Text),
            "rx_packets 5\nbytes 300\n"
        );
    }

    #[test]
    fn stats_json_keeps_order() {
        let text = stats(&sample_stats(), Format::Json);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            json!({ "block": "in0", "stats": { "rx_packets": 5, "bytes": 300 } })
        );
        let keys: Vec<&String> = value["stats"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["rx_packets", "bytes"]);

        let engine = Stats {
            block: None,
            entries: vec![],
        };
        let value: Value = serde_json::from_str(&stats(&engine, Format::Json)).unwrap();
        assert_eq!(value, json!({ "block": null, "stats": {} }));
    }

    fn sample_events() -> [Event; 3] {
        [
            Event {
                kind: "add".into(),
                block: "in0".into(),
                peer: None,
                dev: None,
            },
            Event {
                kind: "bind".into(),
                block: "top".into(),
                peer: Some("in0".into()),
                dev: None,
            },
            Event {
                kind: "dev_down".into(),
                block: "in0".into(),
                peer: None,
                dev: Some("veth0".into()),
            },
        ]
    }

    #[test]
    fn event_text_lines() {
        let lines: Vec<String> = sample_events()
            .iter()
            .map(|e| event(e, Format::Text))
            .collect();
        assert_eq!(
            lines,
            [
                "add block=in0\n",
                "bind block=top peer=in0\n",
                "dev_down block=in0 dev=veth0\n",
            ]
        );
        let both = Event {
            kind: "attach".into(),
            block: "in0".into(),
            peer: Some("top".into()),
            dev: Some("veth0".into()),
        };
        assert_eq!(
            event(&both, Format::Text),
            "attach block=in0 peer=top dev=veth0\n"
        );
    }

    #[test]
    fn event_json_lines_are_compact_with_fixed_keys() {
        let lines: Vec<String> = sample_events()
            .iter()
            .map(|e| event(e, Format::Json))
            .collect();
        assert_eq!(
            lines,
            [
                concat!(
                    r#"{"event":"add","block":"in0","peer":null,"dev":null}"#,
                    "\n"
                ),
                concat!(
                    r#"{"event":"bind","block":"top","peer":"in0","dev":null}"#,
                    "\n"
                ),
                concat!(
                    r#"{"event":"dev_down","block":"in0","peer":null,"dev":"veth0"}"#,
                    "\n"
                ),
            ]
        );
    }

    #[test]
    fn types_and_attachments() {
        let t = [
            TypeInfo {
                name: "counter".into(),
                description: "counts packets".into(),
            },
            TypeInfo {
                name: "tee".into(),
                description: "copies packets upward".into(),
            },
        ];
        assert_eq!(
            types(&t, Format::Text),
            "counter  counts packets\ntee      copies packets upward\n"
        );
        let value: Value = serde_json::from_str(&types(&t, Format::Json)).unwrap();
        assert_eq!(
            value,
            json!([
                { "name": "counter", "description": "counts packets" },
                { "name": "tee", "description": "copies packets upward" },
            ])
        );

        let a = [Attachment {
            dev: "veth0".into(),
            ifindex: 4,
            block: "in0".into(),
        }];
        assert_eq!(attachments(&a, Format::Text), "veth0  4  in0\n");
        let value: Value = serde_json::from_str(&attachments(&a, Format::Json)).unwrap();
        assert_eq!(
            value,
            json!([{ "dev": "veth0", "ifindex": 4, "block": "in0" }])
        );
    }
}
