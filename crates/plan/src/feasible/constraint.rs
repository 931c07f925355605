//! Constraint targets and operands: how `${...}` resolves against a node and how each operand
//! compares the two sides (Nomad's `resolveTarget` and `checkConstraint`).
//!
//! Constraints are compiled once per job version: targets are parsed, and a literal right side is
//! prepared (regexp compiled, version constraint parsed, set split), so checking a node does no
//! parsing and no allocation beyond what the operand itself needs.

use std::collections::HashMap;
use std::sync::Arc;

use drover_model::constraint::operand;
use drover_model::{Constraint, Node};
use regex::Regex;

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

/// A constraint (or the matching part of an affinity) ready to check against nodes.
#[derive(Debug, Clone)]
pub(crate) struct CompiledConstraint {
    left: Target,
    right: Target,
    operand: Operand,
    prepared: Prepared,
}

impl CompiledConstraint {
    pub(crate) fn new(
        l_target: &str,
        operand: &str,
        r_target: &str,
        cache: &mut EvalCache,
    ) -> Self {
        let left = Target::parse(l_target);
        let right = Target::parse(r_target);
        let operand = Operand::parse(operand);
        let prepared = match (&right, operand) {
            (Target::Literal(r), Operand::Regexp) => Prepared::Regex(cache.regex(r)),
            (Target::Literal(r), Operand::Version(kind)) => {
                Prepared::Version(cache.version(r, kind))
            }
            (Target::Literal(r), Operand::SetContainsAll | Operand::SetContainsAny) => {
                Prepared::Set(r.split(',').map(|item| item.trim().into()).collect())
            }
            _ => Prepared::Nothing,
        };
        Self {
            left,
            right,
            operand,
            prepared,
        }
    }

    /// Whether the constraint can never fail, so checkers may skip it.
    pub(crate) fn is_distinct(&self) -> bool {
        self.operand == Operand::Distinct
    }

    pub(crate) fn matches(&self, node: &Node, region: &str, cache: &mut EvalCache) -> bool {
        let left = self.left.resolve(node, region);
        let right = self.right.resolve(node, region);
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

/// Checks one constraint against one node, as the stack would (with a fresh evaluation cache).
/// `region` is what `${node.region}` resolves to.
pub fn meets_constraint(constraint: &Constraint, node: &Node, region: &str) -> bool {
    let mut cache = EvalCache::default();
    CompiledConstraint::new(
        &constraint.l_target,
        &constraint.operand,
        &constraint.r_target,
        &mut cache,
    )
    .matches(node, region, &mut cache)
}
