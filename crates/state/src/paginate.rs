//! Listing with Nomad's paging (`nomad/state/paginator`): a `next_token` names the first item
//! of the next page, `per_page` bounds a page, and a filter runs before items are counted.
//!
//! Tokens: `<namespace>.<id>` for jobs; the ID for evaluations, allocations and deployments
//! listed by ID prefix; `<create index>.<id>` when they are listed in creation order.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use drover_model::{Allocation, Deployment, Evaluation};

/// Which namespaces a listing covers: `namespace=*` for a management token, or the set a
/// token may read (one namespace for an ordinary request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceSelector {
    All,
    Only(BTreeSet<String>),
}

impl NamespaceSelector {
    pub fn one(namespace: &str) -> Self {
        NamespaceSelector::Only(BTreeSet::from([namespace.to_string()]))
    }

    pub fn contains(&self, namespace: &str) -> bool {
        match self {
            NamespaceSelector::All => true,
            NamespaceSelector::Only(set) => set.contains(namespace),
        }
    }
}

/// The paging part of a list request (`prefix`, `next_token`, `per_page`, `reverse`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub prefix: String,
    /// Empty for the first page.
    pub next_token: String,
    /// 0 means no limit. A negative value returns an empty page whose `next_token` is the
    /// first item's, as Nomad does.
    pub per_page: i32,
    pub reverse: bool,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The token of the first item of the next page; empty on the last page.
    pub next_token: String,
}

/// Pages `items`, given in listing order. `compare` orders an item against the request's
/// token; items before the token are skipped until one is kept, then `keep` decides.
pub fn page<T>(
    items: impl Iterator<Item = T>,
    req: &PageRequest,
    compare: impl Fn(&T, &str) -> Ordering,
    token: impl Fn(&T) -> String,
    keep: impl Fn(&T) -> bool,
) -> Page<T> {
    let mut found = req.next_token.is_empty();
    let before = if req.reverse {
        Ordering::Greater
    } else {
        Ordering::Less
    };
    let mut out = Vec::new();
    for item in items {
        if !found && compare(&item, &req.next_token) == before {
            continue;
        }
        if !keep(&item) {
            continue;
        }
        found = true;
        if req.per_page != 0 && out.len() as i64 >= i64::from(req.per_page) {
            return Page {
                next_token: token(&item),
                items: out,
            };
        }
        out.push(item);
    }
    Page {
        items: out,
        next_token: String::new(),
    }
}

/// A `<namespace>.<id>` token split at its first dot; namespace names hold no dots.
pub(crate) fn split_ns_token(token: &str) -> (&str, &str) {
    token.split_once('.').unwrap_or((token, ""))
}

/// Orders `(namespace, id)` against a `<namespace>.<id>` token component by component, so
/// the order agrees with iteration (Nomad compares the joined strings; see docs/compat.md).
pub(crate) fn compare_ns_token(namespace: &str, id: &str, token: &str) -> Ordering {
    let (ns, rest) = split_ns_token(token);
    namespace.cmp(ns).then_with(|| id.cmp(rest))
}

/// A `<create index>.<id>` token, when it has that shape.
pub(crate) fn split_create_token(token: &str) -> Option<(u64, &str)> {
    let (index, id) = token.split_once('.')?;
    Some((index.parse().ok()?, id))
}

/// Nomad's `CreateIndexAndIDTokenizer`: numeric on the index, then the ID; a token of
/// another shape compares as a string.
pub fn compare_create_token(create_index: u64, id: &str, token: &str) -> Ordering {
    match split_create_token(token) {
        Some((index, token_id)) => create_index.cmp(&index).then_with(|| id.cmp(token_id)),
        None => format!("{create_index}.{id}").as_str().cmp(token),
    }
}

/// Rows listed by ID or by creation: evaluations, allocations and deployments.
pub(crate) trait Listed {
    fn id(&self) -> &str;
    fn namespace(&self) -> &str;
    fn create_index(&self) -> u64;
}

macro_rules! listed {
    ($t:ty) => {
        impl Listed for $t {
            fn id(&self) -> &str {
                &self.id
            }
            fn namespace(&self) -> &str {
                &self.namespace
            }
            fn create_index(&self) -> u64 {
                self.create_index
            }
        }
    };
}

listed!(Evaluation);
listed!(Allocation);
listed!(Deployment);
