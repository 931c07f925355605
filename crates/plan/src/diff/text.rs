//! The strings of a diff: field and object names and string values. A large diff holds tens of
//! thousands of them, nearly all short (`Env[PORT]`, `value-3`, `KillTimeout`), so a `Text`
//! keeps short strings inline and allocates only for long ones (allocating a `String` per name
//! and value cost more than the rest of the diff together), and refers to Nomad's fixed field
//! names without copying them. A `Text` is 16 bytes, so a `FieldDiff` fills one cache line:
//! writing a large diff and dropping it again are bound by its size.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes kept inline: with the length, whose spare values tell the other kinds apart, a `Text`
/// is two words.
const INLINE: usize = 15;

/// The length of an inline text. Its byte's other values tag the other kinds of `Repr`, so a
/// `Text` spends no byte on a tag of its own: 15 bytes inline, and one byte fewer to write and
/// copy apart from the text's words (B7b, the every-field diff, measured 2-11% faster in 24
/// alternated runs than with a `u8` length and a tag).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Len {
    L0,
    L1,
    L2,
    L3,
    L4,
    L5,
    L6,
    L7,
    L8,
    L9,
    L10,
    L11,
    L12,
    L13,
    L14,
    L15,
}

const LENS: [Len; INLINE + 1] = {
    use Len::*;
    [
        L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15,
    ]
};

/// An immutable string that reads as a `&str` (it derefs to one); compares, orders, hashes and
/// serializes as its text.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Inline(Len, [u8; INLINE]),
    #[expect(
        clippy::box_collection,
        reason = "a thin pointer keeps the enum at two words; long texts are rare"
    )]
    Heap(Box<String>),
    /// One of Nomad's fixed field names, not copied at all: a thin pointer to the static `&str`.
    Static(&'static &'static str),
}

impl Text {
    /// One of Nomad's fixed names: inline when short, as nearly all are.
    #[inline]
    pub fn from_static(s: &'static str) -> Self {
        Self::copy(s)
    }

    /// One of Nomad's fixed field names (`&"KillTimeout"`), referenced rather than copied.
    #[inline]
    pub(crate) fn name(s: &'static &'static str) -> Self {
        Text(Repr::Static(s))
    }

    /// A copy of `s` (the common case, kept apart from `concat` for speed and inlined into
    /// the printing of values; long texts take the call).
    #[inline(always)]
    pub fn copy(s: &str) -> Self {
        if s.len() > INLINE {
            return Self::heap(s.to_owned());
        }
        Self::inline(s.as_bytes())
    }

    /// At most INLINE bytes of UTF-8 (a whole `&str`, or ASCII digits), zero-padded.
    #[inline(always)]
    fn inline(s: &[u8]) -> Self {
        Self::from_word(s.len(), word(s))
    }

    /// The text of `len` bytes held in the low bytes of `word` (the rest zero). The bytes are
    /// put together in registers rather than copied piece by piece into a buffer on the stack:
    /// reading such a buffer back as whole words right after its overlapping stores stalls the
    /// load (store-to-load forwarding fails), which cost more than building the text.
    #[inline(always)]
    fn from_word(len: usize, word: u128) -> Self {
        let mut bytes = [0; INLINE];
        bytes.copy_from_slice(&word.to_le_bytes()[..INLINE]);
        Text(Repr::Inline(LENS[len], bytes))
    }

    #[cold]
    fn heap(s: String) -> Self {
        Text(Repr::Heap(Box::new(s)))
    }

    /// The concatenation of `parts`.
    pub fn concat(parts: &[&str]) -> Self {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > INLINE {
            return Self::heap(parts.concat());
        }
        let (mut all, mut at) = (0, 0);
        for part in parts {
            all |= word(part.as_bytes()) << (8 * at);
            at += part.len();
        }
        Self::from_word(len, all)
    }

    /// A map entry's path, `name[key]`.
    #[inline(always)]
    pub(crate) fn entry(name: &str, key: &str) -> Self {
        let len = name.len() + key.len() + 2;
        if len > INLINE {
            return Self::concat(&[name, "[", key, "]"]);
        }
        let all = word(name.as_bytes())
            | u128::from(b'[') << (8 * name.len())
            | word(key.as_bytes()) << (8 * (name.len() + 1))
            | u128::from(b']') << (8 * (len - 1));
        Self::from_word(len, all)
    }

    pub(crate) fn uint(u: u64) -> Self {
        Self::number(false, u)
    }

    pub(crate) fn int(i: i64) -> Self {
        Self::number(i < 0, i.unsigned_abs())
    }

    /// A list element's path, `name[i]`; most lists are shorter than ten.
    pub(crate) fn indexed(name: &str, i: usize) -> Self {
        match "0123456789".get(i..=i) {
            Some(digit) => Self::entry(name, digit),
            None => Self::entry(name, &Self::uint(i as u64)),
        }
    }

    /// The decimal digits of `n`, after a minus sign if `negative` (Go's `%v` of an integer),
    /// written straight into the inline bytes: much cheaper than going through `fmt` for the
    /// tens of thousands of numbers of a large diff.
    fn number(negative: bool, n: u64) -> Self {
        let start = usize::from(negative);
        let len = start + n.checked_ilog10().unwrap_or(0) as usize + 1;
        if len > INLINE {
            let sign = if negative { "-" } else { "" };
            return Self::heap(format!("{sign}{n}"));
        }
        let sign = if negative { u128::from(b'-') } else { 0 };
        let (mut all, mut n, mut at) = (sign, n, len);
        // Two digits a division, from the right.
        while at >= start + 2 {
            let pair = usize::from((n % 100) as u8) * 2;
            let digits = u16::from_le_bytes([DIGIT_PAIRS[pair], DIGIT_PAIRS[pair + 1]]);
            all |= u128::from(digits) << (8 * (at - 2));
            n /= 100;
            at -= 2;
        }
        if at > start {
            all |= u128::from(b'0' + n as u8) << (8 * start);
        }
        Self::from_word(len, all)
    }

