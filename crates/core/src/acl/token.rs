//! From a request's secret to an [`Acl`]: Nomad's token resolution (ACLs off, anonymous,
//! malformed, unknown, expired, management, client), with compiled ACLs cached by the policies
//! they were built from.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::acl::token_type;
use drover_model::time::{GO_ZERO_TIME, parse_rfc3339};
use drover_model::{AclPolicy, AclToken};
use parking_lot::Mutex;

use super::AclError;
use super::compiled::Acl;
use super::policy::{Strictness, parse};

/// The accessor ID and policy name of requests that carry no token.
pub const ANONYMOUS: &str = "anonymous";

/// How many compiled ACLs the resolver keeps (Nomad keeps 512 too).
const CACHE_SIZE: usize = 512;

/// The policies an ACL was compiled from: sorted (name, modify index) pairs.
type CacheKey = Vec<(String, u64)>;

/// Who a request is, once its token is resolved.
#[derive(Debug, Clone)]
pub struct Identity {
    pub acl: Arc<Acl>,
    /// The token's accessor ID (`"anonymous"` without a token); `None` while ACLs are off. A
    /// registered job records it as its `NomadTokenID`.
    pub accessor_id: Option<String>,
}

/// Resolves secrets into ACLs. Holds only the switch and a cache: tokens and policies are
/// looked up through the functions each call passes, in whatever snapshot the caller reads.
#[derive(Debug)]
pub struct AclResolver {
    enabled: bool,
    cache: Mutex<BTreeMap<CacheKey, Arc<Acl>>>,
}

impl AclResolver {
    pub fn new(acls_enabled: bool) -> AclResolver {
        AclResolver {
            enabled: acls_enabled,
            cache: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn acls_enabled(&self) -> bool {
        self.enabled
    }

    /// Resolves `secret` (the `X-Nomad-Token`) at `now_unix_nanos`:
    /// - ACLs off: everything is allowed;
    /// - no secret: the anonymous token, whose rights are those of a policy literally named
    ///   "anonymous", if one exists;
    /// - not a UUID: "ACL token is invalid"; unknown: "ACL token not found"; past its
    ///   expiration time: "ACL token expired";
    /// - a management token: everything is allowed;
    /// - a client token: its policies (missing ones are skipped) merged.
    ///
    /// The Jobs endpoints answer every one of these errors with 403 "Permission denied".
    pub fn resolve<T, P>(
        &self,
        secret: Option<&str>,
        now_unix_nanos: i64,
        token_by_secret: impl FnOnce(&str) -> Option<T>,
        mut policy_by_name: impl FnMut(&str) -> Option<P>,
    ) -> Result<Identity, AclError>
    where
        T: Borrow<AclToken>,
        P: Borrow<AclPolicy>,
    {
        if !self.enabled {
            return Ok(Identity {
                acl: Arc::new(Acl::acls_disabled()),
                accessor_id: None,
            });
        }
        let secret = secret.unwrap_or_default();
        if secret.is_empty() {
            return Ok(Identity {
                acl: self.compile(&[ANONYMOUS], &mut policy_by_name)?,
                accessor_id: Some(ANONYMOUS.to_owned()),
            });
        }
        if !is_uuid(secret) {
            return Err(AclError::TokenInvalid);
        }
        let token = token_by_secret(secret).ok_or(AclError::TokenNotFound)?;
        let token = token.borrow();
        if is_expired(token, now_unix_nanos) {
            return Err(AclError::TokenExpired);
        }
        let acl = if token.token_type == token_type::MANAGEMENT {
            Arc::new(Acl::management())
        } else {
            self.compile(&token.policies, &mut policy_by_name)?
        };
        Ok(Identity {
            acl,
            accessor_id: Some(token.accessor_id.clone()),
        })
    }

    fn compile<P: Borrow<AclPolicy>>(
        &self,
        names: &[impl AsRef<str>],
        policy_by_name: &mut impl FnMut(&str) -> Option<P>,
    ) -> Result<Arc<Acl>, AclError> {
        let mut found: Vec<P> = names
            .iter()
            .filter_map(|name| policy_by_name(name.as_ref()))
            .collect();
        found.sort_by(|a, b| a.borrow().name.cmp(&b.borrow().name));
        let key: CacheKey = found
            .iter()
            .map(|p| (p.borrow().name.clone(), p.borrow().modify_index))
            .collect();
        if let Some(acl) = self.cache.lock().get(&key) {
            return Ok(Arc::clone(acl));
        }

        let parsed = found
            .iter()
            .map(|p| {
                let p = p.borrow();
                parse(&p.rules, Strictness::Lenient).map_err(|error| AclError::StoredPolicy {
                    name: p.name.clone(),
                    message: error.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let acl = Arc::new(Acl::compile(&parsed));

        let mut cache = self.cache.lock();
        if cache.len() >= CACHE_SIZE {
            // Simpler than LRU, and a full cache is rare: one entry per distinct policy set.
            cache.clear();
        }
        cache.insert(key, Arc::clone(&acl));
        Ok(acl)
    }
}

/// 8-4-4-4-12 hex digits, either case.
pub(super) fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Whether the token's expiration time is before `now`. An expiration time that does not
/// parse counts as expired: a token's rights should not outlive a timestamp nobody can read.
pub fn is_expired(token: &AclToken, now_unix_nanos: i64) -> bool {
    match token.expiration_time.as_deref() {
        None | Some("" | GO_ZERO_TIME) => false,
        Some(text) => parse_rfc3339(text).is_none_or(|at| at < now_unix_nanos),
    }
}
