//! The ACL endpoints (Nomad's `ACL` RPC endpoints and `/v1/acl/*` handlers): the one-time
//! bootstrap, policies and tokens. All of them answer 400 "ACL support disabled" while ACLs
//! are off, and all but the bootstrap and `token/self` need a management token to write or
//! list.

use std::sync::Arc;

use drover_model::acl::token_type;
use drover_model::gotext::{duration, multierror, quote};
use drover_model::time::{format_rfc3339, parse_rfc3339};
use drover_model::{AclPolicy, AclToken};
use drover_state::{
    AclPolicies, AclPolicyDeletes, AclTokenDeletes, AclTokens, Command, PageRequest, Snapshot,
    Table, compare_create_token, page,
};
use serde_json::Value;

use crate::acl::{
    ANONYMOUS, AclError, Identity, bootstrap_token, check_bootstrap, validate_policy,
};
use crate::api::{
    AclBootstrapRequest, AclPolicyListStub, AclTokenListStub, AclTokenRequest, Read, RequestContext,
};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};
use crate::jobs::read;
use crate::list_filter::ListFilter;

/// Nomad's defaults for `acl.token_min_expiration_ttl` and `token_max_expiration_ttl`.
const MIN_TTL: i64 = 60 * 1_000_000_000;
const MAX_TTL: i64 = 24 * 3_600 * 1_000_000_000;
/// Nomad's limit on a token name.
const MAX_TOKEN_NAME: usize = 256;

impl Engine {
    /// `PUT/POST /v1/acl/bootstrap`: creates the first management token, once. `reset_index`
    /// is what the operator wrote to `<data-dir>/acl-bootstrap-reset` (0 when nothing): the
    /// index of the previous bootstrap allows one more. Answers the stored token and the index.
    pub fn bootstrap_acl(
        &self,
        request: &AclBootstrapRequest,
        reset_index: u64,
    ) -> ApiResult<(Arc<AclToken>, u64)> {
        self.with_writer(|writer| {
            let bootstrapped = writer.snapshot().table_index(Table::AclTokenBootstrap);
            check_bootstrap(
                self.acl.acls_enabled(),
                (bootstrapped > 0).then_some(bootstrapped),
                reset_index,
            )?;
            let token = bootstrap_token(
                self.new_id(),
                self.new_id(),
                Some(&request.bootstrap_secret),
                self.now(),
            )?;
            let accessor_id = token.accessor_id.clone();
            let command = Command::BootstrapAclToken(AclTokens {
                tokens: vec![token],
            });
            let index = writer.commit(&command, None)?;
            stored_token(&writer.snapshot(), &accessor_id, index)
        })
    }

    /// `PUT/POST /v1/acl/policy/:name`: creates or replaces a policy. Answers the index.
    pub fn upsert_acl_policy(
        &self,
        ctx: &RequestContext,
        path_name: &str,
        policy: AclPolicy,
    ) -> ApiResult<u64> {
        if policy.name != path_name {
            return Err(ApiError::bad_request(
                "ACL policy name does not match request path",
            ));
        }
        self.acl_management(ctx)?;
        validate_policy(&policy)
            .map_err(|e| ApiError::bad_request(format!("policy 0 invalid: {e}")))?;
        let policy = AclPolicy {
            create_index: 0,
            modify_index: 0,
            ..policy
        };
        let command = Command::UpsertAclPolicies(AclPolicies {
            policies: vec![policy],
        });
        Ok(self.commit(&command)?)
    }

    /// `DELETE /v1/acl/policy/:name`; deleting a policy that does not exist succeeds.
    pub fn delete_acl_policy(&self, ctx: &RequestContext, name: &str) -> ApiResult<u64> {
        self.acl_management(ctx)?;
        let command = Command::DeleteAclPolicies(AclPolicyDeletes {
            names: vec![name.to_string()],
        });
        Ok(self.commit(&command)?)
    }

