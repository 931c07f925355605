//! A fast hasher for the maps the scheduler builds per evaluation and per node set, keyed by
//! allocation IDs (UUIDs the servers generate) and by node IDs, attributes and meta (what the
//! cluster's own nodes report). SipHash, the standard default, costs several times more per
//! ID, and its resistance to chosen keys matters only for keys a user writes: maps keyed by
//! job IDs keep it.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// An odd 64-bit constant with well-spread bits.
const MULTIPLIER: u64 = 0xf135_7aea_2e62_a9c5;

/// A `HashMap` with [`FoldHasher`].
pub(crate) type FoldHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FoldHasher>>;
/// A `HashSet` with [`FoldHasher`].
pub(crate) type FoldHashSet<K> = HashSet<K, BuildHasherDefault<FoldHasher>>;

/// Word-at-a-time hashing by folded multiplication (as foldhash does): each word is mixed in by
/// a full 64 x 64-bit product whose halves are xored, so a change in any bit of any word
/// reaches every bit of the hash. (A plain multiply only carries changes upwards: IDs that
/// differ in the last byte of a word would all land in one bucket.)
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FoldHasher(u64);

impl FoldHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        let product = u128::from(self.0 ^ word) * u128::from(MULTIPLIER);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for FoldHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut buf = [0; 8];
            buf.copy_from_slice(word);
            self.add(u64::from_le_bytes(buf));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut buf = [0; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn hash(s: &str) -> u64 {
        BuildHasherDefault::<FoldHasher>::default().hash_one(s)
    }

    #[test]
    fn strings_differing_anywhere_hash_apart() {
        let ids = [
            "",
            "a",
            "ab",
            "00000001-0000-4000-8000-000000000000",
            "00000002-0000-4000-8000-000000000000",
            "00000001-0000-4000-8000-000000000001",
            "00000001-0000-4000-8000-00000000000",
        ];
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                assert_ne!(hash(a), hash(b), "{a:?} and {b:?}");
            }
        }
    }
}
