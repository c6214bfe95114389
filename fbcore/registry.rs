// SPDX-License-Identifier: GPL-2.0-only

//! The control-path view of the graph: named block instances and bindings.
//!
//! Only the control path touches it, under the engine's mutex. The packet
//! path never does: it follows an immutable [`Graph`](crate::graph::Graph)
//! built from this registry and published under RCU.

use core::{
    pin::Pin,
    sync::atomic::{AtomicU64, Ordering},
};
use kernel::{
    alloc::KVVec,
    prelude::*,
    rbtree::{RBTree, RBTreeNode},
    sync::Arc,
};

use crate::block::{Block, BlockType, Instance};
use crate::counters::WalkCounters;
use crate::error::{ctl_err, CtlError, CtlResult};
use crate::event::{self, Event, Inbox};
use crate::name::Name;
use crate::vlink::notifier::{Chain, Subscription};

// KUnit suites build only where the kernel has KUnit (Debian's has not).
#[cfg(CONFIG_KUNIT = "y")]
mod kunit;
mod ports;
mod replace;
mod subscriptions;

pub(crate) use replace::Replaced;
pub(crate) use subscriptions::Withdrawn;

/// A block listening on a chain: its own, or one it subscribes to.
type Listening = Pin<KBox<Subscription<Event, Inbox>>>;

/// A block's notifier chain, with the block's own registration on it.
///
/// # Invariants
///
/// `_own` is the chain's first registration, with the block's inbox: the
/// block hears its events before its subscribers do.
struct Listened {
    chain: Arc<Chain<Event>>,
    _own: Listening,
}

/// How a block hears events through notifier chains, made when it first
/// does (its first subscriber or subscription). Most blocks never do: they
/// keep a pointer for it, not an inbox, a chain and a list.
///
/// # Invariants
///
/// Every registration here is `inbox`'s: `chain`'s own and each of
/// `subscriptions`.
struct Events {
    /// Where events arrive through a chain.
    inbox: Arc<Inbox>,
    /// This block's chain, made for its first subscriber: its events go
    /// to it and its subscribers.
    chain: Option<Listened>,
    /// The blocks this one subscribes to (by id), and its registration on
    /// each one's chain.
    subscriptions: KVec<(u32, Listening)>,
}

/// One block instance.
pub(crate) struct Entry {
    /// Stable for the block's lifetime, never reused while the module lives.
    pub(crate) id: u32,
    pub(crate) name: Name,
    /// The block, as the packet path calls it ([`Entry::block`] for the
    /// control path).
    pub(crate) instance: Instance,
    /// The engine's counts of the walks through the block.
    pub(crate) walks: Arc<WalkCounters>,
    /// The block above this one: where its ingress packets go next.
    pub(crate) upper: Option<u32>,
    /// The block below this one: where its egress packets go next.
    pub(crate) lower: Option<u32>,
    /// The block each output port of the type leads to (`bind --port`).
    pub(crate) ports: KVec<Option<u32>>,
    /// How the block hears events through chains, once it does.
    events: Option<KBox<Events>>,
    /// Events delivered to the block while it had no chain of its own.
    received: AtomicU64,
    /// Its node of the registry's name index while out of the registry
    /// (removed or replaced, kept for undo): putting it back allocates
    /// nothing. `None` while in the registry, whose index holds it.
    name_node: Option<RBTreeNode<Name, u32>>,
}

// Every block has one: kept within kmalloc's 128-byte objects (make bench
// measures the kernel memory per block).
const _: () = assert!(core::mem::size_of::<Entry>() <= 128);