    /// The length in bytes (no need to go through `&str`).
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only whole `&str`s are copied in, so the bytes are UTF-8.
            Repr::Inline(len, bytes) => {
                std::str::from_utf8(&bytes[..*len as usize]).unwrap_or_default()
            }
            Repr::Heap(s) => s,
            Repr::Static(s) => s,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(len, bytes) => &bytes[..*len as usize],
            Repr::Heap(s) => s.as_bytes(),
            Repr::Static(s) => s.as_bytes(),
        }
    }
}

/// "00" to "99", for printing numbers two digits at a time.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The bytes of `s` (at most 16) as a little-endian number, zero above them: read with at most
/// two overlapping loads, whose common bytes are equal, so that or-ing them is exact. No call to
/// `memcpy`, which costs more than the copy itself for the few bytes of a name or a value.
#[inline(always)]
fn word(s: &[u8]) -> u128 {
    let len = s.len();
    debug_assert!(len <= 16, "{len} bytes do not fit a word");
    let long = |at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let half = |at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
    match len {
        17.. => 0,
        8.. => u128::from(long(0)) | u128::from(long(len - 8)) << (8 * (len - 8)),
        4.. => u128::from(half(0)) | u128::from(half(len - 4)) << (8 * (len - 4)),
        // The first, middle and last bytes are all of them.
        1.. => {
            u128::from(s[0])
                | u128::from(s[len / 2]) << (8 * (len / 2))
                | u128::from(s[len - 1]) << (8 * (len - 1))
        }
        0 => 0,
    }
}

impl Default for Text {
    fn default() -> Self {
        Self::from_static("")
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Self::from_static(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        if s.len() <= INLINE {
            Self::copy(&s)
        } else {
            Self::heap(s)
        }
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// Every copying constructor keeps a text of at most INLINE bytes inline, zero-padded, and only
/// longer ones on the heap, so two copied texts are equal exactly when their representations
/// are: short texts compare as two fixed-size arrays, without a call to `memcmp`. A fixed name
/// compares by its bytes.
impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Inline(a_len, a), Repr::Inline(b_len, b)) => a_len == b_len && a == b,
            (Repr::Heap(a), Repr::Heap(b)) => a == b,
            (Repr::Static(_), _) | (_, Repr::Static(_)) => self.as_bytes() == other.as_bytes(),
            _ => false,
        }
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The order of the text (bytes order as `str`s do).
impl Ord for Text {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Text::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_long_and_static_texts_read_compare_and_serialize_as_their_strings() {
        let long = "x".repeat(INLINE + 1);
        let cases = [
            (Text::from_static("KillTimeout"), "KillTimeout"),
            (Text::name(&"KillTimeout"), "KillTimeout"),
            (
                Text::name(&"DispatchIdempotencyToken"),
                "DispatchIdempotencyToken",
            ),
            (Text::copy(""), ""),
            (Text::concat(&["Env", "[", "PORT", "]"]), "Env[PORT]"),
            (
                Text::concat(&["Meta[", &long, "]"]),
                &*format!("Meta[{long}]"),
            ),
            (Text::uint(5_000_000_000), "5000000000"),
            (Text::uint(0), "0"),
            (Text::uint(u64::MAX), "18446744073709551615"),
            (Text::int(-3), "-3"),
            (Text::int(i64::MIN), "-9223372036854775808"),
            (Text::indexed("args", 10), "args[10]"),
            (Text::indexed("args", 9), "args[9]"),
            (Text::entry("Env", "PORT"), "Env[PORT]"),
            (Text::entry("Meta", &long), &*format!("Meta[{long}]")),
            (
                Text::entry("GetterOptions", "checksum"),
                "GetterOptions[checksum]",
            ),
            (
                Text::entry("GetterOptions", "checksu"),
                "GetterOptions[checksu]",
            ),
            (Text::from(long.clone()), &*long),
            (Text::copy("ünïcödé"), "ünïcödé"),
        ];
        for (text, expected) in cases {
            assert_eq!(text.as_str(), expected);
            assert_eq!(text, Text::from(expected.to_owned()));
            assert_eq!(
                serde_json::to_string(&text).unwrap(),
                serde_json::to_string(expected).unwrap()
            );
        }
        assert!(Text::copy("a") < Text::from_static("b"));
        assert_eq!(std::mem::size_of::<Text>(), 16);
        // Odd and even digit counts, inline and long.
        for n in [
            1,
            9,
            10,
            99,
            100,
            101,
            12_345,
            99_999_999_999_999,
            10_u64.pow(14),
        ] {
            assert_eq!(Text::uint(n).as_str(), n.to_string());
            let negative = -i64::try_from(n).unwrap();
            assert_eq!(Text::int(negative).as_str(), negative.to_string());
        }
        assert!(Text::from("x".repeat(30)) > Text::copy("x"));
        // Every inline length, alone and as a map entry's name or key.
        let digits = "0123456789abcdef";
        for len in 0..=INLINE {
            let s = &digits[..len];
            assert_eq!(Text::copy(s).as_str(), s);
            if len + 3 <= INLINE {
                assert_eq!(Text::entry(s, "k").as_str(), format!("{s}[k]"));
                assert_eq!(Text::entry("M", s).as_str(), format!("M[{s}]"));
            }
        }
    }
}
