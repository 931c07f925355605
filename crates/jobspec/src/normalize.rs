//! The rewrites and checks Nomad's jobspec2 applies to decoded blocks: constraint shorthands,
//! defaults for templates and vault blocks, ports with a static value, scaling policy types,
//! the default workload identity, and blocks that a group passes down to its tasks.
//!
//! Each hook receives a decoded block (Nomad API JSON) and may fail with a diagnostic that the
//! decoder places at the block.

use crate::error::Diag;
use crate::value::{Map, Value};

pub(crate) type Post = fn(&mut Map) -> Result<(), Diag>;

const FIVE_SECONDS: i64 = 5_000_000_000;

fn fail(summary: &str, detail: String) -> Diag {
    Diag::new(None, summary, detail)
}

/// Takes a shorthand field out of the block; empty strings count as absent, as in Nomad.
fn take_shorthand(block: &mut Map, name: &str) -> Option<Value> {
    block
        .remove(&format!("#{name}"))
        .filter(|v| v.as_str() != Some(""))
}

fn set(block: &mut Map, key: &str, value: impl Into<Value>) {
    block.insert(key.to_owned(), value.into());
}

fn default(block: &mut Map, key: &str, value: impl Into<Value>) {
    block.entry(key).or_insert_with(|| value.into());
}

/// `version = "> 1.0"` and friends set the operand and the right-hand target;
/// `distinct_property` sets the left; `distinct_hosts = true` needs no target. Later
/// shorthands win, and the operand defaults to `=`.
pub(crate) fn constraint(block: &mut Map) -> Result<(), Diag> {
    target_shorthands(
        block,
        &[
            "version",
            "semver",
            "regexp",
            "set_contains",
            "set_contains_all",
            "set_contains_any",
        ],
    );
    if let Some(Value::Bool(distinct)) = take_shorthand(block, "distinct_hosts") {
        set(block, "Operand", "distinct_hosts");
        set(block, "RTarget", distinct.to_string());
    }
    for operand in ["distinct_property", "is_set", "is_not_set"] {
        if let Some(attribute) = take_shorthand(block, operand) {
            set(block, "Operand", operand);
            set(block, "LTarget", attribute);
        }
    }
    default(block, "Operand", "=");
    Ok(())
}

pub(crate) fn affinity(block: &mut Map) -> Result<(), Diag> {
    target_shorthands(
        block,
        &[
            "version",
            "semver",
            "regexp",
            "set_contains_any",
            "set_contains_all",
            "set_contains",
        ],
    );
    default(block, "Operand", "=");
    Ok(())
}

/// `operand = "target"` shorthands, applied in order so that later ones win.
fn target_shorthands(block: &mut Map, operands: &[&str]) {
    for operand in operands {
        if let Some(target) = take_shorthand(block, operand) {
            set(block, "Operand", *operand);
            set(block, "RTarget", target);
        }
    }
}

/// A group's `vault` and `secret` blocks go to its tasks.
pub(crate) fn task_group(group: &mut Map) -> Result<(), Diag> {
    let vault = group.remove("#Vault");
    let secrets = group.remove("#Secrets");
    if let Some(Value::Array(tasks)) = group.get_mut("Tasks") {
        for task in tasks.iter_mut().filter_map(Value::as_object_mut) {
            inherit(task, vault.as_ref(), secrets.as_ref());
        }
    }
    Ok(())
}

/// A group's scaling policy is horizontal and needs a maximum.
pub(crate) fn group_scaling(scaling: &mut Map) -> Result<(), Diag> {
    let kind = scaling
        .entry("Type")
        .or_insert_with(|| Value::from("horizontal"))
        .clone();
    if !scaling.contains_key("Max") {
        return Err(fail(
            "Missing required argument",
            "The argument \"max\" is required, but no definition was found.".to_owned(),
        ));
    }
    if kind != "horizontal" {
        return Err(fail(
            "Invalid group scaling type",
            format!("task group scaling policy had invalid type: {kind}"),
        ));
    }
    Ok(())
}