impl Entry {
    /// Ids of the blocks this one subscribes to.
    pub(crate) fn subscribed_to(&self) -> impl Iterator<Item = u32> + '_ {
        let subscriptions = self.events.iter().flat_map(|e| e.subscriptions.iter());
        subscriptions.map(|(id, _)| *id)
    }

    /// The block, for the control path.
    pub(crate) fn block(&self) -> &dyn Block {
        self.instance.as_block()
    }

    /// The block's type.
    pub(crate) fn kind(&self) -> &'static BlockType {
        self.instance.kind()
    }

    /// Its subscriptions, if it has made any.
    fn subscriptions_mut(&mut self) -> Option<&mut KVec<(u32, Listening)>> {
        self.events.as_mut().map(|e| &mut e.subscriptions)
    }

    /// Its chain, if it has one.
    fn own_chain(&self) -> Option<&Arc<Chain<Event>>> {
        let listened = self.events.as_ref().and_then(|e| e.chain.as_ref());
        listened.map(|l| &l.chain)
    }

    /// Delivers `event` over this block's chain, to the block first, then
    /// to its subscribers.
    pub(crate) fn notify(&self, event: &Event) {
        match self.own_chain() {
            Some(chain) => chain.call(event),
            None => event::deliver(self.block(), &self.received, event),
        }
    }

    /// Events delivered to the block so far: its own and those of the
    /// blocks it subscribes to.
    pub(crate) fn events_received(&self) -> u64 {
        let through_chains = self.events.as_ref().map_or(0, |e| e.inbox.received());
        self.received.load(Ordering::Relaxed) + through_chains
    }

    fn subscribes_to(&self, id: u32) -> bool {
        self.subscribed_to().any(|t| t == id)
    }
}

/// All block instances of an engine.
///
/// # Invariants
///
/// `entries` is sorted by id; names are unique; `by_name` maps exactly the
/// entries' names to their ids; every `upper`/`lower` names an
/// entry, and `a.lower == Some(b)` exactly when `b.upper == Some(a)`. Every
/// subscription names another entry, at most once, and is registered on that
/// entry's chain (so an entry with subscribers has its chain). An entry
/// with a chain or a subscription has its inbox. A chain may also carry
/// registrations no entry lists: those [`Registry::unsubscribe`] withdrew
/// ([`Withdrawn`]), held by a batch until it is in or undone (no event is
/// delivered meanwhile: the engine's control lock is held throughout).
pub(crate) struct Registry {
    /// Of any length: a graph of thousands of blocks outgrows what kmalloc
    /// serves in one piece, so this may be vmalloc'd. Boxed: the room a
    /// growing vector keeps spare costs a pointer per slot, not an entry,
    /// and taking an entry out or putting it back moves a pointer.
    entries: KVVec<KBox<Entry>>,
    /// Name to id: a lookup by name costs a few comparisons, not a scan of
    /// thousands of entries (every change names its blocks).
    by_name: RBTree<Name, u32>,
    next_id: u32,
}

impl Registry {
    pub(crate) fn new() -> Self {
        Self {
            entries: KVVec::new(),
            by_name: RBTree::new(),
            next_id: 1,
        }
    }

    pub(crate) fn entries(&self) -> &[KBox<Entry>] {
        &self.entries
    }

    /// Index of the entry with `id`.
    pub(crate) fn index_of(&self, id: u32) -> Option<usize> {
        // Ids grow by one per add and are never reused, so `id` lies at most
        // its distance from the first id in, and exactly there while no
        // block between them was removed: a graph built by adds alone (the
        // snapshot build asks once per binding) needs no search.
        let first = self.entries.first()?.id;
        let most = usize::try_from(id.checked_sub(first)?).ok()?;
        let end = most.min(self.entries.len() - 1);
        if self.entries[end].id == id {
            return Some(end);
        }
        self.entries[..end].binary_search_by_key(&id, |e| e.id).ok()
    }

    /// The notifier chain of the entry at `index`, made (with the block's
    /// own registration on it) if it has none yet.
    fn chain(&mut self, index: usize) -> Result<Arc<Chain<Event>>> {
        let events = self.events(index)?;
        if let Some(listened) = &events.chain {
            return Ok(listened.chain.clone());
        }
        let chain = Chain::new()?;
        let own = Subscription::new(chain.clone(), events.inbox.clone())?;
        events.chain = Some(Listened {
            chain: chain.clone(),
            _own: own,
        });
        Ok(chain)
    }

    /// How the entry at `index` hears events, made (with its inbox) if it
    /// does not yet.
    fn events(&mut self, index: usize) -> Result<&mut Events> {
        let entry = &mut self.entries[index];
        let events = match entry.events.take() {
            Some(events) => events,
            None => KBox::new(
                Events {
                    inbox: Inbox::new(entry.instance.block())?,
                    chain: None,
                    subscriptions: KVec::new(),
                },
                GFP_KERNEL,
            )?,
        };
        Ok(&mut **entry.events.insert(events))
    }

    pub(crate) fn get(&self, id: u32) -> Option<&Entry> {
        self.index_of(id).map(|i| &*self.entries[i])
    }

