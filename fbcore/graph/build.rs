// SPDX-License-Identifier: GPL-2.0-only

//! Building a snapshot from the registry: the lane, its walks and the
//! tally's slots (control path).

use super::*;

impl Graph {
    /// A snapshot with no block and no device: every frame goes to the
    /// stack.
    pub(crate) fn empty() -> Result<KBox<Self>> {
        Self::build(&Registry::new(), core::iter::empty(), &mut None)
    }

    /// Builds the snapshot of `registry` with `attachments`. A block with
    /// several devices attached on one side exits to the one with the lowest
    /// slot.
    /// The tally is `spare` if it has room (see [`Tally::new`]).
    pub(crate) fn build<'a>(
        registry: &Registry,
        attachments: impl Iterator<Item = Endpoint<'a>>,
        spare: &mut Option<Tally>,
    ) -> Result<KBox<Self>> {
        let index = |id: Option<u32>| {
            id.and_then(|id| registry.index_of(id))
                .map_or(NodeIdx::NONE, NodeIdx::new)
        };
        let count = registry.entries().len();
        let mut nodes = KVVec::with_capacity(count, GFP_KERNEL)?;
        let mut ids = KVVec::with_capacity(count, GFP_KERNEL)?;
        let mut names = KVVec::with_capacity(count, GFP_KERNEL)?;
        let mut links = KVVec::with_capacity(count, GFP_KERNEL)?;
        let mut ports = KVVec::new();
        for entry in registry.entries() {
            let port_base = ports.len() as u32;
            for target in entry.ports.iter() {
                ports.push(index(*target), GFP_KERNEL)?;
            }
            nodes.push(
                Node {
                    up: NO_WALK,
                    down: NO_WALK,
                    port_base,
                    port_count: entry.ports.len() as u32,
                },
                GFP_KERNEL,
            )?;
            links.push(
                Links {
                    up: index(entry.upper),
                    down: index(entry.lower),
                },
                GFP_KERNEL,
            )?;
            ids.push(entry.id, GFP_KERNEL)?;
            names.push(entry.name, GFP_KERNEL)?;
        }
        let stage = |i: usize, at: u32| {
            let entry = &registry.entries()[i];
            Stage {
                block: entry.instance.clone(),
                walks: ArcPtr::new(entry.walks.clone()),
                node: NodeIdx::new(i),
                at,
            }
        };
        let mut places = KVVec::with_capacity(count, GFP_KERNEL)?;
        places.resize(
            count,
            Place {
                up_at: UNPLACED,
                down_at: UNPLACED,
                first: 0,
                end: 0,
                cycle: false,
            },
            GFP_KERNEL,
        )?;
        let lane = lay_out(&links, &mut places, stage)?;
        let mut devices = KVVec::new();
        let mut sorted = KVVec::new();
        for a in attachments {
            sorted.push(a, GFP_KERNEL)?;
        }
        // By slot, a slot's tagged attachments before its untagged one: a
        // slot's entries in `tagged` are then one run, the catch-all last.
        sorted.sort_unstable_by_key(|a| (a.slot, a.tag.is_none()));
        // Each node's exits first: where its ingress packets go when nothing
        // is bound above (a lana device attached on top), its egress
        // packets when nothing is bound below (a real device at the bottom).
        let mut exits = KVVec::with_capacity(count, GFP_KERNEL)?;
        exits.resize(count, Exits::default(), GFP_KERNEL)?;
        for a in sorted.iter() {
            let Some(node) = exits.get_mut(index(Some(a.block)).get()) else {
                continue;
            };
            let exit = match a.side {
                Side::Top => &mut node.top,
                Side::Bottom => &mut node.bottom,
            };
            if *exit == ExitIdx::NONE {
                *exit = ExitIdx::new(devices.len());
                let dev = ARef::from(a.dev);
                devices.push(Exit { dev, tag: a.tag }, GFP_KERNEL)?;
            }
        }
        // Then the walks, each ending at the exit of its chain's end.
        for (node, place) in nodes.iter_mut().zip(places.iter()) {
            (node.up, node.down) = walks(place, &lane, &exits);
        }
        let mut entries = KVVec::new();
        let mut tag_ranges: KVVec<TagRange> = KVVec::new();
        let mut tagged = KVVec::new();
        for a in sorted.iter() {
            if entries.len() <= a.slot {
                entries.resize(a.slot + 1, NO_ENTRY, GFP_KERNEL)?;
                tag_ranges.resize(a.slot + 1, TagRange::default(), GFP_KERNEL)?;
            }
            let at = index(Some(a.block));
            let Some(node) = nodes.get(at.get()) else {
                continue;
            };
            let range = &mut tag_ranges[a.slot];
            let key = match a.tag {
                Some(tag) => Some(tag.key()),
                None if range.count > 0 => Some(ANY_TAG),
                None => None,
            };
            match key {
                None => {
                    entries[a.slot] = Entry {
                        node: at,
                        up: node.up,
                    }
                }
                Some(key) => {
                    if range.count == 0 {
                        range.start = tagged.len() as u32;
                    }
                    range.count += 1;
                    tagged.push(Tagged { key, up: node.up }, GFP_KERNEL)?;
                }
            }
        }
        let tally = tally_entries(&mut entries, &mut tagged, spare)?;
        // INVARIANT: Indices come from `registry.index_of`, the node order,
        // which is ascending id order, from `devices`' length as it grew, and
        // from `lay_out`.
        Ok(KBox::new(
            Self {
                lane,
                nodes,
                ports,
                ids,
                names,
                entries,
                tag_ranges,
                tagged,
                devices,
                tally,
            },
            GFP_KERNEL,
        )?)
    }
}

