// SPDX-License-Identifier: GPL-2.0-only

//! Rendering replies for people (aligned text) and for programs (JSON).
//!
//! Every function returns the complete text, ending in a newline, so the
//! exact output can be tested.

use serde_json::{json, Map, Value};

use crate::wire::{
    Attachment, Block, BlockConfig, BlockDetail, Config, Event, KeyInfo, Stat, Stats, TypeInfo,
};

/// Shown where a block has no upper or lower neighbour, or a list is empty.
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

/// One aligned `name  description` line per type, each followed by one
/// indented line per configuration key:
///
/// ```text
/// counter  counts packets
/// drop     drops every packet, counted
///     reason=label: ... (default drop): why this block drops
/// ```
pub fn types(types: &[TypeInfo], format: Format) -> String {
    match format {
        Format::Text => {
            let lines = table_lines(
                types
                    .iter()
                    .map(|t| [t.name.clone(), t.description.clone()]),
            );
            let mut out = String::new();
            for (line, t) in lines.iter().zip(types) {
                out.push_str(line);
                out.push('\n');
                for key in &t.keys {
                    out.push_str(&key_line(key));
                }
            }
            out
        }
        Format::Json => to_json(
            types
                .iter()
                .map(|t| {
                    let keys: Vec<Value> = t
                        .keys
                        .iter()
                        .map(|k| {
                            json!({
                                "name": k.name,
                                "syntax": k.syntax,
                                "default": k.default,
                                "description": k.description,
                            })
                        })
                        .collect();
                    json!({ "name": t.name, "description": t.description, "keys": keys })
                })
                .collect(),
        ),
    }
}

/// `    KEY=<syntax> (default <default>): <description>`; an empty default
/// is shown as `""`.
fn key_line(key: &KeyInfo) -> String {
    let default = match key.default.as_str() {
        "" => "\"\"",
        default => default,
    };
    format!(
        "    {}={} (default {default}): {}\n",
        key.name, key.syntax, key.description
    )
}

/// `get`: one `key=value` line per option in the kernel's order (nothing
/// for a block without keys), or `{"block": ..., "config": {...}}`.
pub fn config(config: &BlockConfig, format: Format) -> String {
    match format {
        Format::Text => config
            .config
            .iter()
            .map(|(key, value)| format!("{key}={value}\n"))
            .collect(),
        Format::Json => to_json(json!({
            "block": config.block,
            "config": config_object(&config.config),
        })),
    }
}

/// A configuration (or any list of pairs, such as port bindings) as one
/// JSON object, in the kernel's order.
fn config_object(config: &Config) -> Map<String, Value> {
    config
        .iter()
        .map(|(key, value)| (key.clone(), json!(value)))
        .collect()
}

pub fn attachments(attachments: &[Attachment], format: Format) -> String {
    match format {
        Format::Text => table(attachments.iter().map(|a| {
            [
                a.dev.clone(),
                a.ifindex.to_string(),
                a.block.clone(),
                a.side.clone(),
                a.tag.clone().unwrap_or_else(|| "-".into()),
            ]
        })),
        Format::Json => to_json(
            attachments
                .iter()
                .map(|a| {
                    json!({
                        "dev": a.dev,
                        "ifindex": a.ifindex,
                        "block": a.block,
                        "side": a.side,
                        "tag": a.tag,
                    })
                })
                .collect(),
        ),
    }
}

/// One `<name> <value>` line per counter, single-spaced, so scripts can
/// split it with awk; a per-CPU value reads `<name> cpu<N> <value>`. JSON
/// keeps the kernel's order too.
pub fn stats(stats: &Stats, format: Format) -> String {
    match format {
        Format::Text => stats.entries.iter().map(|s| stat_line(s) + "\n").collect(),
        Format::Json => to_json(json!({
            "block": stats.block,
            "stats": stats_object(&stats.entries),
        })),
    }
}

