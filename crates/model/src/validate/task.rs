//! A task: names, driver, timeouts, resources, logs, artifacts, templates, lifecycle, mounts
//! and secrets.

use std::collections::{BTreeMap, BTreeSet};

use super::placement::{affinity_list_errors, constraint_errors};
use super::push_nested;
use super::service::task_service_errors;
use crate::gotext::{duration, quote};
use crate::job::job_type;
use crate::task::change_mode;
use crate::{
    Job, LogConfig, Resources, Task, TaskArtifact, TaskGroup, Template, Vault, constraint,
};

pub(super) fn task_errors(task: &Task, tg: &TaskGroup, job: &Job) -> Vec<String> {
    let mut out = Vec::new();
    if task.name.is_empty() {
        out.push("Missing task name".to_string());
    }
    if task.name == "alloc" {
        out.push("Task cannot be named \"alloc\"".to_string());
    }
    if task.name.contains(['/', '\\']) {
        out.push("Task name cannot include slashes".to_string());
    } else if task.name.contains('\0') {
        out.push("Task name cannot include null characters".to_string());
    }
    if task.driver.is_empty() {
        out.push("Missing task driver".to_string());
    }
    if task.kill_timeout < 0 {
        out.push("KillTimeout must be a positive value".to_string());
    } else {
        let progress_deadline = tg
            .update
            .as_ref()
            .and_then(|u| u.progress_deadline)
            .unwrap_or(0);
        if job.job_type == job_type::SERVICE
            && progress_deadline > 0
            && task.kill_timeout > progress_deadline
        {
            // "KillTimout" is Nomad's spelling.
            out.push(format!(
                "KillTimout ({}) longer than the group's ProgressDeadline ({})",
                duration(task.kill_timeout),
                duration(progress_deadline)
            ));
        }
    }
    if task.shutdown_delay < 0 {
        out.push("ShutdownDelay must be a positive value".to_string());
    }
    match &task.resources {
        None => out.push("Missing task resources".to_string()),
        Some(resources) => push_nested(&mut out, "", resource_errors(resources)),
    }
    match &task.log_config {
        None => out.push("Missing Log Config".to_string()),
        Some(log) => push_nested(&mut out, "", log_errors(log, tg)),
    }
    for (index, c) in task.constraints.iter().enumerate() {
        let prefix = format!("Constraint {} validation failed: ", index + 1);
        push_nested(&mut out, &prefix, constraint_errors(c));
        if c.operand == constraint::operand::DISTINCT_HOSTS
            || c.operand == constraint::operand::DISTINCT_PROPERTY
        {
            out.push(format!(
                "Constraint {} has disallowed Operand at task level: {}",
                index + 1,
                c.operand
            ));
        }
    }
    affinity_list_errors(&mut out, job, &task.affinities);
    push_nested(&mut out, "", task_service_errors(task, tg));
    for (index, artifact) in task.artifacts.iter().enumerate() {
        let prefix = format!("Artifact {} validation failed: ", index + 1);
        push_nested(&mut out, &prefix, artifact_errors(artifact));
    }
    if let Some(vault) = &task.vault {
        push_nested(&mut out, "Vault validation failed: ", vault_errors(vault));
    }
    let mut destinations: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, template) in task.templates.iter().enumerate() {
        let prefix = format!("Template {} validation failed: ", index + 1);
        push_nested(&mut out, &prefix, template_errors(template));
        if let Some(other) = destinations.get(template.dest_path.as_str()) {
            out.push(format!(
                "Template {} has same destination as {other}",
                index + 1
            ));
        } else {
            destinations.insert(&template.dest_path, index + 1);
        }
    }
    if let Some(payload) = &task.dispatch_payload
        && escapes_alloc_dir("task/local/", &payload.file)
    {
        out.push(
            "Dispatch Payload validation failed: destination escapes allocation directory"
                .to_string(),
        );
    }
    if let Some(lifecycle) = &task.lifecycle {
        match lifecycle.hook.as_str() {
            crate::task::lifecycle_hook::PRESTART
            | crate::task::lifecycle_hook::POSTSTART
            | crate::task::lifecycle_hook::POSTSTOP => {}
            "" => out.push("Lifecycle validation failed: no lifecycle hook provided".to_string()),
            other => out.push(format!(
                "Lifecycle validation failed: invalid hook: {other}"
            )),
        }
    }
    for (index, mount) in task.volume_mounts.iter().enumerate() {
        if !tg.volumes.contains_key(&mount.volume) {
            out.push(format!(
                "Volume Mount ({index}) references undefined volume {}",
                mount.volume
            ));
        }
    }
    let mut secrets = BTreeSet::new();
    for secret in &task.secrets {
        if !secrets.insert(&secret.name) {
            out.push(format!("Duplicate secret {} found", quote(&secret.name)));
        }
        if secret.provider == "vault" && task.vault.is_none() {
            out.push(format!(
                "Secret {} has provider \"vault\" but no vault block",
                quote(&secret.name)
            ));
        }
    }
    out
}

