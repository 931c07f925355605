//! Constraint targets and operands: how `${...}` resolves against a node and how each operand
//! compares the two sides (Nomad's `resolveTarget` and `checkConstraint`).
//!
//! Constraints are compiled once per job version against the node table: targets become key ids,
//! and a literal right side is prepared (regexp compiled, version constraint parsed, set split).
//! Checking a node then reads its interned values, and results are remembered per value, so a
//! constraint runs once per distinct value in an evaluation rather than once per node.

use std::collections::HashMap;
use std::sync::Arc;

use drover_model::constraint::operand;
use drover_model::{Constraint, Node};
use regex::Regex;

use super::table::{Field, NodeTable, NodeValue};
use super::version::{ConstraintKind, Version, VersionConstraints};

/// One side of a constraint: a literal or a node field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Literal(Box<str>),
    NodeId,
    NodeName,
    Datacenter,
    NodeClass,
    NodePool,
    Region,
    Attr(Box<str>),
    Meta(Box<str>),
    /// An interpolation Nomad does not know: never found.
    Unknown,
}

impl Target {
    pub(crate) fn parse(target: &str) -> Self {
        if !target.starts_with("${") {
            return Self::Literal(target.into());
        }
        let inner_key = |prefix: &str| {
            let key = target.strip_prefix(prefix)?;
            Some(key.strip_suffix('}').unwrap_or(key).into())
        };
        match target {
            "${node.unique.id}" => Self::NodeId,
            "${node.unique.name}" => Self::NodeName,
            "${node.datacenter}" => Self::Datacenter,
            "${node.class}" => Self::NodeClass,
            "${node.pool}" => Self::NodePool,
            "${node.region}" => Self::Region,
            _ => {
                if let Some(key) = inner_key("${attr.") {
                    Self::Attr(key)
                } else if let Some(key) = inner_key("${meta.") {
                    Self::Meta(key)
                } else {
                    Self::Unknown
                }
            }
        }
    }

    /// The value on `node`, `None` when the node has no such field. Nodes carry no region: the
    /// scheduler only sees nodes of its own region, so `${node.region}` is the job's region.
    pub(crate) fn resolve<'a>(&'a self, node: &'a Node, region: &'a str) -> Option<&'a str> {
        match self {
            Self::Literal(value) => Some(value),
            Self::NodeId => Some(&node.id),
            Self::NodeName => Some(&node.name),
            Self::Datacenter => Some(&node.datacenter),
            Self::NodeClass => Some(&node.node_class),
            Self::NodePool => Some(&node.node_pool),
            Self::Region => Some(region),
            Self::Attr(key) => node.attributes.get(&**key).map(String::as_str),
            Self::Meta(key) => node.meta.get(&**key).map(String::as_str),
            Self::Unknown => None,
        }
    }
}

/// Whether a target names a `unique.` field, which the computed node class leaves out: feasibility
/// that depends on it cannot be cached per class.
pub(crate) fn escapes_class(target: &str) -> bool {
    [
        "${unique.",
        "${node.unique.",
        "${attr.unique.",
        "${meta.unique.",
    ]
    .iter()
    .any(|prefix| target.starts_with(prefix))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    Equal,
    NotEqual,
    Order(Order),
    IsSet,
    IsNotSet,
    Version(ConstraintKind),
    Regexp,
    SetContainsAll,
    SetContainsAny,
    /// `distinct_hosts` and `distinct_property` pass here: their own iterators enforce them.
    Distinct,
    Unknown,
}

impl Operand {
    fn parse(op: &str) -> Self {
        match op {
            "=" | "==" | "is" => Self::Equal,
            "!=" | "not" => Self::NotEqual,
            "<" => Self::Order(Order::Less),
            "<=" => Self::Order(Order::LessEqual),
            ">" => Self::Order(Order::Greater),
            ">=" => Self::Order(Order::GreaterEqual),
            operand::ATTRIBUTE_IS_SET => Self::IsSet,
            operand::ATTRIBUTE_IS_NOT_SET => Self::IsNotSet,
            operand::VERSION => Self::Version(ConstraintKind::Version),
            operand::SEMVER => Self::Version(ConstraintKind::Semver),
            operand::REGEX => Self::Regexp,
            operand::SET_CONTAINS | operand::SET_CONTAINS_ALL => Self::SetContainsAll,
            operand::SET_CONTAINS_ANY => Self::SetContainsAny,
            operand::DISTINCT_HOSTS | operand::DISTINCT_PROPERTY => Self::Distinct,
            _ => Self::Unknown,
        }
    }
}

/// The right side, prepared once when it is a literal.
#[derive(Debug, Clone)]
enum Prepared {
    Nothing,
    Regex(Option<Regex>),
    Version(Option<Arc<VersionConstraints>>),
    Set(Box<[Box<str>]>),
}

/// Parsed regexps and version constraints, kept for the whole evaluation as Nomad's `EvalCache`
/// does. Failed parses are cached too: they never match.
#[derive(Debug, Default)]
pub(crate) struct EvalCache {
    regexps: HashMap<String, Option<Regex>>,
    versions: HashMap<(String, bool), Option<Arc<VersionConstraints>>>,
}

