//! `JobSubmission`: the source a job version was registered from (HCL or JSON), kept so it can be
//! shown again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobSubmission {
    pub source: String,
    /// `hcl2` or `json`.
    pub format: String,
    /// The `-var` flags, by name.
    #[serde(with = "crate::nullable")]
    pub variable_flags: BTreeMap<String, String>,
    /// The content of a variables file.
    pub variables: String,
    pub namespace: SmolStr,
    #[serde(rename = "JobID")]
    pub job_id: SmolStr,
    pub version: u64,
    /// Older Nomad documentation calls it `JobIndex`.
    #[serde(alias = "JobIndex")]
    pub job_modify_index: u64,
}
