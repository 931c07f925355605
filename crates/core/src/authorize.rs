//! Who may call what: a request's token resolved against the latest snapshot at the engine
//! clock's time, and the checks the endpoints make with it. Disabled ACLs and management
//! tokens allow everything.

use drover_model::job::ALL_NAMESPACES;
use drover_state::NamespaceSelector;

use crate::acl::{AclError, Capability, Identity, JobsEndpoint, NamespaceSet};
use crate::api::RequestContext;
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};

impl Engine {
    /// Resolves the request's token: disabled ACLs, anonymous, or a stored token that has not
    /// expired.
    pub(crate) fn identity(&self, ctx: &RequestContext) -> Result<Identity, AclError> {
        let snapshot = self.snapshot();
        self.acl.resolve(
            ctx.token.as_deref(),
            self.now(),
            |secret| snapshot.acl_token_by_secret(secret),
            |name| snapshot.acl_policy(name),
        )
    }

    /// The identity as the RPC endpoints authenticate it: a token that does not resolve is
    /// "Permission denied"; a stored policy that no longer parses is a 500.
    pub(crate) fn authenticated(&self, ctx: &RequestContext) -> ApiResult<Identity> {
        self.identity(ctx).map_err(|error| match error {
            AclError::StoredPolicy { .. } => error.into(),
            _ => ApiError::permission_denied(),
        })
    }

    /// The check every Jobs endpoint makes: `endpoint`'s capabilities in `namespace`.
    pub(crate) fn authorize(
        &self,
        ctx: &RequestContext,
        endpoint: JobsEndpoint,
        namespace: &str,
    ) -> ApiResult<Identity> {
        let identity = self.authenticated(ctx)?;
        identity.acl.check(endpoint, namespace)?;
        Ok(identity)
    }

    /// What the namespace and ACL writes need: a management token (anything while ACLs are
    /// off).
    pub(crate) fn authorize_management(&self, ctx: &RequestContext) -> ApiResult<()> {
        if self.authenticated(ctx)?.acl.is_management() {
            Ok(())
        } else {
            Err(ApiError::permission_denied())
        }
    }

    /// For reads outside the Jobs endpoints (an evaluation, an allocation, a deployment):
    /// whether the request's token holds `capability` in `namespace`; 403 "Permission
    /// denied" if not.
    pub fn authorize_namespace(
        &self,
        ctx: &RequestContext,
        namespace: &str,
        capability: Capability,
    ) -> ApiResult<()> {
        let identity = self.authenticated(ctx)?;
        allowed(&identity, namespace, capability)
    }

    /// For listings of evaluations, allocations and deployments: the namespaces of the
    /// request (`*`: all) in which the token may read jobs. A single namespace without
    /// read-job is 403; `*` without read-job anywhere too.
    pub fn readable_namespaces(&self, ctx: &RequestContext) -> ApiResult<NamespaceSelector> {
        self.namespaces_allowing(ctx, Capability::ReadJob)
    }

    /// The request's namespaces (`*`: the existing ones) in which `capability` is granted, or
    /// 403 when it is granted in none.
    pub(crate) fn namespaces_allowing(
        &self,
        ctx: &RequestContext,
        capability: Capability,
    ) -> ApiResult<NamespaceSelector> {
        let identity = self.authenticated(ctx)?;
        let namespace = ctx.namespace();
        allowed(&identity, namespace, capability)?;
        if namespace != ALL_NAMESPACES {
            return Ok(NamespaceSelector::one(namespace));
        }
        let snapshot = self.snapshot();
        let existing = snapshot.namespaces().map(|n| n.name.as_str());
        Ok(
            match identity.acl.allowed_namespaces(capability, existing) {
                NamespaceSet::All => NamespaceSelector::All,
                NamespaceSet::Only(names) => NamespaceSelector::Only(names),
            },
        )
    }
}

/// 403 "Permission denied" unless `capability` is granted in `namespace` (for `*`: in some
/// namespace).
fn allowed(identity: &Identity, namespace: &str, capability: Capability) -> ApiResult<()> {
    if identity
        .acl
        .allow_namespace_operation(namespace, capability)
    {
        Ok(())
    } else {
        Err(ApiError::permission_denied())
    }
}
