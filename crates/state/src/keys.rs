//! Table keys: [`Id`]s and [`Name`]s, compact tuples of them, and borrowed forms to look them
//! up without allocating.
//!
//! An `Id` keys the tables of nodes, allocations, evaluations and deployments and their
//! indexes. Those IDs are UUIDs, held as their 16 bytes: two keys compare by two integer
//! comparisons instead of a `memcmp` through a pointer (of all 36 bytes for the equal key a
//! lookup ends on), and copying or dropping a key (a B-tree node's path copy, an index entry)
//! touches no reference count on a cold cache line. Any other string is held as a
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
pub(crate) struct Id(Repr<Name>);

/// A borrowed [`Id`]: a lookup's string, read once so that it compares with UUID keys as
/// integers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QId<'a>(Repr<&'a str>);

// `PartialEq` is derived: a string that is a canonical UUID is always held as `Uuid`, so the
// two forms never stand for the same string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repr<S> {
    /// The UUID's 128 bits, most significant half first. Hex digits sort as the values they
    /// stand for and every UUID has its dashes at the same places, so the halves' numeric
    /// order is the text's.
    Uuid([u64; 2]),
    Str(S),
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
/// Every ID key is built and every ID lookup starts here, so it reads eight digits at a time.
/// Public for the scheduler, which keys its per-evaluation maps by allocation ID the same way.
pub fn parse_uuid(s: &str) -> Option<[u64; 2]> {
    let bytes: &[u8; UUID_LEN] = s.as_bytes().try_into().ok()?;
    if [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
        return None;
    }
    let eight = |at: usize| u64::from_be_bytes(std::array::from_fn(|i| bytes[at + i]));
    let four = |at: usize| u64::from(u32::from_be_bytes(std::array::from_fn(|i| bytes[at + i])));
    let high = (hex8(eight(0))? << 32) | hex8((four(9) << 32) | four(14))?;
    let low = (hex8((four(19) << 32) | four(24))? << 32) | hex8(eight(28))?;
    Some([high, low])
}

/// The value of eight lowercase hex digits, given as their ASCII bytes in a big-endian word;
/// `None` if any byte is not one. Each step works on all eight bytes at once, and no byte's
/// arithmetic carries into the next.
fn hex8(text: u64) -> Option<u64> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // '0'..='9' are 0x30..=0x39 and 'a'..='f' 0x61..=0x66: the low nibble, plus 9 for a letter.
    let letters = (text >> 6) & ONES;
    let values = (text & (ONES * 0x0f)) + letters * 9;
    // Only a digit's own character decodes to a value it writes back as.
    let too_large = (values + ONES * 0x70) & (ONES * 0x80);
    let letters_again = ((values + ONES * 6) >> 4) & ONES;
    if too_large != 0 || values + ONES * u64::from(b'0') + letters_again * 39 != text {
        return None;
    }
    let pairs = (values | (values >> 4)) & 0x00ff_00ff_00ff_00ff;
    let quads = (pairs | (pairs >> 8)) & 0x0000_ffff_0000_ffff;
    Some((quads | (quads >> 16)) & 0xffff_ffff)
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

/// The text of a UUID: each half's hex digits are spread out eight at a time (see
/// [`hex8_text`]), with the dashes between.
fn uuid_text(halves: &[u64; 2]) -> [u8; UUID_LEN] {
    let [high, low] = *halves;
    let digits = [
        hex8_text(high >> 32),
        hex8_text(high),
        hex8_text(low >> 32),
        hex8_text(low),
    ];
    let mut text = [b'-'; UUID_LEN];
    text[..8].copy_from_slice(&digits[0]);
    text[9..13].copy_from_slice(&digits[1][..4]);
    text[14..18].copy_from_slice(&digits[1][4..]);
    text[19..23].copy_from_slice(&digits[2][..4]);
    text[24..28].copy_from_slice(&digits[2][4..]);
    text[28..].copy_from_slice(&digits[3]);
    text
}

/// The eight lowercase hex digits of the low 32 bits of `value`, most significant first: the
/// inverse of [`hex8`], each step on all eight digits at once.
fn hex8_text(value: u64) -> [u8; 8] {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let v = value & 0xffff_ffff;
    // One nibble a byte, in text order from the most significant byte.
    let halves = ((v & 0xffff_0000) << 16) | (v & 0xffff);
    let bytes = ((halves & 0x0000_ff00_0000_ff00) << 8) | (halves & 0x0000_00ff_0000_00ff);
    let nibbles = ((bytes & 0x00f0_00f0_00f0_00f0) << 4) | (bytes & 0x000f_000f_000f_000f);
    // A nibble of 10 or more is a letter: 'a' is 39 past where '0' + 10 would be.
    let letters = ((nibbles + ONES * 6) >> 4) & ONES;
    (nibbles + ONES * u64::from(b'0') + letters * 39).to_be_bytes()
}

