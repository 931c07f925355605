//! Policy rules: shorthand expansion, HCL and JSON alike, Nomad's validation texts, and parsing
//! that never panics.

use drover_core::acl::{AclError, NamedRule, NamespaceRule, Policy, Rule, validate_policy};
use drover_model::AclPolicy;
use proptest::prelude::*;

fn namespace_capabilities(rules: &str) -> Vec<String> {
    let policy = Policy::parse(rules).unwrap_or_else(|e| panic!("{rules}: {e}"));
    assert_eq!(policy.namespaces.len(), 1, "{rules}");
    policy.namespaces[0].capabilities.clone()
}

fn check_capabilities(rules: &str, expected: &[&str]) {
    assert_eq!(namespace_capabilities(rules), expected, "{rules}");
}

const READ: &[&str] = &[
    "list-jobs",
    "parse-job",
    "read-job",
    "csi-list-volume",
    "csi-read-volume",
    "read-job-scaling",
    "list-scaling-policies",
    "read-scaling-policy",
    "host-volume-read",
];

#[test]
fn shorthands_expand_as_nomad_lists_them() {
    check_capabilities(r#"namespace "default" { policy = "read" }"#, READ);
    let write: Vec<&str> = READ
        .iter()
        .copied()
        .chain([
            "scale-job",
            "submit-job",
            "dispatch-job",
            "read-logs",
            "read-fs",
            "alloc-exec",
            "alloc-lifecycle",
            "csi-mount-volume",
            "csi-write-volume",
            "submit-recommendation",
            "host-volume-create",
            // implied by host-volume-create
            "host-volume-read",
        ])
        .collect();
    check_capabilities(r#"namespace "default" { policy = "write" }"#, &write);
    check_capabilities(
        r#"namespace "default" { policy = "scale" }"#,
        &[
            "list-scaling-policies",
            "read-scaling-policy",
            "read-job-scaling",
            "scale-job",
            "read-job",
            "submit-recommendation",
        ],
    );
    check_capabilities(r#"namespace "default" { policy = "deny" }"#, &["deny"]);
    // Explicit capabilities first, then the shorthand's.
    check_capabilities(
        r#"namespace "default" {
             policy = "deny"
             capabilities = ["submit-job"]
           }"#,
        &["submit-job", "deny"],
    );
    check_capabilities(
        r#"namespace "default" { capabilities = ["sentinel-override"] }"#,
        &["sentinel-override"],
    );
}

#[test]
fn host_volume_capabilities_imply_weaker_ones() {
    check_capabilities(
        r#"namespace "a" { capabilities = ["host-volume-register"] }"#,
        &[
            "host-volume-register",
            "host-volume-create",
            "host-volume-read",
        ],
    );
    check_capabilities(
        r#"namespace "a" { capabilities = ["host-volume-create"] }"#,
        &["host-volume-create", "host-volume-read"],
    );
    check_capabilities(
        r#"namespace "a" { capabilities = ["host-volume-write"] }"#,
        &[
            "host-volume-write",
            "host-volume-register",
            "host-volume-create",
            "host-volume-delete",
            "host-volume-read",
        ],
    );
}

const EVERY_BLOCK: &str = r#"
namespace "default" {
  policy = "read"
}
namespace "secret" {
  capabilities = ["deny", "read-logs"]
}
namespace "apps" {
  variables {
    path "jobs/write-only" {
      capabilities = ["write"]
    }
    path "project/read-implies-list" {
      capabilities = ["read"]
    }
  }
}
host_volume "production-tls-*" {
  capabilities = ["mount-readonly"]
}
host_volume "staging-tls-*" {
  policy = "write"
}
node_pool "dev" {
  policy = "write"
}
agent {
  policy = "read"
}
node {
  policy = "write"
}
operator {
  policy = "deny"
}
sentinel {
  policy = "read"
  capabilities = ["sentinel-delete"]
}
quota {
  policy = "read"
}
plugin {
  policy = "list"
}
"#;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn rule(policy: &str, capabilities: &[&str]) -> Option<Rule> {
    Some(Rule {
        policy: policy.to_owned(),
        capabilities: strings(capabilities),
    })
}

#[test]
fn every_block_kind_is_parsed_and_kept() {
    let policy = Policy::parse(EVERY_BLOCK).unwrap();
    let names: Vec<&str> = policy.namespaces.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["default", "secret", "apps"]);
    assert_eq!(
        policy.namespaces[1].capabilities,
        strings(&["deny", "read-logs"])
    );
    let paths = policy.namespaces[2].variables.as_ref().unwrap();
    assert_eq!(paths[0].capabilities, strings(&["write"]));
    assert_eq!(paths[1].capabilities, strings(&["read", "list"]));
    assert_eq!(
        policy.host_volumes,
        [
            NamedRule {
                name: "production-tls-*".to_owned(),
                policy: String::new(),
                capabilities: strings(&["mount-readonly"]),
            },
            NamedRule {
                name: "staging-tls-*".to_owned(),
                policy: "write".to_owned(),
                capabilities: strings(&["mount-readonly", "mount-readwrite"]),
            },
        ]
    );
    assert_eq!(
        policy.node_pools[0].capabilities,
        strings(&["delete", "read", "write"])
    );
    assert_eq!(policy.agent, rule("read", &[]));
    assert_eq!(policy.node, rule("write", &[]));
    assert_eq!(policy.operator, rule("deny", &["deny"]));
    assert_eq!(
        policy.sentinel,
        rule("read", &["sentinel-delete", "sentinel-read"])
    );
    assert_eq!(policy.quota, rule("read", &[]));
    assert_eq!(policy.plugin, rule("list", &[]));
}

