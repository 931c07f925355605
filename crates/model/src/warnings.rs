//! `Job::warnings`: dubious or deprecated settings that Nomad accepts but reports in the
//! `Warnings` field of register, plan and validate responses.

use std::collections::BTreeSet;

use crate::gotext::{multierror, quote};
use crate::{Job, TaskGroup};

impl Job {
    /// Nomad's warning entries, in its order: one `Group "<g>" has warnings: ...` entry per group
    /// with warnings (task warnings nested inside), then the shutdown-delay, auto-promote and
    /// cron entries. [`format_warnings`] turns them into the response text.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut any_auto_promote = false;
        let mut all_auto_promote = true;
        for tg in &self.task_groups {
            let warnings = group_warnings(tg);
            if !warnings.is_empty() {
                out.push(format!(
                    "Group {} has warnings: {}",
                    quote(&tg.name),
                    multierror(&warnings)
                ));
            }
            if let Some(update) = &tg.update {
                let auto_promote = update.auto_promote.unwrap_or(false);
                any_auto_promote |= auto_promote;
                // No canaries means nothing to promote, which counts as automatic.
                all_auto_promote &= update.canary.unwrap_or(0) == 0 || auto_promote;
            }
        }
        for tg in &self.task_groups {
            out.extend(shutdown_delay_warnings(tg));
        }
        if any_auto_promote && !all_auto_promote {
            out.push(
                "auto_promote must be true for all groups to enable automatic promotion"
                    .to_string(),
            );
        }
        if self.periodic.as_ref().is_some_and(|p| !p.spec.is_empty()) {
            out.push(
                "cron is deprecated and may be removed in a future release. Use crons instead"
                    .to_string(),
            );
        }
        out
    }
}

/// Nomad's `Warnings` response text: `""`, `"1 warning:\n\n* a"` or `"2 warnings:\n\n* a\n* b"`.
pub fn format_warnings(warnings: &[String]) -> String {
    let mut out = match warnings.len() {
        0 => return String::new(),
        1 => "1 warning:\n".to_string(),
        n => format!("{n} warnings:\n"),
    };
    for warning in warnings {
        out.push_str("\n* ");
        out.push_str(warning.trim());
    }
    out
}

fn group_warnings(tg: &TaskGroup) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(max_parallel) = tg.update.as_ref().and_then(|u| u.max_parallel)
        && tg.count > 1
        && max_parallel > tg.count
    {
        out.push(format!(
            "Update max parallel count is greater than task group count ({max_parallel} > {}). A destructive change would result in the simultaneous replacement of all allocations.",
            tg.count
        ));
    }
    // Unreachable over HTTP (canonicalization drops these fields, as Nomad's conversion does)
    // but kept for jobs built in code.
    if tg.max_client_disconnect.is_some() {
        out.push(
            "MaxClientDisconnect is deprecated and ignored in favor of Disconnect.LostAfter"
                .to_string(),
        );
    }
    if tg.stop_after_client_disconnect.is_some() {
        out.push(
            "StopAfterClientDisconnect is deprecated and ignored favor of Disconnect.StopOnClientAfter"
                .to_string(),
        );
    }
    if tg.prevent_reschedule_on_lost {
        out.push(
            "PreventRescheduleOnLost is deprecated and ignored in favor of Disconnect.Replace"
                .to_string(),
        );
    }
    if tg.networks.first().is_some_and(|n| n.mbits > 0) {
        out.push(
            "mbits has been deprecated as of Nomad 0.12.0. Please remove mbits from the network block"
                .to_string(),
        );
    }
    for task in &tg.tasks {
        let mut warnings = Vec::new();
        if let Some(resources) = &task.resources {
            if resources.iops != 0 {
                warnings.push(
                    "IOPS has been deprecated as of Nomad 0.9.0. Please remove IOPS from resource block."
                        .to_string(),
                );
            }
            if !resources.networks.is_empty() {
                warnings.push(
                    "task network resources have been deprecated as of Nomad 0.12.0. Please configure networking via group network block."
                        .to_string(),
                );
            }
        }
        for (index, template) in task.templates.iter().enumerate() {
            if template.vault_grace != 0 {
                warnings.push(format!(
                    "Template[{index}] VaultGrace has been deprecated as of Nomad 0.11 and ignored since Vault 0.5. Please remove VaultGrace / vault_grace from template block."
                ));
            }
        }
        if !warnings.is_empty() {
            out.push(format!(
                "Task {} has warnings: {}",
                quote(&task.name),
                multierror(&warnings)
            ));
        }
    }
    out
}

/// Services whose allocations would be deregistered without a grace period.
fn shutdown_delay_warnings(tg: &TaskGroup) -> Vec<String> {
    let mut out = Vec::new();
    let mut referenced = BTreeSet::new();
    let mut unscoped_group_service = false;
    for service in &tg.services {
        if !service.task_name.is_empty() {
            referenced.insert(service.task_name.as_str());
            continue;
        }
        let sidecar_task = service
            .connect
            .as_ref()
            .and_then(|c| c.get("SidecarTask"))
            .filter(|t| !t.is_null());
        if let Some(sidecar) = sidecar_task {
            if sidecar.get("ShutdownDelay").is_none_or(|d| d.is_null()) {
                out.push(format!(
                    "service {} defines a sidecar task in Consul Connect definition, but the task has no shutdown_delay set",
                    quote(&service.name)
                ));
            }
            continue;
        }
        unscoped_group_service = true;
    }
    let mut any_task_delay = false;
    for task in &tg.tasks {
        if referenced.contains(task.name.as_str()) && task.shutdown_delay == 0 {
            out.push(format!(
                "group {} references task {} in a service definition, but the task has no shutdown_delay set",
                quote(&tg.name),
                quote(&task.name)
            ));
        }
        if task.shutdown_delay > 0 {
            any_task_delay = true;
        } else if !task.services.is_empty() {
            out.push(format!(
                "task {} in group {} defines services, but has no shutdown_delay set",
                quote(&task.name),
                quote(&tg.name)
            ));
        }
    }
    let group_delay = tg.shutdown_delay.is_some_and(|d| d > 0);
    if unscoped_group_service && !group_delay && !any_task_delay {
        out.push(format!(
            "group {} defines services, but neither the group nor any of its tasks have shutdown_delay set",
            quote(&tg.name)
        ));
    }
    out
}