    /// `GET /v1/acl/policy/:name`: management tokens read any policy, other tokens only their
    /// own and `anonymous`. 404 "ACL policy not found". Index: the policy's ModifyIndex, else
    /// the table's.
    pub fn read_acl_policy(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> ApiResult<Read<Arc<AclPolicy>>> {
        let identity = self.acl_identity(ctx)?;
        let snapshot = self.snapshot();
        if name != ANONYMOUS && !may_see_policy(&identity, &snapshot, ctx, name) {
            return Err(ApiError::permission_denied());
        }
        stored(
            snapshot.acl_policy(name),
            |p| p.modify_index,
            "ACL policy not found",
            snapshot.table_index(Table::AclPolicy),
        )
    }

    /// `GET /v1/acl/policies?prefix=`: every policy for a management token, a client token's
    /// own otherwise. Index: the table's (at least 1).
    pub fn list_acl_policies(
        &self,
        ctx: &RequestContext,
        prefix: &str,
    ) -> ApiResult<Read<Vec<AclPolicyListStub>>> {
        let identity = self.acl_identity(ctx)?;
        let snapshot = self.snapshot();
        let stubs = snapshot
            .acl_policies()
            .filter(|p| p.name.starts_with(prefix))
            .filter(|p| may_see_policy(&identity, &snapshot, ctx, &p.name))
            .map(|p| AclPolicyListStub {
                name: p.name.clone(),
                description: p.description.clone(),
                create_index: p.create_index,
                modify_index: p.modify_index,
            })
            .collect();
        Ok(read(snapshot.table_index(Table::AclPolicy).max(1), stubs))
    }

    /// `PUT/POST /v1/acl/token` (create: `path_accessor` is `None`) and
    /// `/v1/acl/token/:accessor` (update). Answers the stored token and the index.
    pub fn upsert_acl_token(
        &self,
        ctx: &RequestContext,
        path_accessor: Option<&str>,
        request: AclTokenRequest,
    ) -> ApiResult<(Arc<AclToken>, u64)> {
        if path_accessor.is_some_and(|accessor| accessor != request.accessor_id) {
            return Err(ApiError::bad_request(
                "ACL token accessor does not match request path",
            ));
        }
        self.acl_management(ctx)?;
        let ttl = request
            .expiration_ttl
            .as_ref()
            .map(parse_ttl)
            .transpose()?
            .unwrap_or(0);
        let existing =
            match request.accessor_id.as_str() {
                "" => None,
                accessor => Some(self.snapshot().acl_token(accessor).ok_or_else(|| {
                    ApiError::bad_request(format!("cannot find token {accessor}"))
                })?),
            };
        let now = self.now();
        let mut token = AclToken {
            accessor_id: request.accessor_id,
            name: request.name,
            token_type: request.token_type,
            policies: request.policies,
            global: request.global,
            expiration_time: request.expiration_time.filter(|t| !t.is_empty()),
            ..AclToken::default()
        };
        match &existing {
            // The secret and the creation time never change.
            Some(old) => {
                token.secret_id = old.secret_id.clone();
                token.create_time = old.create_time.clone();
            }
            None => {
                token.accessor_id = self.new_id();
                token.secret_id = self.new_id();
                token.create_time = format_rfc3339(now);
                if token.expiration_time.is_none() && ttl != 0 {
                    token.expiration_time = Some(format_rfc3339(now.saturating_add(ttl)));
                }
            }
        }
        validate_token(&token, existing.as_deref(), ttl, now)
            .map_err(|e| ApiError::bad_request(format!("token 0 invalid: {e}")))?;
        let accessor_id = token.accessor_id.clone();
        self.with_writer(|writer| {
            let command = Command::UpsertAclTokens(AclTokens {
                tokens: vec![token],
            });
            let index = writer.commit(&command, None)?;
            stored_token(&writer.snapshot(), &accessor_id, index)
        })
    }

    /// `GET /v1/acl/token/:accessor`: a management token reads any token, another token only
    /// itself. 404 "ACL token not found" (for management tokens; 403 for others).
    pub fn read_acl_token(
        &self,
        ctx: &RequestContext,
        accessor_id: &str,
    ) -> ApiResult<Read<Arc<AclToken>>> {
        let identity = self.acl_identity(ctx)?;
        let snapshot = self.snapshot();
        let token = snapshot.acl_token(accessor_id);
        let management = identity.acl.is_management();
        let own = token
            .as_ref()
            .is_some_and(|t| Some(t.secret_id.as_str()) == ctx.token.as_deref());
        if !(management || own) {
            return Err(ApiError::permission_denied());
        }
        stored(
            token,
            |t| t.modify_index,
            "ACL token not found",
            snapshot.table_index(Table::AclToken),
        )
    }

    /// `GET /v1/acl/token/self`: the token whose secret the request carries, expired or not.
    pub fn acl_token_self(&self, ctx: &RequestContext) -> ApiResult<Read<Arc<AclToken>>> {
        self.acls_on()?;
        let snapshot = self.snapshot();
        stored(
            snapshot.acl_token_by_secret(ctx.token.as_deref().unwrap_or_default()),
            |t| t.modify_index,
            "ACL token not found",
            snapshot.table_index(Table::AclToken),
        )
    }

    /// `GET /v1/acl/tokens`: the tokens (without secrets), filtered (over whole tokens), one
    /// page at a time. With a prefix, those whose accessor ID starts with it in accessor order
    /// (token: the accessor ID); without, all of them oldest first (token:
    /// `<create index>.<accessor ID>`); `reverse` turns either order round. Index: the
    /// table's.
    pub fn list_acl_tokens(
        &self,
        ctx: &RequestContext,
        request: &PageRequest,
        filter: &str,
    ) -> ApiResult<Read<Vec<AclTokenListStub>>> {
        self.acl_management(ctx)?;
        let filter = ListFilter::parse(filter)?;
        let snapshot = self.snapshot();
        let by_accessor = !request.prefix.is_empty();
        let mut tokens: Vec<&Arc<AclToken>> = snapshot
            .acl_tokens()
            .filter(|t| t.accessor_id.starts_with(&request.prefix))
            .collect();
        if by_accessor {
            tokens.sort_by(|a, b| a.accessor_id.cmp(&b.accessor_id));
        } else {
            tokens.sort_by_key(|t| (t.create_index, &t.accessor_id));
        }
        if request.reverse {
            tokens.reverse();
        }
        let compare = |t: &&Arc<AclToken>, token: &str| {
            if by_accessor {
                t.accessor_id.as_str().cmp(token)
            } else {
                compare_create_token(t.create_index, &t.accessor_id, token)
            }
        };
        let token_of = |t: &&Arc<AclToken>| {
            if by_accessor {
                t.accessor_id.clone()
            } else {
                format!("{}.{}", t.create_index, t.accessor_id)
            }
        };
        let tokens = page(tokens.into_iter(), request, compare, token_of, |t| {
            filter.keep(&***t)
        });
        filter.finish()?;
        let stubs = tokens
            .items
            .into_iter()
            .map(|t| AclTokenListStub {
                accessor_id: t.accessor_id.clone(),
                name: t.name.clone(),
                token_type: t.token_type.clone(),
                policies: t.policies.clone(),
                global: t.global,
                create_time: t.create_time.clone(),
                expiration_time: t.expiration_time.clone(),
                create_index: t.create_index,
                modify_index: t.modify_index,
            })
            .collect();
        Ok(Read {
            value: stubs,
            index: snapshot.table_index(Table::AclToken),
            next_token: tokens.next_token,
        })
    }

    /// `DELETE /v1/acl/token/:accessor`: 400 for a token that does not exist.
    pub fn delete_acl_token(&self, ctx: &RequestContext, accessor_id: &str) -> ApiResult<u64> {
        self.acl_management(ctx)?;
        if self.snapshot().acl_token(accessor_id).is_none() {
            return Err(ApiError::bad_request(format!(
                "Cannot delete nonexistent tokens: {accessor_id}"
            )));
        }
        let command = Command::DeleteAclTokens(AclTokenDeletes {
            accessor_ids: vec![accessor_id.to_string()],
        });
        Ok(self.commit(&command)?)
    }

    fn acls_on(&self) -> ApiResult<()> {
        if self.acl.acls_enabled() {
            Ok(())
        } else {
            Err(AclError::AclsDisabled.into())
        }
    }

    /// The caller of an ACL endpoint: ACLs must be on and the token must resolve.
    fn acl_identity(&self, ctx: &RequestContext) -> ApiResult<Identity> {
        self.acls_on()?;
        self.authenticated(ctx)
    }

    fn acl_management(&self, ctx: &RequestContext) -> ApiResult<()> {
        self.acls_on()?;
        self.authorize_management(ctx)
    }
}

/// Whether a token may see the policy `name`: management tokens see all, others the policies
/// they name (the anonymous token names `anonymous`).
fn may_see_policy(
    identity: &Identity,
    snapshot: &Snapshot,
    ctx: &RequestContext,
    name: &str,
) -> bool {
    if identity.acl.is_management() {
        return true;
    }
    match ctx.token.as_deref().filter(|secret| !secret.is_empty()) {
        None => name == ANONYMOUS,
        Some(secret) => snapshot
            .acl_token_by_secret(secret)
            .is_some_and(|token| token.policies.iter().any(|p| p == name)),
    }
}

/// The token as the store keeps it, with the commit's index.
fn stored_token(
    snapshot: &Snapshot,
    accessor_id: &str,
    index: u64,
) -> ApiResult<(Arc<AclToken>, u64)> {
    let token = snapshot
        .acl_token(accessor_id)
        .ok_or_else(|| ApiError::bad_request("token lookup failed: token not found"))?;
    Ok((token, index))
}

/// Nomad's `ACLToken.Validate` with its default TTL bounds; `ttl` is the request's
/// `ExpirationTTL` in nanoseconds.
fn validate_token(
    token: &AclToken,
    existing: Option<&AclToken>,
    ttl: i64,
    now: i64,
) -> Result<(), String> {
    let mut errors = Vec::new();
    if token.name.len() > MAX_TOKEN_NAME {
        errors.push("token name too long".to_string());
    }
    match token.token_type.as_str() {
        token_type::CLIENT if token.policies.is_empty() => {
            errors.push("client token missing policies or roles".to_string());
        }
        token_type::MANAGEMENT if !token.policies.is_empty() => {
            errors.push("management token cannot be associated with policies or roles".to_string());
        }
        token_type::CLIENT | token_type::MANAGEMENT => {}
        _ => errors.push("token type must be client or management".to_string()),
    }
    match existing {
        None => {
            if ttl < 0 {
                errors.push(format!(
                    "token expiration TTL '{}' should not be negative",
                    duration(ttl)
                ));
            }
            if let Some(expires) = &token.expiration_time {
                match parse_rfc3339(expires) {
                    None => errors.push(format!("invalid expiration time {}", quote(expires))),
                    Some(at) => {
                        let expires_in = at - now;
                        if expires_in < 0 {
                            errors.push("expiration time cannot be before create time".to_string());
                        }
                        if expires_in > MAX_TTL {
                            errors.push(format!(
                                "expiration time cannot be more than {} in the future (was {})",
                                duration(MAX_TTL),
                                duration(expires_in)
                            ));
                        } else if expires_in < MIN_TTL {
                            errors.push(format!(
                                "expiration time cannot be less than {} in the future (was {})",
                                duration(MIN_TTL),
                                duration(expires_in)
                            ));
                        }
                    }
                }
            }
        }
        Some(old) => {
            if old.global != token.global {
                errors.push("cannot toggle global mode".to_string());
            }
            if old.expiration_time != token.expiration_time {
                errors.push("cannot update expiration time".to_string());
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(multierror(&errors))
    }
}

/// `ExpirationTTL`: a Go duration string or a number of nanoseconds.
fn parse_ttl(value: &Value) -> ApiResult<i64> {
    let invalid = || {
        ApiError::bad_request(format!(
            "time: invalid duration {}",
            quote(&value.to_string())
        ))
    };
    match value {
        Value::Number(n) => n.as_f64().map(|n| n as i64).ok_or_else(invalid),
        Value::String(text) if text.is_empty() => Ok(0),
        Value::String(text) => go_duration(text).ok_or_else(|| {
            ApiError::bad_request(format!("time: invalid duration {}", quote(text)))
        }),
        _ => Err(invalid()),
    }
}

/// Go's `time.ParseDuration`: a signed sequence of decimal numbers with units (`1h30m`,
/// `1.5s`, `300ms`); `0` alone needs no unit.
fn go_duration(text: &str) -> Option<i64> {
    let (negative, mut rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += value * unit;
    }
    if total > i64::MAX as f64 {
        return None;
    }
    let nanos = total as i64;
    Some(if negative { -nanos } else { nanos })
}

/// A read of one stored object: at its ModifyIndex, or a 404 `missing` at `table_index`.
pub(crate) fn stored<T>(
    found: Option<Arc<T>>,
    modify_index: fn(&T) -> u64,
    missing: &str,
    table_index: u64,
) -> ApiResult<Read<Arc<T>>> {
    match found {
        Some(value) => Ok(read(modify_index(&value), value)),
        None => Err(ApiError::not_found(missing).at_index(table_index)),
    }
}

#[cfg(test)]
mod tests {
    use super::go_duration;

    #[test]
    fn durations_parse_like_go() {
        const S: i64 = 1_000_000_000;
        for (text, nanos) in [
            ("0", Some(0)),
            ("1h", Some(3600 * S)),
            ("1h30m", Some(5400 * S)),
            ("1.5s", Some(S + S / 2)),
            ("300ms", Some(300_000_000)),
            ("-2m", Some(-120 * S)),
            ("", None),
            ("1", None),
            ("1x", None),
            ("h", None),
        ] {
            assert_eq!(go_duration(text), nanos, "{text:?}");
        }
    }
}