/// A node's exits, while the snapshot is built: the devices attached on
/// top of it and at its bottom, or none.
#[derive(Clone, Copy)]
struct Exits {
    top: ExitIdx,
    bottom: ExitIdx,
}

impl Default for Exits {
    fn default() -> Self {
        Self {
            top: ExitIdx::NONE,
            bottom: ExitIdx::NONE,
        }
    }
}

/// A node's neighbours, for laying out the lane.
struct Links {
    up: NodeIdx,
    down: NodeIdx,
}

/// A node's place before the lane has it.
const UNPLACED: u32 = u32::MAX;

/// Lays every chain out in a lane, bottom to top, and records each node's
/// positions in it. `block(i)` is node `i`'s block.
fn lay_out(
    links: &[Links],
    nodes: &mut [Place],
    stage: impl Fn(usize, u32) -> Stage,
) -> Result<KVVec<Stage>> {
    let mut lane = KVVec::with_capacity(nodes.len(), GFP_KERNEL)?;
    let mut chain = KVVec::new();
    for start in 0..nodes.len() {
        if nodes[start].up_at != UNPLACED {
            continue;
        }
        // The chain through `start`, bottom first: go down to its bottom (or
        // round its cycle), then collect it going up.
        let mut bottom = start;
        let mut cycle = false;
        for _ in 0..nodes.len() {
            match links[bottom].down.get() {
                down if down >= nodes.len() => break,
                down if down == start => {
                    cycle = true;
                    break;
                }
                down => bottom = down,
            }
        }
        let bottom = if cycle { start } else { bottom };
        chain.clear();
        let mut at = bottom;
        for _ in 0..nodes.len() {
            chain.push(at, GFP_KERNEL)?;
            match links[at].up.get() {
                up if up >= nodes.len() || up == bottom => break,
                up => at = up,
            }
        }
        // A cycle is laid out once, then on for as many blocks as the hop
        // limit allows: walks up start in the first round, walks down in the
        // last, so that neither leaves the lane before the limit.
        let first = lane.len() as u32;
        let length = chain.len() as u32;
        let total = if cycle { length + HOP_LIMIT } else { length };
        for i in 0..total {
            let node = chain[(i % length) as usize];
            let at = lane.len() as u32;
            if i < length {
                nodes[node].up_at = at;
            }
            if i + length >= total {
                nodes[node].down_at = at;
            }
            lane.push(stage(node, at), GFP_KERNEL)?;
        }
        for &node in chain.iter() {
            nodes[node].first = first;
            nodes[node].end = first + total;
            nodes[node].cycle = cycle;
        }
    }
    Ok(lane)
}

/// The walks up and down from a block at `place` in `lane`, each ending at
/// the exit of its chain's end (`exits`, by node), or at the hop limit.
fn walks(place: &Place, lane: &[Stage], exits: &[Exits]) -> (Walk, Walk) {
    let limit = HOP_LIMIT as usize;
    let (up_at, down_at) = (place.up_at as usize, place.down_at as usize);
    let (first, end) = (place.first as usize, place.end as usize);
    let up_end = end.min(up_at + limit);
    let down_start = first.max((down_at + 1).saturating_sub(limit));
    let exits_at = |at: usize| {
        let node = lane.get(at).map_or(NodeIdx::NONE, |s| s.node);
        exits.get(node.get()).copied().unwrap_or_default()
    };
    let up = Walk {
        start: up_at as u32,
        end: up_end as u32,
        exit: if up_end == end && !place.cycle {
            exits_at(end - 1).top
        } else {
            ExitIdx::HOP_LIMIT
        },
        tally: NO_TALLY,
    };
    let down = Walk {
        start: down_start as u32,
        end: down_at as u32 + 1,
        exit: if down_start == first && !place.cycle {
            exits_at(first).bottom
        } else {
            ExitIdx::HOP_LIMIT
        },
        tally: NO_TALLY,
    };
    (up, down)
}

/// Gives every walk from an entry its slots in a tally, made for them.
pub(super) fn tally_entries(
    entries: &mut [Entry],
    tagged: &mut [Tagged],
    spare: &mut Option<Tally>,
) -> Result<Tally> {
    let mut slots: u32 = 0;
    let from_entries = entries.iter_mut().map(|e| &mut e.up);
    for walk in Iterator::chain(from_entries, tagged.iter_mut().map(|t| &mut t.up)) {
        if walk.start < walk.end {
            // Slots from `slots` on for the stages from `start` on.
            walk.tally = slots.wrapping_sub(walk.start.wrapping_mul(OUTCOMES));
            let stages = walk.end - walk.start;
            slots = stages
                .checked_mul(OUTCOMES)
                .and_then(|n| slots.checked_add(n))
                .filter(|&n| n != NO_TALLY)
                .ok_or(ENOMEM)?;
        }
    }
    Tally::new(slots as usize, spare)
}
