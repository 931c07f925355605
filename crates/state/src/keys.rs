//! Table keys: compact tuples of [`Id`]s, and borrowed forms to look them up without
//! allocating.
//!
//! An `Id` is the model's `SmolStr`: short strings inline, so comparing keys in a B-tree node
//! reads no other memory and copying a node touches no reference count; longer ones (UUIDs)
//! behind an `Arc`, so an index entry shares its row's string instead of copying it.

use std::cmp::Ordering;

use drover_model::SmolStr;
use equivalent::{Comparable, Equivalent};

/// (namespace, id): jobs (with their versions, summaries and submissions), periodic launches,
/// scaling events, service registrations.
pub(crate) type NsKey = (Id, Id);
/// A secondary index entry of two components, the last being the row's ID.
pub(crate) type Key2 = (Id, Id);
/// A secondary index entry of three components, the last being the row's ID.
pub(crate) type Key3 = (Id, Id, Id);
/// (create index, id): the `create` ordering of evaluations, allocations and deployments.
pub(crate) type CreateKey = (u64, Id);

/// An ID, a name or one component of a compound key, ordered as the string it holds.
pub(crate) type Id = SmolStr;

/// The key form of a string the row does not hold as an [`Id`] already.
pub(crate) fn id(s: &str) -> Id {
    SmolStr::new(s)
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

/// A bound of a job listing in the jobs map: a key, or the place just past every job of a
/// namespace whose ID starts with a prefix. With both ends bounded, an imbl range stops by
/// comparing leaf positions, so a listing compares no key after its two seeks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JobBound<'a> {
    At(&'a str, &'a str),
    PastPrefix(&'a str, &'a str),
}

impl JobBound<'_> {
    fn cmp_key(&self, key: &NsKey) -> Ordering {
        match *self {
            JobBound::At(ns, job) => Q2(ns, job).cmp_key(key),
            // Keys under the prefix are contiguous: the bound is past them, and placed as the
            // prefix itself against the others.
            JobBound::PastPrefix(ns, prefix) => cmp_str(ns, &key.0).then_with(|| {
                if key.1.starts_with(prefix) {
                    Ordering::Greater
                } else {
                    cmp_str(prefix, &key.1)
                }
            }),
        }
    }
}

/// `str` order, read from the key's bytes.
fn cmp_str(query: &str, key: &Id) -> Ordering {
    query.as_bytes().cmp(key.as_bytes())
}

impl Q2<'_> {
    fn cmp_key(&self, key: &Key2) -> Ordering {
        cmp_str(self.0, &key.0).then_with(|| cmp_str(self.1, &key.1))
    }
}

impl Q3<'_> {
    fn cmp_key(&self, key: &Key3) -> Ordering {
        cmp_str(self.0, &key.0)
            .then_with(|| cmp_str(self.1, &key.1))
            .then_with(|| cmp_str(self.2, &key.2))
    }
}

impl QCreate<'_> {
    fn cmp_key(&self, key: &CreateKey) -> Ordering {
        self.0.cmp(&key.0).then_with(|| cmp_str(self.1, &key.1))
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
borrowed_key!(JobBound, NsKey);
borrowed_key!(Q3, Key3);
borrowed_key!(QCreate, CreateKey);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Inline and shared IDs order, compare and look up exactly as their strings do.
        #[test]
        fn ids_order_as_their_strings(a in ".{0,30}", b in ".{0,30}") {
            let (ia, ib) = (id(&a), id(&b));
            prop_assert_eq!(ia.as_str(), a.as_str());
            prop_assert_eq!(ia.cmp(&ib), a.cmp(&b));
            prop_assert_eq!(ia == ib, a == b);
            prop_assert_eq!(a.as_str().compare(&ib), a.cmp(&b));
            prop_assert_eq!(ia.starts_with(&b), a.starts_with(&b));
            let key = (ia.clone(), ib.clone());
            prop_assert!(Q2(&a, &b).equivalent(&key));
        }
    }
}
