// SPDX-License-Identifier: GPL-2.0-only

//! A request's attributes, validated by the family's policy, and the
//! nested tables in them.
//!
//! C header: [`include/net/netlink.h`](srctree/include/net/netlink.h)

use super::*;

/// The payload of `attr` (empty when null).
///
/// # Safety
///
/// `attr` must be null or a validated attribute, valid for `'a`.
pub(super) unsafe fn nla_payload<'a>(attr: *const bindings::nlattr) -> &'a [u8] {
    if attr.is_null() {
        return &[];
    }
    // SAFETY: A validated attribute has `nla_len` bytes, header included.
    unsafe {
        let len = usize::from((*attr).nla_len).saturating_sub(NLA_HDRLEN);
        core::slice::from_raw_parts(attr.cast::<u8>().add(NLA_HDRLEN), len)
    }
}

/// The attributes of a validated request (or of one element of an
/// [`AttrKind::Requests`] array), indexed by id.
///
/// # Invariants
///
/// `table` has an entry for every id of the family's policy, each null or
/// an attribute validated against that policy, valid for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Attrs<'a> {
    pub(super) table: &'a [*mut bindings::nlattr],
}

impl<'a> Attrs<'a> {
    /// Attribute `id`, if present (null if not, or not in the policy).
    fn raw(&self, id: u16) -> *mut bindings::nlattr {
        self.table
            .get(usize::from(id))
            .copied()
            .unwrap_or(null_mut())
    }

    /// String attribute `id`, if present. `id` must be in the policy.
    pub(crate) fn str_attr(&self, id: u16) -> Option<&'a CStr> {
        let attr = self.raw(id);
        // SAFETY: `attr` is null or validated as NLA_NUL_STRING, valid for
        // `'a` (type invariant).
        let payload = unsafe { nla_payload(attr) };
        // The policy guaranteed a NUL in a present string.
        (!attr.is_null())
            .then(|| CStr::from_bytes_until_nul(payload).ok())
            .flatten()
    }

    /// The strings in nest `id` (an [`AttrKind::Strings`] attribute), in
    /// order; none when the nest is absent.
    pub(crate) fn strings(&self, id: u16) -> impl Iterator<Item = &'a CStr> {
        // SAFETY: A present nest was validated: `nla_len` bytes holding
        // well-formed string attributes (type invariant).
        let rest = unsafe { nla_payload(self.raw(id)) };
        // The policy guaranteed a NUL in each string.
        NlaIter { rest }.filter_map(|(_, payload)| CStr::from_bytes_until_nul(payload).ok())
    }

    /// Whether flag attribute `id` is present.
    pub(crate) fn flag(&self, id: u16) -> bool {
        !self.raw(id).is_null()
    }

    /// The value of [`AttrKind::U32`] attribute `id`, if present.
    pub(crate) fn u32_attr(&self, id: u16) -> Option<u32> {
        // SAFETY: A present NLA_U32 attribute was validated: at least 4
        // payload bytes (type invariant).
        let payload = unsafe { nla_payload(self.raw(id)) };
        Some(u32::from_ne_bytes(payload.get(..4)?.try_into().ok()?))
    }

    /// Appends the elements of an [`AttrKind::Requests`] array's payload
    /// `rest` (validated against the policy, valid for `'a`) to `out`, each
    /// as a table of its attributes.
    pub(super) fn push_requests(&self, rest: &'a [u8], out: &mut KVVec<AttrTable<'a>>) -> Result {
        for (_, element) in (NlaIter { rest }) {
            let mut table = KVec::new();
            table.resize(self.table.len(), null_mut(), GFP_KERNEL)?;
            for (ty, payload) in (NlaIter { rest: element }) {
                if let Some(slot) = table.get_mut(usize::from(ty)) {
                    // The attribute's header precedes its payload; the last
                    // of a repeated id wins, as in `nla_parse`.
                    *slot = payload.as_ptr().wrapping_sub(NLA_HDRLEN).cast_mut().cast();
                }
            }
            out.push(
                AttrTable {
                    table,
                    _lifetime: PhantomData,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(())
    }
}

/// The attribute table of one element of an [`AttrKind::Requests`] array.
///
/// # Invariants
///
/// As for [`Attrs`]: an entry per policy id, each null or a validated
/// attribute valid for `'a`.
pub(crate) struct AttrTable<'a> {
    table: KVec<*mut bindings::nlattr>,
    _lifetime: PhantomData<&'a ()>,
}

impl<'a> AttrTable<'a> {
    pub(crate) fn attrs(&self) -> Attrs<'_> {
        // INVARIANT: Built by `Attrs::requests` from validated attributes.
        Attrs { table: &self.table }
    }
}

/// The attributes in a validated run of attributes: (type without flags,
/// payload) each.
pub(super) struct NlaIter<'a> {
    pub(super) rest: &'a [u8],
}

impl<'a> Iterator for NlaIter<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let len = usize::from(u16::from_ne_bytes([
            *self.rest.first()?,
            *self.rest.get(1)?,
        ]));
        let ty = u16::from_ne_bytes([*self.rest.get(2)?, *self.rest.get(3)?]);
        let payload = self.rest.get(NLA_HDRLEN..len)?;
        self.rest = self.rest.get(len.next_multiple_of(4)..).unwrap_or(&[]);
        Some((ty & NLA_TYPE_MASK, payload))
    }
}

/// The bits of `nla_type` that are the type (NLA_TYPE_MASK).
pub(super) const NLA_TYPE_MASK: u16 =
    !((bindings::NLA_F_NESTED | bindings::NLA_F_NET_BYTEORDER) as u16);
