//! Issue 11: namespaces and ACLs. A matrix of tokens x Jobs endpoints x namespaces with the
//! expected allow or deny (glob precedence, deny wins, fine-grained capabilities, expired and
//! unknown tokens), `namespace=*` listings per token, the ACL endpoints, the namespace rules
//! and the bootstrap.

mod engine_common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use drover::core::acl::Capability;
use drover::core::api::{
    AclBootstrapRequest, AclTokenRequest, JobDeregisterOptions, JobDispatchRequest, JobPlanRequest,
    JobRevertRequest, JobStabilityRequest, JobValidateRequest, JobsParseRequest, ListJobsOptions,
    RequestContext, ScalingRequest,
};
use drover::core::state::{NamespaceSelector, PageRequest};
use drover::core::{ApiResult, Engine, EngineConfig, ManualClock, MemoryLog};
use drover::model::{AclPolicy, Namespace};
use engine_common::{START, check_error, register, sample_job};
use serde_json::json;

const MANAGEMENT: &str = "00000000-0000-4000-8000-000000000001";
const UNKNOWN: &str = "00000000-0000-4000-8000-00000000dead";
const NAMESPACES: [&str; 4] = ["default", "dev", "prod-web", "prod-db"];

struct Acls {
    engine: Arc<Engine>,
    clock: Arc<ManualClock>,
    /// Secrets by token name.
    secrets: BTreeMap<&'static str, String>,
}

fn engine(acl_enabled: bool) -> (Arc<Engine>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    let config = EngineConfig {
        seed: 7,
        acl_enabled,
        ..EngineConfig::default()
    };
    let engine = Engine::new(config, clock.clone(), Box::new(MemoryLog::new()));
    (Arc::new(engine), clock)
}

fn as_token(secret: &str, namespace: &str) -> RequestContext {
    RequestContext {
        namespace: Some(namespace.to_string()),
        token: (!secret.is_empty()).then(|| secret.to_string()),
        ..RequestContext::default()
    }
}

fn management(namespace: &str) -> RequestContext {
    as_token(MANAGEMENT, namespace)
}

