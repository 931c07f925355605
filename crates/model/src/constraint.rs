//! Placement rules: `Constraint` (hard), `Affinity` (soft preference) and `Spread` (balance over an
//! attribute), with Nomad's operand names.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Constraint {
    #[serde(rename = "LTarget")]
    pub l_target: String,
    #[serde(rename = "RTarget")]
    pub r_target: String,
    /// One of [`operand`], or a comparison operator.
    pub operand: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Affinity {
    #[serde(rename = "LTarget")]
    pub l_target: String,
    #[serde(rename = "RTarget")]
    pub r_target: String,
    pub operand: String,
    /// In [-100, 100], never 0; negative means avoid. Absent on input means 50.
    #[serde(default = "fifty")]
    pub weight: i8,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Spread {
    pub attribute: String,
    /// In (0, 100]. Absent on input means 50.
    #[serde(default = "fifty")]
    pub weight: i8,
    #[serde(with = "crate::nullable")]
    pub spread_target: Vec<SpreadTarget>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SpreadTarget {
    pub value: String,
    pub percent: u8,
}

/// Nomad's API default weight of affinities and spreads.
fn fifty() -> i8 {
    50
}

/// Operands of constraints and affinities beyond the comparison operators
/// (`=`, `==`, `is`, `!=`, `not`, `<`, `<=`, `>`, `>=`).
pub mod operand {
    pub const DISTINCT_HOSTS: &str = "distinct_hosts";
    pub const DISTINCT_PROPERTY: &str = "distinct_property";
    pub const REGEX: &str = "regexp";
    pub const VERSION: &str = "version";
    pub const SEMVER: &str = "semver";
    pub const SET_CONTAINS: &str = "set_contains";
    pub const SET_CONTAINS_ALL: &str = "set_contains_all";
    pub const SET_CONTAINS_ANY: &str = "set_contains_any";
    pub const ATTRIBUTE_IS_SET: &str = "is_set";
    pub const ATTRIBUTE_IS_NOT_SET: &str = "is_not_set";
}
