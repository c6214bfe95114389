// SPDX-License-Identifier: GPL-2.0-only

//! Graph files: a whole graph (lana devices, blocks with their type and
//! settings, bindings, subscriptions, device attachments) as TOML, which
//! `lanactl dump` writes and `lanactl apply -f` reads.
//!
//! ```toml
//! [[vlink]]
//! name = "lana0"
//!
//! [[block]]
//! name = "e0"
//! type = "eth"
//! [block.config]
//! promisc = "on"
//!
//! [[block]]
//! name = "c0"
//! type = "counter"
//!
//! [[bind]]
//! upper = "c0"
//! lower = "e0"
//!
//! [[attach]]
//! dev = "veth0"
//! block = "e0"
//! vlan = 10
//! ```
//!
//! Everything read keeps the line it came from, so a refusal can point at
//! it.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A whole graph, in the file's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    #[serde(rename = "vlink")]
    pub vlinks: Vec<Vlink>,
    #[serde(rename = "block")]
    pub blocks: Vec<Block>,
    #[serde(rename = "bind")]
    pub binds: Vec<Bind>,
    #[serde(rename = "subscribe")]
    pub subscriptions: Vec<Subscription>,
    #[serde(rename = "attach")]
    pub attachments: Vec<Attach>,
}

/// Where something was read from: a line of the file, or nowhere (the
/// running graph). Equal to any other: it is not part of the graph.
#[derive(Debug, Clone, Copy, Default)]
pub struct Line(pub Option<usize>);

impl PartialEq for Line {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Line {}

/// Lana device `name` (`lanactl vlink add`), with `mtu` if not the
/// default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vlink {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    #[serde(skip)]
    pub line: Line,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `key = value` settings, in order; keys the file leaves out keep
    /// their value (a new block: the type's default).
    #[serde(serialize_with = "as_map")]
    pub config: Vec<(String, String)>,
    #[serde(skip)]
    pub line: Line,
}

/// Settings as a JSON object, in order.
fn as_map<S: serde::Serializer>(config: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(config.len()))?;
    for (k, v) in config {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// `upper` above `lower`, or, with `port`, `lower`'s output port `port`
/// leading to `upper`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bind {
    pub upper: String,
    pub lower: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(skip)]
    pub line: Line,
}

/// `block` receives the events of `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    pub block: String,
    pub to: String,
    #[serde(skip)]
    pub line: Line,
}

/// Device `dev` feeds block `block`: with a tag, only the frames carrying
/// it (`vlan=ID` or `ethertype=0xTYPE`, as the kernel writes tags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attach {
    pub dev: String,
    pub block: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip)]
    pub line: Line,
}

/// A graph file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub line: Option<usize>,
    pub why: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.why),
            None => f.write_str(&self.why),
        }
    }
}

impl std::error::Error for FileError {}

