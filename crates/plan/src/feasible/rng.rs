//! The stack's only source of randomness: a seeded SplitMix64 generator. Randomness here spreads
//! load (node order, dynamic ports); it never decides correctness, so a small generator is enough,
//! and the same seed always replays the same choices.

/// SplitMix64 (Steele, Lea and Flood): one 64-bit state, an additive step and a mixing function.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must be positive. Multiply-shift keeps the bias below 2^-32 for the
    /// ranges used here.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Fisher-Yates, walking down from the end as Nomad's `ShuffleNodes` does.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// The shuffle seed Nomad derives for an evaluation: the last 8 bytes of the evaluation ID (the
/// random part of a UUID) read big-endian, XORed with the state index the scheduler plans against,
/// so a retried plan does not reuse the previous shuffle.
pub fn shuffle_seed(eval_id: &str, state_index: u64) -> u64 {
    let bytes = eval_id.as_bytes();
    let mut tail = [0u8; 8];
    let start = bytes.len().saturating_sub(8);
    tail[8 - (bytes.len() - start)..].copy_from_slice(&bytes[start..]);
    u64::from_be_bytes(tail) ^ state_index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_shuffle_is_a_permutation() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);

        let mut items: Vec<u32> = (0..100).collect();
        Rng::new(1).shuffle(&mut items);
        assert_ne!(items, (0..100).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::new(3);
        assert!((0..1000).all(|_| rng.below(13) < 13));
    }

    #[test]
    fn shuffle_seed_reads_the_id_tail() {
        let id = "9f3c2a10-5b7e-4c1d-8e2f-0a1b2c3d4e5f";
        assert_eq!(shuffle_seed(id, 0), u64::from_be_bytes(*b"2c3d4e5f"));
        assert_eq!(shuffle_seed(id, 5), u64::from_be_bytes(*b"2c3d4e5f") ^ 5);
        assert_eq!(
            shuffle_seed("ab", 0),
            u64::from_be_bytes(*b"\0\0\0\0\0\0ab")
        );
    }
}