impl EvalCache {
    fn regex(&mut self, pattern: &str) -> Option<Regex> {
        if let Some(cached) = self.regexps.get(pattern) {
            return cached.clone();
        }
        let compiled = Regex::new(pattern).ok();
        self.regexps.insert(pattern.to_owned(), compiled.clone());
        compiled
    }

    fn version(&mut self, text: &str, kind: ConstraintKind) -> Option<Arc<VersionConstraints>> {
        let key = (text.to_owned(), kind == ConstraintKind::Semver);
        self.versions
            .entry(key)
            .or_insert_with(|| VersionConstraints::parse(text, kind).map(Arc::new))
            .clone()
    }
}

/// One side of a compiled constraint.
#[derive(Debug, Clone)]
enum Side {
    /// The same on every node: a literal, the region, or (`None`) never found.
    Const(Option<Box<str>>),
    Field(Field),
    /// An attribute or meta key; `None` when no node has it.
    Prop(Option<u32>),
}

/// A side resolved on one node.
#[derive(Debug, Clone, Copy)]
enum Resolved<'a> {
    Missing,
    Node(NodeValue),
    Const(&'a str),
}

impl Side {
    fn compile(target: &str, table: &NodeTable, region: &str) -> Self {
        let prop = |prefix: &str, key: &str| Self::Prop(table.key(&format!("{prefix}{key}")));
        match Target::parse(target) {
            Target::Literal(value) => Self::Const(Some(value)),
            Target::Region => Self::Const(Some(region.into())),
            Target::Unknown => Self::Const(None),
            Target::NodeId => Self::Field(Field::Id),
            Target::NodeName => Self::Field(Field::Name),
            Target::Datacenter => Self::Field(Field::Datacenter),
            Target::NodeClass => Self::Field(Field::NodeClass),
            Target::NodePool => Self::Field(Field::NodePool),
            Target::Attr(key) => prop("attr.", &key),
            Target::Meta(key) => prop("meta.", &key),
        }
    }

    fn resolve(&self, table: &NodeTable, node: u32) -> Resolved<'_> {
        match self {
            Self::Const(Some(value)) => Resolved::Const(value),
            Self::Const(None) | Self::Prop(None) => Resolved::Missing,
            Self::Field(field) => Resolved::Node(table.field(node, *field)),
            Self::Prop(Some(key)) => table
                .prop(node, *key)
                .map_or(Resolved::Missing, Resolved::Node),
        }
    }

    fn is_const(&self) -> bool {
        matches!(self, Self::Const(_))
    }
}

impl<'a> Resolved<'a> {
    fn text(self, table: &'a NodeTable) -> Option<&'a str> {
        match self {
            Self::Missing => None,
            Self::Node(value) => Some(table.text(value)),
            Self::Const(value) => Some(value),
        }
    }

    /// Where the result for this value is remembered: 0 for missing or constant, `id + 1` for a
    /// shared value; a node's own values are not remembered.
    fn slot(self) -> Option<usize> {
        match self {
            Self::Missing | Self::Const(_) => Some(0),
            Self::Node(NodeValue::Shared(id)) => Some(id as usize + 1),
            Self::Node(NodeValue::Own(_)) => None,
        }
    }
}

/// A constraint (or the matching part of an affinity) compiled against a node table.
///
/// When at most one side varies by node, the result depends only on that side's value, so it is
/// remembered per value id: a constraint is evaluated once per distinct value in an evaluation.
#[derive(Debug, Clone)]
pub(crate) struct CompiledConstraint {
    left: Side,
    right: Side,
    operand: Operand,
    prepared: Prepared,
    /// Per memo slot: 0 unknown, 1 false, 2 true. Empty when both sides vary.
    memo: Vec<u8>,
}

impl CompiledConstraint {
    pub(crate) fn new(
        l_target: &str,
        operand: &str,
        r_target: &str,
        table: &NodeTable,
        region: &str,
        cache: &mut EvalCache,
    ) -> Self {
        let left = Side::compile(l_target, table, region);
        let right = Side::compile(r_target, table, region);
        let operand = Operand::parse(operand);
        let prepared = match (&right, operand) {
            (Side::Const(Some(r)), Operand::Regexp) => Prepared::Regex(cache.regex(r)),
            (Side::Const(Some(r)), Operand::Version(kind)) => {
                Prepared::Version(cache.version(r, kind))
            }
            (Side::Const(Some(r)), Operand::SetContainsAll | Operand::SetContainsAny) => {
                Prepared::Set(r.split(',').map(|item| item.trim().into()).collect())
            }
            _ => Prepared::Nothing,
        };
        let memo = if left.is_const() || right.is_const() {
            vec![0; table.value_count() + 1]
        } else {
            Vec::new()
        };
        Self {
            left,
            right,
            operand,
            prepared,
            memo,
        }
    }

