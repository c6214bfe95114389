// SPDX-License-Identifier: GPL-2.0-only

//! The running graph, read from the kernel as a [`Graph`] (what `lanactl
//! dump` prints and `lanactl apply` compares a file with).
//!
//! It takes several requests; the graph's revision is read before and
//! after, and the reading starts over if something changed in between, so
//! the result is one revision's graph.

use std::collections::HashMap;

use lana_uapi::cmd;

use crate::{
    client::{Client, Error},
    graphfile::{Attach, Bind, Block, Graph, Line, Subscription},
    wire::{self, Attrs, BlockDetail, Request},
};

/// Attempts before giving up on a graph that keeps changing.
const ATTEMPTS: usize = 5;

/// The running graph, every setting of every block included, and its
/// revision.
pub fn read(client: &Client) -> Result<(Graph, u32), crate::Error> {
    for _ in 0..ATTEMPTS {
        let before = revision(client)?;
        let graph = read_once(client)?;
        if revision(client)? == before {
            return Ok((graph, before));
        }
    }
    Err(Error::Refused(format!(
        "the graph changed {ATTEMPTS} times while it was read; try again"
    ))
    .into())
}

/// The graph's revision.
pub fn revision(client: &Client) -> Result<u32, crate::Error> {
    let reply = client.query(cmd::REVISION, Attrs::new())?;
    Ok(wire::parse_revision(&reply)?)
}

/// `graph` without the settings equal to their type's default (what a new
/// block has anyway): the graph as `lanactl dump` prints it.
pub fn without_defaults(client: &Client, mut graph: Graph) -> Result<Graph, crate::Error> {
    let mut defaults: HashMap<(String, String), String> = HashMap::new();
    for message in client.dump(cmd::TYPES)? {
        let kind = wire::parse_type(&message)?;
        for key in kind.keys {
            defaults.insert((kind.name.clone(), key.name), key.default);
        }
    }
    for block in &mut graph.blocks {
        block
            .config
            .retain(|(key, value)| defaults.get(&(block.kind.clone(), key.clone())) != Some(value));
    }
    Ok(graph)
}

/// Every block in full, in id order: one `DETAILS` dump, and a `SHOW` for
/// each block the kernel could not fit in a dump message.
pub fn details(client: &Client) -> Result<Vec<BlockDetail>, crate::Error> {
    let mut details = Vec::new();
    for message in client.dump(cmd::DETAILS)? {
        let detail = if wire::is_incomplete(&message) {
            let name = wire::parse_block(&message)?.name;
            let show = Request::Show { name: &name };
            wire::parse_show(&client.query(show.cmd(), show.attrs()?)?)?
        } else {
            wire::parse_show(&message)?
        };
        details.push(detail);
    }
    Ok(details)
}

fn read_once(client: &Client) -> Result<Graph, crate::Error> {
    let mut graph = Graph::default();
    for detail in details(client)? {
        let block = detail.block;
        let config = detail.config;
        if let Some(lower) = &block.lower {
            graph.binds.push(Bind {
                upper: block.name.clone(),
                lower: lower.clone(),
                port: None,
                line: Line(None),
            });
        }
        for (port, to) in detail.ports {
            graph.binds.push(Bind {
                upper: to,
                lower: block.name.clone(),
                port: Some(port),
                line: Line(None),
            });
        }
        for to in detail.subscribed_to {
            graph.subscriptions.push(Subscription {
                block: block.name.clone(),
                to,
                line: Line(None),
            });
        }
        graph.blocks.push(Block {
            name: block.name,
            kind: block.kind,
            config,
            line: Line(None),
        });
    }
    for message in client.dump(cmd::ATTACHMENTS)? {
        let a = wire::parse_attachment(&message)?;
        graph.attachments.push(Attach {
            dev: a.dev,
            block: a.block,
            tag: a.tag,
            line: Line(None),
        });
    }
    Ok(graph)
}
