// SPDX-License-Identifier: GPL-2.0-only

//! KUnit tests of the registry.

use super::*;

#[kunit_tests(lana_registry)]
mod tests {
    use super::*;
    use crate::error::CtlResult;

    fn name(s: &str) -> Name {
        Name::new(s.as_bytes(), "name").expect("valid name")
    }

    fn registry_with(names: &[&str]) -> Registry {
        let mut reg = Registry::new();
        for n in names {
            reg.add(name(n), &crate::fbs::TYPES[0], |_| Ok(()))
                .expect("add");
        }
        reg
    }

    #[test]
    fn add_gives_increasing_ids_and_refuses_duplicates() {
        let mut reg = registry_with(&["a", "b"]);
        assert_eq!(reg.lookup(&name("a")).map(|e| e.id).ok(), Some(1));
        assert_eq!(reg.lookup(&name("b")).map(|e| e.id).ok(), Some(2));
        let errno = reg
            .add(name("a"), &crate::fbs::TYPES[0], |_| Ok(()))
            .err()
            .map(|e| e.errno());
        assert_eq!(errno, Some(EEXIST));
        assert_eq!(reg.entries().len(), 2);
    }

    #[test]
    fn ids_are_not_reused_after_remove() {
        let mut reg = registry_with(&["a", "b"]);
        assert!(reg.remove(&name("b")).is_ok());
        assert_eq!(
            reg.add(name("c"), &crate::fbs::TYPES[0], |_| Ok(())).ok(),
            Some(3)
        );
    }

    #[test]
    fn bind_links_both_sides_and_unbind_clears_them() {
        let mut reg = registry_with(&["up", "low"]);
        assert!(reg.bind(&name("up"), &name("low")).is_ok());
        assert_eq!(reg.lookup(&name("up")).ok().and_then(|e| e.lower), Some(2));
        assert_eq!(reg.lookup(&name("low")).ok().and_then(|e| e.upper), Some(1));
        assert!(reg.unbind(&name("up"), &name("low")).is_ok());
        assert_eq!(reg.lookup(&name("up")).ok().and_then(|e| e.lower), None);
        assert_eq!(reg.lookup(&name("low")).ok().and_then(|e| e.upper), None);
    }

    #[test]
    fn bind_refuses_self_unknown_and_taken_slots() {
        let mut reg = registry_with(&["a", "b", "c"]);
        assert_eq!(
            reg.bind(&name("a"), &name("a")).err().map(|e| e.errno()),
            Some(EINVAL)
        );
        assert_eq!(
            reg.bind(&name("a"), &name("x")).err().map(|e| e.errno()),
            Some(ENOENT)
        );
        assert!(reg.bind(&name("a"), &name("b")).is_ok());
        assert_eq!(
            reg.bind(&name("a"), &name("c")).err().map(|e| e.errno()),
            Some(EBUSY)
        );
        assert_eq!(
            reg.bind(&name("c"), &name("b")).err().map(|e| e.errno()),
            Some(EBUSY)
        );
        assert_eq!(
            reg.unbind(&name("b"), &name("a")).err().map(|e| e.errno()),
            Some(ENOENT)
        );
    }

    #[test]
    fn replace_moves_every_binding_to_the_new_block() {
        let mut reg = registry_with(&["top", "mid", "low", "new"]);
        assert!(reg.bind(&name("top"), &name("mid")).is_ok());
        assert!(reg.bind(&name("mid"), &name("low")).is_ok());
        let old = reg.replace(&name("mid"), &name("new"));
        assert_eq!(old.map(|r| r.old.id).ok(), Some(2));
        assert!(reg.find(&name("mid")).is_none());
        let new = reg.lookup(&name("new")).map(|e| (e.upper, e.lower)).ok();
        assert_eq!(new, Some((Some(1), Some(3))));
        assert_eq!(reg.lookup(&name("top")).ok().and_then(|e| e.lower), Some(4));
        assert_eq!(reg.lookup(&name("low")).ok().and_then(|e| e.upper), Some(4));
    }

