//! Parsing and validating an ACL policy's rules, in HCL or JSON, into a [`Policy`]. Errors carry
//! Nomad's texts; the rules that print the offending block show it the way Go's `%#v` does.

use std::collections::BTreeSet;

use drover_model::AclPolicy;
use drover_model::gotext::{multierror, quote};

use super::AclError;
use super::capability::{
    Capability, HostVolumeCapability, KeptKind, NODE_POOL, OPERATOR, SENTINEL,
    VARIABLES_CAPABILITIES, expand_host_volume_policy, expand_namespace_policy,
    expand_variables_capabilities, implied_namespace_capabilities, is_plugin_level,
    is_policy_level,
};
use super::document::{self, Item, Node};

/// A parsed policy. Capability lists are validated and expanded: they hold the explicit
/// capabilities, then what the `policy` shorthand grants, then what those imply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub namespaces: Vec<NamespaceRule>,
    pub node_pools: Vec<NamedRule>,
    pub host_volumes: Vec<NamedRule>,
    /// `agent`, `node`, `quota` and `plugin` carry only a `policy`.
    pub agent: Option<Rule>,
    pub node: Option<Rule>,
    pub operator: Option<Rule>,
    pub sentinel: Option<Rule>,
    pub quota: Option<Rule>,
    pub plugin: Option<Rule>,
}

/// `namespace "name" { policy = "...", capabilities = [...], variables { ... } }`. The name may
/// be a glob with `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespaceRule {
    pub name: String,
    pub policy: String,
    pub capabilities: Vec<String>,
    pub variables: Option<Vec<VariablesPathRule>>,
}

/// `path "nomad/jobs/*" { capabilities = [...] }` inside a namespace's `variables` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariablesPathRule {
    pub path: String,
    pub capabilities: Vec<String>,
}

/// A `node_pool` or `host_volume` rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedRule {
    pub name: String,
    pub policy: String,
    pub capabilities: Vec<String>,
}

/// An unlabeled rule: `agent`, `node`, `operator`, `sentinel`, `quota` or `plugin`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    pub policy: String,
    pub capabilities: Vec<String>,
}

/// Whether keys Nomad does not know are refused. Policies are written strictly and compiled
/// leniently, so a policy stored before a key was refused keeps working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strictness {
    Strict,
    Lenient,
}

impl Policy {
    /// Parses and validates policy rules as a policy write does (unknown keys refused). Empty
    /// rules are an empty policy.
    pub fn parse(rules: &str) -> Result<Policy, AclError> {
        parse(rules, Strictness::Strict)
    }

    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty()
            && self.node_pools.is_empty()
            && self.host_volumes.is_empty()
            && self.agent.is_none()
            && self.node.is_none()
            && self.operator.is_none()
            && self.sentinel.is_none()
            && self.quota.is_none()
            && self.plugin.is_none()
    }
}

