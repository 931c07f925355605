//! Table keys: [`Id`]s and [`Name`]s, compact tuples of them, and borrowed forms to look them
//! up without allocating.
//!
//! An `Id` keys the tables of nodes, allocations, evaluations and deployments and their
//! indexes. Those IDs are UUIDs, held as their 16 bytes: two keys compare by two integer
//! comparisons instead of a 36-byte `memcmp` (IDs that share a long prefix, like c1m's node
//! IDs, compare whole), and copying or dropping a key (a B-tree node's path copy, an index
//! entry) touches no reference count on a cold cache line. Any other string is held as a
//! `Name`. Either way an `Id` orders, compares and hashes exactly as the string it stands for,
//! so listings, prefix scans and paging tokens are those of the strings.
//!
//! A `Name` is the model's `SmolStr` (namespaces, job IDs, names): short strings inline, longer
//! ones behind an `Arc`, so an index entry shares its row's string instead of copying it.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use drover_model::SmolStr;
use equivalent::{Comparable, Equivalent};

/// A namespace, a job ID or another name.
pub(crate) type Name = SmolStr;

/// (namespace, id): jobs (with their versions, summaries and submissions), periodic launches,
/// scaling events, service registrations.
pub(crate) type NsKey = (Name, Name);
/// (namespace, job id, row id): the evaluations, allocations and deployments of a job.
pub(crate) type JobKey = (Name, Name, Id);
/// (foreign id, row id): the allocations of a node, an evaluation or a deployment.
pub(crate) type Key2 = (Id, Id);
/// A service registration index entry of three names, the last being the registration's ID.
pub(crate) type Key3 = (Name, Name, Name);
/// (create index, id): the `create` ordering of evaluations, allocations and deployments.
pub(crate) type CreateKey = (u64, Id);

/// The key form of a name the row does not hold as a [`Name`] already.
pub(crate) fn name(s: &str) -> Name {
    SmolStr::new(s)
}

/// A node, allocation, evaluation or deployment ID: a canonical UUID as its bits, any other
/// string as a [`Name`] (see the module documentation).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Id(Repr);

// `PartialEq` is derived: a string that is a canonical UUID is always held as `Uuid`, so the
// two forms never stand for the same string.
#[derive(Clone, PartialEq, Eq)]
enum Repr {
    /// The UUID's 128 bits, most significant half first. Hex digits sort as the values they
    /// stand for and every UUID has its dashes at the same places, so the halves' numeric
    /// order is the text's.
    Uuid([u64; 2]),
    Str(Name),
}

// Inside `SmolStr`'s niche: an `Id` costs no more than the `SmolStr` it replaces.
const _: () = assert!(size_of::<Id>() <= 24 && align_of::<Id>() == 8);

/// The length of a canonical UUID's text.
const UUID_LEN: usize = 36;
const DASH: u8 = u8::MAX;
/// For each byte of a UUID's text, the index of the hex digit (nibble) it shows, or `DASH`.
const NIBBLE_AT: [u8; UUID_LEN] = {
    let mut at = [DASH; UUID_LEN];
    let (mut i, mut nibble) = (0, 0);
    while i < UUID_LEN {
        if !matches!(i, 8 | 13 | 18 | 23) {
            at[i] = nibble;
            nibble += 1;
        }
        i += 1;
    }
    at
};

/// The bits of a canonical UUID (36 characters, lowercase hex, dashes at 8, 13, 18 and 23).
fn parse_uuid(s: &str) -> Option<[u64; 2]> {
    let bytes = s.as_bytes();
    if bytes.len() != UUID_LEN {
        return None;
    }
    let mut halves = [0u64; 2];
    for (&c, &nibble) in bytes.iter().zip(&NIBBLE_AT) {
        let value = match c {
            b'-' if nibble == DASH => continue,
            b'0'..=b'9' if nibble != DASH => c - b'0',
            b'a'..=b'f' if nibble != DASH => c - b'a' + 10,
            _ => return None,
        };
        let half = &mut halves[usize::from(nibble / 16)];
        *half = (*half << 4) | u64::from(value);
    }
    Some(halves)
}

/// Byte `i` of a UUID's text.
fn uuid_byte(halves: &[u64; 2], i: usize) -> u8 {
    let nibble = NIBBLE_AT[i];
    if nibble == DASH {
        return b'-';
    }
    let shift = 60 - 4 * u32::from(nibble % 16);
    b"0123456789abcdef"[((halves[usize::from(nibble / 16)] >> shift) & 15) as usize]
}

