//! Computed node classes and the per-evaluation class eligibility cache.
//!
//! Nodes that agree on every field feasibility may look at (datacenter, attributes and meta except
//! `unique.` keys, node class, node pool; devices would join them once nodes carry devices) share a
//! computed class. Within one evaluation the stack checks one node of a class and reuses the answer
//! for the others, unless a constraint reads a `unique.` field ("escapes" the class).

use std::collections::BTreeMap;

use drover_model::Node;

use super::table::UNIQUE_PREFIX;

/// The computed class of a node, `"v1:<u64>"`: a 64-bit FNV-1a hash over a length-prefixed
/// encoding of the class-relevant fields, identical on every platform and run.
pub fn computed_class(node: &Node) -> String {
    let mut hash = Fnv::default();
    hash.field("Datacenter", 1);
    hash.str(&node.datacenter);
    for (name, map) in [("Attributes", &node.attributes), ("Meta", &node.meta)] {
        let shared = || map.iter().filter(|(k, _)| !k.starts_with(UNIQUE_PREFIX));
        hash.field(name, shared().count());
        for (key, value) in shared() {
            hash.str(key);
            hash.str(value);
        }
    }
    hash.field("NodeClass", 1);
    hash.str(&node.node_class);
    hash.field("NodePool", 1);
    hash.str(&node.node_pool);
    format!("v1:{}", hash.0)
}

struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// Lengths keep `("ab", "c")` and `("a", "bc")` apart.
    fn str(&mut self, s: &str) {
        self.bytes(&(s.len() as u64).to_le_bytes());
        self.bytes(s.as_bytes());
    }

    /// A field name and how many values follow it.
    fn field(&mut self, name: &str, values: usize) {
        self.str(name);
        self.bytes(&(values as u64).to_le_bytes());
    }
}

/// What the evaluation knows about one computed class for the job or one task group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClassStatus {
    Unknown,
    Eligible,
    Ineligible,
}

/// Eligibility per computed class (dense class ids from the cluster view), for the job's
/// constraints or one task group's checks. When `escaped`, nothing is cached.
#[derive(Debug, Clone)]
pub(crate) struct ClassCache {
    pub(crate) escaped: bool,
    statuses: Vec<ClassStatus>,
}

impl ClassCache {
    pub(crate) fn new(escaped: bool, classes: usize) -> Self {
        Self {
            escaped,
            statuses: vec![ClassStatus::Unknown; classes],
        }
    }

    /// The status to act on; an escaped cache always answers `Unknown`.
    pub(crate) fn status(&self, class: u32) -> ClassStatus {
        if self.escaped {
            ClassStatus::Unknown
        } else {
            self.statuses[class as usize]
        }
    }

    pub(crate) fn set(&mut self, class: u32, eligible: bool) {
        if !self.escaped {
            self.statuses[class as usize] = if eligible {
                ClassStatus::Eligible
            } else {
                ClassStatus::Ineligible
            };
        }
    }

    fn known(&self) -> impl Iterator<Item = (usize, bool)> + '_ {
        self.statuses
            .iter()
            .enumerate()
            .filter_map(|(class, status)| match status {
                ClassStatus::Unknown => None,
                ClassStatus::Eligible => Some((class, true)),
                ClassStatus::Ineligible => Some((class, false)),
            })
    }
}

/// The class eligibility a blocked evaluation keeps (`ClassEligibility`): a class is eligible when
/// some task group found it eligible, unless the job's own constraints rule it out.
pub(crate) fn merge_eligibility<'a>(
    job: &ClassCache,
    groups: impl Iterator<Item = &'a ClassCache>,
    class_names: &[String],
) -> BTreeMap<String, bool> {
    let mut merged: BTreeMap<usize, bool> = BTreeMap::new();
    for group in groups {
        for (class, eligible) in group.known() {
            let entry = merged.entry(class).or_insert(eligible);
            *entry |= eligible;
        }
    }
    for (class, eligible) in job.known() {
        if eligible {
            merged.entry(class).or_insert(true);
        } else {
            merged.insert(class, false);
        }
    }
    merged
        .into_iter()
        .map(|(class, eligible)| (class_names[class].clone(), eligible))
        .collect()
}
