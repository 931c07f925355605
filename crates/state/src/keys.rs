//! Table keys: compact tuples of [`Id`]s, and borrowed forms to look them up without
//! allocating.
//!
//! imbl clones keys when it copies a node that a snapshot still shares, and compares them on
//! every lookup; an `Id` keeps short strings inline so both stay within the node's memory.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

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

/// How many bytes an [`Id`] keeps inline: namespace names and most job IDs fit; UUIDs (36
/// bytes) are shared instead.
const INLINE: usize = 22;

/// An ID, a name or one component of a compound key. Short strings are stored inline, so
/// comparing keys in a B-tree node reads no other memory and copying a node touches no
/// reference count; longer ones are an `Arc<str>`, whose clone is a counter bump where a
/// `String` clone would allocate. Ordered, compared and hashed as the string it holds.
#[derive(Clone)]
pub(crate) enum Id {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

const _: () = assert!(size_of::<Id>() == 24);

pub(crate) fn id(s: &str) -> Id {
    match u8::try_from(s.len()) {
        Ok(len) if s.len() <= INLINE => {
            let mut bytes = [0; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Id::Inline { len, bytes }
        }
        _ => Id::Shared(Arc::from(s)),
    }
}

impl Id {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Id::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Id::Shared(s) => s.as_bytes(),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Inline bytes were copied whole from a `str`, so they are valid UTF-8.
            Id::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            Id::Shared(s) => s,
        }
    }

    /// `str::starts_with` without decoding the inline bytes (listing by prefix calls it on
    /// every key it scans).
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.as_bytes().starts_with(prefix.as_bytes())
    }
}

impl Deref for Id {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Id {
    fn eq(&self, other: &Id) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Id {}

/// Byte order is `str` order.
impl Ord for Id {
    fn cmp(&self, other: &Id) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Id) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Hash for Id {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Looking an [`Id`] up by a plain `str`.
impl Equivalent<Id> for str {
    fn equivalent(&self, key: &Id) -> bool {
        self.as_bytes() == key.as_bytes()
    }
}

impl Comparable<Id> for str {
    fn compare(&self, key: &Id) -> Ordering {
        cmp_str(self, key)
    }
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
