//! `Namespace`: the tenancy boundary jobs live in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Namespace {
    pub name: String,
    pub description: String,
    pub quota: String,
    /// Allowed and denied task drivers and network modes, kept as data.
    pub capabilities: Option<Value>,
    /// Kept as data.
    pub node_pool_configuration: Option<Value>,
    /// Kept as data.
    pub vault_configuration: Option<Value>,
    /// Kept as data.
    pub consul_configuration: Option<Value>,
    #[serde(with = "crate::nullable")]
    pub meta: BTreeMap<String, String>,
    pub create_index: u64,
    pub modify_index: u64,
}