    #[test]
    fn replace_refuses_bound_or_same_blocks() {
        let mut reg = registry_with(&["a", "b", "c"]);
        assert!(reg.bind(&name("a"), &name("b")).is_ok());
        assert_eq!(
            reg.replace(&name("c"), &name("a")).err().map(|e| e.errno()),
            Some(EBUSY)
        );
        assert_eq!(
            reg.replace(&name("c"), &name("c")).err().map(|e| e.errno()),
            Some(EINVAL)
        );
        assert_eq!(
            reg.replace(&name("x"), &name("c")).err().map(|e| e.errno()),
            Some(ENOENT)
        );
        assert_eq!(reg.entries().len(), 3);
    }

    fn received(reg: &Registry, n: &str) -> u64 {
        reg.lookup(&name(n))
            .map_or(u64::MAX, |e| e.events_received())
    }

    fn notify(reg: &Registry, n: &str) {
        let id = reg.lookup(&name(n)).map_or(0, |e| e.id);
        reg.notify(id, &Event::new(crate::event::EventKind::Bind, name(n)));
    }

    #[test]
    fn events_reach_the_block_and_its_subscribers_only() {
        let mut reg = registry_with(&["a", "b", "c"]);
        // No subscriber yet: straight to the block, which has no chain.
        notify(&reg, "b");
        assert!(reg.subscribe(&name("a"), &name("b")).is_ok());
        notify(&reg, "b");
        assert_eq!(
            (
                received(&reg, "a"),
                received(&reg, "b"),
                received(&reg, "c")
            ),
            (1, 2, 0)
        );
        assert!(reg.unsubscribe(&name("a"), &name("b")).is_ok());
        notify(&reg, "b");
        assert_eq!((received(&reg, "a"), received(&reg, "b")), (1, 3));
        notify(&reg, "c");
        assert_eq!(received(&reg, "c"), 1);
    }

    #[test]
    fn a_withdrawn_subscription_goes_back_in_place() {
        let mut reg = registry_with(&["a", "b", "c"]);
        assert!(reg.subscribe(&name("a"), &name("b")).is_ok());
        assert!(reg.subscribe(&name("a"), &name("c")).is_ok());
        let id = |reg: &Registry, n: &str| reg.find(&name(n)).map_or(0, |e| e.id);
        let (b, c) = (id(&reg, "b"), id(&reg, "c"));
        let subscribed_to = |reg: &Registry, ids: &[u32]| {
            reg.find(&name("a"))
                .is_some_and(|a| a.subscribed_to().eq(ids.iter().copied()))
        };
        let Ok(withdrawn) = reg.unsubscribe(&name("a"), &name("b")) else {
            panic!("unsubscribe a b refused");
        };
        assert!(subscribed_to(&reg, &[c]));
        assert!(reg.resubscribe(&name("a"), withdrawn).is_ok());
        assert!(subscribed_to(&reg, &[b, c]));
        // Registered all along, once: b's event reaches a once.
        notify(&reg, "b");
        assert_eq!(received(&reg, "a"), 1);
    }

    #[test]
    fn subscribe_refuses_self_duplicates_and_unknown() {
        let mut reg = registry_with(&["a", "b"]);
        let errno = |r: CtlResult| r.err().map(|e| e.errno());
        assert_eq!(errno(reg.subscribe(&name("a"), &name("a"))), Some(EINVAL));
        assert_eq!(errno(reg.subscribe(&name("a"), &name("x"))), Some(ENOENT));
        assert!(reg.subscribe(&name("a"), &name("b")).is_ok());
        assert_eq!(errno(reg.subscribe(&name("a"), &name("b"))), Some(EEXIST));
        let unsubscribed = reg.unsubscribe(&name("b"), &name("a")).map(drop);
        assert_eq!(errno(unsubscribed), Some(ENOENT));
    }

    #[test]
    fn remove_refuses_a_block_with_subscribers() {
        let mut reg = registry_with(&["a", "b"]);
        assert!(reg.subscribe(&name("a"), &name("b")).is_ok());
        assert_eq!(reg.remove(&name("b")).err().map(|e| e.errno()), Some(EBUSY));
        // The subscriber itself may go; its subscription goes with it.
        assert!(reg.remove(&name("a")).is_ok());
        assert!(reg.remove(&name("b")).is_ok());
    }

