//! Property sets: how many of the job's allocations use each value of a node property, for
//! `distinct_property` constraints and `spread` blocks (Nomad's `propertySet`).
//!
//! Counts are net: allocations the view counts now (existing ones still wanted, plus the plan's
//! placements, minus the plan's stops). They are recounted from the job's allocations at every
//! `select`; a node's property value is resolved once per evaluation and remembered.

use drover_model::{Constraint, Spread};

use super::constraint::NodeTarget;
use super::table::{Interner, NodeTable};
use super::view::ClusterView;

const UNRESOLVED: u32 = u32::MAX;
const MISSING: u32 = u32::MAX - 1;
/// The value that stands for every value a spread does not list.
const WILDCARD: &str = "*";

#[derive(Debug, Clone)]
pub(crate) struct PropertySet {
    /// The target as written, for messages.
    attribute: String,
    target: Option<NodeTarget>,
    /// Count only this task group's allocations (`None`: the whole job's).
    group: Option<String>,
    /// With targets (a spread that lists values), other values count as [`WILDCARD`].
    targeted: bool,
    values: Interner,
    node_values: Vec<u32>,
    counts: Vec<u64>,
    /// The lowest and highest positive count as of the last refresh (`(u64::MAX, 0)` when
    /// none), which every node's even-spread score compares with.
    used_range: (u64, u64),
}

impl PropertySet {
    fn new(
        attribute: &str,
        group: Option<&str>,
        targets: &[&str],
        table: &NodeTable,
        region: &str,
    ) -> Self {
        let mut set = Self {
            attribute: attribute.to_owned(),
            // Nomad looks up nothing for an empty property.
            target: (!attribute.is_empty()).then(|| NodeTarget::new(attribute, table, region)),
            group: group.map(str::to_owned),
            targeted: !targets.is_empty(),
            values: Interner::default(),
            node_values: vec![UNRESOLVED; table.len()],
            counts: Vec::new(),
            used_range: (u64::MAX, 0),
        };
        for target in targets
            .iter()
            .copied()
            .chain(set.targeted.then_some(WILDCARD))
        {
            set.intern(target);
        }
        set
    }

    fn intern(&mut self, value: &str) -> u32 {
        let id = self.values.intern(value);
        if id as usize == self.counts.len() {
            self.counts.push(0);
        }
        id
    }

    /// The value id of a node's property (after folding untargeted values into the wildcard),
    /// `None` when the node does not have the property.
    pub(crate) fn value(&mut self, table: &NodeTable, node: u32) -> Option<u32> {
        let cached = self.node_values[node as usize];
        if cached == UNRESOLVED {
            let raw = self
                .target
                .as_ref()
                .and_then(|t| t.text(table, node))
                .map(str::to_owned);
            let id = match raw {
                None => MISSING,
                Some(value) if !self.targeted || self.values.get(&value).is_some() => {
                    self.intern(&value)
                }
                Some(_) => self.intern(WILDCARD),
            };
            self.node_values[node as usize] = id;
        }
        match self.node_values[node as usize] {
            MISSING => None,
            id => Some(id),
        }
    }

    pub(crate) fn value_name(&self, id: u32) -> &str {
        self.values.name(id)
    }

    pub(crate) fn count(&self, id: u32) -> u64 {
        self.counts[id as usize]
    }

    /// The lowest and highest count of the values in use (`(u64::MAX, 0)` when none is).
    pub(crate) fn used_range(&self) -> (u64, u64) {
        self.used_range
    }

    /// Recounts the job's allocations (those not stopped by the scheduler).
    pub(crate) fn refresh(&mut self, view: &ClusterView, job: Option<u32>) {
        self.recount(view, job);
        self.used_range = self
            .counts
            .iter()
            .filter(|&&n| n > 0)
            .fold((u64::MAX, 0), |(lo, hi), &n| (lo.min(n), hi.max(n)));
    }

