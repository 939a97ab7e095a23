//! The nicknames spawned agents get. Codex draws one at random from its own list; rcodex hands
//! out names from a fixed list of its own in spawn order, so a seeded run names its agents the
//! same way every time.

/// Scientists, in the order agents are named after them.
const NAMES: [&str; 16] = [
    "Noether",
    "Lovelace",
    "Kepler",
    "Meitner",
    "Ramanujan",
    "Franklin",
    "Hypatia",
    "Galois",
    "Fermi",
    "Herschel",
    "Maxwell",
    "Mendel",
    "Germain",
    "Haldane",
    "Leavitt",
    "Yukawa",
];

/// The nickname of the `n`-th agent a tree spawns (0-based): the list in order, then again with
/// a number (`Noether 2`).
pub fn nickname(n: usize) -> String {
    let name = NAMES[n % NAMES.len()];
    match n / NAMES.len() {
        0 => name.to_string(),
        round => format!("{name} {}", round + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_handed_out_in_order_and_never_repeat() {
        assert_eq!(nickname(0), "Noether");
        assert_eq!(nickname(1), "Lovelace");
        assert_eq!(nickname(16), "Noether 2");
        let all: std::collections::HashSet<String> = (0..100).map(nickname).collect();
        assert_eq!(all.len(), 100);
    }
}
