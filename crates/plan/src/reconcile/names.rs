//! Allocation names, `<job>.<group>[<index>]`, and the index bookkeeping that picks names for new
//! placements (filling gaps first) and for removals (highest indexes first).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use drover_model::Allocation;

/// `<job>.<group>[<index>]`.
pub fn alloc_name(job: &str, group: &str, index: u64) -> String {
    format!("{job}.{group}[{index}]")
}

/// The index inside an allocation name; 0 when the name has none (Nomad reads it the same way:
/// by position after `<job>.<group>[`, not by parsing the brackets).
pub fn alloc_index(name: &str, job: &str, group: &str) -> u64 {
    let prefix = job.len() + group.len() + 2;
    if name.len() <= 3 || name.len() <= prefix {
        return 0;
    }
    name.get(prefix..name.len() - 1)
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0)
}

/// A set of name indexes: one bit each below a bound that covers a group's usual names, a
/// B-tree above it (an index comes from a name, which can be anything). A group of a thousand
/// allocations seeds a thousand indexes on every evaluation of its job.
#[derive(Debug, Clone)]
struct IndexSet {
    bits: Vec<u64>,
    above: BTreeSet<u64>,
}

impl IndexSet {
    fn below(bound: u64) -> Self {
        let words = usize::try_from(bound.div_ceil(64)).unwrap_or(0);
        Self {
            bits: vec![0; words],
            above: BTreeSet::new(),
        }
    }

    /// The word and bit of an index in the bitmap, if it has one there.
    fn bit(&self, index: u64) -> Option<(usize, u64)> {
        let word = usize::try_from(index / 64).ok()?;
        (word < self.bits.len()).then_some((word, 1 << (index % 64)))
    }

    fn contains(&self, index: u64) -> bool {
        match self.bit(index) {
            Some((word, bit)) => self.bits[word] & bit != 0,
            None => self.above.contains(&index),
        }
    }

    /// Whether the index was not in the set.
    fn insert(&mut self, index: u64) -> bool {
        match self.bit(index) {
            Some((word, bit)) => {
                let fresh = self.bits[word] & bit == 0;
                self.bits[word] |= bit;
                fresh
            }
            None => self.above.insert(index),
        }
    }

    fn remove(&mut self, index: u64) {
        match self.bit(index) {
            Some((word, bit)) => self.bits[word] &= !bit,
            None => {
                self.above.remove(&index);
            }
        }
    }

    /// Highest first.
    fn descending(&self) -> impl Iterator<Item = u64> + '_ {
        let below = self
            .bits
            .iter()
            .enumerate()
            .rev()
            .flat_map(|(word, &bits)| {
                let base = word as u64 * 64;
                (0..64u64)
                    .rev()
                    .filter(move |b| bits & (1 << b) != 0)
                    .map(move |b| base + b)
            });
        self.above.iter().rev().copied().chain(below)
    }
}

impl PartialEq for IndexSet {
    fn eq(&self, other: &Self) -> bool {
        self.descending().eq(other.descending())
    }
}

impl Eq for IndexSet {}

/// The names in use for one task group, and which indexes are used more than once.
///
/// The reconciler seeds it with the allocations that keep their names, then takes names from it;
/// the scheduler uses it afterwards to rename a placement whose index turned out duplicated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocNameIndex {
    job: String,
    group: String,
    count: u64,
    used: IndexSet,
    /// Index -> how many allocations beyond the first use it.
    duplicates: BTreeMap<u64, u64>,
}

