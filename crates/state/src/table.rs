//! The per-table index of the last write (Nomad's `index` table), with Nomad's table names.

use serde::{Deserialize, Serialize};

/// A table whose last write index is tracked; blocking queries wait on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Table {
    Jobs,
    JobSummary,
    JobVersion,
    Evals,
    Allocs,
    Deployment,
    Nodes,
    PeriodicLaunch,
    ScalingEvent,
    ServiceRegistrations,
    Namespaces,
    AclPolicy,
    AclToken,
    /// Written only by an ACL bootstrap: its index is the bootstrap's reset index.
    AclTokenBootstrap,
}

impl Table {
    pub const ALL: [Table; 14] = [
        Table::Jobs,
        Table::JobSummary,
        Table::JobVersion,
        Table::Evals,
        Table::Allocs,
        Table::Deployment,
        Table::Nodes,
        Table::PeriodicLaunch,
        Table::ScalingEvent,
        Table::ServiceRegistrations,
        Table::Namespaces,
        Table::AclPolicy,
        Table::AclToken,
        Table::AclTokenBootstrap,
    ];

    /// Nomad's name of the table, as its `index` table keys it.
    pub fn name(self) -> &'static str {
        match self {
            Table::Jobs => "jobs",
            Table::JobSummary => "job_summary",
            Table::JobVersion => "job_version",
            Table::Evals => "evals",
            Table::Allocs => "allocs",
            Table::Deployment => "deployment",
            Table::Nodes => "nodes",
            Table::PeriodicLaunch => "periodic_launch",
            Table::ScalingEvent => "scaling_event",
            Table::ServiceRegistrations => "service_registrations",
            Table::Namespaces => "namespaces",
            Table::AclPolicy => "acl_policy",
            Table::AclToken => "acl_token",
            Table::AclTokenBootstrap => "acl_token_bootstrap",
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// The last write index of every table; 0 for a table never written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TableIndexes([u64; Table::ALL.len()]);

impl TableIndexes {
    pub fn get(&self, table: Table) -> u64 {
        self.0[table as usize]
    }

    pub fn set(&mut self, table: Table, index: u64) {
        self.0[table as usize] = index;
    }

    /// Nomad's `LatestIndex`: the greatest index over all tables.
    pub fn latest(&self) -> u64 {
        self.0.iter().copied().max().unwrap_or(0)
    }

    pub fn max_of(&self, tables: &[Table]) -> u64 {
        tables.iter().map(|t| self.get(*t)).max().unwrap_or(0)
    }
}