/// The file as TOML gives it, before checking.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    vlink: Vec<Spanned<RawVlink>>,
    #[serde(default)]
    block: Vec<Spanned<RawBlock>>,
    #[serde(default)]
    bind: Vec<Spanned<RawBind>>,
    #[serde(default)]
    subscribe: Vec<Spanned<RawSubscription>>,
    #[serde(default)]
    attach: Vec<Spanned<RawAttach>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVlink {
    name: String,
    mtu: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlock {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    config: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBind {
    upper: String,
    lower: String,
    port: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubscription {
    block: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttach {
    dev: String,
    block: String,
    vlan: Option<u16>,
    ethertype: Option<String>,
}

/// The line of `text` at byte `offset`, counted from 1.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of every offset of one text, found by binary search in the
/// offsets where lines start (counting from the start for each would make
/// reading a file of thousands of blocks quadratic).
struct Lines(Vec<usize>);

impl Lines {
    fn of(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Lines(starts)
    }

    /// The line (from 1) holding `offset`.
    fn at(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// Reads a graph file.
pub fn parse(text: &str) -> Result<Graph, FileError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| FileError {
        line: e.span().map(|span| line_at(text, span.start)),
        why: e.message().to_owned(),
    })?;
    let lines = Lines::of(text);
    let mut graph = Graph::default();
    let mut devices = std::collections::HashSet::new();
    for spanned in raw.vlink {
        let line = Some(lines.at(spanned.span().start));
        let at = |why: String| FileError { line, why };
        let vlink = spanned.into_inner();
        crate::vlink::check_name(&vlink.name).map_err(|e| at(e.to_string()))?;
        if !devices.insert(vlink.name.clone()) {
            return Err(at(format!(
                "lana device '{}' is declared twice",
                vlink.name
            )));
        }
        if let Some(mtu) = vlink
            .mtu
            .filter(|mtu| !crate::vlink::MTU_RANGE.contains(mtu))
        {
            let range = crate::vlink::MTU_RANGE;
            return Err(at(format!(
                "lana device '{}': mtu {mtu} is not in {}-{}",
                vlink.name,
                range.start(),
                range.end()
            )));
        }
        graph.vlinks.push(Vlink {
            name: vlink.name,
            mtu: vlink.mtu,
            line: Line(line),
        });
    }
    let mut declared = std::collections::HashSet::new();
    for spanned in raw.block {
        let line = Some(lines.at(spanned.span().start));
        let at = |why: String| FileError { line, why };
        let block = spanned.into_inner();
        if !declared.insert(block.name.clone()) {
            return Err(at(format!("block '{}' is declared twice", block.name)));
        }
        let mut config = Vec::new();
        for (key, value) in block.config {
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Boolean(true) => "on".to_owned(),
                toml::Value::Boolean(false) => "off".to_owned(),
                other => {
                    return Err(at(format!(
                        "block '{}': key '{key}': a {} is not a setting \
                         (give a string, an integer or a boolean)",
                        block.name,
                        other.type_str()
                    )))
                }
            };
            config.push((key, value));
        }
        graph.blocks.push(Block {
            name: block.name,
            kind: block.kind,
            config,
            line: Line(line),
        });
    }
    for spanned in raw.bind {
        let line = Line(Some(lines.at(spanned.span().start)));
        let bind = spanned.into_inner();
        graph.binds.push(Bind {
            upper: bind.upper,
            lower: bind.lower,
            port: bind.port,
            line,
        });
    }
    for spanned in raw.subscribe {
        let line = Line(Some(lines.at(spanned.span().start)));
        let sub = spanned.into_inner();
        graph.subscriptions.push(Subscription {
            block: sub.block,
            to: sub.to,
            line,
        });
    }
    for spanned in raw.attach {
        let line = Some(lines.at(spanned.span().start));
        let attach = spanned.into_inner();
        let tag = match (attach.vlan, attach.ethertype) {
            (Some(_), Some(_)) => {
                return Err(FileError {
                    line,
                    why: format!(
                        "attachment of '{}': give vlan or ethertype, not both",
                        attach.dev
                    ),
                })
            }
            (Some(vlan), None) => Some(format!("vlan={vlan}")),
            (None, Some(ethertype)) => Some(format!("ethertype={ethertype}")),
            (None, None) => None,
        };
        graph.attachments.push(Attach {
            dev: attach.dev,
            block: attach.block,
            tag,
            line: Line(line),
        });
    }
    Ok(graph)
}

/// A TOML string, quoted and escaped.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A TOML key: bare when it can be.
fn key(text: &str) -> String {
    let bare = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        text.to_owned()
    } else {
        quoted(text)
    }
}

/// Writes `graph` as a graph file, headed by `header` (comment lines).
pub fn render(graph: &Graph, header: &str) -> String {
    let mut out = String::new();
    for line in header.lines() {
        let _ = writeln!(out, "# {line}");
    }
    for v in &graph.vlinks {
        let _ = write!(out, "\n[[vlink]]\nname = {}\n", quoted(&v.name));
        if let Some(mtu) = v.mtu {
            let _ = writeln!(out, "mtu = {mtu}");
        }
    }
    for b in &graph.blocks {
        let _ = write!(
            out,
            "\n[[block]]\nname = {}\ntype = {}\n",
            quoted(&b.name),
            quoted(&b.kind)
        );
        if !b.config.is_empty() {
            out.push_str("[block.config]\n");
            for (k, v) in &b.config {
                let _ = writeln!(out, "{} = {}", key(k), quoted(v));
            }
        }
    }
    for b in &graph.binds {
        let _ = write!(
            out,
            "\n[[bind]]\nupper = {}\nlower = {}\n",
            quoted(&b.upper),
            quoted(&b.lower)
        );
        if let Some(port) = &b.port {
            let _ = writeln!(out, "port = {}", quoted(port));
        }
    }
    for s in &graph.subscriptions {
        let _ = write!(
            out,
            "\n[[subscribe]]\nblock = {}\nto = {}\n",
            quoted(&s.block),
            quoted(&s.to)
        );
    }
    for a in &graph.attachments {
        let _ = write!(
            out,
            "\n[[attach]]\ndev = {}\nblock = {}\n",
            quoted(&a.dev),
            quoted(&a.block)
        );
        match a.tag.as_deref().and_then(|t| t.split_once('=')) {
            Some(("vlan", id)) => {
                let _ = writeln!(out, "vlan = {id}");
            }
            Some((kind, value)) => {
                let _ = writeln!(out, "{} = {}", key(kind), quoted(value));
            }
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"# a comment
[[block]]
name = "e0"
type = "eth"
[block.config]
promisc = true
ethertype = "0x0800"

[[block]]
name = "c0"
type = "counter"

[[bind]]
upper = "c0"
lower = "e0"

[[bind]]
upper = "x"
lower = "t"
port = "clone"

[[subscribe]]
block = "c0"
to = "e0"

[[attach]]
dev = "veth0"
block = "e0"
vlan = 10

[[attach]]
dev = "veth1"
block = "c0"
ethertype = "0x88b5"

[[vlink]]
name = "lana0"

[[vlink]]
name = "lana1"
mtu = 1400
"#;

    #[test]
    fn reads_every_section_with_its_line() {
        let g = parse(SAMPLE).unwrap();
        assert_eq!(g.blocks.len(), 2);
        assert_eq!(g.blocks[0].name, "e0");
        assert_eq!(g.blocks[0].kind, "eth");
        assert_eq!(
            g.blocks[0].config,
            vec![
                ("promisc".to_owned(), "on".to_owned()),
                ("ethertype".to_owned(), "0x0800".to_owned())
            ]
        );
        assert_eq!(g.blocks[0].line.0, Some(2));
        assert_eq!(g.blocks[1].line.0, Some(9));
        assert_eq!(g.binds[1].port.as_deref(), Some("clone"));
        assert_eq!(g.binds[0].line.0, Some(13));
        assert_eq!(g.subscriptions[0].to, "e0");
        assert_eq!(g.attachments[0].tag.as_deref(), Some("vlan=10"));
        assert_eq!(g.attachments[1].tag.as_deref(), Some("ethertype=0x88b5"));
        assert_eq!(g.attachments[1].line.0, Some(31));
        assert_eq!(g.vlinks.len(), 2);
        assert_eq!(
            (g.vlinks[0].name.as_str(), g.vlinks[0].mtu),
            ("lana0", None)
        );
        assert_eq!(
            (g.vlinks[1].name.as_str(), g.vlinks[1].mtu),
            ("lana1", Some(1400))
        );
        assert_eq!(g.vlinks[1].line.0, Some(39));
    }

    #[test]
    fn render_then_parse_gives_the_same_graph() {
        let g = parse(SAMPLE).unwrap();
        let text = render(&g, "lanactl dump\nrevision 3");
        assert!(text.starts_with("# lanactl dump\n# revision 3\n"));
        assert_eq!(parse(&text).unwrap(), g);
        // And rendering is stable.
        assert_eq!(
            render(&parse(&text).unwrap(), "lanactl dump\nrevision 3"),
            text
        );
    }

    #[test]
    fn lines_agree_with_counting_from_the_start() {
        let text = "a\n\nbc\nd\n";
        let lines = Lines::of(text);
        for offset in 0..=text.len() {
            assert_eq!(lines.at(offset), line_at(text, offset), "offset {offset}");
        }
    }

    #[test]
    fn strings_needing_escapes_survive() {
        let mut g = Graph::default();
        g.blocks.push(Block {
            name: "f".into(),
            kind: "bpf".into(),
            config: vec![("filter".into(), "ip and \"quoted\" \\ back".into())],
            line: Line(None),
        });
        assert_eq!(parse(&render(&g, "")).unwrap(), g);
    }

    #[test]
    fn refusals_name_the_line() {
        let err =
            parse("[[block]]\nname = \"a\"\ntype = \"x\"\n[[block]]\nname = \"a\"\ntype = \"y\"\n")
                .unwrap_err();
        assert_eq!(err.line, Some(4));
        assert_eq!(err.why, "block 'a' is declared twice");
        let err = parse("[[block]]\nname = \"a\"\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.why.contains("type"), "{}", err.why);
        let err = parse("\n[[blocks]]\nname = \"a\"\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.why.contains("blocks"), "{}", err.why);
        let err =
            parse("[[block]]\nname = \"a\"\ntype = \"x\"\nconfig = { k = 1.5 }\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.why.contains("key 'k'"), "{}", err.why);
        let err = parse("[[attach]]\ndev = \"d\"\nblock = \"b\"\nvlan = 1\nethertype = \"0x1\"\n")
            .unwrap_err();
        assert!(err.why.contains("not both"), "{}", err.why);
        let err = parse("[[attach]]\ndev = \"d\"\nblock = \"b\"\nvlan = 70000\n").unwrap_err();
        assert_eq!(err.line, Some(4));
        let err = parse("[[vlink]]\nname = \"l0\"\n\n[[vlink]]\nname = \"l0\"\n").unwrap_err();
        assert_eq!(err.line, Some(4));
        assert_eq!(err.why, "lana device 'l0' is declared twice");
        let err = parse("[[vlink]]\nname = \"a-name-of-16-byt\"\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.why.contains("longer than 15 bytes"), "{}", err.why);
        let err = parse("[[vlink]]\nname = \"l0\"\nmtu = 67\n").unwrap_err();
        assert_eq!(err.why, "lana device 'l0': mtu 67 is not in 68-65521");
        let err = parse("[[vlink]]\nname = \"l0\"\nmac = 1\n").unwrap_err();
        assert!(err.why.contains("mac"), "{}", err.why);
    }
}
