//! Token resolution (ACLs off, anonymous, malformed, unknown, expired, management, client),
//! the compiled-ACL cache, error statuses, and bootstrap.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_core::ApiError;
use drover_core::acl::{
    AclError, AclResolver, Capability, Identity, JobsEndpoint, bootstrap_token, check_bootstrap,
    is_expired,
};
use drover_model::{AclPolicy, AclToken};

const READER_SECRET: &str = "3f1b2c4d-0000-4000-8000-00000000000a";
const ADMIN_SECRET: &str = "3f1b2c4d-0000-4000-8000-00000000000b";
const EXPIRING_SECRET: &str = "3f1b2c4d-0000-4000-8000-00000000000c";
const UNKNOWN_SECRET: &str = "3f1b2c4d-0000-4000-8000-0000000000ff";

/// 2024-05-01T12:00:00Z.
const NOW: i64 = 1_714_564_800_000_000_000;

#[derive(Default)]
struct Store {
    tokens: BTreeMap<String, Arc<AclToken>>,
    policies: BTreeMap<String, Arc<AclPolicy>>,
}

impl Store {
    fn with_token(
        mut self,
        secret: &str,
        kind: &str,
        policies: &[&str],
        expires: Option<&str>,
    ) -> Self {
        let token = AclToken {
            accessor_id: format!("accessor-{}", &secret[34..]),
            secret_id: secret.to_owned(),
            token_type: kind.to_owned(),
            policies: policies.iter().map(|p| (*p).to_owned()).collect(),
            expiration_time: expires.map(str::to_owned),
            ..AclToken::default()
        };
        self.tokens.insert(secret.to_owned(), Arc::new(token));
        self
    }

    fn with_policy(mut self, name: &str, rules: &str, modify_index: u64) -> Self {
        let policy = AclPolicy {
            name: name.to_owned(),
            rules: rules.to_owned(),
            modify_index,
            ..AclPolicy::default()
        };
        self.policies.insert(name.to_owned(), Arc::new(policy));
        self
    }

    fn resolve(
        &self,
        resolver: &AclResolver,
        secret: Option<&str>,
        now: i64,
    ) -> Result<Identity, AclError> {
        resolver.resolve(
            secret,
            now,
            |s| self.tokens.get(s).cloned(),
            |name| self.policies.get(name).cloned(),
        )
    }
}