/// Checks an ACL policy as Nomad's policy write does: its name, its rules (strictly) and its
/// description length. The error lists every problem in go-multierror's format.
pub fn validate_policy(policy: &AclPolicy) -> Result<(), AclError> {
    const MAX_DESCRIPTION: usize = 256;
    let mut errors = Vec::new();
    if !valid_name(&policy.name, 128, "-") {
        errors.push(format!("invalid name '{}'", policy.name));
    }
    if let Err(error) = Policy::parse(&policy.rules) {
        errors.push(format!("failed to parse rules: {error}"));
    }
    if policy.description.len() > MAX_DESCRIPTION {
        errors.push(format!("description longer than {MAX_DESCRIPTION}"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AclError::InvalidPolicy(multierror(&errors)))
    }
}

pub(super) fn parse(rules: &str, strictness: Strictness) -> Result<Policy, AclError> {
    if rules.is_empty() {
        return Ok(Policy::default());
    }
    let items = document::read(rules).map_err(syntax)?;
    let (mut policy, extra_keys) = decode(items)?;
    if policy.is_empty() {
        return Err(invalid(format!("Invalid policy: {rules}")));
    }

    for rule in &mut policy.namespaces {
        check_namespace(rule)?;
    }
    for rule in &mut policy.node_pools {
        check_node_pool(rule)?;
    }
    for rule in &mut policy.host_volumes {
        check_host_volume(rule)?;
    }
    if strictness == Strictness::Strict && !extra_keys.is_empty() {
        let keys: Vec<String> = extra_keys.into_iter().collect();
        return Err(invalid(format!(
            "Invalid or duplicate policy keys: {}",
            keys.join(", ")
        )));
    }

    check_level(&policy.agent, "agent", "AgentPolicy", is_policy_level)?;
    check_level(&policy.node, "node", "NodePolicy", is_policy_level)?;
    if let Some(rule) = &mut policy.operator {
        check_capability_rule(rule, "operator", "OperatorPolicy", &OPERATOR)?;
    }
    if let Some(rule) = &mut policy.sentinel {
        check_capability_rule(rule, "sentinel", "SentinelPolicy", &SENTINEL)?;
    }
    check_level(&policy.quota, "quota", "QuotaPolicy", is_policy_level)?;
    check_level(&policy.plugin, "plugin", "PluginPolicy", is_plugin_level)?;
    Ok(policy)
}

/// `agent`, `node`, `quota` and `plugin`: a level, which they must have.
fn check_level(
    rule: &Option<Rule>,
    kind: &str,
    go_type: &str,
    valid: fn(&str) -> bool,
) -> Result<(), AclError> {
    match rule {
        Some(rule) if !valid(&rule.policy) => Err(invalid(format!(
            "Invalid {kind} policy: {}",
            go_rule(go_type, rule, false)
        ))),
        _ => Ok(()),
    }
}

fn check_namespace(rule: &mut NamespaceRule) -> Result<(), AclError> {
    if !valid_name(&rule.name, 128, "-*") {
        return Err(invalid(format!(
            "Invalid namespace name: {}",
            go_namespace(rule)
        )));
    }
    if !rule.policy.is_empty() && !is_policy_level(&rule.policy) {
        return Err(invalid(format!(
            "Invalid namespace policy: {}",
            go_namespace(rule)
        )));
    }
    if let Some(bad) = rule
        .capabilities
        .iter()
        .find(|c| Capability::from_name(c).is_none())
    {
        return Err(invalid(format!(
            "Invalid namespace capability '{bad}': {}",
            go_namespace(rule)
        )));
    }
    let granted: Vec<Capability> = rule
        .capabilities
        .iter()
        .filter_map(|c| Capability::from_name(c))
        .chain(expand_namespace_policy(&rule.policy))
        .collect();
    let implied = granted
        .iter()
        .flat_map(|c| implied_namespace_capabilities(*c));
    rule.capabilities = granted
        .iter()
        .chain(implied)
        .map(|c| c.as_str().to_owned())
        .collect();

    let Some(paths) = &mut rule.variables else {
        return Ok(());
    };
    let namespace = &rule.name;
    if paths.is_empty() {
        return Err(invalid(format!(
            "Invalid variable policy: no variable paths in namespace {namespace}"
        )));
    }
    for path in paths {
        if path.path.is_empty() {
            return Err(invalid(format!(
                "Invalid missing variable path in namespace {namespace}"
            )));
        }
        if path.path.starts_with('/') {
            // The stray backtick is in Nomad's text.
            return Err(invalid(format!(
                "Invalid variable path {} in namespace {namespace}: cannot start with a leading '/'`",
                quote(&path.path)
            )));
        }
        if let Some(bad) = path
            .capabilities
            .iter()
            .find(|c| !VARIABLES_CAPABILITIES.contains(&c.as_str()))
        {
            return Err(invalid(format!(
                "Invalid variable capability '{bad}' in namespace {namespace}"
            )));
        }
        expand_variables_capabilities(&mut path.capabilities);
    }
    Ok(())
}

fn check_node_pool(rule: &mut NamedRule) -> Result<(), AclError> {
    let name = &rule.name;
    if !valid_name(name, 128, "-_*") {
        return Err(invalid(format!("Invalid node pool name '{name}'")));
    }
    if !rule.policy.is_empty() && !is_policy_level(&rule.policy) {
        return Err(invalid(format!(
            "Invalid node pool policy '{}' for '{name}'",
            rule.policy
        )));
    }
    if let Some(bad) = rule
        .capabilities
        .iter()
        .find(|c| !NODE_POOL.capabilities.contains(&c.as_str()))
    {
        return Err(invalid(format!(
            "Invalid node pool capability '{bad}' for '{name}'"
        )));
    }
    let expanded = NODE_POOL.expand(&rule.policy);
    rule.capabilities
        .extend(expanded.iter().map(|c| (*c).to_owned()));
    Ok(())
}

fn check_host_volume(rule: &mut NamedRule) -> Result<(), AclError> {
    let go = || go_named("HostVolumePolicy", rule);
    if !valid_name(&rule.name, 128, "-*") {
        return Err(invalid(format!("Invalid host volume name: {}", go())));
    }
    if !rule.policy.is_empty() && !is_policy_level(&rule.policy) {
        return Err(invalid(format!("Invalid host volume policy: {}", go())));
    }
    if let Some(bad) = rule
        .capabilities
        .iter()
        .find(|c| HostVolumeCapability::from_name(c).is_none())
    {
        return Err(invalid(format!(
            "Invalid host volume capability '{bad}': {}",
            go()
        )));
    }
    let expanded = expand_host_volume_policy(&rule.policy);
    rule.capabilities
        .extend(expanded.iter().map(|c| c.as_str().to_owned()));
    Ok(())
}

/// `operator` and `sentinel`: a level, capabilities, and the level's expansion.
fn check_capability_rule(
    rule: &mut Rule,
    kind: &str,
    go_type: &str,
    kept: &KeptKind,
) -> Result<(), AclError> {
    if !rule.policy.is_empty() && !is_policy_level(&rule.policy) {
        return Err(invalid(format!(
            "Invalid {kind} policy: {}",
            go_rule(go_type, rule, true)
        )));
    }
    if let Some(bad) = rule
        .capabilities
        .iter()
        .find(|c| !kept.capabilities.contains(&c.as_str()))
    {
        return Err(invalid(format!("Invalid {kind} capability '{bad}'")));
    }
    let expanded = kept.expand(&rule.policy);
    rule.capabilities
        .extend(expanded.iter().map(|c| (*c).to_owned()));
    Ok(())
}

/// 1 to `max` ASCII letters, digits or one of `extra`.
fn valid_name(name: &str, max: usize, extra: &str) -> bool {
    (1..=max).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

fn invalid(message: String) -> AclError {
    AclError::InvalidPolicy(message)
}

fn syntax(detail: String) -> AclError {
    invalid(format!("Failed to parse ACL Policy: {detail}"))
}

/// Splits the document into rules. Unknown top-level keys and repeated unlabeled blocks come
/// back as extra keys (sorted, once each), which only strict parsing refuses; the last of
/// repeated blocks wins.
fn decode(items: Vec<Item>) -> Result<(Policy, BTreeSet<String>), AclError> {
    let mut policy = Policy::default();
    let mut extra_keys = BTreeSet::new();
    for item in items {
        let single = match item.key.as_str() {
            "namespace" => {
                let (name, body) = labeled(item)?;
                policy.namespaces.push(namespace_rule(name, body)?);
                continue;
            }
            "node_pool" => {
                let (name, body) = labeled(item)?;
                policy.node_pools.push(named_rule(name, body)?);
                continue;
            }
            "host_volume" => {
                let (name, body) = labeled(item)?;
                policy.host_volumes.push(named_rule(name, body)?);
                continue;
            }
            "agent" => &mut policy.agent,
            "node" => &mut policy.node,
            "operator" => &mut policy.operator,
            "sentinel" => &mut policy.sentinel,
            "quota" => &mut policy.quota,
            "plugin" => &mut policy.plugin,
            _ => {
                extra_keys.insert(item.key);
                continue;
            }
        };
        if single.is_some() {
            extra_keys.insert(item.key.clone());
        }
        let with_capabilities = matches!(item.key.as_str(), "operator" | "sentinel");
        *single = Some(rule(item, with_capabilities)?);
    }
    Ok((policy, extra_keys))
}

/// A block's single label (empty when it has none, which the name check then refuses) and
/// its body.
fn labeled(item: Item) -> Result<(String, Vec<Item>), AclError> {
    let key = item.key;
    let mut labels = item.labels.into_iter();
    let name = labels.next().unwrap_or_default();
    if labels.next().is_some() {
        return Err(syntax(format!("{key}: expected a single label")));
    }
    Ok((name, body(&key, item.value)?))
}

fn body(key: &str, node: Node) -> Result<Vec<Item>, AclError> {
    match node {
        Node::Object(items) => Ok(items),
        _ => Err(syntax(format!("{key}: expected a block"))),
    }
}

fn namespace_rule(name: String, items: Vec<Item>) -> Result<NamespaceRule, AclError> {
    let mut rule = NamespaceRule {
        name,
        ..NamespaceRule::default()
    };
    for item in items {
        match item.key.as_str() {
            "policy" => rule.policy = text(item)?,
            "capabilities" => rule.capabilities = texts(item)?,
            "variables" => {
                let paths = rule.variables.get_or_insert_with(Vec::new);
                for path in body("variables", item.value)? {
                    if path.key == "path" {
                        paths.push(path_rule(path)?);
                    }
                }
            }
            // Nomad ignores unknown keys inside a rule.
            _ => {}
        }
    }
    Ok(rule)
}

fn path_rule(item: Item) -> Result<VariablesPathRule, AclError> {
    let (path, items) = labeled(item)?;
    let mut rule = VariablesPathRule {
        path,
        capabilities: Vec::new(),
    };
    for item in items {
        if item.key == "capabilities" {
            rule.capabilities = texts(item)?;
        }
    }
    Ok(rule)
}

fn named_rule(name: String, items: Vec<Item>) -> Result<NamedRule, AclError> {
    let Rule {
        policy,
        capabilities,
    } = rule_body(items, true)?;
    Ok(NamedRule {
        name,
        policy,
        capabilities,
    })
}

fn rule(item: Item, with_capabilities: bool) -> Result<Rule, AclError> {
    if !item.labels.is_empty() {
        return Err(syntax(format!("{}: expected no label", item.key)));
    }
    rule_body(body(&item.key, item.value)?, with_capabilities)
}

fn rule_body(items: Vec<Item>, with_capabilities: bool) -> Result<Rule, AclError> {
    let mut rule = Rule::default();
    for item in items {
        match item.key.as_str() {
            "policy" => rule.policy = text(item)?,
            "capabilities" if with_capabilities => rule.capabilities = texts(item)?,
            _ => {}
        }
    }
    Ok(rule)
}

fn text(item: Item) -> Result<String, AclError> {
    match item.value {
        Node::Text(text) => Ok(text),
        _ => Err(syntax(format!("{}: expected a string", item.key))),
    }
}

fn texts(item: Item) -> Result<Vec<String>, AclError> {
    let not_strings = || syntax(format!("{}: expected a list of strings", item.key));
    let Node::List(nodes) = item.value else {
        return Err(not_strings());
    };
    nodes
        .into_iter()
        .map(|node| match node {
            Node::Text(text) => Ok(text),
            _ => Err(not_strings()),
        })
        .collect()
}

/// Go's `%#v` of a `[]string`; an empty list prints as the nil slice HCL1 leaves.
fn go_strings(items: &[String]) -> String {
    if items.is_empty() {
        return "[]string(nil)".to_owned();
    }
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

fn go_namespace(rule: &NamespaceRule) -> String {
    // Go prints the nested pointer's address, which differs on every run; any fixed
    // stand-in is as good as another.
    let variables = if rule.variables.is_some() {
        "(*acl.VariablesPolicy)(0xc000010000)"
    } else {
        "(*acl.VariablesPolicy)(nil)"
    };
    format!(
        "&acl.NamespacePolicy{{Name:{}, Policy:{}, Capabilities:{}, Variables:{variables}}}",
        quote(&rule.name),
        quote(&rule.policy),
        go_strings(&rule.capabilities)
    )
}

fn go_named(go_type: &str, rule: &NamedRule) -> String {
    format!(
        "&acl.{go_type}{{Name:{}, Policy:{}, Capabilities:{}}}",
        quote(&rule.name),
        quote(&rule.policy),
        go_strings(&rule.capabilities)
    )
}

fn go_rule(go_type: &str, rule: &Rule, with_capabilities: bool) -> String {
    if with_capabilities {
        format!(
            "&acl.{go_type}{{Policy:{}, Capabilities:{}}}",
            quote(&rule.policy),
            go_strings(&rule.capabilities)
        )
    } else {
        format!("&acl.{go_type}{{Policy:{}}}", quote(&rule.policy))
    }
}
