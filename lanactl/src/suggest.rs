// SPDX-License-Identifier: GPL-2.0-only

//! "Did you mean": when the kernel refuses a name it does not know (a
//! block, a block type, a device), the closest name that exists.

/// What the unknown name was meant to name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    Block,
    Type,
    Device,
}

/// The unknown name in a kernel refusal, and what it names: the kernel says
/// "no block 'x'", "unknown block type 'x'", "no device 'x'".
pub fn unknown_name(message: &str) -> Option<(Unknown, &str)> {
    [
        ("no block '", Unknown::Block),
        ("unknown block type '", Unknown::Type),
        ("no device '", Unknown::Device),
    ]
    .into_iter()
    .find_map(|(prefix, kind)| {
        let rest = message.strip_prefix(prefix)?;
        let end = rest.find('\'')?;
        Some((kind, &rest[..end]))
    })
}

/// The candidate closest to `wrong`, if one is close enough to be a typo:
/// at most a third of its letters off (one for short names).
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != wrong)
        .map(|c| (strsim::damerau_levenshtein(wrong, c), c))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_unknown_name_in_each_refusal() {
        assert_eq!(
            unknown_name("no block 'cnt1'"),
            Some((Unknown::Block, "cnt1"))
        );
        assert_eq!(
            unknown_name("unknown block type 'countr' (see lanactl types)"),
            Some((Unknown::Type, "countr"))
        );
        assert_eq!(
            unknown_name("no device 'eht0'"),
            Some((Unknown::Device, "eht0"))
        );
        assert_eq!(
            unknown_name("block 'c1' is in use: device 'eth0' is attached"),
            None
        );
    }

    #[test]
    fn suggests_only_near_misses() {
        let names = ["cnt0", "forward1", "top"];
        assert_eq!(closest("cnt1", names), Some("cnt0"));
        assert_eq!(closest("froward1", names), Some("forward1"));
        assert_eq!(closest("tpo", names), Some("top"));
        assert_eq!(closest("zzzz", names), None);
        assert_eq!(closest("top", ["top"]), None);
    }
}
