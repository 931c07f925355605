//! `Node`: a client machine that runs allocations, as `GET /v1/node/:id` shows it, and
//! `NodeListStub`, the row of the node list.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

use crate::{Nanos, NetworkResource};

pub mod node_status {
    pub const INITIALIZING: &str = "initializing";
    pub const READY: &str = "ready";
    pub const DOWN: &str = "down";
    pub const DISCONNECTED: &str = "disconnected";
}

pub mod node_eligibility {
    pub const ELIGIBLE: &str = "eligible";
    pub const INELIGIBLE: &str = "ineligible";
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Node {
    #[serde(rename = "ID")]
    pub id: SmolStr,
    pub datacenter: String,
    pub name: SmolStr,
    #[serde(rename = "HTTPAddr")]
    pub http_addr: String,
    #[serde(rename = "TLSEnabled")]
    pub tls_enabled: bool,
    /// Fingerprinted attributes (`kernel.name`, `driver.docker`, ...), the `${attr.*}` targets.
    #[serde(with = "crate::nullable")]
    pub attributes: BTreeMap<String, String>,
    pub node_resources: Option<NodeResources>,
    pub reserved_resources: Option<NodeReservedResources>,
    #[serde(with = "crate::nullable")]
    pub links: BTreeMap<String, String>,
    /// User metadata, the `${meta.*}` targets.
    #[serde(with = "crate::nullable")]
    pub meta: BTreeMap<String, String>,
    pub node_class: String,
    pub node_pool: String,
    /// A hash of the attributes that matter for scheduling, so feasibility can be cached per class.
    pub computed_class: String,
    pub drain_strategy: Option<DrainStrategy>,
    /// One of [`node_eligibility`].
    pub scheduling_eligibility: String,
    /// One of [`node_status`].
    pub status: String,
    pub status_description: String,
    /// Unix seconds.
    pub status_updated_at: i64,
    #[serde(with = "crate::nullable")]
    pub drivers: BTreeMap<String, DriverInfo>,
    #[serde(with = "crate::nullable")]
    pub host_volumes: BTreeMap<String, ClientHostVolumeConfig>,
    pub create_index: u64,
    pub modify_index: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeResources {
    pub cpu: NodeCpuResources,
    pub memory: NodeMemoryResources,
    pub disk: NodeDiskResources,
    #[serde(with = "crate::nullable")]
    pub networks: Vec<NetworkResource>,
    pub min_dynamic_port: i64,
    pub max_dynamic_port: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeCpuResources {
    /// Total MHz.
    pub cpu_shares: i64,
    pub total_cpu_cores: u32,
    #[serde(with = "crate::nullable")]
    pub reservable_cpu_cores: Vec<u16>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeMemoryResources {
    #[serde(rename = "MemoryMB")]
    pub memory_mb: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeDiskResources {
    #[serde(rename = "DiskMB")]
    pub disk_mb: i64,
}

/// What the node keeps back for itself; the scheduler subtracts it from `NodeResources`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeReservedResources {
    pub cpu: NodeReservedCpuResources,
    pub memory: NodeMemoryResources,
    pub disk: NodeDiskResources,
    pub networks: NodeReservedNetworkResources,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeReservedCpuResources {
    pub cpu_shares: i64,
    #[serde(with = "crate::nullable")]
    pub reserved_cpu_cores: Vec<u16>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeReservedNetworkResources {
    /// A port list such as `"22,80,8000-8010"`.
    pub reserved_host_ports: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DriverInfo {
    #[serde(with = "crate::nullable")]
    pub attributes: BTreeMap<String, String>,
    pub detected: bool,
    pub healthy: bool,
    pub health_description: String,
    /// RFC 3339.
    pub update_time: String,
}

/// Set while the node drains; Go embeds the drain spec, so its fields sit at this level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DrainStrategy {
    pub deadline: Nanos,
    pub ignore_system_jobs: bool,
    /// RFC 3339.
    pub force_deadline: String,
    /// RFC 3339.
    pub started_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClientHostVolumeConfig {
    pub name: String,
    pub path: String,
    pub read_only: bool,
    #[serde(rename = "ID")]
    pub id: String,
}

/// One row of `GET /v1/nodes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeListStub {
    pub address: String,
    #[serde(rename = "ID")]
    pub id: SmolStr,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    pub datacenter: String,
    pub name: SmolStr,
    pub node_pool: String,
    pub node_class: String,
    pub version: String,
    pub drain: bool,
    pub scheduling_eligibility: String,
    pub status: String,
    pub status_description: String,
    #[serde(with = "crate::nullable")]
    pub drivers: BTreeMap<String, DriverInfo>,
    #[serde(with = "crate::nullable")]
    pub host_volumes: BTreeMap<String, ClientHostVolumeConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_resources: Option<NodeResources>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_resources: Option<NodeReservedResources>,
    pub create_index: u64,
    pub modify_index: u64,
}

impl Node {
    /// Ready and eligible: the scheduler may place work here.
    pub fn is_schedulable(&self) -> bool {
        self.status == node_status::READY
            && self.scheduling_eligibility == node_eligibility::ELIGIBLE
            && self.drain_strategy.is_none()
    }

    /// The row of the node list. Its operating system (the one attribute Nomad lists, as
    /// `?os=true`) and its resources are only listed on request.
    pub fn stub(&self, with_os: bool, with_resources: bool) -> NodeListStub {
        NodeListStub {
            // Nomad lists the host part of the HTTP address.
            address: self
                .http_addr
                .rsplit_once(':')
                .map_or(self.http_addr.as_str(), |(host, _)| host)
                .to_string(),
            id: self.id.clone(),
            attributes: if with_os {
                let os = self.attributes.get("os.name").cloned().unwrap_or_default();
                BTreeMap::from([("os.name".to_owned(), os)])
            } else {
                BTreeMap::new()
            },
            datacenter: self.datacenter.clone(),
            name: self.name.clone(),
            node_pool: self.node_pool.clone(),
            node_class: self.node_class.clone(),
            version: self
                .attributes
                .get("nomad.version")
                .cloned()
                .unwrap_or_default(),
            drain: self.drain_strategy.is_some(),
            scheduling_eligibility: self.scheduling_eligibility.clone(),
            status: self.status.clone(),
            status_description: self.status_description.clone(),
            drivers: self.drivers.clone(),
            host_volumes: self.host_volumes.clone(),
            node_resources: self.node_resources.clone().filter(|_| with_resources),
            reserved_resources: self.reserved_resources.clone().filter(|_| with_resources),
            create_index: self.create_index,
            modify_index: self.modify_index,
        }
    }
}