    fn recount(&mut self, view: &ClusterView, job: Option<u32>) {
        self.counts.iter_mut().for_each(|n| *n = 0);
        let Some(job) = job else {
            return;
        };
        let group = match &self.group {
            Some(name) => match view.group_key(job, name) {
                Some(key) => Some(key),
                None => return,
            },
            None => None,
        };
        for alloc in &view.job_allocs[job as usize] {
            if !alloc.live || group.is_some_and(|g| g != alloc.group) {
                continue;
            }
            if let Some(id) = self.value(&view.table, alloc.node) {
                self.counts[id as usize] += 1;
            }
        }
    }

    pub(crate) fn missing_reason(&self) -> String {
        format!("missing property {}", go_quote(&self.attribute))
    }
}

/// A `distinct_property` constraint: at most `allowed` allocations per property value.
#[derive(Debug, Clone)]
pub(crate) struct DistinctProperty {
    pub(crate) set: PropertySet,
    allowed: Result<u64, String>,
}

impl DistinctProperty {
    pub(crate) fn new(
        c: &Constraint,
        group: Option<&str>,
        table: &NodeTable,
        region: &str,
    ) -> Self {
        let allowed = if c.r_target.is_empty() {
            Ok(1)
        } else {
            c.r_target.parse::<u64>().map_err(|_| {
                let problem = if c.r_target.bytes().all(|b| b.is_ascii_digit()) {
                    "value out of range"
                } else {
                    "invalid syntax"
                };
                let quoted = go_quote(&c.r_target);
                format!(
                    "failed to convert RTarget {quoted} to uint64: strconv.ParseUint: parsing {quoted}: {problem}"
                )
            })
        };
        Self {
            set: PropertySet::new(&c.l_target, group, &[], table, region),
            allowed,
        }
    }

    /// `Err` carries the reason the node is filtered with.
    pub(crate) fn check(&mut self, table: &NodeTable, node: u32) -> Result<(), String> {
        let allowed = self.allowed.clone()?;
        let Some(id) = self.set.value(table, node) else {
            return Err(self.set.missing_reason());
        };
        let used = self.set.count(id);
        if used < allowed {
            return Ok(());
        }
        Err(format!(
            "distinct_property: {}={} used by {} allocs",
            self.set.attribute,
            self.set.value_name(id),
            used
        ))
    }
}

/// One spread block (of the job or the group) as it applies to one task group.
#[derive(Debug, Clone)]
pub(crate) struct SpreadPlan {
    pub(crate) set: PropertySet,
    pub(crate) weight: f64,
    /// Desired allocation counts per value id; empty for an even spread (no targets).
    pub(crate) desired: Vec<Option<f64>>,
}

impl SpreadPlan {
    pub(crate) fn new(
        spread: &Spread,
        group: &str,
        count: i64,
        table: &NodeTable,
        region: &str,
    ) -> Self {
        let targets: Vec<&str> = spread
            .spread_target
            .iter()
            .map(|t| t.value.as_str())
            .collect();
        let mut set = PropertySet::new(&spread.attribute, Some(group), &targets, table, region);
        let mut desired = vec![None; set.values.len()];
        let mut sum = 0.0;
        for target in &spread.spread_target {
            let want = f64::from(target.percent) / 100.0 * count as f64;
            desired[set.intern(&target.value) as usize] = Some(want);
            sum += want;
        }
        if sum > 0.0 && sum < count as f64 {
            desired[set.intern(WILDCARD) as usize] = Some(count as f64 - sum);
        }
        Self {
            set,
            weight: f64::from(spread.weight),
            desired,
        }
    }

    pub(crate) fn is_even(&self) -> bool {
        self.desired.is_empty()
    }
}

/// Go's `%q` for the plain strings that appear in reasons.
pub(crate) fn go_quote(s: &str) -> String {
    let mut quoted = String::with_capacity(s.len() + 2);
    quoted.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}