/// How a UUID's text orders against `s`, reading only as far as they agree.
fn cmp_uuid_text(halves: &[u64; 2], s: &[u8]) -> Ordering {
    for (i, &c) in s.iter().take(UUID_LEN).enumerate() {
        let own = uuid_byte(halves, i);
        if own != c {
            return own.cmp(&c);
        }
    }
    UUID_LEN.cmp(&s.len())
}

impl Id {
    /// The key form of an ID; a string that is not a UUID is copied (see [`Id::of`]).
    pub(crate) fn new(s: &str) -> Id {
        match parse_uuid(s) {
            Some(halves) => Id(Repr::Uuid(halves)),
            None => Id(Repr::Str(name(s))),
        }
    }

    /// The key form of a row's ID; a string that is not a UUID is shared with the row.
    pub(crate) fn of(s: &SmolStr) -> Id {
        match parse_uuid(s) {
            Some(halves) => Id(Repr::Uuid(halves)),
            None => Id(Repr::Str(s.clone())),
        }
    }

    pub(crate) fn starts_with(&self, prefix: &str) -> bool {
        match &self.0 {
            Repr::Str(s) => s.starts_with(prefix),
            Repr::Uuid(halves) => {
                prefix.len() <= UUID_LEN
                    && (prefix.bytes().enumerate()).all(|(i, c)| uuid_byte(halves, i) == c)
            }
        }
    }

    /// Calls `f` with the string this ID stands for (a UUID's is written on the stack).
    fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match &self.0 {
            Repr::Str(s) => f(s),
            Repr::Uuid(halves) => {
                let text: [u8; UUID_LEN] = std::array::from_fn(|i| uuid_byte(halves, i));
                f(std::str::from_utf8(&text).expect("hex digits and dashes are ASCII"))
            }
        }
    }
}

impl Ord for Id {
    fn cmp(&self, other: &Id) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::Uuid(a), Repr::Uuid(b)) => a.cmp(b),
            (Repr::Str(a), Repr::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Repr::Uuid(a), Repr::Str(b)) => cmp_uuid_text(a, b.as_bytes()),
            (Repr::Str(a), Repr::Uuid(b)) => cmp_uuid_text(b, a.as_bytes()).reverse(),
        }
    }
}

impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Id) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for Id {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.with_str(|s| s.hash(state));
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.cmp_query(other).is_eq()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| f.write_str(s))
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| fmt::Debug::fmt(s, f))
    }
}

/// A key component that a borrowed string looks up: an [`Id`] or a [`Name`].
pub(crate) trait Part {
    /// How `query` orders against this component, as strings.
    fn cmp_query(&self, query: &str) -> Ordering;
}

impl Part for Name {
    fn cmp_query(&self, query: &str) -> Ordering {
        query.as_bytes().cmp(self.as_bytes())
    }
}

impl Part for Id {
    fn cmp_query(&self, query: &str) -> Ordering {
        match &self.0 {
            Repr::Str(s) => s.cmp_query(query),
            Repr::Uuid(halves) => cmp_uuid_text(halves, query.as_bytes()).reverse(),
        }
    }
}

/// `&str` lookups in tables keyed by [`Id`].
impl Equivalent<Id> for str {
    fn equivalent(&self, key: &Id) -> bool {
        key.cmp_query(self).is_eq()
    }
}

impl Comparable<Id> for str {
    fn compare(&self, key: &Id) -> Ordering {
        key.cmp_query(self)
    }
}

/// A borrowed two-component key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Q2<'a>(pub &'a str, pub &'a str);

/// A borrowed three-component key.
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
            JobBound::PastPrefix(ns, prefix) => key.0.cmp_query(ns).then_with(|| {
                if key.1.starts_with(prefix) {
                    Ordering::Greater
                } else {
                    key.1.cmp_query(prefix)
                }
            }),
        }
    }
}

impl Q2<'_> {
    fn cmp_key<A: Part, B: Part>(&self, key: &(A, B)) -> Ordering {
        (key.0.cmp_query(self.0)).then_with(|| key.1.cmp_query(self.1))
    }
}

