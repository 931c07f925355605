//! Services and their checks, at group and task level.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use smol_str::SmolStr;

use crate::gotext::{duration, list, multierror, quote};
use crate::service::service_provider;
use crate::{SECOND, Service, ServiceCheck, Task, TaskGroup};

/// Nomad's group-level `validateServices`: task services name their own task, services are
/// unique per (name, task, port), one provider per group, group services and their checks.
pub(super) fn group_service_errors(tg: &TaskGroup) -> Vec<String> {
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    let mut providers = BTreeSet::new();
    let task_names: BTreeSet<&str> = tg.tasks.iter().map(|t| t.name.as_str()).collect();
    for task in &tg.tasks {
        for service in &task.services {
            if !service.task_name.is_empty() && service.task_name != task.name {
                out.push(format!(
                    "Service {} is invalid: may only specify task the service belongs to, got {}",
                    service.name,
                    quote(&service.task_name)
                ));
            }
            for check in &service.checks {
                if !check.task_name.is_empty() && check.task_name != task.name {
                    out.push(format!(
                        "Check {} is invalid: may only specify task the check belongs to, got {}",
                        check.name,
                        quote(&check.task_name)
                    ));
                }
            }
            let id = (
                service.name.clone(),
                task.name.clone(),
                service.port_label.clone(),
            );
            if !ids.insert(id.clone()) {
                duplicates.insert(id);
            }
            providers.insert(service.provider.as_str());
        }
    }
    for (index, service) in tg.services.iter().enumerate() {
        let id = (
            service.name.clone(),
            SmolStr::new_static("group"),
            service.port_label.clone(),
        );
        if !ids.insert(id.clone()) {
            duplicates.insert(id);
        }
        providers.insert(service.provider.as_str());
        let errors = service_errors(service);
        if !errors.is_empty() {
            out.push(format!(
                "Service[{index}] {} validation failed: {}",
                service.name,
                multierror(&errors)
            ));
            continue;
        }
        if service.address_mode == "driver" {
            out.push(format!(
                "service {} cannot use address_mode=\"driver\", only services defined in a \"task\" block can use this mode",
                quote(&service.name)
            ));
        }
        for check in service.checks.iter().filter(|c| !c.task_name.is_empty()) {
            if check.address_mode == "driver" {
                out.push(format!(
                    "Check {} invalid: cannot use address_mode=\"driver\", only checks defined in a \"task\" service block can use this mode",
                    quote(&service.name)
                ));
            }
            if !task_names.contains(check.task_name.as_str()) {
                out.push(format!(
                    "Check {} invalid: refers to non-existent task {}",
                    check.name, check.task_name
                ));
            }
        }
    }
    if !duplicates.is_empty() {
        let names: Vec<String> = duplicates
            .iter()
            .map(|(name, task, port)| {
                if port.is_empty() {
                    format!("{task}->{name}")
                } else {
                    format!("{task}->{name}:{port}")
                }
            })
            .collect();
        out.push(format!("Services are not unique: {}", list(&names)));
    }
    if providers.len() > 1 {
        out.push(
            "Multiple service providers used: task group services must use the same provider"
                .to_string(),
        );
    }
    out
}

pub(super) fn script_check_errors(tg: &TaskGroup) -> Vec<String> {
    let mut out = Vec::new();
    for service in tg.services.iter().filter(|s| s.task_name.is_empty()) {
        for check in &service.checks {
            if check.check_type == "script" && check.task_name.is_empty() {
                out.push(format!(
                    "Service [{}]->{} or Check {} must specify task parameter",
                    tg.name, service.name, check.name
                ));
            }
        }
    }
    out
}