    pub(crate) fn find(&self, name: &Name) -> Option<&Entry> {
        self.by_name.get(name).and_then(|id| self.get(*id))
    }

    /// The entry named `name`, or an error naming it.
    pub(crate) fn lookup(&self, name: &Name) -> CtlResult<&Entry> {
        self.find(name)
            .ok_or_else(|| ctl_err!(ENOENT, "no block '{name}'"))
    }

    /// The id the next block added will have.
    pub(crate) fn next_id(&self) -> u32 {
        self.next_id
    }

    /// Puts back an entry [`Registry::remove`] returned, undoing the remove
    /// (the caller undoes every later change first). No allocation: the
    /// remove left the room.
    pub(crate) fn restore(&mut self, entry: KBox<Entry>) -> Result {
        if self.find(&entry.name).is_some() || self.get(entry.id).is_some() {
            return Err(EEXIST);
        }
        let at = self.entries.partition_point(|e| e.id < entry.id);
        // INVARIANT: Put back in id order under a free name and id; it was
        // unbound with no subscriber when removed, and nothing bound to it
        // since (its id was gone); its own subscriptions are still
        // registered on their targets' chains.
        self.put_back(at, entry)
    }

    /// Takes the entry at `index` out, with its node of the name index.
    /// The caller keeps the invariants (nothing may name it).
    fn take_out(&mut self, index: usize) -> Result<KBox<Entry>> {
        let mut entry = self.entries.remove(index).map_err(|_| EINVAL)?;
        entry.name_node = self.by_name.remove_node(&entry.name);
        Ok(entry)
    }

    /// Puts back at `index` an entry [`Registry::take_out`] took, within
    /// the room its removal left: allocates nothing. The caller keeps the
    /// invariants (`index` is its place in id order, its name is free).
    fn put_back(&mut self, index: usize, mut entry: KBox<Entry>) -> Result {
        let node = entry.name_node.take().ok_or(EINVAL)?;
        if let Err(e) = self.entries.insert_within_capacity(index, entry) {
            // No room: the entry is dropped with its node, as the caller
            // would drop it.
            drop(e);
            return Err(ENOMEM);
        }
        let _ = self.by_name.insert(node);
        Ok(())
    }

    fn lookup_index(&self, name: &Name) -> CtlResult<usize> {
        self.by_name
            .get(name)
            .and_then(|id| self.index_of(*id))
            .ok_or_else(|| ctl_err!(ENOENT, "no block '{name}'"))
    }

    fn name_of(&self, id: u32) -> Name {
        // By the type invariant every id in a binding names an entry.
        self.get(id).map_or(Name::UNKNOWN, |e| e.name)
    }

    /// Creates block `name` of type `kind`, set up by `setup` before anyone
    /// can see it; returns its id.
    pub(crate) fn add(
        &mut self,
        name: Name,
        kind: &'static BlockType,
        setup: impl FnOnce(&dyn Block) -> CtlResult,
    ) -> CtlResult<u32> {
        if self.find(&name).is_some() {
            return Err(ctl_err!(EEXIST, "block '{name}' already exists"));
        }
        self.entries.reserve(1, GFP_KERNEL)?;
        let instance = (kind.new)()?;
        // The entry's type is the instance's (its ports are found by it).
        if !core::ptr::eq(instance.kind(), kind) {
            return Err(EINVAL.into());
        }
        setup(instance.as_block())?;
        let mut ports = KVec::with_capacity(kind.ports.len(), GFP_KERNEL)?;
        for _ in kind.ports {
            ports.push(None, GFP_KERNEL)?;
        }
        let walks = Arc::new(WalkCounters::new()?, GFP_KERNEL)?;
        let id = self.next_id;
        let next_id = id.checked_add(1).ok_or(ENOSPC)?;
        let name_node = RBTreeNode::new(name, id, GFP_KERNEL)?;
        // INVARIANT: The new id is the largest, so order is kept; unbound;
        // subscribed to nothing.
        let entry = KBox::new(
            Entry {
                id,
                name,
                instance,
                walks,
                upper: None,
                lower: None,
                ports,
                events: None,
                received: AtomicU64::new(0),
                name_node: None,
            },
            GFP_KERNEL,
        )?;
        // Room reserved above.
        self.entries.push(entry, GFP_KERNEL)?;
        let _ = self.by_name.insert(name_node);
        self.next_id = next_id;
        Ok(id)
    }