fn resource_errors(r: &Resources) -> Vec<String> {
    let mut out = Vec::new();
    if r.cores > 0 && r.cpu > 0 {
        out.push("Task can only ask for 'cpu' or 'cores' resource, not both.".to_string());
    }
    if r.cores < 0 {
        out.push(format!("cores value ({}) cannot be negative", r.cores));
    }
    let mut minimums = Vec::new();
    if r.cpu < 1 && r.cores == 0 {
        minimums.push(format!("minimum CPU value is 1; got {}", r.cpu));
    }
    if r.memory_mb < 10 {
        minimums.push(format!("minimum MemoryMB value is 10; got {}", r.memory_mb));
    }
    push_nested(&mut out, "", minimums);
    if r.disk_mb > 0 {
        out.push(
            "Task can't ask for disk resources, they have to be specified at the task group level."
                .to_string(),
        );
    }
    if r.memory_max_mb != 0 && r.memory_max_mb != -1 && r.memory_max_mb < r.memory_mb {
        out.push(format!(
            "MemoryMaxMB value ({}) should be larger than MemoryMB value ({})",
            r.memory_max_mb, r.memory_mb
        ));
    }
    if r.secrets_mb > r.memory_mb {
        out.push(format!(
            "SecretsMB value ({}) cannot be larger than MemoryMB value ({})",
            r.secrets_mb, r.memory_mb
        ));
    }
    if r.secrets_mb < 0 {
        out.push(format!(
            "SecretsMB value ({}) cannot be negative",
            r.secrets_mb
        ));
    }
    out
}

fn log_errors(log: &LogConfig, tg: &TaskGroup) -> Vec<String> {
    let mut out = Vec::new();
    if log.max_files < 1 {
        out.push(format!(
            "minimum number of files is 1; got {}",
            log.max_files
        ));
    }
    if log.max_file_size_mb < 1 {
        out.push(format!(
            "minimum file size is 1MB; got {}",
            log.max_file_size_mb
        ));
    }
    if let Some(disk) = &tg.ephemeral_disk {
        let usage = log.max_files.saturating_mul(log.max_file_size_mb);
        if disk.size_mb <= usage {
            out.push(format!(
                "log storage ({usage} MB) must be less than requested disk capacity ({} MB)",
                disk.size_mb
            ));
        }
    }
    out
}

/// Whether `path`, relative to `base` inside the allocation directory, leaves it.
fn escapes_alloc_dir(base: &str, path: &str) -> bool {
    if path.starts_with('/') {
        return false;
    }
    let mut depth: i64 = 0;
    for part in base.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

fn vault_errors(vault: &Vault) -> Vec<String> {
    match vault.change_mode.as_str() {
        change_mode::SIGNAL if vault.change_signal.is_empty() => {
            vec!["Signal must be specified when using change mode \"signal\"".to_string()]
        }
        change_mode::SIGNAL | change_mode::NOOP | change_mode::RESTART => Vec::new(),
        other => vec![format!("Unknown change mode {}", quote(other))],
    }
}

fn artifact_errors(a: &TaskArtifact) -> Vec<String> {
    let mut out = Vec::new();
    if a.getter_source.is_empty() {
        out.push("source must be specified".to_string());
    }
    match a.getter_mode.as_str() {
        "" | "any" | "file" | "dir" => {}
        other => out.push(format!(
            "invalid artifact mode {}; must be one of: any, file, dir",
            quote(other)
        )),
    }
    if escapes_alloc_dir("task", &a.relative_dest) {
        out.push("destination escapes allocation directory".to_string());
    }
    out
}

fn template_errors(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    if t.source_path.is_empty() && t.embedded_tmpl.is_empty() {
        out.push("Must specify a source path or have an embedded template".to_string());
    }
    if t.dest_path.is_empty() {
        out.push("Must specify a destination for the template".to_string());
    }
    if escapes_alloc_dir("task", &t.dest_path) {
        out.push("destination escapes allocation directory".to_string());
    }
    match t.change_mode.as_str() {
        change_mode::NOOP | change_mode::RESTART => {}
        change_mode::SIGNAL => {
            if t.change_signal.is_empty() {
                out.push("Must specify signal value when change mode is signal".to_string());
            }
            if t.envvars {
                out.push("cannot use signals with env var templates".to_string());
            }
        }
        change_mode::SCRIPT => {
            if t.change_script.is_none() {
                out.push(
                    "must specify change script configuration value when change mode is script"
                        .to_string(),
                );
            }
        }
        _ => out.push(
            "change mode must be one of: \"noop\", \"restart\", \"signal\", \"script\"".to_string(),
        ),
    }
    if t.splay < 0 {
        out.push("Must specify positive splay value".to_string());
    }
    if !t.perms.is_empty() && u16::from_str_radix(&t.perms, 8).map_or(true, |p| p > 0o7777) {
        out.push(format!(
            "Failed to parse {} as octal: strconv.ParseUint: parsing {}: invalid syntax",
            quote(&t.perms),
            quote(&t.perms)
        ));
    }
    out
}