/// `show`: the block's header line, then one indented line per neighbour,
/// list and counter:
///
/// ```text
/// block c1 (counter) id 1
///   upper: f1
///   lower: -
///   devices: lana_d0
///   ports: clone=mirror
///   subscribed to: -
///   subscribers: a, b
///   config: reason=acl
///   packets 100
/// ```
pub fn show(detail: &BlockDetail, format: Format) -> String {
    let b = &detail.block;
    match format {
        Format::Text => {
            let one = |name: &Option<String>| name.clone().unwrap_or_else(|| NONE.to_owned());
            let list = |names: &[String]| match names {
                [] => NONE.to_owned(),
                names => names.join(", "),
            };
            let pairs = |pairs: &[(String, String)]| -> Vec<String> {
                pairs.iter().map(|(k, v)| format!("{k}={v}")).collect()
            };
            let mut out = format!("block {} ({}) id {}\n", b.name, b.kind, b.id);
            for (label, value) in [
                ("upper", one(&b.upper)),
                ("lower", one(&b.lower)),
                ("devices", list(&detail.devices)),
                ("ports", list(&pairs(&detail.ports))),
                ("subscribed to", list(&detail.subscribed_to)),
                ("subscribers", list(&detail.subscribers)),
                ("config", list(&pairs(&detail.config))),
            ] {
                out.push_str(&format!("  {label}: {value}\n"));
            }
            for stat in &detail.stats {
                out.push_str(&format!("  {}\n", stat_line(stat)));
            }
            out
        }
        Format::Json => to_json(json!({
            "id": b.id,
            "name": b.name,
            "type": b.kind,
            "upper": b.upper,
            "lower": b.lower,
            "devices": detail.devices,
            "ports": config_object(&detail.ports),
            "subscribed_to": detail.subscribed_to,
            "subscribers": detail.subscribers,
            "config": config_object(&detail.config),
            "stats": stats_object(&detail.stats),
        })),
    }
}

/// `<name> <value>`, or `<name> cpu<N> <value>` for a per-CPU value.
fn stat_line(stat: &Stat) -> String {
    match (&stat.text, stat.cpu) {
        (Some(text), _) => format!("{} {text}", stat.name),
        (None, Some(cpu)) => format!("{} cpu{cpu} {}", stat.name, stat.value),
        (None, None) => format!("{} {}", stat.name, stat.value),
    }
}

