//! Job JSON: decode (a bare job or a register body `{"Job": ...}`), canonicalize and validate;
//! a valid job encodes to JSON that decodes to the same job, and canonicalizing it again
//! changes nothing.

use drover_model::{Job, decode_value};
use serde_json::Value;

/// How far an input got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    NotJson,
    NotAJob,
    Invalid,
    Valid,
}

/// Panics when a decoded, canonical, valid job does not survive the JSON round trip, or when
/// canonicalization is not idempotent. Any other input is fine, refused or not.
pub fn check(data: &[u8]) -> Outcome {
    let Ok(mut value) = serde_json::from_slice::<Value>(data) else {
        return Outcome::NotJson;
    };
    if let Some(job) = value.get_mut("Job") {
        value = job.take();
    }
    let Ok(mut job) = decode_value::<Job>(value, "Job") else {
        return Outcome::NotAJob;
    };
    job.canonicalize();
    if job.validate().is_err() {
        return Outcome::Invalid;
    }
    let encoded = serde_json::to_vec(&job).expect("a job encodes");
    let value: Value = serde_json::from_slice(&encoded).expect("encoded JSON parses");
    let decoded: Job = decode_value(value, "Job").unwrap_or_else(|e| {
        panic!(
            "a valid job does not decode from its own JSON: {e}\n{}",
            String::from_utf8_lossy(&encoded)
        )
    });
    assert!(
        decoded == job,
        "a valid job changed in the JSON round trip:\n{}",
        String::from_utf8_lossy(&encoded)
    );
    let mut again = decoded;
    again.canonicalize();
    assert!(again == job, "canonicalizing a canonical job changed it");
    Outcome::Valid
}
