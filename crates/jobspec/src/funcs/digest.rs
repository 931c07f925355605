//! Hashes (hex digests) and UUIDs.

use super::{FuncEnv, Result, fixed, string};
use crate::value::Value;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use uuid::{Builder, Uuid};

pub(super) fn call(name: &str, args: Vec<Value>) -> Result<Value> {
    if name == "uuidv5" {
        let [namespace, name] = fixed(args)?;
        return uuid_v5(&string(&namespace)?, &string(&name)?);
    }
    let [text] = fixed(args)?;
    let bytes = string(&text)?.into_bytes();
    let digest = match name {
        "md5" => Md5::digest(&bytes).to_vec(),
        "sha1" => Sha1::digest(&bytes).to_vec(),
        "sha256" => Sha256::digest(&bytes).to_vec(),
        _ => Sha512::digest(&bytes).to_vec(),
    };
    Ok(Value::String(
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

/// A random (version 4) UUID from the parse's seeded generator.
pub(super) fn uuid_v4(env: &FuncEnv) -> Result<Value> {
    let missing = || "uuidv4 needs randomness, and this parse was given no random seed".to_owned();
    let high = env.next_random().ok_or_else(missing)?;
    let low = env.next_random().ok_or_else(missing)?;
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    Ok(Value::String(
        Builder::from_random_bytes(bytes).into_uuid().to_string(),
    ))
}

/// A name-based (version 5) UUID; the namespace is "dns", "url", "oid", "x500" or a UUID.
fn uuid_v5(namespace: &str, name: &str) -> Result<Value> {
    let namespace = match namespace {
        "dns" => Uuid::NAMESPACE_DNS,
        "url" => Uuid::NAMESPACE_URL,
        "oid" => Uuid::NAMESPACE_OID,
        "x500" => Uuid::NAMESPACE_X500,
        other => Uuid::parse_str(other)
            .map_err(|e| format!("uuidv5() doesn't support namespace {other:?}: {e}"))?,
    };
    let mut hasher = Sha1::new();
    hasher.update(namespace.as_bytes());
    hasher.update(name.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Ok(Value::String(
        Builder::from_sha1_bytes(bytes).into_uuid().to_string(),
    ))
}
