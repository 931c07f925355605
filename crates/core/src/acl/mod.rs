//! ACLs as Nomad models them: policies in Nomad's rule syntax ([`Policy::parse`]), compiled
//! per token into an [`Acl`] ([`AclResolver::resolve`]), the capabilities each Jobs endpoint
//! needs ([`JobsEndpoint`], [`Acl::check`]) and the bootstrap of the first management token.
//!
//! Everything here is pure: tokens and policies come in through lookup functions, time as an
//! argument. It must not know where tokens are stored or how requests arrive.

mod bootstrap;
mod capability;
mod compiled;
mod document;
mod endpoint;
mod policy;
mod token;

pub use bootstrap::{bootstrap_token, check_bootstrap};
pub use capability::{Capability, HostVolumeCapability};
pub use compiled::{Acl, NamespaceSet};
pub use endpoint::JobsEndpoint;
pub use policy::{NamedRule, NamespaceRule, Policy, Rule, VariablesPathRule, validate_policy};
pub use token::{ANONYMOUS, AclResolver, Identity, is_expired};

use drover_model::gotext::quote;

use crate::error::ApiError;

/// What can go wrong with policies, tokens and checks. The texts are Nomad's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AclError {
    /// Rules that do not parse or validate, or a policy write that fails its checks.
    #[error("{0}")]
    InvalidPolicy(String),
    /// A secret that is not a UUID.
    #[error("ACL token is invalid")]
    TokenInvalid,
    #[error("ACL token not found")]
    TokenNotFound,
    #[error("ACL token expired")]
    TokenExpired,
    #[error("Permission denied")]
    PermissionDenied,
    /// A stored policy that no longer parses, found while compiling a token's ACL.
    #[error("failed to parse {}: {message}", quote(.name))]
    StoredPolicy { name: String, message: String },
    #[error("ACL support disabled")]
    AclsDisabled,
    #[error("ACL bootstrap already done (reset index: {reset_index})")]
    BootstrapDone { reset_index: u64 },
    #[error("Invalid bootstrap reset index (specified {specified}, reset index: {reset_index})")]
    BootstrapResetIndex { specified: u64, reset_index: u64 },
    /// A bootstrap request whose own secret is not a UUID.
    #[error("invalid acl token")]
    InvalidBootstrapSecret,
}

impl AclError {
    /// The HTTP status Nomad answers with: 403 for texts ending in "Permission denied" or "ACL
    /// token not found", 400 for what its endpoints code as bad requests, 500 for the rest.
    pub fn status(&self) -> u16 {
        match self {
            AclError::PermissionDenied | AclError::TokenNotFound => 403,
            AclError::InvalidPolicy(_)
            | AclError::AclsDisabled
            | AclError::BootstrapDone { .. }
            | AclError::BootstrapResetIndex { .. }
            | AclError::InvalidBootstrapSecret => 400,
            AclError::TokenInvalid | AclError::TokenExpired | AclError::StoredPolicy { .. } => 500,
        }
    }

    /// How the agent answers a token that does not resolve where it checks ACLs itself
    /// (`/v1/jobs/parse`): authentication has turned an unknown token into "Permission
    /// denied", and the agent prefixes the cause. So an unknown token is a 403, while an
    /// expired or malformed one is a 500.
    pub fn agent_resolve_error(self) -> ApiError {
        let cause = match self {
            AclError::TokenNotFound => AclError::PermissionDenied,
            // Authentication succeeded; compiling the token's policies failed.
            AclError::StoredPolicy { .. } => {
                return ApiError::internal(format!("failed to resolve ACL token: {self}"));
            }
            other => other,
        };
        ApiError::new(
            cause.status(),
            format!("ACL token not found or invalid workload identity: {cause}"),
        )
    }
}

impl From<AclError> for ApiError {
    fn from(error: AclError) -> Self {
        ApiError::new(error.status(), error.to_string())
    }
}