/// Gives a task the enclosing block's vault (unless it has its own) and appends its secrets.
pub(crate) fn inherit(task: &mut Map, vault: Option<&Value>, secrets: Option<&Value>) {
    if let Some(vault) = vault {
        default(task, "Vault", vault.clone());
    }
    if let Some(Value::Array(secrets)) = secrets {
        match task
            .entry("Secrets")
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(own) => own.extend(secrets.iter().cloned()),
            other => *other = Value::Array(secrets.clone()),
        }
    }
}

/// One scaling policy per resource, and the default identity (unnamed or "default") moves
/// from `Identities` to `Identity`.
pub(crate) fn task(task: &mut Map) -> Result<(), Diag> {
    if let Some(Value::Array(policies)) = task.get("ScalingPolicies") {
        let mut seen = Vec::new();
        for policy in policies {
            let kind = policy
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if seen.contains(&kind) {
                let label = kind.trim_start_matches("vertical_");
                return Err(fail(
                    &format!("Duplicate scaling {label:?} block"),
                    format!("Only one scaling {label} block is allowed."),
                ));
            }
            seen.push(kind);
        }
    }
    if let Some(Value::Array(identities)) = task.get_mut("Identities") {
        let default_index = identities.iter().position(|identity| {
            matches!(
                identity.get("Name").and_then(Value::as_str),
                None | Some("") | Some("default")
            )
        });
        if let Some(index) = default_index {
            let identity = identities.remove(index);
            if identities.is_empty() {
                task.remove("Identities");
            }
            task.insert("Identity".to_owned(), identity);
        }
    }
    Ok(())
}

/// A task's `scaling "cpu"` or `scaling "mem"` block is a vertical policy of that resource.
pub(crate) fn task_scaling(policy: &mut Map) -> Result<(), Diag> {
    let label = policy
        .remove("#label")
        .and_then(|l| l.as_str().map(str::to_lowercase))
        .unwrap_or_default();
    let kind = match label.as_str() {
        "cpu" => "vertical_cpu",
        "mem" => "vertical_mem",
        _ => {
            return Err(fail(
                "Invalid scaling policy name",
                "scaling policy name must be \"cpu\" or \"mem\"".to_owned(),
            ));
        }
    };
    match policy.get("Type").and_then(Value::as_str) {
        None => set(policy, "Type", kind),
        Some(given) if given == kind => {}
        Some(given) => {
            return Err(fail(
                "Invalid scaling policy type",
                format!("Invalid policy type, expected {kind:?} but found {given:?}"),
            ));
        }
    }
    Ok(())
}

/// A `port` with a `static` value is a reserved port; the others stay dynamic.
pub(crate) fn network(network: &mut Map) -> Result<(), Diag> {
    let Some(Value::Array(ports)) = network.remove("DynamicPorts") else {
        return Ok(());
    };
    let (reserved, dynamic): (Vec<Value>, Vec<Value>) = ports
        .into_iter()
        .partition(|port| port.get("Value").and_then(Value::as_i64).unwrap_or(0) > 0);
    if !dynamic.is_empty() {
        network.insert("DynamicPorts".to_owned(), Value::Array(dynamic));
    }
    if reserved.is_empty() {
        network.remove("ReservedPorts");
    } else {
        network.insert("ReservedPorts".to_owned(), Value::Array(reserved));
    }
    Ok(())
}

pub(crate) fn vault(vault: &mut Map) -> Result<(), Diag> {
    default(vault, "Env", true);
    default(vault, "DisableFile", false);
    default(vault, "ChangeMode", "restart");
    Ok(())
}

pub(crate) fn template(template: &mut Map) -> Result<(), Diag> {
    default(template, "ChangeMode", "restart");
    default(template, "Perms", "0644");
    default(template, "Splay", FIVE_SECONDS);
    default(template, "ErrMissingKey", false);
    Ok(())
}

pub(crate) fn change_script(script: &mut Map) -> Result<(), Diag> {
    default(script, "Args", Value::Array(Vec::new()));
    default(script, "Timeout", FIVE_SECONDS);
    default(script, "FailOnError", false);
    default(script, "RunOnFirstRender", false);
    Ok(())
}

/// A periodic block with a `cron` or `crons` spec is of spec type "cron".
pub(crate) fn periodic(periodic: &mut Map) -> Result<(), Diag> {
    if periodic.contains_key("Spec") || periodic.contains_key("Specs") {
        set(periodic, "SpecType", "cron");
    }
    Ok(())
}