    /// Removes block `name`, which must not be bound. `attached` names a
    /// device feeding it, if any, so the refusal can say so.
    pub(crate) fn remove(&mut self, name: &Name) -> CtlResult<KBox<Entry>> {
        let index = self.lookup_index(name)?;
        let entry = &self.entries[index];
        if let Some(up) = entry.upper {
            let up = self.name_of(up);
            return Err(ctl_err!(
                EBUSY,
                "block '{name}' is in use: '{up}' is bound above it"
            ));
        }
        if let Some(low) = entry.lower {
            let low = self.name_of(low);
            return Err(ctl_err!(
                EBUSY,
                "block '{name}' is in use: it is bound above '{low}'"
            ));
        }
        if let Some((from, port)) = self.port_into(entry.id) {
            return Err(ctl_err!(
                EBUSY,
                "block '{name}' is in use: port '{port}' of '{from}' leads to it"
            ));
        }
        if let Some((port, to)) = self.port_out_of(entry) {
            return Err(ctl_err!(
                EBUSY,
                "block '{name}' is in use: its port '{port}' leads to '{to}'"
            ));
        }
        if let Some(sub) = self.subscribers_of(entry.id).next() {
            let sub = sub.name;
            return Err(ctl_err!(
                EBUSY,
                "block '{name}' is in use: '{sub}' is subscribed to it"
            ));
        }
        // INVARIANT: Unbound and with no subscriber, so no entry refers to
        // it (a withdrawn subscription may still hold its chain: an `Arc`);
        // order is kept. Its own subscriptions go with it.
        self.take_out(index)
            .map_err(|_| ctl_err!(EINVAL, "no block '{name}'"))
    }

    /// Puts `upper` above `lower`.
    pub(crate) fn bind(&mut self, upper: &Name, lower: &Name) -> CtlResult {
        if upper == lower {
            return Err(ctl_err!(EINVAL, "cannot bind block '{upper}' to itself"));
        }
        let up = self.lookup_index(upper)?;
        let low = self.lookup_index(lower)?;
        if let Some(cur) = self.entries[up].lower {
            let cur = self.name_of(cur);
            return Err(ctl_err!(
                EBUSY,
                "block '{upper}' is already bound above '{cur}'"
            ));
        }
        if let Some(cur) = self.entries[low].upper {
            let cur = self.name_of(cur);
            return Err(ctl_err!(
                EBUSY,
                "block '{lower}' already has '{cur}' bound above it"
            ));
        }
        // INVARIANT: Both sides set together.
        self.entries[up].lower = Some(self.entries[low].id);
        self.entries[low].upper = Some(self.entries[up].id);
        Ok(())
    }

    /// Whether packets entering at block `start` travel through block `id`
    /// on their way up (following `upper` links, as the packet path does,
    /// for at most the hop limit).
    pub(crate) fn reaches(&self, start: u32, id: u32) -> bool {
        let mut at = Some(start);
        for _ in 0..crate::graph::HOP_LIMIT {
            match at {
                Some(block) if block == id => return true,
                Some(block) => at = self.get(block).and_then(|e| e.upper),
                None => return false,
            }
        }
        false
    }

    /// Whether packets leaving at block `start` (sent by a lana device
    /// attached at the top) travel through block `id` on their way down
    /// (following `lower` links, for at most the hop limit).
    pub(crate) fn reaches_down(&self, start: u32, id: u32) -> bool {
        let mut at = Some(start);
        for _ in 0..crate::graph::HOP_LIMIT {
            match at {
                Some(block) if block == id => return true,
                Some(block) => at = self.get(block).and_then(|e| e.lower),
                None => return false,
            }
        }
        false
    }

    /// Undoes `bind upper lower`.
    pub(crate) fn unbind(&mut self, upper: &Name, lower: &Name) -> CtlResult {
        let up = self.lookup_index(upper)?;
        let low = self.lookup_index(lower)?;
        if self.entries[up].lower != Some(self.entries[low].id) {
            return Err(ctl_err!(
                ENOENT,
                "block '{upper}' is not bound above '{lower}'"
            ));
        }
        // INVARIANT: Both sides cleared together.
        self.entries[up].lower = None;
        self.entries[low].upper = None;
        Ok(())
    }
}