/// How a UUID's text orders against `s`, reading only as far as they agree. Only where a table
/// mixes UUIDs with other IDs (tests do).
#[cold]
fn cmp_uuid_text(halves: &[u64; 2], s: &str) -> Ordering {
    for (i, &c) in s.as_bytes().iter().take(UUID_LEN).enumerate() {
        let own = uuid_byte(halves, i);
        if own != c {
            return own.cmp(&c);
        }
    }
    UUID_LEN.cmp(&s.len())
}

impl<S: AsRef<str>> Repr<S> {
    fn parse(s: &str, or: impl FnOnce() -> S) -> Self {
        match parse_uuid(s) {
            Some(halves) => Repr::Uuid(halves),
            None => Repr::Str(or()),
        }
    }

    /// The order of the strings the two stand for.
    #[inline]
    fn cmp<T: AsRef<str>>(&self, other: &Repr<T>) -> Ordering {
        match (self, other) {
            (Repr::Uuid(a), Repr::Uuid(b)) => a.cmp(b),
            (Repr::Str(a), Repr::Str(b)) => a.as_ref().cmp(b.as_ref()),
            (Repr::Uuid(a), Repr::Str(b)) => cmp_uuid_text(a, b.as_ref()),
            (Repr::Str(a), Repr::Uuid(b)) => cmp_uuid_text(b, a.as_ref()).reverse(),
        }
    }
}

impl Id {
    /// The key form of an ID; a string that is not a UUID is copied (see [`Id::of`]).
    pub(crate) fn new(s: &str) -> Id {
        Id(Repr::parse(s, || name(s)))
    }

    /// The key form of a row's ID; a string that is not a UUID is shared with the row.
    pub(crate) fn of(s: &SmolStr) -> Id {
        Id(Repr::parse(s, || s.clone()))
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

    /// The bits of a UUID ID, as [`parse_uuid`] reads them; `None` for any other string.
    pub(crate) fn uuid(&self) -> Option<[u64; 2]> {
        match &self.0 {
            Repr::Uuid(halves) => Some(*halves),
            Repr::Str(_) => None,
        }
    }

    /// Calls `f` with the string this ID stands for (a UUID's is written on the stack).
    pub(crate) fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match &self.0 {
            Repr::Str(s) => f(s),
            Repr::Uuid(halves) => {
                let text = uuid_text(halves);
                f(std::str::from_utf8(&text).expect("hex digits and dashes are ASCII"))
            }
        }
    }
}

impl<'a> QId<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        QId(Repr::parse(s, || s))
    }

    /// Whether `key` stands for this string.
    pub(crate) fn is(&self, key: &Id) -> bool {
        self.0.cmp(&key.0).is_eq()
    }
}

impl Ord for Id {
    #[inline]
    fn cmp(&self, other: &Id) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Id {
    #[inline]
    fn partial_cmp(&self, other: &Id) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for Id {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.with_str(|s| s.hash(state));
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

/// A borrowed key component that looks up a component of type `K` in `str` order: a `&str`
/// looks up a [`Name`], a [`QId`] an [`Id`].
pub(crate) trait Part<K> {
    /// How this query orders against `key`.
    fn cmp_part(&self, key: &K) -> Ordering;
}

impl<S: AsRef<str> + ?Sized> Part<Name> for &S {
    #[inline]
    fn cmp_part(&self, key: &Name) -> Ordering {
        self.as_ref().as_bytes().cmp(key.as_bytes())
    }
}

impl Part<Id> for &Id {
    #[inline]
    fn cmp_part(&self, key: &Id) -> Ordering {
        (*self).cmp(key)
    }
}

/// Before every value of a component: `Q2(a, Lowest)` is the first key under `a`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lowest;

impl<K> Part<K> for Lowest {
    fn cmp_part(&self, _: &K) -> Ordering {
        Ordering::Less
    }
}

impl Part<Id> for QId<'_> {
    #[inline]
    fn cmp_part(&self, key: &Id) -> Ordering {
        self.0.cmp(&key.0)
    }
}

/// A borrowed two-component key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Q2<A, B>(pub A, pub B);

/// A borrowed three-component key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Q3<A, B, C>(pub A, pub B, pub C);

/// A borrowed [`CreateKey`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct QCreate<'a>(pub u64, pub QId<'a>);

/// A bound of a job listing in the jobs map: a key, or the place just past every job of a
/// namespace whose ID starts with a prefix. With both ends bounded, an imbl range stops by
/// comparing leaf positions, so a listing compares no key after its two seeks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JobBound<'a> {
    At(&'a str, &'a str),
    PastPrefix(&'a str, &'a str),
}

impl Equivalent<Id> for QId<'_> {
    fn equivalent(&self, key: &Id) -> bool {
        self.is(key)
    }
}

