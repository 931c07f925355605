//! Nomad's `tasksUpdated`: whether a task group changed in a way its running allocations cannot
//! absorb in place, so that they must be replaced (a destructive update).

use std::collections::BTreeMap;

use drover_model::{Consul, Job, NetworkResource, Resources, RestartPolicy, Service};
use serde_json::Value;

/// True when group `group` differs between `a` and `b` in anything that needs new allocations:
/// the task list, ephemeral disk, networks, Consul namespace/cluster/partition, Connect services,
/// volumes, `restart.render_templates`, or per task the driver, user, config, env, artifacts,
/// vault, secrets, consul, templates, CSI plugin config, volume mounts, combined meta, networks,
/// resources, identities or `logs.disabled`. Everything else is an in-place update.
///
/// A group missing from either job counts as changed.
pub fn tasks_updated(a: &Job, b: &Job, group: &str) -> bool {
    let (Some(ga), Some(gb)) = (a.lookup_task_group(group), b.lookup_task_group(group)) else {
        return true;
    };
    // What both versions share (`Arc`) is unchanged without reading it; only the meta that its
    // tasks inherit from the levels above can still differ.
    let inherited_meta_same = a.meta == b.meta && ga.meta == gb.meta;
    if std::ptr::eq(ga, gb) && inherited_meta_same {
        return false;
    }
    if ga.tasks.len() != gb.tasks.len()
        || ga.ephemeral_disk != gb.ephemeral_disk
        || networks_updated(&ga.networks, &gb.networks)
        || consul_updated(ga.consul.as_ref(), gb.consul.as_ref())
        || connect_services_updated(&ga.services, &gb.services)
        || ga.volumes != gb.volumes
        || render_templates_updated(ga.restart_policy.as_ref(), gb.restart_policy.as_ref())
    {
        return true;
    }

    ga.tasks.iter().any(|ta| {
        let Some(tb) = gb.lookup_task(&ta.name) else {
            return true;
        };
        if std::ptr::eq(&**ta, tb) && inherited_meta_same {
            return false;
        }
        let no_resources = Resources::default();
        let ra = ta.resources.as_ref().unwrap_or(&no_resources);
        let rb = tb.resources.as_ref().unwrap_or(&no_resources);
        let logs_disabled =
            |t: &drover_model::Task| t.log_config.as_ref().is_some_and(|l| l.disabled);
        ta.driver != tb.driver
            || ta.user != tb.user
            || ta.config != tb.config
            || ta.env != tb.env
            || ta.artifacts != tb.artifacts
            || ta.vault != tb.vault
            || ta.secrets != tb.secrets
            || consul_updated(ta.consul.as_ref(), tb.consul.as_ref())
            || ta.templates != tb.templates
            || ta.csi_plugin_config != tb.csi_plugin_config
            || ta.volume_mounts != tb.volume_mounts
            || combined_task_meta(a, group, &ta.name) != combined_task_meta(b, group, &tb.name)
            || networks_updated(&ra.networks, &rb.networks)
            || resources_updated(ra, rb)
            || ta.identity != tb.identity
            || ta.identities != tb.identities
            || logs_disabled(ta) != logs_disabled(tb)
            || render_templates_updated(ta.restart_policy.as_ref(), tb.restart_policy.as_ref())
    })
}

fn resources_updated(a: &Resources, b: &Resources) -> bool {
    a.cpu != b.cpu
        || a.cores != b.cores
        || a.memory_mb != b.memory_mb
        || a.memory_max_mb != b.memory_max_mb
        || a.devices != b.devices
        || a.numa != b.numa
        || a.secrets_mb != b.secrets_mb
}

/// The namespace always matters; cluster and partition only when both sides have a block.
fn consul_updated(a: Option<&Consul>, b: Option<&Consul>) -> bool {
    fn namespace(c: Option<&Consul>) -> &str {
        c.map_or("", |c| &c.namespace)
    }
    if namespace(a) != namespace(b) {
        return true;
    }
    matches!((a, b), (Some(a), Some(b)) if a.cluster != b.cluster || a.partition != b.partition)
}

/// Plain services update in place through Consul; a Connect service needs its sidecar rebuilt
/// when the Connect block (other than proxy settings and tags), port label or cluster changes.
fn connect_services_updated(a: &[Service], b: &[Service]) -> bool {
    a.iter().any(|sa| {
        let Some(connect_a) = non_null(sa.connect.as_ref()) else {
            return false;
        };
        let Some(sb) = b.iter().find(|sb| sb.name == sa.name) else {
            return false;
        };
        let Some(connect_b) = non_null(sb.connect.as_ref()) else {
            return true;
        };
        let field = |v: &'_ Value, key: &str| non_null(v.get(key)).cloned();
        let native = |v: &Value| v.get("Native").and_then(Value::as_bool).unwrap_or(false);
        let sidecar_port =
            |v: &Value| non_null(v.get("SidecarService")).map(|s| s.get("Port").cloned());
        native(connect_a) != native(connect_b)
            || field(connect_a, "Gateway") != field(connect_b, "Gateway")
            || field(connect_a, "SidecarTask") != field(connect_b, "SidecarTask")
            || sidecar_port(connect_a) != sidecar_port(connect_b)
            || sa.port_label != sb.port_label
            || sa.cluster != sb.cluster
    })
}