    #[test]
    fn replace_moves_subscriptions_both_ways() {
        let mut reg = registry_with(&["watcher", "old", "watched", "new"]);
        assert!(reg.subscribe(&name("watcher"), &name("old")).is_ok());
        assert!(reg.subscribe(&name("old"), &name("watched")).is_ok());
        assert!(reg.replace(&name("old"), &name("new")).is_ok());
        notify(&reg, "new");
        assert_eq!(received(&reg, "watcher"), 1);
        notify(&reg, "watched");
        assert_eq!(received(&reg, "new"), 2);
    }

    fn typed(blocks: &[(&str, &str)]) -> Registry {
        let mut reg = Registry::new();
        for (n, t) in blocks {
            let kind = crate::fbs::find(t.as_bytes()).expect("known type");
            reg.add(name(n), kind, |_| Ok(())).expect("add");
        }
        reg
    }

    #[test]
    fn ports_bind_by_name_once_and_hold_both_blocks() {
        let mut reg = typed(&[("t", "tee"), ("x", "counter"), ("y", "counter")]);
        let errno = |r: CtlResult| r.err().map(|e| e.errno());
        assert_eq!(
            errno(reg.bind_port(&name("x"), &name("t"), "nope")),
            Some(ENOENT)
        );
        assert_eq!(
            errno(reg.bind_port(&name("t"), &name("x"), "clone")),
            Some(ENOENT)
        );
        assert!(reg.bind_port(&name("x"), &name("t"), "clone").is_ok());
        assert_eq!(
            errno(reg.bind_port(&name("y"), &name("t"), "clone")),
            Some(EBUSY)
        );
        assert_eq!(errno(reg.remove(&name("x")).map(|_| ())), Some(EBUSY));
        assert_eq!(errno(reg.remove(&name("t")).map(|_| ())), Some(EBUSY));
        assert_eq!(
            errno(reg.unbind_port(&name("y"), &name("t"), "clone")),
            Some(ENOENT)
        );
        assert!(reg.unbind_port(&name("x"), &name("t"), "clone").is_ok());
        assert!(reg.remove(&name("x")).is_ok());
    }

    #[test]
    fn replace_moves_ports_both_ways() {
        let mut reg = typed(&[
            ("t", "tee"),
            ("x", "counter"),
            ("t2", "tee"),
            ("x2", "counter"),
        ]);
        assert!(reg.bind_port(&name("x"), &name("t"), "clone").is_ok());
        // The block a port leads to is replaced: the port follows.
        assert!(reg.replace(&name("x"), &name("x2")).is_ok());
        assert_eq!(
            reg.port_into(4).map(|(from, _)| from == name("t")),
            Some(true)
        );
        // The block with the port is replaced: its binding moves along.
        assert!(reg.replace(&name("t"), &name("t2")).is_ok());
        assert_eq!(
            reg.port_into(4).map(|(from, _)| from == name("t2")),
            Some(true)
        );
        // A type without the port cannot take the place of a bound one.
        let mut reg = typed(&[("t", "tee"), ("x", "counter"), ("f", "forward")]);
        assert!(reg.bind_port(&name("x"), &name("t"), "clone").is_ok());
        let errno = reg.replace(&name("t"), &name("f")).err().map(|e| e.errno());
        assert_eq!(errno, Some(ENOENT));
        assert!(reg.find(&name("t")).is_some());
    }

    /// A block as a replace changes it: id, upper, lower, ports,
    /// subscriptions.
    type Shape = (u32, Option<u32>, Option<u32>, KVec<Option<u32>>, KVec<u32>);

    /// Everything a replace changes, as comparable values.
    fn shape(reg: &Registry) -> KVec<Shape> {
        let mut out = KVec::new();
        for e in reg.entries() {
            let mut ports = KVec::new();
            for p in e.ports.iter() {
                ports.push(*p, GFP_KERNEL).expect("room");
            }
            let mut subs = KVec::new();
            for t in e.subscribed_to() {
                subs.push(t, GFP_KERNEL).expect("room");
            }
            out.push((e.id, e.upper, e.lower, ports, subs), GFP_KERNEL)
                .expect("room");
        }
        out
    }