#[test]
fn json_rules_parse_like_hcl() {
    let hcl = Policy::parse(
        r#"
        namespace "default" { policy = "write" }
        namespace "prod-*" { capabilities = ["read-job", "list-jobs"] }
        host_volume "tls" { policy = "read" }
        agent { policy = "read" }
        "#,
    )
    .unwrap();
    for json in [
        r#"{
          "namespace": {
            "default": {"policy": "write"},
            "prod-*": {"capabilities": ["read-job", "list-jobs"]}
          },
          "host_volume": {"tls": {"policy": "read"}},
          "agent": {"policy": "read"}
        }"#,
        r#"{
          "namespace": [
            {"default": {"policy": "write"}},
            {"prod-*": [{"capabilities": ["read-job", "list-jobs"]}]}
          ],
          "host_volume": [{"tls": {"policy": "read"}}],
          "agent": [{"policy": "read"}]
        }"#,
    ] {
        assert_eq!(Policy::parse(json).unwrap(), hcl, "{json}");
    }
}

#[test]
fn empty_rules_are_an_empty_policy() {
    assert!(Policy::parse("").unwrap().is_empty());
}

fn check_error(rules: &str, expected: &str) {
    match Policy::parse(rules) {
        Err(AclError::InvalidPolicy(text)) => assert_eq!(text, expected, "{rules}"),
        other => panic!("{rules}: expected an invalid policy, got {other:?}"),
    }
}

#[test]
fn namespace_errors_print_the_rule_like_go() {
    check_error(
        r#"namespace "default" { policy = "foo" }"#,
        r#"Invalid namespace policy: &acl.NamespacePolicy{Name:"default", Policy:"foo", Capabilities:[]string(nil), Variables:(*acl.VariablesPolicy)(nil)}"#,
    );
    check_error(
        r#"namespace "default" { capabilities = ["deny", "foo"] }"#,
        r#"Invalid namespace capability 'foo': &acl.NamespacePolicy{Name:"default", Policy:"", Capabilities:[]string{"deny", "foo"}, Variables:(*acl.VariablesPolicy)(nil)}"#,
    );
    let no_name = r#"Invalid namespace name: &acl.NamespacePolicy{Name:"", Policy:"read", Capabilities:[]string(nil), Variables:(*acl.VariablesPolicy)(nil)}"#;
    check_error(r#"namespace { policy = "read" }"#, no_name);
    check_error(r#"{"namespace": [{"": {"policy": "read"}}]}"#, no_name);
    check_error(
        r#"namespace "has a space" { policy = "read" }"#,
        r#"Invalid namespace name: &acl.NamespacePolicy{Name:"has a space", Policy:"read", Capabilities:[]string(nil), Variables:(*acl.VariablesPolicy)(nil)}"#,
    );
    check_error(
        &format!(r#"namespace "{}" {{ policy = "read" }}"#, "a".repeat(129)),
        &format!(
            r#"Invalid namespace name: &acl.NamespacePolicy{{Name:"{}", Policy:"read", Capabilities:[]string(nil), Variables:(*acl.VariablesPolicy)(nil)}}"#,
            "a".repeat(129)
        ),
    );
}

#[test]
fn variables_errors() {
    check_error(
        r#"namespace "dev" {
             variables "*" {
               capabilities = ["read", "write"]
             }
           }"#,
        "Invalid variable policy: no variable paths in namespace dev",
    );
    check_error(
        r#"namespace "dev" {
             variables {
               path "/nomad/job" {
                 capabilities = ["read"]
               }
             }
           }"#,
        r#"Invalid variable path "/nomad/job" in namespace dev: cannot start with a leading '/'`"#,
    );
    check_error(
        r#"namespace "dev" {
             policy = "read"
             variables {
               path {}
               path "nomad/jobs/example" { capabilities = ["read"] }
             }
           }"#,
        "Invalid missing variable path in namespace dev",
    );
    check_error(
        r#"namespace "dev" {
             variables {
               path "nomad/jobs" { capabilities = ["read", "own"] }
             }
           }"#,
        "Invalid variable capability 'own' in namespace dev",
    );
    check_error(
        r#"{"namespace": [{"dev": {"policy": "read", "variables": [{"paths": []}]}}]}"#,
        "Invalid variable policy: no variable paths in namespace dev",
    );
}