    pub(crate) fn matches(&mut self, table: &NodeTable, node: u32, cache: &mut EvalCache) -> bool {
        let left = self.left.resolve(table, node);
        let right = self.right.resolve(table, node);
        if self.memo.is_empty() {
            return self.check(left.text(table), right.text(table), cache);
        }
        let slot = if self.right.is_const() {
            left.slot()
        } else {
            right.slot()
        };
        let Some(slot) = slot else {
            return self.check(left.text(table), right.text(table), cache);
        };
        match self.memo[slot] {
            1 => false,
            2 => true,
            _ => {
                let result = self.check(left.text(table), right.text(table), cache);
                self.memo[slot] = if result { 2 } else { 1 };
                result
            }
        }
    }

    fn check(&self, left: Option<&str>, right: Option<&str>, cache: &mut EvalCache) -> bool {
        match self.operand {
            Operand::Equal => left.is_some() && left == right,
            // A missing side reads as the empty string, so `!=` holds when the attribute is
            // missing (unless the other side is an empty literal).
            Operand::NotEqual => left.unwrap_or("") != right.unwrap_or(""),
            Operand::Order(order) => match (left, right) {
                (Some(l), Some(r)) => check_order(order, l, r),
                _ => false,
            },
            Operand::IsSet => left.is_some(),
            Operand::IsNotSet => left.is_none(),
            Operand::Version(kind) => {
                let (Some(l), Some(r)) = (left, right) else {
                    return false;
                };
                let Some(version) = Version::parse(l) else {
                    return false;
                };
                let constraints = match &self.prepared {
                    Prepared::Version(parsed) => parsed.clone(),
                    _ => cache.version(r, kind),
                };
                constraints.is_some_and(|c| c.check(&version))
            }
            Operand::Regexp => {
                let (Some(l), Some(r)) = (left, right) else {
                    return false;
                };
                match &self.prepared {
                    Prepared::Regex(re) => re.as_ref().is_some_and(|re| re.is_match(l)),
                    _ => cache.regex(r).is_some_and(|re| re.is_match(l)),
                }
            }
            Operand::SetContainsAll | Operand::SetContainsAny => {
                let (Some(l), Some(r)) = (left, right) else {
                    return false;
                };
                let any = self.operand == Operand::SetContainsAny;
                match &self.prepared {
                    Prepared::Set(items) => set_contains(l, items.iter().map(|i| &**i), any),
                    _ => set_contains(l, r.split(',').map(str::trim), any),
                }
            }
            Operand::Distinct => true,
            Operand::Unknown => false,
        }
    }
}

/// `l <op> r` as integers when both parse, else as floats, else lexically.
fn check_order(order: Order, l: &str, r: &str) -> bool {
    let ordering = if let (Ok(a), Ok(b)) = (l.parse::<i64>(), r.parse::<i64>()) {
        a.partial_cmp(&b)
    } else if let (Ok(a), Ok(b)) = (l.parse::<f64>(), r.parse::<f64>()) {
        a.partial_cmp(&b)
    } else {
        l.partial_cmp(r)
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match order {
        Order::Less => ordering.is_lt(),
        Order::LessEqual => ordering.is_le(),
        Order::Greater => ordering.is_gt(),
        Order::GreaterEqual => ordering.is_ge(),
    }
}

/// Whether the comma-separated set `l` holds all (or any) of `wanted`; items are trimmed.
fn set_contains<'a>(l: &str, mut wanted: impl Iterator<Item = &'a str>, any: bool) -> bool {
    let has = |item: &str| l.split(',').any(|have| have.trim() == item);
    if any {
        wanted.any(has)
    } else {
        wanted.all(has)
    }
}

/// The reason a failed constraint is counted under in `ConstraintFiltered`: `"L op R"`.
pub(crate) fn constraint_reason(c: &Constraint) -> String {
    format!("{} {} {}", c.l_target, c.operand, c.r_target)
}

/// Checks one constraint against one node, as the stack would. `region` is what `${node.region}`
/// resolves to. (Builds a one-node table: for tests and one-off checks, not for loops.)
pub fn meets_constraint(constraint: &Constraint, node: &Node, region: &str) -> bool {
    let table = NodeTable::new(&[Arc::new(node.clone())]);
    let mut cache = EvalCache::default();
    CompiledConstraint::new(
        &constraint.l_target,
        &constraint.operand,
        &constraint.r_target,
        &table,
        region,
        &mut cache,
    )
    .matches(&table, 0, &mut cache)
}

/// A target read on many nodes: the attribute of a spread or `distinct_property`.
#[derive(Debug, Clone)]
pub(crate) struct NodeTarget(Side);

impl NodeTarget {
    pub(crate) fn new(target: &str, table: &NodeTable, region: &str) -> Self {
        Self(Side::compile(target, table, region))
    }

    pub(crate) fn text<'a>(&'a self, table: &'a NodeTable, node: u32) -> Option<&'a str> {
        self.0.resolve(table, node).text(table)
    }
}
