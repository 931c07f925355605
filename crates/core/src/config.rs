//! `EngineConfig`: the server settings the engine honours. `Default` is Nomad's.

use drover_broker::{BlockedConfig, BrokerConfig};
use drover_model::ValidationConfig;
use drover_plan::scheduler::SchedulerConfig;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// This server's region: jobs submitted for `global` (or no region) land here.
    pub region: String,
    /// `job_max_priority` and `job_max_count`.
    pub validation: ValidationConfig,
    /// `job_max_source_size`: larger submissions are dropped with a warning.
    pub job_max_source_size: usize,
    pub broker: BrokerConfig,
    pub blocked: BlockedConfig,
    /// Bin packing or spread, and the scheduler's other knobs.
    pub scheduler: SchedulerConfig,
    /// Seeds every ID and every scheduler shuffle: one seed replays a run exactly.
    pub seed: u64,
    /// Enforce ACLs (Nomad's `acl.enabled`). Off, every request may do everything.
    pub acl_enabled: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            region: drover_model::job::DEFAULT_REGION.to_string(),
            validation: ValidationConfig::default(),
            job_max_source_size: 1_000_000,
            broker: BrokerConfig::default(),
            blocked: BlockedConfig::default(),
            scheduler: SchedulerConfig::default(),
            seed: 0,
            acl_enabled: false,
        }
    }
}
