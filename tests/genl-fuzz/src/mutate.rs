// SPDX-License-Identifier: GPL-2.0-only

//! Mutations: what a careless or hostile sender gets wrong. Each takes a
//! valid request apart (header, attributes, nests) and breaks one thing:
//! an attribute dropped, repeated, moved, retyped, truncated, overlong,
//! without its NUL, not UTF-8, of the wrong width; garbage inside a nest;
//! nests nested too deep; a command or version that does not exist; a
//! message cut anywhere, or grown to the size limit.

use rand::{rngs::SmallRng, Rng};

use crate::attr::{self, Attr, F_NESTED};

/// The largest attribute id worth trying: a few past the family's last.
const MAX_TYPE: u16 = lana_uapi::attr::MAX + 4;

/// One mutation of `seed` (a generic-netlink header and attributes).
pub fn mutate(seed: &[u8], rng: &mut SmallRng) -> Vec<u8> {
    let (header, body) = seed.split_at(4.min(seed.len()));
    let mut header = header.to_vec();
    let mut attrs = attr::decode(body).unwrap_or_default();
    for _ in 0..rng.gen_range(1..=3) {
        match rng.gen_range(0..14) {
            0 => header[0] = rng.gen(),
            1 => header[1] = rng.gen(),
            2 if !attrs.is_empty() => {
                let at = rng.gen_range(0..attrs.len());
                attrs.remove(at);
            }
            3 if !attrs.is_empty() => {
                let at = rng.gen_range(0..attrs.len());
                attrs.push(attrs[at].clone());
            }
            4 if attrs.len() > 1 => {
                let (a, b) = (rng.gen_range(0..attrs.len()), rng.gen_range(0..attrs.len()));
                attrs.swap(a, b);
            }
            5 if !attrs.is_empty() => {
                let at = rng.gen_range(0..attrs.len());
                attrs[at].ty = retype(attrs[at].ty, rng);
            }
            6 | 7 if !attrs.is_empty() => {
                let at = rng.gen_range(0..attrs.len());
                bad_payload(&mut attrs[at], rng);
            }
            8 => attrs.push(Attr {
                ty: rng.gen_range(0..=MAX_TYPE) | if rng.gen() { F_NESTED } else { 0 },
                payload: random_bytes(rng, 0..64),
            }),
            9 if !attrs.is_empty() => {
                // Into a nest: mutate what is inside it, recursively.
                let at = rng.gen_range(0..attrs.len());
                if let Some(inner) = attr::decode(&attrs[at].payload) {
                    let mut fake = vec![0, 0, 0, 0];
                    fake.extend(attr::encode(&inner));
                    // The mutation may cut even the header it was given.
                    let mutated = mutate(&fake, rng);
                    attrs[at].payload = mutated.get(4..).unwrap_or_default().to_vec();
                }
            }
            10 => attrs.push(deep_nest(rng.gen_range(2..40))),
            11 => {
                // Many attributes, up to what a message may hold.
                let ty = rng.gen_range(0..=MAX_TYPE);
                for _ in 0..rng.gen_range(100..4000) {
                    attrs.push(Attr::string(ty, "fzz"));
                }
            }
            _ => {}
        }
    }
    let mut out = header;
    out.extend(attr::encode(&attrs));
    // Byte-level damage after encoding: lengths that lie, cut messages.
    match rng.gen_range(0..8) {
        0 if out.len() > 4 => {
            let at = rng.gen_range(4..out.len());
            out[at] = rng.gen();
        }
        1 => out.truncate(rng.gen_range(0..=out.len())),
        2 => out.extend(random_bytes(rng, 1..16)),
        _ => {}
    }
    // A netlink message carries at most a u32 length; the socket takes
    // 64 KiB comfortably.
    out.truncate(60_000);
    out
}

/// Another type for an attribute: any id, with or without the flags.
fn retype(ty: u16, rng: &mut SmallRng) -> u16 {
    match rng.gen_range(0..3) {
        0 => rng.gen_range(0..=MAX_TYPE),
        1 => ty ^ F_NESTED,
        _ => rng.gen(),
    }
}

/// A payload the policy should refuse, or that a careless parser would
/// misread.
fn bad_payload(a: &mut Attr, rng: &mut SmallRng) {
    let p = &mut a.payload;
    match rng.gen_range(0..9) {
        0 => p.clear(),
        1 => {
            let len = rng.gen_range(0..=p.len());
            p.truncate(len);
        }
        // A string without its NUL.
        2 => p.retain(|&b| b != 0),
        // Overlong: past every name and option limit.
        3 => *p = [b"x".repeat(rng.gen_range(32..9000)), vec![0]].concat(),
        // Not UTF-8.
        4 => *p = vec![b'f', 0xff, 0xfe, b'z', 0],
        // A name with a NUL inside.
        5 => *p = b"fz\0a\0".to_vec(),
        // Integers of the wrong width.
        6 => *p = random_bytes(rng, 1..9),
        7 => *p = random_bytes(rng, 0..300),
        _ => p.extend(random_bytes(rng, 1..32)),
    }
}

/// A nest `depth` deep.
fn deep_nest(depth: usize) -> Attr {
    let mut a = Attr::string(lana_uapi::attr::OPTION, "reason=deep");
    for level in 0..depth {
        let ty = if level % 2 == 0 {
            lana_uapi::attr::REQUESTS
        } else {
            lana_uapi::attr::OPTIONS
        };
        a = Attr::nest(ty, &[a]);
    }
    a
}

fn random_bytes(rng: &mut SmallRng, len: std::ops::Range<usize>) -> Vec<u8> {
    let n = rng.gen_range(len);
    (0..n).map(|_| rng.gen()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn mutations_differ_from_the_seed_and_are_repeatable() {
        let seed = crate::seeds::all()[0].1.clone();
        let run = |s| {
            let mut rng = SmallRng::seed_from_u64(s);
            (0..200)
                .map(|_| mutate(&seed, &mut rng))
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert!(a.iter().filter(|m| **m != seed).count() > 150);
        assert!(a.iter().all(|m| m.len() <= 60_000));
    }

    #[test]
    fn every_seed_survives_many_mutations() {
        let mut rng = SmallRng::seed_from_u64(1);
        for (_, seed) in crate::seeds::all() {
            for _ in 0..3000 {
                mutate(&seed, &mut rng);
            }
        }
    }
}
