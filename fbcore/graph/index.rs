// SPDX-License-Identifier: GPL-2.0-only

//! The snapshot's index spaces, one type each: a node and an exit (an
//! attached device) are never mistaken for one another, and each has its
//! own "none".

/// Declares `$name`, an index into one of the snapshot's arrays, or none.
///
/// None is `u32::MAX`: out of bounds of any array, so one bounds check both
/// validates an index and detects its absence (the packet path's lookups
/// are a `get` each).
macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(transparent)]
        pub(crate) struct $name(u32);

        impl $name {
            /// No index: out of bounds of every array.
            pub(crate) const NONE: Self = Self(u32::MAX);

            /// Index `i`; an index among the top two values of `u32` (or
            /// beyond) is none: no array is that long, and the values stay
            /// free for markers (`ExitIdx::HOP_LIMIT`).
            #[inline(always)]
            pub(crate) fn new(i: usize) -> Self {
                let i = u32::try_from(i).ok().filter(|&i| i < u32::MAX - 1);
                Self(i.unwrap_or(u32::MAX))
            }

            /// The index, for `get` on the array it indexes (out of bounds
            /// when none).
            #[inline(always)]
            pub(crate) const fn get(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index_type!(
    /// A node of the snapshot: its position in `nodes`, `ids` and `names`
    /// (the registry's order, ascending id), the target of bindings and
    /// ports.
    NodeIdx
);

index_type!(
    /// An attached device the graph's packets may leave on: its position in
    /// the snapshot's `devices`.
    ExitIdx
);

impl ExitIdx {
    /// No exit: the walk ends at the hop limit (out of bounds of `devices`
    /// too, and not [`Self::NONE`], which drops the packet as having no
    /// next block).
    pub(crate) const HOP_LIMIT: Self = Self(u32::MAX - 1);
}