fn non_null(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

/// Networks are compared position by position; a dynamic port's assigned value is ignored.
fn networks_updated(a: &[NetworkResource], b: &[NetworkResource]) -> bool {
    a.len() != b.len()
        || a.iter().zip(b).any(|(na, nb)| {
            na.mode != nb.mode
                || na.mbits != nb.mbits
                || na.hostname != nb.hostname
                || na.dns != nb.dns
                || na.cni != nb.cni
                || port_map(na) != port_map(nb)
        })
}

fn port_map(network: &NetworkResource) -> Vec<(&str, i64, i64, &str)> {
    let reserved = network
        .reserved_ports
        .iter()
        .map(|p| (p.label.as_str(), p.value, p.to, p.host_network.as_str()));
    let dynamic = network
        .dynamic_ports
        .iter()
        .map(|p| (p.label.as_str(), -1, p.to, p.host_network.as_str()));
    reserved.chain(dynamic).collect()
}

fn render_templates_updated(a: Option<&RestartPolicy>, b: Option<&RestartPolicy>) -> bool {
    let renders = |r: Option<&RestartPolicy>| r.and_then(|r| r.render_templates).unwrap_or(false);
    renders(a) != renders(b)
}

/// Task meta over group meta over job meta.
fn combined_task_meta<'a>(job: &'a Job, group: &str, task: &str) -> BTreeMap<&'a str, &'a str> {
    let mut meta = BTreeMap::new();
    let group = job.lookup_task_group(group);
    let task_meta = group.and_then(|g| g.lookup_task(task)).map(|t| &t.meta);
    let layers = [Some(&job.meta), group.map(|g| &g.meta), task_meta];
    for layer in layers.into_iter().flatten() {
        meta.extend(layer.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    meta
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use drover_model::{
        EphemeralDisk, LogConfig, Port, Task, TaskGroup, UpdateStrategy, VolumeMount,
    };
    use serde_json::json;

    use super::*;

    fn job() -> Job {
        Job {
            id: "web".into(),
            meta: [("owner".to_string(), "ops".to_string())].into(),
            task_groups: vec![Arc::new(TaskGroup {
                name: "app".into(),
                count: 3,
                ephemeral_disk: Some(EphemeralDisk {
                    size_mb: 300,
                    ..Default::default()
                }),
                networks: vec![NetworkResource {
                    mode: "bridge".into(),
                    dynamic_ports: vec![Port {
                        label: "http".into(),
                        to: 8080,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                services: vec![Service {
                    name: "api".into(),
                    port_label: "http".into(),
                    connect: Some(json!({"Native": false, "SidecarService": {"Port": "http"}})),
                    ..Default::default()
                }],
                tasks: vec![Arc::new(Task {
                    name: "server".into(),
                    driver: "docker".into(),
                    config: [("image".to_string(), json!("nginx:1"))].into(),
                    resources: Some(Resources {
                        cpu: 100,
                        memory_mb: 128,
                        ..Default::default()
                    }),
                    log_config: Some(LogConfig::default()),
                    kill_timeout: 5,
                    ..Default::default()
                })],
                ..Default::default()
            })],
            ..Default::default()
        }
    }

    /// Applies `change` to a copy of the job and reports whether the update is destructive: to a
    /// clone that shares the groups and tasks it does not touch, as a user's edit of the stored
    /// version does, and to a job built separately.
    fn check(change: impl Fn(&mut Job), destructive: bool) {
        let old = job();
        for mut new in [old.clone(), job()] {
            change(&mut new);
            assert_eq!(tasks_updated(&new, &old, "app"), destructive);
            assert_eq!(tasks_updated(&old, &new, "app"), destructive);
        }
    }

    fn group(job: &mut Job) -> &mut TaskGroup {
        Arc::make_mut(&mut job.task_groups[0])
    }

    fn task(job: &mut Job) -> &mut Task {
        Arc::make_mut(&mut group(job).tasks[0])
    }

    #[test]
    fn destructive_changes() {
        check(|j| task(j).driver = "exec".into(), true);
        check(
            |j| {
                task(j).config.insert("image".into(), json!("nginx:2"));
            },
            true,
        );
        check(
            |j| {
                task(j).env.insert("A".into(), "1".into());
            },
            true,
        );
        check(
            |j| task(j).resources.get_or_insert_default().cpu = 200,
            true,
        );
        check(
            |j| {
                task(j).log_config = Some(LogConfig {
                    disabled: true,
                    ..Default::default()
                })
            },
            true,
        );
        check(
            |j| {
                task(j).meta.insert("owner".into(), "dev".into());
            },
            true,
        );
        check(
            |j| {
                j.meta.insert("team".into(), "x".into());
            },
            true,
        );
        check(|j| task(j).volume_mounts.push(VolumeMount::default()), true);
        check(|j| group(j).tasks.push(Arc::default()), true);
        check(|j| group(j).ephemeral_disk = None, true);
        check(|j| group(j).networks[0].dynamic_ports[0].to = 9090, true);
        check(
            |j| group(j).services[0].connect = Some(json!({"Native": true})),
            true,
        );
        check(|j| group(j).services[0].port_label = "admin".into(), true);
        check(
            |j| {
                group(j).restart_policy = Some(RestartPolicy {
                    render_templates: Some(true),
                    ..Default::default()
                })
            },
            true,
        );
        check(|j| group(j).name = "other".into(), true);
    }

    #[test]
    fn in_place_changes() {
        check(|j| group(j).count = 10, false);
        check(|j| task(j).kill_timeout = 30, false);
        check(|j| group(j).update = Some(UpdateStrategy::default()), false);
        check(
            |j| group(j).networks[0].dynamic_ports[0].value = 23456,
            false,
        );
        check(|j| group(j).services[0].tags = vec!["v2".into()], false);
        check(
            |j| {
                group(j).services[0].connect =
                    Some(json!({"SidecarService": {"Port": "http", "Tags": ["x"]}}))
            },
            false,
        );
        // Meta that moves between levels without changing the merged result.
        check(
            |j| {
                j.meta.clear();
                task(j).meta.insert("owner".into(), "ops".into());
            },
            false,
        );
    }
}