impl AllocNameIndex {
    /// An index for `count` desired allocations, seeded with the names of `existing`.
    pub fn new<'a>(
        job: &str,
        group: &str,
        count: u64,
        existing: impl IntoIterator<Item = &'a Arc<Allocation>>,
    ) -> Self {
        let indexes: Vec<u64> = existing
            .into_iter()
            .map(|a| alloc_index(&a.name, &a.job_id, &a.task_group))
            .collect();
        // Names past the count are rare, and a count far above the allocations is filled
        // a few names per evaluation.
        let bound = count.min(2 * indexes.len() as u64 + 64);
        let mut index = Self {
            job: job.to_string(),
            group: group.to_string(),
            count,
            used: IndexSet::below(bound),
            duplicates: BTreeMap::new(),
        };
        for i in indexes {
            if !index.used.insert(i) {
                *index.duplicates.entry(i).or_default() += 1;
            }
        }
        index
    }

    fn name(&self, index: u64) -> String {
        alloc_name(&self.job, &self.group, index)
    }

    /// Whether more than one allocation holds this index.
    pub fn is_duplicate(&self, index: u64) -> bool {
        self.duplicates.get(&index).is_some_and(|n| *n > 0)
    }

    /// Gives one use of the index back.
    pub fn unset_index(&mut self, index: u64) {
        match self.duplicates.get_mut(&index) {
            Some(n) => {
                *n -= 1;
                if *n == 0 {
                    self.duplicates.remove(&index);
                }
            }
            None => self.used.remove(index),
        }
    }

    /// Removes and returns the `n` highest names in use (fewer if fewer are in use).
    pub fn highest(&mut self, n: usize) -> BTreeSet<String> {
        let taken: Vec<u64> = self.used.descending().take(n).collect();
        taken
            .into_iter()
            .map(|i| {
                self.used.remove(i);
                self.name(i)
            })
            .collect()
    }

    /// The free indexes below the desired count, lowest first.
    fn free_below_count(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.count).filter(|&i| !self.used.contains(i))
    }

    /// Takes `n` names for new placements: free indexes below the count first, then (when the
    /// group is over-full) indexes from 0 again, which duplicates names.
    pub fn next(&mut self, n: usize) -> Vec<String> {
        let mut picked: Vec<u64> = self.free_below_count().take(n).collect();
        let overlap = n - picked.len();
        picked.extend(0..overlap as u64);
        picked
            .into_iter()
            .map(|i| {
                self.used.insert(i);
                self.name(i)
            })
            .collect()
    }

    /// Takes `n` names for canaries. Names of allocations being destructively updated come first
    /// (they are replaced anyway), then free names, then names past the count, so that the
    /// canaries are the ones stopped after promotion. Names of `existing_canaries` are skipped.
    pub fn next_canaries<'a>(
        &mut self,
        n: usize,
        existing_canaries: impl IntoIterator<Item = &'a Arc<Allocation>>,
        destructive: impl IntoIterator<Item = &'a Arc<Allocation>>,
    ) -> Vec<String> {
        let taken: BTreeSet<String> = existing_canaries
            .into_iter()
            .map(|a| a.name.to_string())
            .collect();
        let destructive: BTreeSet<u64> = destructive
            .into_iter()
            .map(|a| alloc_index(&a.name, &a.job_id, &a.task_group))
            .filter(|i| *i < self.count)
            .collect();
        let free: Vec<u64> = self.free_below_count().collect();

        let mut next = Vec::with_capacity(n);
        for i in destructive.into_iter().chain(free) {
            if next.len() == n {
                return next;
            }
            let name = self.name(i);
            if !taken.contains(&name) && !next.contains(&name) {
                self.used.insert(i);
                next.push(name);
            }
        }
        let remainder = (n - next.len()) as u64;
        next.extend((self.count..self.count + remainder).map(|i| self.name(i)));
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(name: &str) -> Arc<Allocation> {
        Arc::new(Allocation {
            name: name.into(),
            job_id: "web".into(),
            task_group: "app".into(),
            ..Default::default()
        })
    }

    #[test]
    fn names_and_indexes() {
        assert_eq!(alloc_name("web", "app", 3), "web.app[3]");
        assert_eq!(alloc_index("web.app[12]", "web", "app"), 12);
        assert_eq!(alloc_index("web.app[x]", "web", "app"), 0);
        assert_eq!(alloc_index("web.app", "web", "app"), 0);
    }

    #[test]
    fn next_fills_gaps_then_overlaps() {
        let existing = [alloc("web.app[0]"), alloc("web.app[2]")];
        let mut index = AllocNameIndex::new("web", "app", 4, &existing);
        assert_eq!(index.next(3), ["web.app[1]", "web.app[3]", "web.app[0]"]);
    }

    #[test]
    fn highest_and_duplicates() {
        let existing = [
            alloc("web.app[0]"),
            alloc("web.app[1]"),
            alloc("web.app[1]"),
            alloc("web.app[5]"),
        ];
        let mut index = AllocNameIndex::new("web", "app", 2, &existing);
        assert!(index.is_duplicate(1));
        index.unset_index(1);
        assert!(!index.is_duplicate(1));
        let highest: Vec<String> = index.highest(2).into_iter().collect();
        assert_eq!(highest, ["web.app[1]", "web.app[5]"]);
        assert_eq!(index.next(1), ["web.app[1]"]);
    }

    #[test]
    fn canaries_prefer_destructive_names_then_free_then_past_count() {
        let existing = [alloc("web.app[0]"), alloc("web.app[1]")];
        let mut index = AllocNameIndex::new("web", "app", 3, &existing);
        let canaries = [alloc("web.app[0]")];
        let next = index.next_canaries(3, &canaries, &existing);
        assert_eq!(next, ["web.app[1]", "web.app[2]", "web.app[3]"]);
    }
}
