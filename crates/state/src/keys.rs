//! Table keys: compact tuples of shared strings, and borrowed forms to look them up without
//! allocating.
//!
//! Keys hold `Arc<str>` because imbl clones keys when it copies a node that a snapshot still
//! shares; an `Arc` clone is a counter bump where a `String` clone would allocate.

use std::cmp::Ordering;
use std::sync::Arc;

use equivalent::{Comparable, Equivalent};

/// An ID, a name or one component of a compound key.
pub(crate) type Id = Arc<str>;
/// (namespace, id): jobs (with their versions, summaries and submissions), periodic launches,
/// scaling events, service registrations.
pub(crate) type NsKey = (Id, Id);
/// A secondary index entry of two components, the last being the row's ID.
pub(crate) type Key2 = (Id, Id);
/// A secondary index entry of three components, the last being the row's ID.
pub(crate) type Key3 = (Id, Id, Id);
/// (create index, id): the `create` ordering of evaluations, allocations and deployments.
pub(crate) type CreateKey = (u64, Id);

pub(crate) fn id(s: &str) -> Id {
    Arc::from(s)
}

/// A borrowed [`Key2`] or [`NsKey`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Q2<'a>(pub &'a str, pub &'a str);

/// A borrowed [`Key3`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Q3<'a>(pub &'a str, pub &'a str, pub &'a str);

/// A borrowed [`CreateKey`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct QCreate<'a>(pub u64, pub &'a str);

impl Q2<'_> {
    fn cmp_key(&self, key: &Key2) -> Ordering {
        self.0.cmp(&key.0).then_with(|| self.1.cmp(&key.1))
    }
}

impl Q3<'_> {
    fn cmp_key(&self, key: &Key3) -> Ordering {
        self.0
            .cmp(&key.0)
            .then_with(|| self.1.cmp(&key.1))
            .then_with(|| self.2.cmp(&key.2))
    }
}

impl QCreate<'_> {
    fn cmp_key(&self, key: &CreateKey) -> Ordering {
        self.0.cmp(&key.0).then_with(|| self.1.cmp(&key.1))
    }
}

macro_rules! borrowed_key {
    ($query:ident, $key:ty) => {
        impl Equivalent<$key> for $query<'_> {
            fn equivalent(&self, key: &$key) -> bool {
                self.cmp_key(key) == Ordering::Equal
            }
        }
        impl Comparable<$key> for $query<'_> {
            fn compare(&self, key: &$key) -> Ordering {
                self.cmp_key(key)
            }
        }
    };
}

borrowed_key!(Q2, Key2);
borrowed_key!(Q3, Key3);
borrowed_key!(QCreate, CreateKey);
