// SPDX-License-Identifier: GPL-2.0-only

//! Netlink attributes as bytes: just enough to build messages, take them
//! apart and put them back together wrong on purpose.

/// Size of an attribute header.
pub const HDRLEN: usize = 4;
/// The nested flag of `nla_type`.
pub const F_NESTED: u16 = 1 << 15;

/// One attribute: its type (with flags) and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub ty: u16,
    pub payload: Vec<u8>,
}

impl Attr {
    pub fn string(ty: u16, text: &str) -> Self {
        let mut payload = text.as_bytes().to_vec();
        payload.push(0);
        Self { ty, payload }
    }

    pub fn u32(ty: u16, value: u32) -> Self {
        Self {
            ty,
            payload: value.to_ne_bytes().to_vec(),
        }
    }

    pub fn flag(ty: u16) -> Self {
        Self {
            ty,
            payload: Vec::new(),
        }
    }

    pub fn nest(ty: u16, inner: &[Attr]) -> Self {
        Self {
            ty: ty | F_NESTED,
            payload: encode(inner),
        }
    }
}

/// The attributes, each header, payload, padding to 4 bytes. A payload too
/// long for `nla_len` gets a wrapped length: malformed, as a fuzzer wants.
pub fn encode(attrs: &[Attr]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in attrs {
        let len = (HDRLEN + a.payload.len()) as u16;
        out.extend_from_slice(&len.to_ne_bytes());
        out.extend_from_slice(&a.ty.to_ne_bytes());
        out.extend_from_slice(&a.payload);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    out
}

/// The attributes in `bytes`, as long as they are well formed.
pub fn decode(mut bytes: &[u8]) -> Option<Vec<Attr>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let len = usize::from(u16::from_ne_bytes([*bytes.first()?, *bytes.get(1)?]));
        let ty = u16::from_ne_bytes([*bytes.get(2)?, *bytes.get(3)?]);
        let payload = bytes.get(HDRLEN..len)?;
        out.push(Attr {
            ty,
            payload: payload.to_vec(),
        });
        bytes = bytes.get(len.next_multiple_of(4)..).unwrap_or(&[]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode() {
        let attrs = vec![
            Attr::string(1, "abc"),
            Attr::u32(2, 7),
            Attr::flag(3),
            Attr::nest(4, &[Attr::string(5, "x")]),
        ];
        let bytes = encode(&attrs);
        assert_eq!(bytes.len() % 4, 0);
        assert_eq!(decode(&bytes).unwrap(), attrs);
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
    }
}
