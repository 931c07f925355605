//! Networks a group or task asks for, and their ports.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkResource {
    /// `host` (also when empty), `bridge`, `none`, `cni/<name>`.
    pub mode: String,
    pub device: String,
    #[serde(rename = "CIDR")]
    pub cidr: String,
    #[serde(rename = "IP")]
    pub ip: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(rename = "MBits")]
    pub mbits: i64,
    #[serde(rename = "DNS")]
    pub dns: Option<Dns>,
    #[serde(with = "crate::nullable")]
    pub reserved_ports: Vec<Port>,
    #[serde(with = "crate::nullable")]
    pub dynamic_ports: Vec<Port>,
    /// Kept as data.
    #[serde(rename = "CNI")]
    pub cni: Option<Value>,
}

impl NetworkResource {
    /// Static ports first, then dynamic ones.
    pub fn ports(&self) -> impl Iterator<Item = &Port> {
        self.reserved_ports.iter().chain(&self.dynamic_ports)
    }
}

/// A port: static when listed in `ReservedPorts` (Value is the host port), dynamic otherwise
/// (Value is assigned at placement).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Port {
    pub label: String,
    pub value: i64,
    pub to: i64,
    pub host_network: String,
    pub ignore_collision: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Dns {
    #[serde(with = "crate::nullable")]
    pub servers: Vec<String>,
    #[serde(with = "crate::nullable")]
    pub searches: Vec<String>,
    #[serde(with = "crate::nullable")]
    pub options: Vec<String>,
}
