//! Decoding request and stored JSON with errors that name the field, for example
//! `Job.TaskGroups[0].Count: invalid type: string "x", expected i64`.
//!
//! Nomad's clients send `null` for anything they leave unset (Go nil pointers, Python `None`), so
//! a `null` object member is read exactly as if the member were absent: its default applies.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Job;

/// Why a JSON document could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON at all: serde_json's message with line and column.
    #[error("{0}")]
    Syntax(String),
    /// JSON of the wrong shape: the path of the offending field and what was wrong with it.
    #[error("{path}: {message}")]
    Field { path: String, message: String },
}

/// Decodes a job, naming fields from `Job`.
pub fn decode_job(bytes: &[u8]) -> Result<Job, DecodeError> {
    decode(bytes, "Job")
}

/// Decodes any model type; `root` names the document in error paths (`Job`, `Node`, ...). A
/// request envelope whose members already name themselves (`{"Job": {...}}`) can pass `""`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], root: &str) -> Result<T, DecodeError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Syntax(e.to_string()))?;
    decode_value(value, root)
}

/// Like [`decode`], for a document already parsed (for example one member of a request body).
pub fn decode_value<T: DeserializeOwned>(mut value: Value, root: &str) -> Result<T, DecodeError> {
    drop_null_members(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = match path.as_str() {
            "." => root.to_string(),
            _ if root.is_empty() || path.starts_with('[') => format!("{root}{path}"),
            _ => format!("{root}.{path}"),
        };
        DecodeError::Field {
            path,
            message: e.into_inner().to_string(),
        }
    })
}

fn drop_null_members(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(drop_null_members);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_members),
        _ => {}
    }
}