/// The counters as one JSON object in the kernel's order: a plain value is
/// a number, a per-CPU counter an object of its values keyed `cpu<N>`, at
/// the place of its first value.
fn stats_object(entries: &[Stat]) -> Map<String, Value> {
    let mut counters = Map::new();
    for stat in entries {
        if let Some(text) = &stat.text {
            counters.insert(stat.name.clone(), json!(text));
            continue;
        }
        match stat.cpu {
            None => {
                counters.insert(stat.name.clone(), json!(stat.value));
            }
            Some(cpu) => {
                let slot = counters
                    .entry(stat.name.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                // A plain value and per-CPU values under one name would be
                // a kernel bug; the per-CPU view wins rather than failing.
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if let Value::Object(per_cpu) = slot {
                    per_cpu.insert(format!("cpu{cpu}"), json!(stat.value));
                }
            }
        }
    }
    counters
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
    table_lines(rows)
        .into_iter()
        .map(|line| line + "\n")
        .collect()
}

/// The lines of [`table`], without their newlines.
fn table_lines<const N: usize>(rows: impl Iterator<Item = [String; N]>) -> Vec<String> {
    let rows: Vec<[String; N]> = rows.collect();
    let mut widths = [0; N];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let line = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect::<Vec<_>>()
                .join("  ");
            line.trim_end().to_owned()
        })
        .collect()
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

    fn stat(name: &str, cpu: Option<u32>, value: u64) -> Stat {
        Stat {
            name: name.into(),
            cpu,
            value,
            text: None,
        }
    }

    fn sample_stats() -> Stats {
        Stats {
            block: Some("in0".into()),
            entries: vec![stat("rx_packets", None, 5), stat("bytes", None, 300)],
        }
    }

    /// What `lanactl stats c1 --per-cpu` receives: per-CPU counters, then
    /// the events, which have no per-CPU breakdown.
    fn per_cpu_stats() -> Stats {
        Stats {
            block: Some("c1".into()),
            entries: vec![
                stat("packets", Some(0), 1),
                stat("packets", Some(1), 2),
                stat("bytes", Some(0), 60),
                stat("bytes", Some(1), 120),
                stat("events", None, 3),
            ],
        }
    }

    fn sample_detail() -> BlockDetail {
        BlockDetail {
            block: Block {
                id: 1,
                name: "c1".into(),
                kind: "counter".into(),
                upper: Some("f1".into()),
                lower: None,
            },
            devices: vec!["lana_d0".into()],
            ports: vec![
                ("clone".into(), "mirror".into()),
                ("out".into(), "sink".into()),
            ],
            subscribed_to: vec![],
            subscribers: vec!["a".into(), "b".into()],
            config: vec![
                ("reason".into(), "acl".into()),
                ("limit".into(), "5".into()),
            ],
            stats: vec![
                stat("packets", None, 100),
                stat("bytes", None, 6000),
                stat("events", None, 3),
            ],
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
    fn a_label_prints_as_its_text() {
        let mut s = sample_stats();
        s.entries.push(Stat {
            name: "reason".into(),
            cpu: None,
            value: 0,
            text: Some("policy".into()),
        });
        assert_eq!(
            stats(&s, Format::Text),
            "rx_packets 5\nbytes 300\nreason policy\n"
        );
        let value: Value = serde_json::from_str(&stats(&s, Format::Json)).unwrap();
        assert_eq!(value["stats"]["reason"], json!("policy"));
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

    #[test]
    fn per_cpu_stats_text_names_the_cpu() {
        assert_eq!(
            stats(&per_cpu_stats(), Format::Text),
            "packets cpu0 1\n\
             packets cpu1 2\n\
             bytes cpu0 60\n\
             bytes cpu1 120\n\
             events 3\n"
        );
    }

    #[test]
    fn per_cpu_stats_json_groups_by_counter() {
        let text = stats(&per_cpu_stats(), Format::Json);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            json!({
                "block": "c1",
                "stats": {
                    "packets": { "cpu0": 1, "cpu1": 2 },
                    "bytes": { "cpu0": 60, "cpu1": 120 },
                    "events": 3,
                },
            })
        );
        let stats = value["stats"].as_object().unwrap();
        let keys: Vec<&String> = stats.keys().collect();
        assert_eq!(keys, ["packets", "bytes", "events"]);
        let cpus: Vec<&String> = stats["packets"].as_object().unwrap().keys().collect();
        assert_eq!(cpus, ["cpu0", "cpu1"]);
    }

    #[test]
    fn show_text() {
        assert_eq!(
            show(&sample_detail(), Format::Text),
            concat!(
                "block c1 (counter) id 1\n",
                "  upper: f1\n",
                "  lower: -\n",
                "  devices: lana_d0\n",
                "  ports: clone=mirror, out=sink\n",
                "  subscribed to: -\n",
                "  subscribers: a, b\n",
                "  config: reason=acl, limit=5\n",
                "  packets 100\n",
                "  bytes 6000\n",
                "  events 3\n",
            )
        );
    }

    #[test]
    fn show_text_of_a_lone_block() {
        let lone = BlockDetail {
            block: Block {
                id: 4,
                name: "x".into(),
                kind: "tee".into(),
                upper: None,
                lower: Some("in0".into()),
            },
            devices: vec![],
            ports: vec![],
            subscribed_to: vec!["w".into(), "v".into()],
            subscribers: vec![],
            config: vec![],
            stats: vec![],
        };
        assert_eq!(
            show(&lone, Format::Text),
            concat!(
                "block x (tee) id 4\n",
                "  upper: -\n",
                "  lower: in0\n",
                "  devices: -\n",
                "  ports: -\n",
                "  subscribed to: w, v\n",
                "  subscribers: -\n",
                "  config: -\n",
            )
        );
        // No bound port: an empty object, not null or a missing key.
        let value: Value = serde_json::from_str(&show(&lone, Format::Json)).unwrap();
        assert_eq!(value["ports"], json!({}));
        assert_eq!(value["devices"], json!([]));
    }

    #[test]
    fn show_json() {
        let text = show(&sample_detail(), Format::Json);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            json!({
                "id": 1,
                "name": "c1",
                "type": "counter",
                "upper": "f1",
                "lower": null,
                "devices": ["lana_d0"],
                "ports": { "clone": "mirror", "out": "sink" },
                "subscribed_to": [],
                "subscribers": ["a", "b"],
                "config": { "reason": "acl", "limit": "5" },
                "stats": { "packets": 100, "bytes": 6000, "events": 3 },
            })
        );
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "id",
                "name",
                "type",
                "upper",
                "lower",
                "devices",
                "ports",
                "subscribed_to",
                "subscribers",
                "config",
                "stats"
            ]
        );
        let config: Vec<&String> = value["config"].as_object().unwrap().keys().collect();
        assert_eq!(config, ["reason", "limit"]);
        let ports: Vec<&String> = value["ports"].as_object().unwrap().keys().collect();
        assert_eq!(ports, ["clone", "out"]);
        let stats: Vec<&String> = value["stats"].as_object().unwrap().keys().collect();
        assert_eq!(stats, ["packets", "bytes", "events"]);
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
                keys: vec![],
            },
            TypeInfo {
                name: "tee".into(),
                description: "copies packets upward".into(),
                keys: vec![],
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
                { "name": "counter", "description": "counts packets", "keys": [] },
                { "name": "tee", "description": "copies packets upward", "keys": [] },
            ])
        );

        let a = [
            Attachment {
                dev: "lana0".into(),
                ifindex: 4,
                block: "in0".into(),
                side: "top".into(),
                tag: None,
            },
            Attachment {
                dev: "veth0".into(),
                ifindex: 5,
                block: "red".into(),
                side: "bottom".into(),
                tag: Some("vlan=10".into()),
            },
        ];
        assert_eq!(
            attachments(&a, Format::Text),
            "lana0  4  in0  top     -\nveth0  5  red  bottom  vlan=10\n"
        );
        let value: Value = serde_json::from_str(&attachments(&a, Format::Json)).unwrap();
        assert_eq!(
            value,
            json!([
                { "dev": "lana0", "ifindex": 4, "block": "in0", "side": "top", "tag": null },
                { "dev": "veth0", "ifindex": 5, "block": "red", "side": "bottom", "tag": "vlan=10" },
            ])
        );
    }

    fn key(name: &str, syntax: &str, default: &str, description: &str) -> KeyInfo {
        KeyInfo {
            name: name.into(),
            syntax: syntax.into(),
            default: default.into(),
            description: description.into(),
        }
    }

    /// A type without keys, one with a key, one with two.
    fn types_with_keys() -> [TypeInfo; 3] {
        [
            TypeInfo {
                name: "counter".into(),
                description: "counts packets".into(),
                keys: vec![],
            },
            TypeInfo {
                name: "drop".into(),
                description: "drops every packet, counted".into(),
                keys: vec![key(
                    "reason",
                    "label: 1-31 of A-Z a-z 0-9 _ . : -",
                    "drop",
                    "why this block drops, shown by get and show",
                )],
            },
            TypeInfo {
                name: "tee".into(),
                description: "copies packets".into(),
                keys: vec![
                    key("limit", "0-100", "10", "how many"),
                    key("tag", "text", "", "a note"),
                ],
            },
        ]
    }

    #[test]
    fn types_text_lists_keys_under_their_type() {
        assert_eq!(
            types(&types_with_keys(), Format::Text),
            concat!(
                "counter  counts packets\n",
                "drop     drops every packet, counted\n",
                "    reason=label: 1-31 of A-Z a-z 0-9 _ . : - (default drop): ",
                "why this block drops, shown by get and show\n",
                "tee      copies packets\n",
                "    limit=0-100 (default 10): how many\n",
                "    tag=text (default \"\"): a note\n",
            )
        );
    }

    #[test]
    fn types_json_carries_keys_in_order() {
        let value: Value = serde_json::from_str(&types(&types_with_keys(), Format::Json)).unwrap();
        assert_eq!(
            value,
            json!([
                { "name": "counter", "description": "counts packets", "keys": [] },
                {
                    "name": "drop",
                    "description": "drops every packet, counted",
                    "keys": [{
                        "name": "reason",
                        "syntax": "label: 1-31 of A-Z a-z 0-9 _ . : -",
                        "default": "drop",
                        "description": "why this block drops, shown by get and show",
                    }],
                },
                {
                    "name": "tee",
                    "description": "copies packets",
                    "keys": [
                        { "name": "limit", "syntax": "0-100", "default": "10", "description": "how many" },
                        { "name": "tag", "syntax": "text", "default": "", "description": "a note" },
                    ],
                },
            ])
        );
        let keys: Vec<&String> = value[1]["keys"][0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "syntax", "default", "description"]);
        let fields: Vec<&String> = value[0].as_object().unwrap().keys().collect();
        assert_eq!(fields, ["name", "description", "keys"]);
    }

    fn sample_config() -> BlockConfig {
        BlockConfig {
            block: "d1".into(),
            config: vec![
                ("reason".into(), "acl".into()),
                ("limit".into(), "a=b".into()),
            ],
        }
    }

    #[test]
    fn get_text_is_one_key_value_line_per_option() {
        assert_eq!(
            config(&sample_config(), Format::Text),
            "reason=acl\nlimit=a=b\n"
        );
        let empty = BlockConfig {
            block: "c1".into(),
            config: vec![],
        };
        assert_eq!(config(&empty, Format::Text), "");
    }

    #[test]
    fn get_json_keeps_order() {
        let text = config(&sample_config(), Format::Json);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            json!({ "block": "d1", "config": { "reason": "acl", "limit": "a=b" } })
        );
        let keys: Vec<&String> = value["config"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["reason", "limit"]);
        let top: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(top, ["block", "config"]);
        let empty = BlockConfig {
            block: "c1".into(),
            config: vec![],
        };
        let value: Value = serde_json::from_str(&config(&empty, Format::Json)).unwrap();
        assert_eq!(value, json!({ "block": "c1", "config": {} }));
    }
}
