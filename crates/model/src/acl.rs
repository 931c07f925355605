//! ACL policies and tokens as stored data. Parsing and enforcing policies is not the model's job.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclPolicy {
    pub name: String,
    pub description: String,
    /// The policy text (HCL or JSON), as submitted.
    pub rules: String,
    pub create_index: u64,
    pub modify_index: u64,
}

pub mod token_type {
    pub const CLIENT: &str = "client";
    pub const MANAGEMENT: &str = "management";
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclToken {
    #[serde(rename = "AccessorID")]
    pub accessor_id: String,
    #[serde(rename = "SecretID")]
    pub secret_id: String,
    pub name: String,
    /// One of [`token_type`].
    #[serde(rename = "Type")]
    pub token_type: String,
    #[serde(with = "crate::nullable")]
    pub policies: Vec<String>,
    pub global: bool,
    /// RFC 3339.
    pub create_time: String,
    /// RFC 3339; `None` for tokens that never expire.
    pub expiration_time: Option<String>,
    pub create_index: u64,
    pub modify_index: u64,
}