fn store() -> Store {
    Store::default()
        .with_policy("readonly", r#"namespace "default" { policy = "read" }"#, 10)
        .with_policy("prod-write", r#"namespace "prod" { policy = "write" }"#, 11)
        .with_token(
            READER_SECRET,
            "client",
            &["readonly", "prod-write", "missing"],
            None,
        )
        .with_token(ADMIN_SECRET, "management", &[], None)
        .with_token(
            EXPIRING_SECRET,
            "client",
            &["readonly"],
            Some("2024-05-01T12:00:00Z"),
        )
}

fn can(identity: &Identity, endpoint: JobsEndpoint, namespace: &str) -> bool {
    identity.acl.check(endpoint, namespace).is_ok()
}

const REGISTER: JobsEndpoint = JobsEndpoint::Register {
    policy_override: false,
};

#[test]
fn acls_off_allow_everything_and_record_no_accessor() {
    let resolver = AclResolver::new(false);
    for secret in [None, Some("not-a-uuid"), Some(UNKNOWN_SECRET)] {
        let identity = store().resolve(&resolver, secret, NOW).unwrap();
        assert!(can(&identity, REGISTER, "anywhere"));
        assert!(identity.acl.is_management());
        assert_eq!(identity.accessor_id, None);
    }
}

#[test]
fn no_token_is_anonymous() {
    let resolver = AclResolver::new(true);
    for secret in [None, Some("")] {
        let identity = store().resolve(&resolver, secret, NOW).unwrap();
        assert_eq!(identity.accessor_id.as_deref(), Some("anonymous"));
        assert!(!can(&identity, JobsEndpoint::Read, "default"));
        assert!(!can(&identity, JobsEndpoint::List, "*"));
    }
    // A policy literally named "anonymous" gives anonymous requests its rights.
    let store = store().with_policy(
        "anonymous",
        r#"namespace "default" { policy = "read" }"#,
        12,
    );
    let identity = store.resolve(&resolver, None, NOW).unwrap();
    assert!(can(&identity, JobsEndpoint::Read, "default"));
    assert!(!can(&identity, REGISTER, "default"));
}

#[test]
fn malformed_unknown_and_expired_tokens() {
    let resolver = AclResolver::new(true);
    let cases = [
        ("not-a-uuid", AclError::TokenInvalid, "ACL token is invalid"),
        (
            "3f1b2c4d-0000-4000-8000-00000000000",
            AclError::TokenInvalid,
            "ACL token is invalid",
        ),
        (
            "3f1b2c4d_0000-4000-8000-00000000000a",
            AclError::TokenInvalid,
            "ACL token is invalid",
        ),
        (
            UNKNOWN_SECRET,
            AclError::TokenNotFound,
            "ACL token not found",
        ),
    ];
    for (secret, error, text) in cases {
        let got = store().resolve(&resolver, Some(secret), NOW).unwrap_err();
        assert_eq!(got, error, "{secret}");
        assert_eq!(got.to_string(), text);
    }
    // Expired strictly after its expiration time.
    let at_expiry = store()
        .resolve(&resolver, Some(EXPIRING_SECRET), NOW)
        .unwrap();
    assert!(can(&at_expiry, JobsEndpoint::Read, "default"));
    let after = store()
        .resolve(&resolver, Some(EXPIRING_SECRET), NOW + 1)
        .unwrap_err();
    assert_eq!(after, AclError::TokenExpired);
    assert_eq!(after.to_string(), "ACL token expired");
}

#[test]
fn expiration_times() {
    let token = |expires: Option<&str>| AclToken {
        expiration_time: expires.map(str::to_owned),
        ..AclToken::default()
    };
    let cases = [
        (None, false),
        (Some(""), false),
        (Some("0001-01-01T00:00:00Z"), false),
        (Some("2024-05-01T11:59:59.999999999Z"), true),
        (Some("2024-05-01T12:00:00Z"), false),
        (Some("2024-05-01T14:00:00+02:00"), false),
        (Some("2024-05-01T13:59:59+02:00"), true),
        (Some("2030-01-01T00:00:00Z"), false),
        // A time nobody can read does not extend a token's life.
        (Some("tomorrow"), true),
    ];
    for (expires, expired) in cases {
        assert_eq!(is_expired(&token(expires), NOW), expired, "{expires:?}");
    }
}

#[test]
fn management_tokens_bypass_everything() {
    let resolver = AclResolver::new(true);
    let identity = store().resolve(&resolver, Some(ADMIN_SECRET), NOW).unwrap();
    assert!(identity.acl.is_management());
    assert!(can(
        &identity,
        JobsEndpoint::Register {
            policy_override: true
        },
        "prod"
    ));
    assert_eq!(identity.accessor_id.as_deref(), Some("accessor-0b"));
}

#[test]
fn client_tokens_merge_their_policies_and_skip_missing_ones() {
    let resolver = AclResolver::new(true);
    // Upper-case secrets are UUIDs too.
    let store = store().with_token(&READER_SECRET.to_uppercase(), "client", &["readonly"], None);
    let identity = store.resolve(&resolver, Some(READER_SECRET), NOW).unwrap();
    assert_eq!(identity.accessor_id.as_deref(), Some("accessor-0a"));
    assert!(!identity.acl.is_management());
    assert!(can(&identity, JobsEndpoint::Read, "default"));
    assert!(!can(&identity, REGISTER, "default"));
    assert!(can(&identity, REGISTER, "prod"));
    assert!(!can(&identity, JobsEndpoint::Read, "dev"));
    let upper = store
        .resolve(&resolver, Some(&READER_SECRET.to_uppercase()), NOW)
        .unwrap();
    assert!(can(&upper, JobsEndpoint::Read, "default"));
}

#[test]
fn compiled_acls_are_cached_by_policy_names_and_modify_indexes() {
    let resolver = AclResolver::new(true);
    let first = store()
        .resolve(&resolver, Some(READER_SECRET), NOW)
        .unwrap();
    let again = store()
        .resolve(&resolver, Some(READER_SECRET), NOW)
        .unwrap();
    assert!(Arc::ptr_eq(&first.acl, &again.acl));
    // The same policies in another order share the entry.
    let reordered = store().with_token(READER_SECRET, "client", &["prod-write", "readonly"], None);
    let shared = reordered
        .resolve(&resolver, Some(READER_SECRET), NOW)
        .unwrap();
    assert!(Arc::ptr_eq(&first.acl, &shared.acl));
    // An updated policy is a new modify index, so the token sees the new rules.
    let updated = store().with_policy(
        "readonly",
        r#"namespace "default" { policy = "write" }"#,
        20,
    );
    let fresh = updated
        .resolve(&resolver, Some(READER_SECRET), NOW)
        .unwrap();
    assert!(!Arc::ptr_eq(&first.acl, &fresh.acl));
    assert!(can(&fresh, REGISTER, "default"));
}

#[test]
fn stored_policies_compile_leniently() {
    let resolver = AclResolver::new(true);
    // An unknown key a policy write would refuse does not break tokens that use the policy.
    let store = store().with_policy(
        "readonly",
        "namespace \"default\" { policy = \"read\" }\nbogus { policy = \"read\" }",
        13,
    );
    let identity = store.resolve(&resolver, Some(READER_SECRET), NOW).unwrap();
    assert!(can(&identity, JobsEndpoint::Read, "default"));

    let broken = store.with_policy("readonly", r#"namespace "default" { policy = "foo" }"#, 14);
    let error = broken
        .resolve(&resolver, Some(READER_SECRET), NOW)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"failed to parse "readonly": Invalid namespace policy: &acl.NamespacePolicy{Name:"default", Policy:"foo", Capabilities:[]string(nil), Variables:(*acl.VariablesPolicy)(nil)}"#
    );
    assert_eq!(error.status(), 500);
}

#[test]
fn error_statuses() {
    let cases = [
        (AclError::PermissionDenied, 403, "Permission denied"),
        (AclError::TokenNotFound, 403, "ACL token not found"),
        (AclError::TokenInvalid, 500, "ACL token is invalid"),
        (AclError::TokenExpired, 500, "ACL token expired"),
        (
            AclError::InvalidPolicy("Invalid policy: x".to_owned()),
            400,
            "Invalid policy: x",
        ),
    ];
    for (error, status, text) in cases {
        assert_eq!(ApiError::from(error), ApiError::new(status, text));
    }
    // The parse endpoint resolves tokens in the agent, which wraps the cause.
    let cases = [
        (
            AclError::TokenNotFound,
            403,
            "ACL token not found or invalid workload identity: Permission denied",
        ),
        (
            AclError::TokenExpired,
            500,
            "ACL token not found or invalid workload identity: ACL token expired",
        ),
        (
            AclError::TokenInvalid,
            500,
            "ACL token not found or invalid workload identity: ACL token is invalid",
        ),
        (
            AclError::StoredPolicy {
                name: "p".to_owned(),
                message: "Invalid policy: x".to_owned(),
            },
            500,
            r#"failed to resolve ACL token: failed to parse "p": Invalid policy: x"#,
        ),
    ];
    for (error, status, text) in cases {
        assert_eq!(error.agent_resolve_error(), ApiError::new(status, text));
    }
}

#[test]
fn bootstrap_happens_once_unless_reset() {
    let cases = [
        (true, None, 0, Ok(())),
        (true, None, 9, Ok(())),
        (
            true,
            Some(7),
            0,
            Err("ACL bootstrap already done (reset index: 7)"),
        ),
        (
            true,
            Some(7),
            5,
            Err("Invalid bootstrap reset index (specified 5, reset index: 7)"),
        ),
        (true, Some(7), 7, Ok(())),
        (false, None, 0, Err("ACL support disabled")),
    ];
    for (enabled, bootstrapped_at, reset_index, expected) in cases {
        let got = check_bootstrap(enabled, bootstrapped_at, reset_index);
        if let Err(error) = &got {
            assert_eq!(error.status(), 400);
        }
        assert_eq!(
            got.map_err(|e| e.to_string()),
            expected.map_err(str::to_owned)
        );
    }
}

#[test]
fn the_bootstrap_token_is_a_global_management_token() {
    let token = bootstrap_token(
        "acc".to_owned(),
        "generated".to_owned(),
        None,
        NOW + 500_000_000,
    )
    .unwrap();
    let expected = AclToken {
        accessor_id: "acc".to_owned(),
        secret_id: "generated".to_owned(),
        name: "Bootstrap Token".to_owned(),
        token_type: "management".to_owned(),
        global: true,
        create_time: "2024-05-01T12:00:00.5Z".to_owned(),
        ..AclToken::default()
    };
    assert_eq!(token, expected);
    let whole_second = bootstrap_token("a".to_owned(), "g".to_owned(), Some(""), NOW).unwrap();
    assert_eq!(whole_second.create_time, "2024-05-01T12:00:00Z");
    assert_eq!(whole_second.secret_id, "g");

    let provided =
        bootstrap_token("a".to_owned(), "g".to_owned(), Some(ADMIN_SECRET), NOW).unwrap();
    assert_eq!(provided.secret_id, ADMIN_SECRET);
    let refused = bootstrap_token("a".to_owned(), "g".to_owned(), Some("root"), NOW).unwrap_err();
    assert_eq!(refused.to_string(), "invalid acl token");
    assert_eq!(refused.status(), 400);

    // The token it makes resolves as management.
    let resolver = AclResolver::new(true);
    let store = Store::default();
    let identity = resolver
        .resolve(
            Some(ADMIN_SECRET),
            NOW,
            |_| Some(&provided),
            |n| store.policies.get(n).cloned(),
        )
        .unwrap();
    assert!(
        identity
            .acl
            .allow_namespace_operation("prod", Capability::PurgeJob)
    );
}