    #[test]
    fn unreplace_puts_everything_back() {
        let mut reg = typed(&[
            ("top", "tee"),
            ("old", "tee"),
            ("low", "counter"),
            ("new", "tee"),
            ("copy", "counter"),
            ("w1", "counter"),
            ("w2", "counter"),
        ]);
        assert!(reg.bind(&name("top"), &name("old")).is_ok());
        assert!(reg.bind(&name("old"), &name("low")).is_ok());
        assert!(reg.bind_port(&name("copy"), &name("old"), "clone").is_ok());
        assert!(reg.bind_port(&name("old"), &name("top"), "clone").is_ok());
        assert!(reg.subscribe(&name("w1"), &name("old")).is_ok());
        // w2 listens to both: it keeps one subscription to `new`.
        assert!(reg.subscribe(&name("w2"), &name("old")).is_ok());
        assert!(reg.subscribe(&name("w2"), &name("new")).is_ok());
        assert!(reg.subscribe(&name("old"), &name("w1")).is_ok());
        assert!(reg.subscribe(&name("new"), &name("old")).is_ok());
        assert!(reg.subscribe(&name("new"), &name("w2")).is_ok());
        let before = shape(&reg);
        let replaced = reg.replace(&name("old"), &name("new")).expect("replace");
        assert!(reg.find(&name("old")).is_none());
        assert_eq!(
            reg.lookup(&name("w2"))
                .map(|e| e.subscribed_to().count())
                .ok(),
            Some(1)
        );
        reg.unreplace(replaced);
        assert!(shape(&reg) == before);
        // The registrations are live again: events reach the listeners.
        notify(&reg, "old");
        assert_eq!(received(&reg, "w1"), 1);
        assert_eq!(received(&reg, "w2"), 1);
        assert_eq!(received(&reg, "new"), 1);
        notify(&reg, "new");
        assert_eq!(received(&reg, "w2"), 2);
        assert_eq!(received(&reg, "old"), 1);
    }

    #[test]
    fn remove_refuses_bound_blocks() {
        let mut reg = registry_with(&["a", "b"]);
        assert!(reg.bind(&name("a"), &name("b")).is_ok());
        assert_eq!(reg.remove(&name("a")).err().map(|e| e.errno()), Some(EBUSY));
        assert_eq!(reg.remove(&name("b")).err().map(|e| e.errno()), Some(EBUSY));
        assert!(reg.unbind(&name("a"), &name("b")).is_ok());
        assert!(reg.remove(&name("a")).is_ok());
        assert_eq!(
            reg.remove(&name("a")).err().map(|e| e.errno()),
            Some(ENOENT)
        );
    }

    /// The id `find` gives for `n`, if any.
    fn found(reg: &Registry, n: &str) -> Option<u32> {
        reg.find(&name(n)).map(|e| e.id)
    }

    #[test]
    fn names_are_found_through_remove_restore_replace_and_undo() {
        let mut reg = registry_with(&["a", "b", "c"]);
        let removed = reg.remove(&name("b")).expect("remove b");
        assert_eq!(found(&reg, "b"), None);
        assert_eq!(found(&reg, "c"), Some(3));
        assert!(reg.restore(removed).is_ok());
        assert_eq!(found(&reg, "b"), Some(2));
        let replaced = reg.replace(&name("a"), &name("c")).expect("replace a c");
        assert_eq!(found(&reg, "a"), None);
        assert_eq!(found(&reg, "c"), Some(3));
        reg.unreplace(replaced);
        assert_eq!(found(&reg, "a"), Some(1));
        // A name freed by a remove may be taken again, by a new id.
        assert!(reg.remove(&name("a")).is_ok());
        assert_eq!(
            reg.add(name("a"), &crate::fbs::TYPES[0], |_| Ok(())).ok(),
            Some(4)
        );
        assert_eq!(found(&reg, "a"), Some(4));
        assert_eq!(found(&reg, "b"), Some(2));
    }

    #[test]
    fn ids_are_found_across_gaps() {
        let mut reg = registry_with(&["a", "b", "c", "d"]);
        assert!(reg.remove(&name("b")).is_ok());
        assert_eq!(reg.index_of(1), Some(0));
        assert_eq!(reg.index_of(2), None);
        assert_eq!(reg.index_of(3), Some(1));
        assert_eq!(reg.index_of(4), Some(2));
        assert_eq!(reg.index_of(5), None);
        assert_eq!(reg.index_of(0), None);
        assert!(reg.remove(&name("a")).is_ok());
        assert_eq!(reg.index_of(1), None);
        assert_eq!(reg.index_of(3), Some(0));
        assert_eq!(reg.index_of(4), Some(1));
    }
}