const POLICIES: &[(&str, &str)] = &[
    ("readonly", r#"namespace "*" { policy = "read" }"#),
    ("dev-write", r#"namespace "dev" { policy = "write" }"#),
    ("dev-deny", r#"namespace "dev" { policy = "deny" }"#),
    // "prod-*" is closer to "prod-web" than "*"; the exact "prod-db" beats both globs.
    (
        "prod",
        r#"
        namespace "*" { policy = "read" }
        namespace "prod-*" { policy = "write" }
        namespace "prod-db" { policy = "deny" }
        "#,
    ),
    (
        "fine",
        r#"{"namespace": {"default": {"capabilities": ["register-job", "read-job"]}}}"#,
    ),
    ("scaler", r#"namespace "default" { policy = "scale" }"#),
    (
        "stopper",
        r#"namespace "default" { capabilities = ["deregister-job"] }"#,
    ),
];

/// Token name and its policies.
const TOKENS: &[(&str, &[&str])] = &[
    ("readonly", &["readonly"]),
    ("dev", &["dev-write"]),
    // Write and deny on the same namespace in two policies: deny wins.
    ("dev-conflict", &["dev-write", "dev-deny"]),
    ("prod", &["prod"]),
    ("fine", &["fine"]),
    ("scaler", &["scaler"]),
    ("stopper", &["stopper"]),
    ("dangling", &["no-such-policy"]),
];

/// ACLs on, bootstrapped with [`MANAGEMENT`], the namespaces, policies and tokens above, and
/// a job "web" in every namespace.
fn setup() -> Acls {
    let (engine, clock) = engine(true);
    let request = AclBootstrapRequest {
        bootstrap_secret: MANAGEMENT.to_string(),
    };
    engine.bootstrap_acl(&request, 0).unwrap();
    let ctx = management("default");
    for name in &NAMESPACES[1..] {
        let namespace = Namespace {
            name: name.to_string(),
            ..Namespace::default()
        };
        engine
            .upsert_namespace(&ctx, Some(name), namespace)
            .unwrap();
    }
    for (name, rules) in POLICIES {
        let policy = AclPolicy {
            name: name.to_string(),
            rules: rules.to_string(),
            ..AclPolicy::default()
        };
        engine.upsert_acl_policy(&ctx, name, policy).unwrap();
    }
    let mut secrets = BTreeMap::from([("management", MANAGEMENT.to_string())]);
    for (name, policies) in TOKENS {
        let (token, _) = engine
            .upsert_acl_token(&ctx, None, client_token(name, policies))
            .unwrap();
        secrets.insert(name, token.secret_id.clone());
    }
    for namespace in NAMESPACES {
        engine
            .register_job(&management(namespace), register(sample_job("web")))
            .unwrap();
    }
    Acls {
        engine,
        clock,
        secrets,
    }
}

fn client_token(name: &str, policies: &[&str]) -> AclTokenRequest {
    AclTokenRequest {
        name: name.to_string(),
        token_type: "client".to_string(),
        policies: policies.iter().map(|p| p.to_string()).collect(),
        ..AclTokenRequest::default()
    }
}

type Op = fn(&Engine, &RequestContext) -> ApiResult<()>;

/// The Jobs endpoints, in the column order of the matrix.
const OPS: &[(&str, Op)] = &[
    ("list", |e, c| {
        e.list_jobs(c, &ListJobsOptions::default()).map(drop)
    }),
    ("read", |e, c| e.read_job(c, "web").map(drop)),
    ("register", |e, c| {
        e.register_job(c, register(sample_job("web"))).map(drop)
    }),
    ("plan", |e, c| {
        let request = JobPlanRequest {
            job: Some(sample_job("web")),
            ..JobPlanRequest::default()
        };
        e.plan_job(c, "web", request).map(drop)
    }),
    ("stop", |e, c| {
        e.deregister_job(c, "ghost", &JobDeregisterOptions::default())
            .map(drop)
    }),
    ("purge", |e, c| {
        let options = JobDeregisterOptions {
            purge: true,
            ..JobDeregisterOptions::default()
        };
        e.deregister_job(c, "ghost", &options).map(drop)
    }),
    ("evaluate", |e, c| e.evaluate_job(c, "web", None).map(drop)),
    ("scale", |e, c| {
        let request = ScalingRequest {
            target: BTreeMap::from([("Group".to_string(), "cache".to_string())]),
            message: "event only".to_string(),
            ..ScalingRequest::default()
        };
        e.scale_job(c, "web", request).map(drop)
    }),
    ("scale-status", |e, c| {
        e.job_scale_status(c, "web").map(drop)
    }),
    ("dispatch", |e, c| {
        e.dispatch_job(c, "web", JobDispatchRequest::default(), "")
            .map(drop)
    }),
    ("revert", |e, c| {
        let request = JobRevertRequest {
            job_id: "web".to_string(),
            job_version: 0,
            ..JobRevertRequest::default()
        };
        e.revert_job(c, "web", &request).map(drop)
    }),
    ("stable", |e, c| {
        let request = JobStabilityRequest {
            job_id: "web".to_string(),
            job_version: 0,
            stable: true,
        };
        e.set_job_stability(c, "web", &request).map(drop)
    }),
    ("validate", |e, c| {
        // Validate checks the job's own namespace.
        let mut job = sample_job("web");
        job.namespace = c.namespace().into();
        e.validate_job(c, JobValidateRequest { job: Some(job) })
            .map(drop)
    }),
    ("parse", |e, c| {
        let request = JobsParseRequest {
            job_hcl: r#"job "x" { group "g" { task "t" { driver = "docker" } } }"#.to_string(),
            ..JobsParseRequest::default()
        };
        e.parse_job(c, request).map(drop)
    }),
    ("force", |e, c| e.force_periodic_launch(c, "web").map(drop)),
];

/// `A` where the call got past the ACL check (whatever it answered then), `D` for a 403, `E`
/// for a token that did not resolve and is not a 403 (parse words those as the agent does).
fn row(engine: &Engine, ctx: &RequestContext) -> String {
    OPS.iter()
        .map(|(_, op)| match op(engine, ctx) {
            Err(e) if e.status == 403 => 'D',
            Err(e) if e.message.starts_with("ACL token not found or invalid") => 'E',
            _ => 'A',
        })
        .collect()
}

/// Columns: list read register plan stop purge evaluate scale scale-status dispatch revert
/// stable validate parse force.
const READ: &str = "AADDDDDDADDDAAD";
const WRITE: &str = "AAAAAAAAAAAAAAA";
const NONE: &str = "DDDDDDDDDDDDDDD";
const SCALE: &str = "DADDDDDAADDDADD";
const FINE: &str = "DAADDDDDADDDADD";
const STOP: &str = "DDDDADDDDDDDDDD";
/// A malformed or expired token: 403 everywhere but parse, where it is a 500.
const BROKEN: &str = "DDDDDDDDDDDDDED";

#[test]
fn every_jobs_endpoint_checks_its_capabilities_per_token_and_namespace() {
    let acls = setup();
    // (token, [default, dev, prod-web, prod-db])
    let expected: &[(&str, [&str; 4])] = &[
        ("management", [WRITE, WRITE, WRITE, WRITE]),
        ("anonymous", [NONE, NONE, NONE, NONE]),
        ("readonly", [READ, READ, READ, READ]),
        ("dev", [NONE, WRITE, NONE, NONE]),
        ("dev-conflict", [NONE, NONE, NONE, NONE]),
        ("prod", [READ, READ, WRITE, NONE]),
        ("fine", [FINE, NONE, NONE, NONE]),
        ("scaler", [SCALE, NONE, NONE, NONE]),
        ("stopper", [STOP, NONE, NONE, NONE]),
        ("dangling", [NONE, NONE, NONE, NONE]),
        ("unknown", [NONE, NONE, NONE, NONE]),
        ("malformed", [BROKEN, BROKEN, BROKEN, BROKEN]),
    ];
    let secret = |name: &str| match name {
        "anonymous" => String::new(),
        "unknown" => UNKNOWN.to_string(),
        "malformed" => "not-a-uuid".to_string(),
        name => acls.secrets[name].clone(),
    };
    let table = |rows: &mut dyn Iterator<Item = (&str, Vec<String>)>| -> String {
        rows.map(|(token, cells)| format!("{token:>12} {}\n", cells.join(" ")))
            .collect()
    };
    let want = table(
        &mut expected
            .iter()
            .map(|(token, cells)| (*token, cells.iter().map(|c| c.to_string()).collect())),
    );
    let got = table(&mut expected.iter().map(|(token, _)| {
        let cells = NAMESPACES
            .iter()
            .map(|ns| row(&acls.engine, &as_token(&secret(token), ns)))
            .collect();
        (*token, cells)
    }));
    assert_eq!(
        got,
        want,
        "columns: {:?}",
        OPS.iter().map(|o| o.0).collect::<Vec<_>>()
    );
}

#[test]
fn an_anonymous_policy_gives_requests_without_a_token_its_rights() {
    let acls = setup();
    let policy = AclPolicy {
        name: "anonymous".to_string(),
        rules: r#"namespace "dev" { policy = "read" }"#.to_string(),
        ..AclPolicy::default()
    };
    acls.engine
        .upsert_acl_policy(&management("default"), "anonymous", policy)
        .unwrap();
    assert_eq!(row(&acls.engine, &as_token("", "dev")), READ);
    assert_eq!(row(&acls.engine, &as_token("", "default")), NONE);
}

#[test]
fn an_expired_token_is_denied_but_still_reads_itself() {
    let acls = setup();
    let mut request = client_token("short", &["readonly"]);
    request.expiration_ttl = Some(json!("10m"));
    let (token, _) = acls
        .engine
        .upsert_acl_token(&management("default"), None, request)
        .unwrap();
    assert_eq!(
        token.expiration_time.as_deref(),
        Some("2024-01-01T00:10:00Z")
    );
    let ctx = as_token(&token.secret_id, "default");
    assert_eq!(row(&acls.engine, &ctx), READ);
    acls.clock.advance(Duration::from_secs(11 * 60));
    assert_eq!(row(&acls.engine, &ctx), BROKEN);
    // The agent words parse's resolution errors itself: an expired token is a 500 there.
    check_error(
        acls.engine.parse_job(&ctx, JobsParseRequest::default()),
        500,
        "ACL token not found or invalid workload identity: ACL token expired",
    );
    check_error(
        acls.engine
            .parse_job(&as_token(UNKNOWN, "default"), JobsParseRequest::default()),
        403,
        "ACL token not found or invalid workload identity: Permission denied",
    );
    let me = acls.engine.acl_token_self(&ctx).unwrap();
    assert_eq!(me.value.accessor_id, token.accessor_id);
}

/// The namespaces of the jobs `GET /v1/jobs?namespace=*` shows the token.
fn listed_namespaces(acls: &Acls, token: &str) -> ApiResult<BTreeSet<String>> {
    let secret = acls.secrets.get(token).cloned().unwrap_or_default();
    let jobs = acls
        .engine
        .list_jobs(&as_token(&secret, "*"), &ListJobsOptions::default())?;
    Ok(jobs
        .value
        .iter()
        .map(|j| j.job.namespace.to_string())
        .collect())
}

#[test]
fn listing_every_namespace_shows_only_those_the_token_may_list() {
    let acls = setup();
    let set =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|n| n.to_string()).collect() };
    let cases: &[(&str, &[&str])] = &[
        ("management", &NAMESPACES),
        ("readonly", &NAMESPACES),
        ("dev", &["dev"]),
        ("dev-conflict", &[]),
        ("prod", &["default", "dev", "prod-web"]),
    ];
    for (token, namespaces) in cases {
        match listed_namespaces(&acls, token) {
            Ok(listed) => assert_eq!(listed, set(namespaces), "{token}"),
            // No namespace grants list-jobs at all: the listing itself is refused.
            Err(e) => assert!(namespaces.is_empty() && e.status == 403, "{token}: {e}"),
        }
    }
    for token in ["anonymous", "fine", "scaler"] {
        check_error(listed_namespaces(&acls, token), 403, "Permission denied");
    }
}

#[test]
fn register_validates_before_it_checks_acls() {
    let acls = setup();
    let mut job = sample_job("bad");
    job.task_groups.clear();
    let result = acls
        .engine
        .register_job(&as_token("", "default"), register(job));
    let error = result.unwrap_err();
    assert_eq!(error.status, 500, "{error}");
    assert!(error.message.contains("Missing job task groups"), "{error}");
    check_error(
        acls.engine
            .register_job(&management("nope"), register(sample_job("web"))),
        500,
        "1 error occurred:\n\t* job \"web\" is in nonexistent namespace \"nope\"\n\n",
    );
}

#[test]
fn policy_override_needs_sentinel_override() {
    let acls = setup();
    let mut request = register(sample_job("web"));
    request.policy_override = true;
    let dev = acls.secrets["dev"].clone();
    check_error(
        acls.engine
            .register_job(&as_token(&dev, "dev"), request.clone()),
        403,
        "Permission denied",
    );
    let policy = AclPolicy {
        name: "dev-write".to_string(),
        rules: r#"
            namespace "dev" {
              policy       = "write"
              capabilities = ["sentinel-override"]
            }"#
        .to_string(),
        ..AclPolicy::default()
    };
    acls.engine
        .upsert_acl_policy(&management("default"), "dev-write", policy)
        .unwrap();
    acls.engine
        .register_job(&as_token(&dev, "dev"), request)
        .unwrap();
}

#[test]
fn a_registered_job_records_the_token_accessor() {
    let acls = setup();
    let dev = acls.secrets["dev"].clone();
    acls.engine
        .register_job(&as_token(&dev, "dev"), register(sample_job("api")))
        .unwrap();
    let job = acls
        .engine
        .read_job(&management("dev"), "api")
        .unwrap()
        .value;
    let self_token = acls.engine.acl_token_self(&as_token(&dev, "dev")).unwrap();
    assert_eq!(job.nomad_token_id, self_token.value.accessor_id);
}

#[test]
fn with_acls_off_every_token_may_do_everything() {
    let (engine, _) = engine(false);
    engine
        .register_job(&management("default"), register(sample_job("web")))
        .unwrap();
    assert_eq!(row(&engine, &as_token("not-a-uuid", "default")), WRITE);
    assert_eq!(row(&engine, &as_token("", "default")), WRITE);
    let job = engine
        .read_job(&management("default"), "web")
        .unwrap()
        .value;
    assert_eq!(job.nomad_token_id, "");
    check_error(
        engine.bootstrap_acl(&AclBootstrapRequest::default(), 0),
        400,
        "ACL support disabled",
    );
    check_error(
        engine.list_acl_policies(&management("default"), ""),
        400,
        "ACL support disabled",
    );
    check_error(
        engine.acl_token_self(&management("default")),
        400,
        "ACL support disabled",
    );
    // Namespaces work without ACLs, and need no token.
    let namespace = Namespace {
        name: "team".to_string(),
        ..Namespace::default()
    };
    engine
        .upsert_namespace(&as_token("", "default"), None, namespace)
        .unwrap();
    assert!(
        engine
            .read_namespace(&as_token("", "default"), "team")
            .is_ok()
    );
}

#[test]
fn bootstrap_happens_once_unless_reset_with_its_index() {
    let (engine, _) = engine(true);
    let (token, index) = engine
        .bootstrap_acl(&AclBootstrapRequest::default(), 0)
        .unwrap();
    assert_eq!(token.token_type, "management");
    assert_eq!(token.name, "Bootstrap Token");
    assert!(token.global);
    assert_eq!((token.create_index, token.modify_index), (index, index));
    assert_eq!(token.create_time, "2024-01-01T00:00:00Z");
    check_error(
        engine.bootstrap_acl(&AclBootstrapRequest::default(), 0),
        400,
        &format!("ACL bootstrap already done (reset index: {index})"),
    );
    check_error(
        engine.bootstrap_acl(&AclBootstrapRequest::default(), index + 5),
        400,
        &format!(
            "Invalid bootstrap reset index (specified {}, reset index: {index})",
            index + 5
        ),
    );
    let bad_secret = AclBootstrapRequest {
        bootstrap_secret: "nope".to_string(),
    };
    check_error(
        engine.bootstrap_acl(&bad_secret, index),
        400,
        "invalid acl token",
    );
    let (again, second) = engine
        .bootstrap_acl(&AclBootstrapRequest::default(), index)
        .unwrap();
    assert_ne!(again.secret_id, token.secret_id);
    check_error(
        engine.bootstrap_acl(&AclBootstrapRequest::default(), index),
        400,
        &format!("Invalid bootstrap reset index (specified {index}, reset index: {second})"),
    );
    // The bootstrap token manages.
    let ctx = as_token(&token.secret_id, "default");
    assert_eq!(
        engine
            .list_acl_tokens(&ctx, &PageRequest::default(), "")
            .unwrap()
            .value
            .len(),
        2
    );
}

#[test]
fn namespaces_are_created_read_listed_and_deleted_by_nomads_rules() {
    let acls = setup();
    let ctx = management("default");
    let engine = &acls.engine;
    let bad = Namespace {
        name: "no spaces".to_string(),
        ..Namespace::default()
    };
    check_error(
        engine.upsert_namespace(&ctx, None, bad),
        500,
        "Invalid namespace \"no spaces\": 1 error occurred:\n\t* invalid name \"no spaces\". Must match regex ^[a-zA-Z0-9-]{1,128}$\n\n",
    );
    let mismatched = Namespace {
        name: "a".to_string(),
        ..Namespace::default()
    };
    check_error(
        engine.upsert_namespace(&ctx, Some("b"), mismatched),
        400,
        "Namespace name does not match request path",
    );
    let dev = acls.secrets["dev"].clone();
    let empty = Namespace {
        name: "empty".to_string(),
        ..Namespace::default()
    };
    check_error(
        engine.upsert_namespace(&as_token(&dev, "default"), None, empty.clone()),
        403,
        "Permission denied",
    );
    engine.upsert_namespace(&ctx, None, empty).unwrap();

    check_error(
        engine.delete_namespace(&ctx, "default"),
        500,
        "can not delete default namespace",
    );
    check_error(
        engine.delete_namespace(&ctx, "dev"),
        500,
        "namespace \"dev\" has non-terminal jobs in regions: [global]",
    );
    check_error(
        engine.delete_namespace(&ctx, "ghost"),
        500,
        "namespace not found",
    );
    check_error(
        engine.delete_namespace(&as_token(&dev, "default"), "empty"),
        403,
        "Permission denied",
    );
    engine.delete_namespace(&ctx, "empty").unwrap();
    check_error(
        engine.read_namespace(&ctx, "empty"),
        404,
        "Namespace not found",
    );
    // Once its job is purged, a namespace can go.
    let purge = JobDeregisterOptions {
        purge: true,
        ..JobDeregisterOptions::default()
    };
    engine
        .deregister_job(&management("prod-db"), "web", &purge)
        .unwrap();
    engine.delete_namespace(&ctx, "prod-db").unwrap();
    check_error(
        engine.register_job(&management("prod-db"), register(sample_job("web"))),
        500,
        "1 error occurred:\n\t* job \"web\" is in nonexistent namespace \"prod-db\"\n\n",
    );

    // Reads show the namespaces a token may use.
    let names = |token: &str| -> Vec<String> {
        engine
            .list_namespaces(&as_token(token, "default"), "")
            .unwrap()
            .value
            .iter()
            .map(|n| n.name.clone())
            .collect()
    };
    assert_eq!(names(MANAGEMENT), ["default", "dev", "prod-web"]);
    assert_eq!(names(&dev), ["dev"]);
    assert_eq!(names(""), Vec::<String>::new());
    assert!(
        engine
            .read_namespace(&as_token(&dev, "default"), "dev")
            .is_ok()
    );
    check_error(
        engine.read_namespace(&as_token(&dev, "default"), "default"),
        403,
        "Permission denied",
    );
}

#[test]
fn policies_are_validated_and_shown_to_their_tokens() {
    let acls = setup();
    let ctx = management("default");
    let engine = &acls.engine;
    let invalid = AclPolicy {
        name: "broken".to_string(),
        rules: r#"namespace "x" { policy = "admin" }"#.to_string(),
        ..AclPolicy::default()
    };
    let error = engine
        .upsert_acl_policy(&ctx, "broken", invalid)
        .unwrap_err();
    assert_eq!(error.status, 400);
    assert!(
        error
            .message
            .starts_with("policy 0 invalid: 1 error occurred:\n\t* failed to parse rules: "),
        "{error}"
    );
    check_error(
        engine.upsert_acl_policy(&ctx, "other", AclPolicy::default()),
        400,
        "ACL policy name does not match request path",
    );
    let dev = as_token(&acls.secrets["dev-conflict"], "default");
    check_error(
        engine.upsert_acl_policy(
            &dev,
            "mine",
            AclPolicy {
                name: "mine".to_string(),
                ..AclPolicy::default()
            },
        ),
        403,
        "Permission denied",
    );
    let names = |ctx: &RequestContext| -> Vec<String> {
        engine
            .list_acl_policies(ctx, "")
            .unwrap()
            .value
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    assert_eq!(names(&dev), ["dev-deny", "dev-write"]);
    assert_eq!(names(&ctx).len(), POLICIES.len());
    assert!(engine.read_acl_policy(&dev, "dev-deny").is_ok());
    check_error(
        engine.read_acl_policy(&dev, "prod"),
        403,
        "Permission denied",
    );
    check_error(
        engine.read_acl_policy(&ctx, "nope"),
        404,
        "ACL policy not found",
    );
    engine.delete_acl_policy(&ctx, "dev-deny").unwrap();
    // The token keeps naming the deleted policy; it is skipped, so dev is writable again.
    assert_eq!(
        row(engine, &as_token(&acls.secrets["dev-conflict"], "dev")),
        WRITE
    );
}

#[test]
fn tokens_are_validated_read_by_their_owner_and_deleted() {
    let acls = setup();
    let ctx = management("default");
    let engine = &acls.engine;
    check_error(
        engine.upsert_acl_token(&ctx, None, client_token("empty", &[])),
        400,
        "token 0 invalid: 1 error occurred:\n\t* client token missing policies or roles\n\n",
    );
    let mut both = client_token("both", &["readonly"]);
    both.token_type = "management".to_string();
    check_error(
        engine.upsert_acl_token(&ctx, None, both),
        400,
        "token 0 invalid: 1 error occurred:\n\t* management token cannot be associated with policies or roles\n\n",
    );
    let mut far = client_token("far", &["readonly"]);
    far.expiration_ttl = Some(json!("48h"));
    check_error(
        engine.upsert_acl_token(&ctx, None, far),
        400,
        "token 0 invalid: 1 error occurred:\n\t* expiration time cannot be more than 24h0m0s in the future (was 48h0m0s)\n\n",
    );
    let mut update = client_token("renamed", &["readonly"]);
    update.accessor_id = "ghost".to_string();
    check_error(
        engine.upsert_acl_token(&ctx, Some("ghost"), update),
        400,
        "cannot find token ghost",
    );

    let readonly = as_token(&acls.secrets["readonly"], "default");
    let own = engine.acl_token_self(&readonly).unwrap().value;
    assert!(engine.read_acl_token(&readonly, &own.accessor_id).is_ok());
    let dev_accessor = engine
        .acl_token_self(&as_token(&acls.secrets["dev"], "default"))
        .unwrap()
        .value
        .accessor_id
        .clone();
    check_error(
        engine.read_acl_token(&readonly, &dev_accessor),
        403,
        "Permission denied",
    );
    check_error(
        engine.list_acl_tokens(&readonly, &PageRequest::default(), ""),
        403,
        "Permission denied",
    );

    // An update keeps the secret and the creation time.
    let mut rename = client_token("renamed", &["readonly", "dev-write"]);
    rename.accessor_id = own.accessor_id.clone();
    let (renamed, _) = engine
        .upsert_acl_token(&ctx, Some(&own.accessor_id), rename)
        .unwrap();
    assert_eq!(
        (
            &renamed.secret_id,
            &renamed.create_time,
            renamed.create_index
        ),
        (&own.secret_id, &own.create_time, own.create_index)
    );
    assert_eq!(row(engine, &as_token(&own.secret_id, "dev")), WRITE);

    check_error(
        engine.delete_acl_token(&ctx, "ghost"),
        400,
        "Cannot delete nonexistent tokens: ghost",
    );
    engine.delete_acl_token(&ctx, &own.accessor_id).unwrap();
    assert_eq!(row(engine, &readonly), NONE);
    check_error(engine.acl_token_self(&readonly), 404, "ACL token not found");
}

#[test]
fn host_volumes_need_mount_rights_on_register() {
    let acls = setup();
    let dev = as_token(&acls.secrets["dev"], "dev");
    let with_volume = |read_only: bool| {
        let mut job = sample_job("db");
        Arc::make_mut(&mut job.task_groups[0]).volumes.insert(
            "data".to_string(),
            serde_json::from_value(
                json!({"Type": "host", "Source": "data", "ReadOnly": read_only}),
            )
            .unwrap(),
        );
        register(job)
    };
    check_error(
        acls.engine.register_job(&dev, with_volume(true)),
        403,
        "Permission denied",
    );
    let policy = AclPolicy {
        name: "dev-write".to_string(),
        rules: r#"
            namespace "dev" { policy = "write" }
            host_volume "data" { policy = "read" }
        "#
        .to_string(),
        ..AclPolicy::default()
    };
    acls.engine
        .upsert_acl_policy(&management("default"), "dev-write", policy)
        .unwrap();
    acls.engine.register_job(&dev, with_volume(true)).unwrap();
    // Read-only rights do not mount the volume read-write.
    check_error(
        acls.engine.register_job(&dev, with_volume(false)),
        403,
        "Permission denied",
    );
}

#[test]
fn other_reads_ask_for_read_job_in_their_namespaces() {
    let acls = setup();
    let prod = |namespace: &str| as_token(&acls.secrets["prod"], namespace);
    let all = acls.engine.readable_namespaces(&prod("*")).unwrap();
    let expected: BTreeSet<String> = ["default", "dev", "prod-web"]
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(all, NamespaceSelector::Only(expected));
    assert_eq!(
        acls.engine.readable_namespaces(&prod("dev")).unwrap(),
        NamespaceSelector::one("dev")
    );
    check_error(
        acls.engine.readable_namespaces(&prod("prod-db")),
        403,
        "Permission denied",
    );
    assert_eq!(
        acls.engine.readable_namespaces(&management("*")).unwrap(),
        NamespaceSelector::All
    );
    let exec = Capability::AllocExec;
    assert!(
        acls.engine
            .authorize_namespace(&prod("x"), "prod-web", exec)
            .is_ok()
    );
    check_error(
        acls.engine.authorize_namespace(&prod("x"), "default", exec),
        403,
        "Permission denied",
    );
}