impl Comparable<Id> for QId<'_> {
    #[inline]
    fn compare(&self, key: &Id) -> Ordering {
        self.cmp_part(key)
    }
}

impl<A: Part<KA>, B: Part<KB>, KA, KB> Equivalent<(KA, KB)> for Q2<A, B> {
    fn equivalent(&self, key: &(KA, KB)) -> bool {
        self.compare(key).is_eq()
    }
}

impl<A: Part<KA>, B: Part<KB>, KA, KB> Comparable<(KA, KB)> for Q2<A, B> {
    #[inline]
    fn compare(&self, key: &(KA, KB)) -> Ordering {
        (self.0.cmp_part(&key.0)).then_with(|| self.1.cmp_part(&key.1))
    }
}

impl<A: Part<KA>, B: Part<KB>, C: Part<KC>, KA, KB, KC> Equivalent<(KA, KB, KC)> for Q3<A, B, C> {
    fn equivalent(&self, key: &(KA, KB, KC)) -> bool {
        self.compare(key).is_eq()
    }
}

impl<A: Part<KA>, B: Part<KB>, C: Part<KC>, KA, KB, KC> Comparable<(KA, KB, KC)> for Q3<A, B, C> {
    #[inline]
    fn compare(&self, key: &(KA, KB, KC)) -> Ordering {
        (self.0.cmp_part(&key.0))
            .then_with(|| self.1.cmp_part(&key.1))
            .then_with(|| self.2.cmp_part(&key.2))
    }
}

impl Equivalent<CreateKey> for QCreate<'_> {
    fn equivalent(&self, key: &CreateKey) -> bool {
        self.compare(key).is_eq()
    }
}

impl Comparable<CreateKey> for QCreate<'_> {
    fn compare(&self, key: &CreateKey) -> Ordering {
        self.0.cmp(&key.0).then_with(|| self.1.cmp_part(&key.1))
    }
}

impl Equivalent<NsKey> for JobBound<'_> {
    fn equivalent(&self, key: &NsKey) -> bool {
        self.compare(key).is_eq()
    }
}

impl Comparable<NsKey> for JobBound<'_> {
    fn compare(&self, key: &NsKey) -> Ordering {
        match *self {
            JobBound::At(ns, job) => Q2(ns, job).compare(key),
            // Keys under the prefix are contiguous: the bound is past them, and placed as the
            // prefix itself against the others.
            JobBound::PastPrefix(ns, prefix) => ns.cmp_part(&key.0).then_with(|| {
                if key.1.starts_with(prefix) {
                    Ordering::Greater
                } else {
                    prefix.cmp_part(&key.1)
                }
            }),
        }
    }
}

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

    /// Every byte in every position of an eight-digit word: only lowercase hex digits decode,
    /// each to its own value.
    #[test]
    fn hex8_reads_exactly_the_lowercase_hex_digits() {
        for at in 0..8 {
            for byte in 0..=255u8 {
                let mut text = *b"0f0f0f0f";
                text[at] = byte;
                let expected = std::str::from_utf8(&text)
                    .ok()
                    .filter(|t| t.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
                    .and_then(|t| u64::from_str_radix(t, 16).ok());
                assert_eq!(hex8(u64::from_be_bytes(text)), expected, "{text:?}");
            }
        }
    }

    proptest! {
        /// Writing eight digits is the inverse of reading them.
        #[test]
        fn hex8_text_writes_what_hex8_reads(value in any::<u32>()) {
            let text = hex8_text(u64::from(value));
            prop_assert_eq!(std::str::from_utf8(&text).ok(), Some(&*format!("{value:08x}")));
            prop_assert_eq!(hex8(u64::from_be_bytes(text)), Some(u64::from(value)));
        }

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
            prop_assert_eq!(QId::new(&b).is(&ia), a == b);
            prop_assert_eq!(hash_of(&ia), hash_of(a.as_str()));
            prop_assert_eq!(QId::new(&a).compare(&ib), a.cmp(&b));
            prop_assert_eq!(QId::new(&a).equivalent(&ib), a == b);
            let prefix: String = b.chars().take(cut).collect();
            prop_assert_eq!(ia.starts_with(&prefix), a.starts_with(&prefix));
            prop_assert_eq!(ia.starts_with(&b), a.starts_with(&b));
            let key = (ia.clone(), ib.clone());
            prop_assert!(Q2(QId::new(&a), QId::new(&b)).equivalent(&key));
            let (qa, qb) = (QId::new(&a), QId::new(&b));
            prop_assert_eq!(Q2(qb, qa).compare(&key), (&b, &a).cmp(&(&a, &b)));
            let key = (name(&b), name(&a), ia.clone());
            prop_assert_eq!(Q3(&*a, &*b, qb).compare(&key), (&a, &b, &b).cmp(&(&b, &a, &a)));
            prop_assert_eq!(QCreate(1, qb).compare(&(1, ia.clone())), b.cmp(&a));
        }
    }
}
