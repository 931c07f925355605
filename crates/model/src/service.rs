//! `Service` registrations a group or task declares, and their health checks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Nanos, SECOND};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Service {
    pub name: String,
    pub task_name: String,
    pub port_label: String,
    pub address_mode: String,
    pub address: String,
    pub enable_tag_override: bool,
    #[serde(with = "crate::nullable")]
    pub tags: Vec<String>,
    #[serde(with = "crate::nullable")]
    pub canary_tags: Vec<String>,
    #[serde(with = "crate::nullable")]
    pub checks: Vec<ServiceCheck>,
    /// Consul Connect, kept as data.
    pub connect: Option<Value>,
    #[serde(with = "crate::nullable")]
    pub meta: BTreeMap<String, String>,
    #[serde(with = "crate::nullable")]
    pub canary_meta: BTreeMap<String, String>,
    /// Kept as data.
    pub weights: Option<Value>,
    #[serde(with = "crate::nullable")]
    pub tagged_addresses: BTreeMap<String, String>,
    pub namespace: String,
    pub on_update: String,
    /// `consul` or `nomad`.
    pub provider: String,
    pub cluster: String,
    /// Kept as data.
    pub identity: Option<Value>,
    pub kind: String,
    /// Input only: a `check_restart` for every check of the service, merged into each check's
    /// own by canonicalization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_restart: Option<CheckRestart>,
}

pub mod service_provider {
    pub const CONSUL: &str = "consul";
    pub const NOMAD: &str = "nomad";
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServiceCheck {
    pub name: String,
    /// `http`, `tcp`, `script`, `grpc`.
    #[serde(rename = "Type")]
    pub check_type: String,
    pub command: String,
    #[serde(with = "crate::nullable")]
    pub args: Vec<String>,
    pub path: String,
    pub protocol: String,
    pub port_label: String,
    pub expose: bool,
    pub address_mode: String,
    pub interval: Nanos,
    pub timeout: Nanos,
    pub initial_status: String,
    pub notes: String,
    #[serde(rename = "TLSServerName")]
    pub tls_server_name: String,
    #[serde(rename = "TLSSkipVerify")]
    pub tls_skip_verify: bool,
    pub method: String,
    #[serde(with = "crate::nullable")]
    pub header: BTreeMap<String, Vec<String>>,
    pub check_restart: Option<CheckRestart>,
    #[serde(rename = "GRPCService")]
    pub grpc_service: String,
    #[serde(rename = "GRPCUseTLS")]
    pub grpc_use_tls: bool,
    pub task_name: String,
    pub success_before_passing: i64,
    pub failures_before_critical: i64,
    pub failures_before_warning: i64,
    pub body: String,
    pub on_update: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CheckRestart {
    pub limit: i64,
    /// Absent on input means 1s.
    #[serde(default = "one_second")]
    pub grace: Nanos,
    pub ignore_warnings: bool,
}

fn one_second() -> Nanos {
    SECOND
}
