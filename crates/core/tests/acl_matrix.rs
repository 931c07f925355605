//! What a compiled ACL allows: tokens x Jobs endpoints x namespaces, glob precedence, deny
//! wins, and the namespaces a `namespace=*` listing may show.

use std::collections::BTreeSet;
use std::sync::Arc;

use drover_core::ApiError;
use drover_core::acl::{Acl, AclError, Capability, JobsEndpoint, NamespaceSet, Policy};
use drover_model::{Job, Task, TaskGroup, VolumeMount, VolumeRequest};

fn acl(policies: &[&str]) -> Acl {
    let parsed: Vec<Policy> = policies
        .iter()
        .map(|rules| Policy::parse(rules).unwrap_or_else(|e| panic!("{rules}: {e}")))
        .collect();
    Acl::compile(&parsed)
}

const WRITER: &str = r#"
namespace "default" { policy = "write" }
namespace "dev-*" { policy = "read" }
"#;

fn token(name: &str) -> Acl {
    match name {
        "mgmt" => Acl::management(),
        "off" => Acl::acls_disabled(),
        "none" => acl(&[]),
        "reader" => acl(&[r#"namespace "default" { policy = "read" }"#]),
        "writer" => acl(&[WRITER]),
        "scaler" => acl(&[r#"namespace "default" { policy = "scale" }"#]),
        "scalereader" => acl(&[r#"namespace "default" { capabilities = ["read-job-scaling"] }"#]),
        "fine" => acl(&[r#"
            namespace "default" {
              capabilities = ["register-job", "plan-job", "revert-job", "stable-job",
                              "evaluate-job", "deregister-job", "tag-job-version",
                              "force-periodic-job"]
            }"#]),
        "purger" => acl(&[r#"namespace "default" { capabilities = ["purge-job"] }"#]),
        "dispatcher" => acl(&[r#"namespace "*" { capabilities = ["dispatch-job"] }"#]),
        "sentinel" => acl(&[
            r#"namespace "default" { policy = "write" }"#,
            r#"namespace "default" { capabilities = ["sentinel-override"] }"#,
        ]),
        "denied" => acl(&[WRITER, r#"namespace "default" { policy = "deny" }"#]),
        "parser" => acl(&[r#"namespace "default" { capabilities = ["parse-job"] }"#]),
        other => panic!("unknown token {other}"),
    }
}

fn endpoint(name: &str) -> JobsEndpoint {
    match name {
        "list" => JobsEndpoint::List,
        "read" => JobsEndpoint::Read,
        "register" => JobsEndpoint::Register {
            policy_override: false,
        },
        "register+override" => JobsEndpoint::Register {
            policy_override: true,
        },
        "plan" => JobsEndpoint::Plan {
            policy_override: false,
        },
        "plan+override" => JobsEndpoint::Plan {
            policy_override: true,
        },
        "parse" => JobsEndpoint::Parse,
        "validate" => JobsEndpoint::Validate,
        "dispatch" => JobsEndpoint::Dispatch,
        "periodic-force" => JobsEndpoint::PeriodicForce,
        "revert" => JobsEndpoint::Revert,
        "stable" => JobsEndpoint::Stable,
        "evaluate" => JobsEndpoint::Evaluate,
        "stop" => JobsEndpoint::Deregister { purge: false },
        "purge" => JobsEndpoint::Deregister { purge: true },
        "scale" => JobsEndpoint::Scale {
            policy_override: false,
        },
        "scale+override" => JobsEndpoint::Scale {
            policy_override: true,
        },
        "scale-status" => JobsEndpoint::ScaleStatus,
        "tag" => JobsEndpoint::Tag,
        "versions" => JobsEndpoint::Versions,
        "allocations" => JobsEndpoint::Allocations,
        "evaluations" => JobsEndpoint::Evaluations,
        "deployments" => JobsEndpoint::Deployments,
        "summary" => JobsEndpoint::Summary,
        "submission" => JobsEndpoint::Submission,
        "services" => JobsEndpoint::Services,
        other => panic!("unknown endpoint {other}"),
    }
}

/// token, endpoint, namespace, expected.
const MATRIX: &str = "
mgmt        register+override  prod     allow
mgmt        purge              prod     allow
mgmt        list               *        allow
off         register+override  prod     allow
off         scale+override     default  allow
none        read               default  deny
none        list               *        deny
none        parse              default  deny
reader      list               default  allow
reader      list               *        allow
reader      list               prod     deny
reader      read               default  allow
reader      read               prod     deny
reader      versions           default  allow
reader      allocations        default  allow
reader      evaluations        default  allow
reader      deployments        default  allow
reader      summary            default  allow
reader      submission         default  allow
reader      services           default  allow
reader      validate           default  allow
reader      parse              default  allow
reader      scale-status       default  allow
reader      register           default  deny
reader      plan               default  deny
reader      dispatch           default  deny
reader      periodic-force     default  deny
reader      revert             default  deny
reader      stable             default  deny
reader      evaluate           default  deny
reader      stop               default  deny
reader      purge              default  deny
reader      scale              default  deny
reader      tag                default  deny
writer      register           default  allow
writer      register+override  default  deny
writer      plan               default  allow
writer      plan+override      default  deny
writer      dispatch           default  allow
writer      periodic-force     default  allow
writer      revert             default  allow
writer      stable             default  allow
writer      evaluate           default  allow
writer      stop               default  allow
writer      purge              default  allow
writer      scale              default  allow
writer      scale+override     default  deny
writer      tag                default  allow
writer      read               dev-api  allow
writer      list               dev-api  allow
writer      register           dev-api  deny
writer      read               prod     deny
writer      register           prod     deny
writer      list               *        allow
writer      register           *        allow
scaler      scale              default  allow
scaler      scale-status       default  allow
scaler      read               default  allow
scaler      list               default  deny
scaler      register           default  deny
scaler      scale              prod     deny
scalereader scale-status       default  allow
scalereader read               default  deny
fine        register           default  allow
fine        plan               default  allow
fine        revert             default  allow
fine        stable             default  allow
fine        evaluate           default  allow
fine        stop               default  allow
fine        purge              default  deny
fine        tag                default  allow
fine        periodic-force     default  allow
fine        dispatch           default  deny
fine        scale              default  deny
fine        read               default  deny
fine        parse              default  deny
purger      purge              default  allow
purger      stop               default  allow
purger      register           default  deny
dispatcher  dispatch           prod     allow
dispatcher  dispatch           default  allow
dispatcher  periodic-force     prod     allow
dispatcher  list               *        deny
dispatcher  read               prod     deny
sentinel    register+override  default  allow
sentinel    plan+override      default  allow
sentinel    scale+override     default  allow
sentinel    register+override  prod     deny
denied      read               default  deny
denied      register           default  deny
denied      read               dev-api  allow
denied      list               *        allow
parser      parse              default  allow
parser      parse              prod     deny
parser      validate           default  deny
parser      read               default  deny
";

#[test]
fn tokens_by_endpoints_by_namespaces() {
    let mut rows = 0;
    let mut failures = Vec::new();
    for line in MATRIX.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [token_name, endpoint_name, namespace, expected] = fields[..] else {
            panic!("bad row {line:?}");
        };
        let expected = match expected {
            "allow" => Ok(()),
            "deny" => Err(AclError::PermissionDenied),
            other => panic!("bad expectation {other}"),
        };
        let got = token(token_name).check(endpoint(endpoint_name), namespace);
        if got != expected {
            failures.push(format!("{line:?}: got {got:?}"));
        }
        rows += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(rows >= 60, "only {rows} rows");
}

#[test]
fn a_denied_check_is_a_403_permission_denied() {
    let error = token("none")
        .check(JobsEndpoint::Read, "default")
        .unwrap_err();
    assert_eq!(error.to_string(), "Permission denied");
    assert_eq!(
        ApiError::from(error),
        ApiError::new(403, "Permission denied")
    );
}

fn allows(policies: &[&str], namespace: &str) -> bool {
    acl(policies).allow_namespace_operation(namespace, Capability::SubmitJob)
}

fn check_glob(policies: &[&str], namespace: &str, expected: bool) {
    assert_eq!(
        allows(policies, namespace),
        expected,
        "{policies:?} on {namespace}"
    );
}

const WRITE: &str = r#"{ policy = "write" }"#;
const DENY: &str = r#"{ policy = "deny" }"#;

fn rule(name: &str, body: &str) -> String {
    format!("namespace {name:?} {body}")
}

#[test]
fn glob_precedence() {
    // A glob matches, a plain name is no prefix.
    check_glob(&[&rule("prod-api-*", WRITE)], "prod-api-services", true);
    check_glob(&[&rule("prod-api", WRITE)], "prod-api-services", false);
    check_glob(&[&rule("*", WRITE)], "anything", true);
    check_glob(&[&rule("*-api", WRITE)], "prod-api-web", false);
    check_glob(&[&rule("a*b*c", WRITE)], "a-b-b-c", true);
    check_glob(&[&rule("a*b*c", WRITE)], "a-c-b", false);
    // The exact rule wins over any glob, whatever the order.
    for policy in [
        [rule("prod-api-services", DENY), rule("prod-api-*", WRITE)],
        [rule("prod-api-*", WRITE), rule("prod-api-services", DENY)],
    ] {
        check_glob(&[&policy.join("\n")], "prod-api-services", false);
    }
    check_glob(
        &[&rule("prod-api-*", DENY), &rule("prod-api-services", WRITE)],
        "prod-api-services",
        true,
    );
    // An exact rule granting nothing still shadows the globs.
    check_glob(&[&rule("prod", "{}"), &rule("*", WRITE)], "prod", false);
    // The closest glob wins: len(ns) - len(glob) + stars, 4 against 8 here.
    for policy in [
        [rule("*-api-services", DENY), rule("prod-api-*", WRITE)],
        [rule("prod-api-*", WRITE), rule("*-api-services", DENY)],
    ] {
        check_glob(&[&policy.join("\n")], "prod-api-services", false);
    }
    // 5 against 10.
    check_glob(
        &[
            &rule("production-*", WRITE),
            &rule("production-*-api", DENY),
        ],
        "production-admin-api",
        false,
    );
    // Equally close globs: Nomad's sort leaves the last in byte order first.
    check_glob(
        &[&rule("prod-*", WRITE), &rule("*-api", DENY)],
        "prod-api",
        true,
    );
    check_glob(
        &[&rule("prod-*", DENY), &rule("*-api", WRITE)],
        "prod-api",
        false,
    );
    // Stars count against a glob: "production-**" ties with "production-*" and sorts last.
    check_glob(
        &[&rule("production-*", WRITE), &rule("production-**", DENY)],
        "production-admin-api",
        false,
    );
}

#[test]
fn deny_wins() {
    let write = r#"namespace "default" { policy = "write" }"#;
    let deny = r#"namespace "default" { policy = "deny" }"#;
    // Across policies, in either order.
    check_glob(&[write, deny], "default", false);
    check_glob(&[deny, write], "default", false);
    // Within one rule, next to other capabilities.
    check_glob(
        &[r#"namespace "default" { capabilities = ["submit-job", "deny"] }"#],
        "default",
        false,
    );
    check_glob(
        &[r#"namespace "default" {
               policy = "deny"
               capabilities = ["submit-job"]
             }"#],
        "default",
        false,
    );
    // On a glob, and only on the names it covers.
    let globs = [
        r#"namespace "dev-*" { policy = "write" }"#,
        r#"namespace "dev-*" { policy = "deny" }"#,
    ];
    check_glob(&globs, "dev-api", false);
    check_glob(&[write, deny, WRITER], "dev-api", false);
    check_glob(
        &[deny, r#"namespace "other" { policy = "write" }"#],
        "other",
        true,
    );
}

#[test]
fn the_all_namespaces_wildcard_asks_whether_any_rule_grants() {
    let mixed = acl(&[&rule("prod-api-*", DENY), &rule("prod-api-services", WRITE)]);
    assert!(mixed.allow_namespace("*"));
    assert!(mixed.allow_namespace_operation("*", Capability::SubmitJob));
    assert!(!mixed.allow_namespace_operation("*", Capability::PurgeJob));
    assert!(!acl(&[&rule("default", DENY)]).allow_namespace("*"));
    assert!(!acl(&[&rule("default", "{}")]).allow_namespace("default"));
    assert!(acl(&[&rule("default", r#"{ policy = "read" }"#)]).allow_namespace("default"));
    assert!(
        acl(&[&rule("default", r#"{ policy = "read" }"#)])
            .allow_any_of("default", &[Capability::SubmitJob, Capability::ReadJob])
    );
}

fn only(namespaces: &[&str]) -> NamespaceSet {
    NamespaceSet::Only(
        namespaces
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<BTreeSet<_>>(),
    )
}

#[test]
fn namespaces_a_wildcard_listing_shows_per_token() {
    const EXISTING: &[&str] = &["default", "dev-api", "dev-web", "prod"];
    let cases = [
        ("mgmt", NamespaceSet::All),
        ("off", NamespaceSet::All),
        ("none", only(&[])),
        ("reader", only(&["default"])),
        ("writer", only(&["default", "dev-api", "dev-web"])),
        ("denied", only(&["dev-api", "dev-web"])),
        ("scaler", only(&[])),
        ("dispatcher", only(&[])),
    ];
    for (name, expected) in cases {
        let got = token(name).allowed_namespaces(Capability::ListJobs, EXISTING.iter().copied());
        assert_eq!(got, expected, "{name}");
    }
    let dispatch =
        token("dispatcher").allowed_namespaces(Capability::DispatchJob, EXISTING.iter().copied());
    assert_eq!(dispatch, only(EXISTING));
    assert!(dispatch.contains("prod"));
    assert!(!only(&["default"]).contains("prod"));
    assert!(NamespaceSet::All.contains("prod"));
}

#[test]
fn management_and_disabled_acls_bypass_everything() {
    for acl in [Acl::management(), Acl::acls_disabled()] {
        assert!(acl.is_management());
        for capability in Capability::ALL {
            assert!(acl.allow_namespace_operation("any", *capability));
        }
        assert!(acl.allow_plugin_read());
    }
    assert!(!token("writer").is_management());
}

fn job_with(
    volume_type: &str,
    source: &str,
    read_only: bool,
    propagation: &str,
    csi_plugin: bool,
) -> Job {
    let volume = VolumeRequest {
        name: "data".to_owned(),
        volume_type: volume_type.to_owned(),
        source: source.to_owned(),
        read_only,
        ..VolumeRequest::default()
    };
    let task = Task {
        name: "t".into(),
        volume_mounts: vec![VolumeMount {
            volume: "data".to_owned(),
            propagation_mode: propagation.to_owned(),
            ..VolumeMount::default()
        }],
        csi_plugin_config: csi_plugin.then(|| serde_json::json!({"ID": "p"})),
        ..Task::default()
    };
    Job {
        task_groups: vec![Arc::new(TaskGroup {
            name: "g".into(),
            volumes: [("data".to_owned(), volume)].into(),
            tasks: vec![Arc::new(task)],
            ..TaskGroup::default()
        })],
        ..Job::default()
    }
}

/// Policies, volume type, source, read-only, mount propagation, a CSI plugin task, allowed.
type VolumeCase<'a> = (&'a [&'a str], &'a str, &'a str, bool, &'a str, bool, bool);

#[test]
fn registering_volumes_needs_volume_rights() {
    let host_read = r#"host_volume "certs" { policy = "read" }"#;
    let host_write = r#"host_volume "cert*" { policy = "write" }"#;
    let csi = r#"
        namespace "default" { policy = "write" }
        plugin { policy = "read" }
    "#;
    let csi_plugin_write = r#"
        namespace "default" { policy = "write" }
        plugin { policy = "write" }
    "#;
    let plugin_owner = r#"namespace "default" { capabilities = ["csi-register-plugin"] }"#;
    let cases: &[VolumeCase] = &[
        (&[host_read], "host", "certs", true, "private", false, true),
        (
            &[host_read],
            "host",
            "certs",
            false,
            "private",
            false,
            false,
        ),
        (
            &[host_write],
            "host",
            "certs",
            false,
            "private",
            false,
            true,
        ),
        (
            &[host_write],
            "host",
            "certs",
            true,
            "bidirectional",
            false,
            true,
        ),
        (
            &[host_read],
            "host",
            "certs",
            true,
            "bidirectional",
            false,
            false,
        ),
        (&[host_write], "host", "keys", true, "private", false, false),
        (&[csi], "csi", "vol", false, "private", false, true),
        // Plugin write does not include plugin read (Nomad's maxPrivilege levels).
        (
            &[csi_plugin_write],
            "csi",
            "vol",
            false,
            "private",
            false,
            false,
        ),
        (
            &[r#"plugin { policy = "read" }"#],
            "csi",
            "vol",
            false,
            "private",
            false,
            false,
        ),
        (
            &[host_write],
            "nfs",
            "certs",
            false,
            "private",
            false,
            false,
        ),
        (
            &[host_write, plugin_owner],
            "host",
            "certs",
            false,
            "private",
            true,
            true,
        ),
        (
            &[host_write],
            "host",
            "certs",
            false,
            "private",
            true,
            false,
        ),
    ];
    for (policies, volume_type, source, read_only, propagation, csi_plugin, allowed) in cases {
        let job = job_with(volume_type, source, *read_only, propagation, *csi_plugin);
        let got = acl(policies).check_job_volumes("default", &job);
        assert_eq!(
            got.is_ok(),
            *allowed,
            "{policies:?} {volume_type} {source} ro={read_only} {propagation} plugin={csi_plugin}"
        );
    }
    // Management and disabled ACLs pass, except for a volume type Nomad does not know.
    let known = job_with("host", "certs", false, "bidirectional", true);
    let unknown = job_with("nfs", "certs", false, "private", false);
    for acl in [Acl::management(), Acl::acls_disabled()] {
        assert_eq!(acl.check_job_volumes("default", &known), Ok(()));
        assert_eq!(
            acl.check_job_volumes("default", &unknown),
            Err(AclError::PermissionDenied)
        );
    }
}