/// Nomad's task-level `validateServices`: each service valid, unique by name and port, checks
/// unique and with usable ports, and every referenced port label defined.
pub(super) fn task_service_errors(task: &Task, tg: &TaskGroup) -> Vec<String> {
    let mut out = Vec::new();
    let mut service_ports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut known = BTreeSet::new();
    for (index, service) in task.services.iter().enumerate() {
        let errors = service_errors(service);
        if !errors.is_empty() {
            out.push(format!(
                "service[{index}] {} validation failed: {}",
                quote(&service.name),
                multierror(&errors)
            ));
        }
        for mode in ["alloc", "alloc_ipv6"] {
            if service.address_mode == mode {
                out.push(format!(
                    "service {} cannot use address_mode=\"{mode}\", only services defined in a \"group\" block can use this mode",
                    quote(&service.name)
                ));
            }
        }
        if !known.insert(format!("{}{}", service.name, service.port_label)) {
            out.push(format!("service {} is duplicate", quote(&service.name)));
        }
        let numeric_port = service.port_label.parse::<i64>().is_ok();
        let driver_port = service.address_mode == "driver" && numeric_port;
        if !service.port_label.is_empty() && !driver_port {
            service_ports
                .entry(service.port_label.clone())
                .or_default()
                .insert(service.name.clone());
        }
        if service.connect.is_some() {
            out.push(format!(
                "service {} cannot have \"connect\" block, only services defined in a \"group\" block can",
                quote(&service.name)
            ));
        }
        let mut checks = BTreeSet::new();
        for check in &service.checks {
            if !checks.insert(&check.name) {
                out.push(format!("check {} is duplicate", quote(&check.name)));
            }
            for mode in ["alloc", "alloc_ipv6"] {
                if check.address_mode == mode {
                    out.push(format!(
                        "check {} cannot use address_mode=\"{mode}\", only checks defined in a \"group\" service block can use this mode",
                        quote(&service.name)
                    ));
                }
            }
            if !check_requires_port(check) {
                continue;
            }
            let port = if check.port_label.is_empty() {
                &service.port_label
            } else {
                &check.port_label
            };
            if port.is_empty() {
                out.push(format!("check {} is missing a port", quote(&check.name)));
                continue;
            }
            match port.parse::<i64>() {
                Ok(number) if check.address_mode == "driver" => {
                    if number <= 0 {
                        out.push(format!(
                            "check {} has invalid numeric port {number}",
                            quote(&check.name)
                        ));
                    }
                }
                Ok(number) => out.push(format!(
                    "check {} cannot use a numeric port {number} without setting address_mode=\"driver\"",
                    quote(&check.name)
                )),
                Err(_) => {
                    service_ports
                        .entry(port.clone())
                        .or_default()
                        .insert(service.name.clone());
                }
            }
        }
    }
    let mut labels: BTreeSet<&str> = BTreeSet::new();
    if let Some(network) = tg.networks.first() {
        labels.extend(network.ports().map(|p| p.label.as_str()));
    }
    if let Some(resources) = &task.resources {
        for network in &resources.networks {
            labels.extend(network.ports().map(|p| p.label.as_str()));
        }
    }
    for (label, services) in &service_ports {
        if !labels.contains(label.as_str()) {
            let names: Vec<&str> = services.iter().map(String::as_str).collect();
            out.push(format!(
                "port label {} referenced by services {} does not exist",
                quote(label),
                names.join(", ")
            ));
        }
    }
    out
}

fn check_requires_port(check: &ServiceCheck) -> bool {
    matches!(check.check_type.as_str(), "grpc" | "http" | "tcp")
}

/// Nomad's `Service.Validate`.
fn service_errors(service: &Service) -> Vec<String> {
    let mut out = Vec::new();
    if !is_valid_service_name(&service.name) {
        out.push(format!(
            "Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes and must be no longer than 63 characters: {}",
            quote(&service.name)
        ));
    }
    match service.address_mode.as_str() {
        "" | "auto" => {}
        "host" | "driver" | "alloc" | "alloc_ipv6" => {
            if !service.address.is_empty() {
                out.push("Service address_mode must be \"auto\" if address is set".to_string());
            }
        }
        other => out.push(format!(
            "Service address_mode must be \"auto\", \"host\", or \"driver\"; not {}",
            quote(other)
        )),
    }
    match service.on_update.as_str() {
        "" | "ignore" | "require_healthy" | "ignore_warnings" => {}
        other => out.push(format!(
            "Service on_update must be \"require_healthy\", \"ignore_warnings\", or \"ignore\"; not {}",
            quote(other)
        )),
    }
    let provider = service.provider.as_str();
    if provider != service_provider::CONSUL && provider != service_provider::NOMAD {
        out.push(format!(
            "Service provider must be \"consul\", or \"nomad\"; not {}",
            quote(provider)
        ));
        return out;
    }
    for check in &service.checks {
        if service.port_label.is_empty()
            && check.port_label.is_empty()
            && check_requires_port(check)
        {
            out.push(format!(
                "Check {} invalid: check requires a port but neither check nor service {} have a port",
                check.name,
                quote(&service.name)
            ));
            continue;
        }
        if let Some(error) = check_error(check, provider) {
            if provider == service_provider::CONSUL {
                out.push(format!("Check {} invalid: {error}", check.name));
            } else {
                out.push(error);
            }
        }
    }
    if provider == service_provider::NOMAD && service.connect.is_some() {
        out.push("Service with provider nomad cannot include Connect blocks".to_string());
    }
    out
}

/// The name Nomad checks: `${...}` interpolations replaced by a placeholder first.
fn is_valid_service_name(name: &str) -> bool {
    static INTERPOLATION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\$\{[^}]*\}").expect("a constant pattern compiles"));
    static DNS_LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?i:[a-z0-9]|[a-z0-9][a-z0-9\-]{0,61}[a-z0-9])$")
            .expect("a constant pattern compiles")
    });
    DNS_LABEL.is_match(&INTERPOLATION.replace_all(name, "ENV-VAR"))
}

