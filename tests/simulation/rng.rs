//! The simulation's randomness: one seeded generator (the engine's own SplitMix64) drives every
//! choice, so a seed replays a run exactly.

use drover::core::IdSource;

#[derive(Debug)]
pub struct Rng(IdSource);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(IdSource::new(seed))
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.next_u64() % n
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        Some(&items[self.below(items.len() as u64) as usize])
    }

    /// One of `table`'s values, each as likely as its weight.
    pub fn weighted<T: Copy>(&mut self, table: &[(T, u64)]) -> T {
        let total: u64 = table.iter().map(|(_, w)| w).sum();
        let mut at = self.below(total);
        for (value, weight) in table {
            if at < *weight {
                return *value;
            }
            at -= weight;
        }
        table[table.len() - 1].0
    }
}