#[test]
fn other_rule_errors() {
    let cases = [
        (
            r#"agent { policy = "foo" }"#,
            r#"Invalid agent policy: &acl.AgentPolicy{Policy:"foo"}"#,
        ),
        (
            r#"node { policy = "foo" }"#,
            r#"Invalid node policy: &acl.NodePolicy{Policy:"foo"}"#,
        ),
        (
            "agent {}",
            r#"Invalid agent policy: &acl.AgentPolicy{Policy:""}"#,
        ),
        (
            r#"operator { policy = "foo" }"#,
            r#"Invalid operator policy: &acl.OperatorPolicy{Policy:"foo", Capabilities:[]string(nil)}"#,
        ),
        (
            r#"operator { capabilities = ["snapshot-save", "reboot"] }"#,
            "Invalid operator capability 'reboot'",
        ),
        (
            r#"quota { policy = "foo" }"#,
            r#"Invalid quota policy: &acl.QuotaPolicy{Policy:"foo"}"#,
        ),
        (
            r#"plugin { policy = "reader" }"#,
            r#"Invalid plugin policy: &acl.PluginPolicy{Policy:"reader"}"#,
        ),
        (
            r#"plugin { policy = "scale" }"#,
            r#"Invalid plugin policy: &acl.PluginPolicy{Policy:"scale"}"#,
        ),
        (
            r#"sentinel { policy = "invalid" }"#,
            r#"Invalid sentinel policy: &acl.SentinelPolicy{Policy:"invalid", Capabilities:[]string(nil)}"#,
        ),
        (
            r#"sentinel { capabilities = ["invalid-capability"] }"#,
            "Invalid sentinel capability 'invalid-capability'",
        ),
        (r#"node_pool "" {}"#, "Invalid node pool name ''"),
        (r#"node_pool "pool%" {}"#, "Invalid node pool name 'pool%'"),
        (
            r#"node_pool "my-pool" { capabilities = ["read", "invalid"] }"#,
            "Invalid node pool capability 'invalid' for 'my-pool'",
        ),
        (
            r#"node_pool "my-pool" { policy = "all" }"#,
            "Invalid node pool policy 'all' for 'my-pool'",
        ),
        (
            r#"host_volume "volume has a space" { capabilities = ["mount-readwrite"] }"#,
            r#"Invalid host volume name: &acl.HostVolumePolicy{Name:"volume has a space", Policy:"", Capabilities:[]string{"mount-readwrite"}}"#,
        ),
        (
            r#"host_volume "tls" { capabilities = ["mount"] }"#,
            r#"Invalid host volume capability 'mount': &acl.HostVolumePolicy{Name:"tls", Policy:"", Capabilities:[]string{"mount"}}"#,
        ),
    ];
    for (rules, expected) in cases {
        check_error(rules, expected);
    }
}

#[test]
fn a_document_without_rules_is_an_invalid_policy() {
    let raw =
        r#"{"Name": "my-policy", "Description": "This is a great policy", "Rules": "anything"}"#;
    check_error(raw, &format!("Invalid policy: {raw}"));
    check_error("# only a comment\n", "Invalid policy: # only a comment\n");
}

#[test]
fn unknown_and_repeated_keys_are_refused_sorted() {
    let rules = r#"
namespace "foo" { policy = "write" }
namespace "bar" { policy = "write" }
bogus { policy = "read" }
anotherbogus { policy = "write" }
node { policy = "read" }
node { policy = "write" }
agent { policy = "read" }
agent { policy = "write" }
operator { policy = "read" }
operator { policy = "write" }
quota { policy = "read" }
quota { policy = "write" }
host_volume "a" { policy = "read" }
host_volume "b" { policy = "write" }
plugin { policy = "read" }
plugin { policy = "write" }
node_pool "a" { policy = "read" }
node_pool "b" { policy = "write" }
"#;
    check_error(
        rules,
        "Invalid or duplicate policy keys: agent, anotherbogus, bogus, node, operator, plugin, quota",
    );
}

#[test]
fn syntax_and_type_errors() {
    check_error(
        r#"namespace "default" { policy = 5 }"#,
        "Failed to parse ACL Policy: policy: expected a string",
    );
    check_error(
        r#"namespace "default" { capabilities = "read-job" }"#,
        "Failed to parse ACL Policy: capabilities: expected a list of strings",
    );
    check_error(
        r#"namespace "a" "b" { policy = "read" }"#,
        "Failed to parse ACL Policy: namespace: expected a single label",
    );
    check_error(
        r#"namespace = "default""#,
        "Failed to parse ACL Policy: namespace: expected a block",
    );
    check_error(
        r#"{"namespace": {"default": {"policy": "read"}}"#,
        "Failed to parse ACL Policy: EOF while parsing an object at line 1 column 45",
    );
    check_error(
        "namespace \"default\" {\n  policy = \"read\"\n",
        "Failed to parse ACL Policy: At 2:19: invalid block body; expected `}`, newline or identifier",
    );
    // Nomad's TestParse_BadInput.
    assert!(Policy::parse(r#"namespace "\500" {}"#).is_err());
}

#[test]
fn unknown_keys_inside_a_rule_are_ignored() {
    check_capabilities(
        r#"namespace "default" {
             policy = "deny"
             description = "ignored, as Nomad ignores it"
           }"#,
        &["deny"],
    );
}

#[test]
fn policy_writes_check_name_rules_and_description() {
    let policy = AclPolicy {
        name: "read only".to_owned(),
        description: "d".repeat(257),
        rules: r#"namespace "default" { policy = "foo" }"#.to_owned(),
        ..AclPolicy::default()
    };
    let expected = "3 errors occurred:\n\
        \t* invalid name 'read only'\n\
        \t* failed to parse rules: Invalid namespace policy: &acl.NamespacePolicy{Name:\"default\", Policy:\"foo\", Capabilities:[]string(nil), Variables:(*acl.VariablesPolicy)(nil)}\n\
        \t* description longer than 256\n\n";
    assert_eq!(
        validate_policy(&policy),
        Err(AclError::InvalidPolicy(expected.to_owned()))
    );
    let good = AclPolicy {
        name: "readonly".to_owned(),
        rules: r#"namespace "default" { policy = "read" }"#.to_owned(),
        ..AclPolicy::default()
    };
    assert_eq!(validate_policy(&good), Ok(()));
}

#[test]
fn parsed_rules_keep_their_names_and_levels() {
    let policy = Policy::parse(r#"namespace prod { policy = "read" }"#).unwrap();
    assert_eq!(
        policy.namespaces,
        [NamespaceRule {
            name: "prod".to_owned(),
            policy: "read".to_owned(),
            capabilities: strings(READ),
            variables: None,
        }]
    );
}

/// Fragments of policy syntax, so random documents get past the tokenizer often.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "namespace",
        "\"default\"",
        "\"*\"",
        "\"prod-*\"",
        "{",
        "}",
        "[",
        "]",
        "=",
        ",",
        "\n",
        "policy",
        "capabilities",
        "\"read\"",
        "\"write\"",
        "\"deny\"",
        "\"scale\"",
        "\"read-job\"",
        "\"bogus\"",
        "variables",
        "path",
        "\"a/b\"",
        "host_volume",
        "node_pool",
        "agent",
        "operator",
        "plugin",
        "quota",
        "sentinel",
        "node",
        "5",
        "true",
        "null",
        ":",
        "\"namespace\"",
        "\"policy\"",
        "\"capabilities\"",
        "#",
        "${x}",
        "\"\"",
    ])
}

proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(rules in "\\PC{0,200}") {
        let _ = Policy::parse(&rules);
    }

    #[test]
    fn parsing_policy_like_text_never_panics(parts in prop::collection::vec(fragment(), 0..40)) {
        let rules = parts.join(" ");
        if let Ok(policy) = Policy::parse(&rules) {
            // What parses, parses the same way twice and compiles.
            prop_assert_eq!(Policy::parse(&rules).unwrap(), policy.clone());
            let _ = drover_core::acl::Acl::compile([&policy]);
        }
    }
}