impl Q3<'_> {
    fn cmp_key<A: Part, B: Part, C: Part>(&self, key: &(A, B, C)) -> Ordering {
        (key.0.cmp_query(self.0))
            .then_with(|| key.1.cmp_query(self.1))
            .then_with(|| key.2.cmp_query(self.2))
    }
}

impl QCreate<'_> {
    fn cmp_key(&self, key: &CreateKey) -> Ordering {
        self.0.cmp(&key.0).then_with(|| key.1.cmp_query(self.1))
    }
}

macro_rules! borrowed_key {
    ($query:ident, $key:ty $(, $part:ident)*) => {
        impl<$($part: Part),*> Equivalent<$key> for $query<'_> {
            fn equivalent(&self, key: &$key) -> bool {
                self.cmp_key(key) == Ordering::Equal
            }
        }
        impl<$($part: Part),*> Comparable<$key> for $query<'_> {
            fn compare(&self, key: &$key) -> Ordering {
                self.cmp_key(key)
            }
        }
    };
}

borrowed_key!(Q2, (A, B), A, B);
borrowed_key!(Q3, (A, B, C), A, B, C);
borrowed_key!(JobBound, NsKey);
borrowed_key!(QCreate, CreateKey);

#[cfg(test)]
mod tests {
    use std::collections::hash_map::DefaultHasher;

    use proptest::prelude::*;

    use super::*;

    fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
        let mut hasher = DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish()
    }

    /// Canonical UUIDs, their near misses (uppercase, a misplaced dash, a stray character, a
    /// digit short or over) and short strings, all over a few shared prefixes so that pairs
    /// often agree far into their text.
    fn id_text() -> impl Strategy<Value = String> {
        let uuid = "[0-2a][0-9a-f]{7}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
        prop_oneof![
            4 => uuid,
            1 => uuid.prop_map(|u| u.to_uppercase()),
            1 => (uuid, 0..36usize, "[-0-9a-gA-Z_ ]").prop_map(|(u, at, c)| {
                let mut u = u;
                u.replace_range(at..at + 1, &c);
                u
            }),
            1 => (uuid, "[0-9a-f-]{0,2}").prop_map(|(u, tail)| u + &tail),
            1 => (uuid, 0..36usize).prop_map(|(u, len)| u[..len].to_string()),
            2 => "[-0-9a-z]{0,10}",
            1 => ".{0,40}",
        ]
    }

    /// Whether `s` is held as a UUID: exactly the canonical texts are.
    fn is_canonical(s: &str) -> bool {
        s.len() == 36
            && s.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
            })
    }

    proptest! {
        /// IDs order, compare, hash, prefix-match and look up exactly as their strings do,
        /// whichever form each is held in.
        #[test]
        fn ids_behave_as_their_strings(a in id_text(), b in id_text(), cut in 0..40usize) {
            let (ia, ib) = (Id::new(&a), Id::new(&b));
            prop_assert_eq!(matches!(ia.0, Repr::Uuid(_)), is_canonical(&a));
            prop_assert_eq!(ia.to_string(), a.clone());
            prop_assert_eq!(format!("{ia:?}"), format!("{a:?}"));
            prop_assert_eq!(&Id::of(&SmolStr::new(&a)), &ia);
            prop_assert_eq!(ia.cmp(&ib), a.cmp(&b));
            prop_assert_eq!(ia == ib, a == b);
            prop_assert_eq!(ia == *b.as_str(), a == b);
            prop_assert_eq!(hash_of(&ia), hash_of(a.as_str()));
            prop_assert_eq!(a.as_str().compare(&ib), a.cmp(&b));
            prop_assert_eq!(a.as_str().equivalent(&ib), a == b);
            let prefix: String = b.chars().take(cut).collect();
            prop_assert_eq!(ia.starts_with(&prefix), a.starts_with(&prefix));
            prop_assert_eq!(ia.starts_with(&b), a.starts_with(&b));
            let key = (ia.clone(), ib.clone());
            prop_assert!(Q2(&a, &b).equivalent(&key));
            prop_assert_eq!(Q2(&b, &a).compare(&key), (&b, &a).cmp(&(&a, &b)));
            let key = (name(&b), name(&a), ia.clone());
            prop_assert_eq!(Q3(&a, &b, &b).compare(&key), (&a, &b, &b).cmp(&(&b, &a, &a)));
            prop_assert_eq!(QCreate(1, &b).compare(&(1, ia.clone())), b.cmp(&a));
        }
    }
}
