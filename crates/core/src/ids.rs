//! `IdSource`: evaluation, allocation and deployment IDs, and scheduler seeds, drawn from a
//! small seeded generator, so that one seed replays a whole run exactly. IDs have the UUID
//! shape Nomad's `uuid.Generate` gives (random hex, `8-4-4-4-12`).

/// SplitMix64: tiny, fast and good enough for identifiers and shuffles (not for secrets).
#[derive(Debug, Clone)]
pub struct IdSource {
    state: u64,
}

impl IdSource {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A new ID such as `5f0c6a1e-93b2-4d1a-8e7f-0a1b2c3d4e5f`.
    pub fn next_id(&mut self) -> String {
        let high = u128::from(self.next_u64()) << 64;
        uuid_text(high | u128::from(self.next_u64()))
    }
}

/// `bits` as 32 lowercase hex digits in the UUID groups `8-4-4-4-12`. The scheduler makes an
/// ID per placement, so this writes the digits directly rather than through `format!`.
fn uuid_text(bits: u128) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            text.push('-');
        }
        let nibble = (bits >> (124 - 4 * i)) & 0xf;
        text.push(char::from(DIGITS[nibble as usize]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_uuid_shape_and_replay_from_the_seed() {
        let mut a = IdSource::new(7);
        let mut b = IdSource::new(7);
        let id = a.next_id();
        assert_eq!(id, b.next_id());
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_ne!(a.next_id(), id);
    }

    #[test]
    fn uuid_text_writes_every_digit_in_order() {
        assert_eq!(
            uuid_text(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210),
            "01234567-89ab-cdef-fedc-ba9876543210"
        );
        assert_eq!(uuid_text(0), "00000000-0000-0000-0000-000000000000");
    }
}