/// The first problem of a check, as Nomad's check validators stop at the first.
fn check_error(check: &ServiceCheck, provider: &str) -> Option<String> {
    let check_type = check.check_type.to_lowercase();
    let allowed: &[&str] = if provider == service_provider::NOMAD {
        &["tcp", "http"]
    } else {
        &["grpc", "tcp", "http", "script"]
    };
    if !allowed.contains(&check_type.as_str()) {
        return Some(format!(
            "invalid check type ({}), must be one of {}",
            quote(&check_type),
            allowed.join(", ")
        ));
    }
    if check_type == "http" {
        if check.path.is_empty() {
            return Some("http type must have http path".to_string());
        }
        if check.path.contains("://") {
            return Some("http type must have relative http path".to_string());
        }
    }
    if check_type == "script" && check.command.is_empty() {
        return Some("script type must have a valid script path".to_string());
    }
    if check.interval == 0 {
        return Some(
            "missing required value interval. Interval cannot be less than 1s".to_string(),
        );
    }
    if check.interval < SECOND {
        return Some(format!(
            "interval ({}) cannot be lower than 1s",
            duration(check.interval)
        ));
    }
    if check.timeout == 0 {
        return Some("missing required value timeout. Timeout cannot be less than 1s".to_string());
    }
    if check.timeout < SECOND {
        return Some(format!(
            "timeout ({}) is lower than required minimum timeout 1s",
            duration(check.timeout)
        ));
    }
    match check.initial_status.as_str() {
        "" | "passing" | "warning" | "critical" => {}
        other => {
            return Some(format!(
                "invalid initial check state ({other}), must be one of \"passing\", \"warning\", \"critical\" or empty"
            ));
        }
    }
    match check.address_mode.as_str() {
        "" | "host" | "driver" | "alloc" | "alloc_ipv6" => {}
        "auto" => {
            return Some(
                "invalid address_mode \"auto\" - auto only valid for services".to_string(),
            );
        }
        other => return Some(format!("invalid address_mode {}", quote(other))),
    }
    match check.on_update.as_str() {
        "" | "ignore" | "require_healthy" | "ignore_warnings" => {}
        other => {
            return Some(format!(
                "on_update must be \"require_healthy\", \"ignore_warnings\", or \"ignore\"; got {}",
                quote(other)
            ));
        }
    }
    if let Some(restart) = &check.check_restart {
        if check.on_update == "ignore" {
            return Some(
                "on_update value \"ignore\" is not compatible with check_restart".to_string(),
            );
        }
        if !restart.ignore_warnings && check.on_update == "ignore_warnings" {
            return Some(
                "on_update value \"ignore_warnings\" not supported with check_restart ignore_warnings value \"false\""
                    .to_string(),
            );
        }
        let mut errors = Vec::new();
        if restart.limit < 0 {
            errors.push(format!(
                "limit must be greater than or equal to 0 but found {}",
                restart.limit
            ));
        }
        if restart.grace < 0 {
            errors.push(format!(
                "grace period must be greater than or equal to 0 but found {}",
                restart.grace
            ));
        }
        if !errors.is_empty() {
            return Some(multierror(&errors));
        }
    }
    if provider == service_provider::NOMAD {
        return nomad_check_error(check);
    }
    consul_check_error(check, &check_type)
}

fn nomad_check_error(check: &ServiceCheck) -> Option<String> {
    let consul_only = [
        (
            check.expose,
            "expose may only be set for Consul service checks",
        ),
        (
            check.on_update == "ignore_warnings",
            "on_update may only be set to ignore_warnings for Consul service checks",
        ),
        (
            check
                .check_restart
                .as_ref()
                .is_some_and(|r| r.ignore_warnings),
            "ignore_warnings on check_restart only supported for Consul service checks",
        ),
        (
            check.address_mode == "driver",
            "address_mode = driver may only be set for Consul service checks",
        ),
        (
            check.success_before_passing != 0,
            "success_before_passing may only be set for Consul service checks",
        ),
        (
            check.failures_before_critical != 0,
            "failures_before_critical may only be set for Consul service checks",
        ),
        (
            check.failures_before_warning != 0,
            "failures_before_warning may only be set for Consul service checks",
        ),
        (
            !check.tls_server_name.is_empty(),
            "tls_server_name may only be set for Consul service checks",
        ),
    ];
    consul_only
        .iter()
        .find(|(broken, _)| *broken)
        .map(|(_, message)| message.to_string())
}

fn consul_check_error(check: &ServiceCheck, check_type: &str) -> Option<String> {
    if check.expose && check_type != "grpc" && check_type != "http" {
        return Some("expose may only be set on HTTP or gRPC checks".to_string());
    }
    let pass_fail = ["tcp", "http", "grpc"].contains(&check.check_type.as_str());
    for (value, name) in [
        (check.success_before_passing, "success_before_passing"),
        (check.failures_before_critical, "failures_before_critical"),
        (check.failures_before_warning, "failures_before_warning"),
    ] {
        if value < 0 {
            return Some(format!("{name} must be non-negative"));
        }
        if value > 0 && !pass_fail {
            return Some(format!(
                "{name} not supported for check of type {}",
                quote(&check.check_type)
            ));
        }
    }
    if check.notes.len() > 255 {
        return Some("notes must not be longer than 255 characters".to_string());
    }
    None
}
