//! Golden job diffs. Each case starts from `golden/diff/base_job.json` (a job with every block
//! Nomad diffs), changes the old or new side, and compares the diff, in plain and contextual
//! mode, with `golden/diff/cases/<case>.<mode>.json`. Annotated cases also run the plan
//! annotator. Run with `UPDATE_GOLDEN=1` to rewrite the golden files after an intended change,
//! then read the changes in `git diff` before committing them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use drover_model::{Job, Task, TaskGroup, decode_job};
use drover_plan::annotations::PlanAnnotations;
use drover_plan::diff::{JobDiff, annotate, job_diff, version_diffs};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/diff")
}

fn base() -> Job {
    let bytes = std::fs::read(golden_dir().join("base_job.json")).expect("base job");
    decode_job(&bytes).expect("base job decodes")
}

fn from<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("test block decodes")
}

fn group<'a>(job: &'a mut Job, name: &str) -> &'a mut TaskGroup {
    let g = job.task_groups.iter_mut().find(|g| g.name == name);
    Arc::make_mut(g.expect("group"))
}

fn task<'a>(job: &'a mut Job, group_name: &str, name: &str) -> &'a mut Task {
    let g = group(job, group_name);
    Arc::make_mut(g.tasks.iter_mut().find(|t| t.name == name).expect("task"))
}

fn server(job: &mut Job) -> &mut Task {
    task(job, "api", "server")
}

fn api(job: &mut Job) -> &mut TaskGroup {
    group(job, "api")
}

type Sides = (Option<Job>, Option<Job>);

/// The new side is the base job changed by `f`.
fn edit(f: impl FnOnce(&mut Job)) -> Sides {
    let mut new = base();
    f(&mut new);
    (Some(base()), Some(new))
}

/// Both sides changed: the old side by `f_old`, the new one by `f_new`.
fn both(f_old: impl FnOnce(&mut Job), f_new: impl FnOnce(&mut Job)) -> Sides {
    let (mut old, mut new) = (base(), base());
    f_old(&mut old);
    f_new(&mut new);
    (Some(old), Some(new))
}

/// A block that the base job has, removed on the old side: the new side adds it.
fn added(remove: impl FnOnce(&mut Job)) -> Sides {
    both(remove, |_| {})
}

/// A block that the base job has, removed on the new side.
fn deleted(remove: impl FnOnce(&mut Job)) -> Sides {
    both(|_| {}, remove)
}

struct Case {
    name: &'static str,
    sides: fn() -> Sides,
    /// Plan annotations: the case also runs the annotator, in contextual mode only.
    annotations: Option<fn() -> Value>,
}

const fn case(name: &'static str, sides: fn() -> Sides) -> Case {
    Case {
        name,
        sides,
        annotations: None,
    }
}

const fn annotated(name: &'static str, sides: fn() -> Sides, annotations: fn() -> Value) -> Case {
    Case {
        name,
        sides,
        annotations: Some(annotations),
    }
}

const CASES: &[Case] = &[
    // The whole job.
    case("job_added", || (None, Some(base()))),
    case("job_deleted", || (Some(base()), None)),
    case("job_unchanged", || (Some(base()), Some(base()))),
    case("job_only_filtered_fields", || {
        edit(|j| {
            j.version = 4;
            j.stable = false;
            j.status = "pending".into();
            j.modify_index = 30;
            j.job_modify_index = 30;
            j.submit_time += 1;
            j.nomad_token_id = "token".into();
        })
    }),
    case("job_fields_edited", || {
        edit(|j| {
            j.priority = 70;
            j.all_at_once = true;
            j.node_pool = "gpu".into();
            j.meta.insert("owner".into(), "team-b".into());
            j.meta.remove("tier");
            j.meta.insert("cost".into(), "low".into());
            j.consul_namespace = "infra".into();
        })
    }),
    case("job_datacenters_edited", || {
        edit(|j| j.datacenters = vec!["dc2".into(), "dc3".into()])
    }),
    case("job_constraint_edited", || {
        edit(|j| j.constraints[0].r_target = "windows".into())
    }),
    case("job_constraint_added", || {
        edit(|j| {
            j.constraints.push(from(
                json!({"Operand": "distinct_hosts", "RTarget": "true"}),
            ))
        })
    }),
    case("job_constraint_deleted", || {
        deleted(|j| j.constraints.clear())
    }),
    case("job_affinity_edited", || {
        edit(|j| j.affinities[0].weight = -50)
    }),
    case("job_periodic_added", || {
        edit(|j| {
            j.periodic = Some(from(json!({
                "Enabled": true, "Spec": "*/15 * * * *", "SpecType": "cron", "TimeZone": "UTC"
            })))
        })
    }),
    case("job_periodic_edited", || {
        let periodic = |spec: &str| -> drover_model::PeriodicConfig {
            from(json!({
                "Enabled": true, "Spec": spec, "Specs": [spec], "SpecType": "cron",
                "ProhibitOverlap": true
            }))
        };
        both(
            |j| j.periodic = Some(periodic("*/15 * * * *")),
            |j| j.periodic = Some(periodic("0 * * * *")),
        )
    }),
    case("job_periodic_deleted", || {
        both(
            |j| {
                j.periodic = Some(from(
                    json!({"Enabled": true, "Spec": "@daily", "SpecType": "cron"}),
                ))
            },
            |_| {},
        )
    }),
    case("job_parameterized_added", || {
        edit(|j| {
            j.parameterized_job = Some(from(json!({
                "Payload": "required", "MetaRequired": ["input"], "MetaOptional": ["mode"]
            })))
        })
    }),
    case("job_parameterized_edited", || {
        both(
            |j| {
                j.parameterized_job = Some(from(json!({
                    "Payload": "required", "MetaRequired": ["input"], "MetaOptional": ["mode"]
                })))
            },
            |j| {
                j.parameterized_job = Some(from(json!({
                    "Payload": "optional", "MetaRequired": ["input"], "MetaOptional": ["speed"]
                })))
            },
        )
    }),
    case("job_multiregion_added", || {
        edit(|j| {
            j.multiregion = Some(from(json!({
                "Strategy": {"MaxParallel": 1, "OnFailure": "fail_all"},
                "Regions": [
                    {"Name": "east", "Count": 2, "Datacenters": ["e1"], "Meta": {"k": "v"}},
                    {"Name": "west", "Count": 1, "Datacenters": ["w1"]}
                ]
            })))
        })
    }),
    case("job_multiregion_edited", || {
        let multiregion = |east_count: i64, west_dc: &str| -> drover_model::Multiregion {
            from(json!({
                "Strategy": {"MaxParallel": 1, "OnFailure": "fail_all"},
                "Regions": [
                    {"Name": "east", "Count": east_count, "Datacenters": ["e1"]},
                    {"Name": "west", "Count": 1, "Datacenters": [west_dc]}
                ]
            }))
        };
        both(
            |j| j.multiregion = Some(multiregion(2, "w1")),
            |j| j.multiregion = Some(multiregion(3, "w2")),
        )
    }),
    case("job_ui_added", || {
        edit(|j| {
            j.ui = Some(from(json!({
                "Description": "The **web** tier",
                "Links": [{"Label": "Docs", "URL": "https://docs.example.com"}]
            })))
        })
    }),
    case("job_ui_edited", || {
        both(
            |j| {
                j.ui = Some(from(json!({
                    "Description": "web",
                    "Links": [{"Label": "Docs", "URL": "https://a.example.com"}]
                })))
            },
            |j| {
                j.ui = Some(from(json!({
                    "Description": "web",
                    "Links": [
                        {"Label": "Docs", "URL": "https://b.example.com"},
                        {"Label": "Runbook", "URL": "https://c.example.com"}
                    ]
                })))
            },
        )
    }),
    case("job_spreads_and_update_only", || {
        // Neither job spreads nor the job-level update block are diffed at the job level.
        edit(|j| {
            j.spreads.clear();
            j.update = None;
        })
    }),
    // Task groups.
    case("group_added", || {
        added(|j| j.task_groups.retain(|g| g.name != "worker"))
    }),
    case("group_deleted", || {
        deleted(|j| j.task_groups.retain(|g| g.name != "worker"))
    }),
    case("group_fields_edited", || {
        edit(|j| {
            let g = api(j);
            g.count = 5;
            g.meta.insert("zone".into(), "b".into());
            g.prevent_reschedule_on_lost = true;
        })
    }),
    case("group_shutdown_delay_added", || {
        edit(|j| api(j).shutdown_delay = Some(5_000_000_000))
    }),
    case("group_shutdown_delay_edited", || {
        both(
            |j| api(j).shutdown_delay = Some(5_000_000_000),
            |j| api(j).shutdown_delay = Some(10_000_000_000),
        )
    }),
    case("group_only_spreads_changed", || {
        edit(|j| api(j).spreads = vec![from(json!({"Attribute": "${node.unique.id}"}))])
    }),
    case("group_constraint_added", || {
        edit(|j| {
            api(j).constraints.push(from(json!({
                "LTarget": "${meta.rack}", "RTarget": "r1", "Operand": "!="
            })))
        })
    }),
    case("group_affinity_added", || {
        edit(|j| {
            api(j).affinities.push(from(json!({
                "LTarget": "${meta.rack}", "RTarget": "r1", "Operand": "=", "Weight": 25
            })))
        })
    }),
    case("group_restart_edited", || {
        edit(|j| {
            let r = api(j).restart_policy.as_mut().expect("restart");
            r.attempts = Some(5);
            r.mode = Some("delay".into());
        })
    }),
    case("group_restart_added", || {
        added(|j| api(j).restart_policy = None)
    }),
    case("group_restart_deleted", || {
        deleted(|j| api(j).restart_policy = None)
    }),
    case("group_migrate_edited", || {
        edit(|j| api(j).migrate.as_mut().expect("migrate").max_parallel = Some(2))
    }),
    case("group_reschedule_edited", || {
        edit(|j| {
            let r = api(j).reschedule_policy.as_mut().expect("reschedule");
            r.unlimited = Some(false);
            r.attempts = Some(3);
            r.interval = Some(3_600_000_000_000);
        })
    }),
    case("group_ephemeral_disk_edited", || {
        edit(|j| {
            let d = api(j).ephemeral_disk.as_mut().expect("disk");
            d.size_mb = 500;
            d.sticky = true;
        })
    }),
    case("group_consul_added", || {
        edit(|j| api(j).consul = Some(from(json!({"Namespace": "team-a"}))))
    }),
    case("group_update_edited", || {
        edit(|j| {
            let u = api(j).update.as_mut().expect("update");
            u.canary = Some(1);
            u.auto_promote = Some(true);
            u.stagger = Some(60_000_000_000);
        })
    }),
    case("group_update_deleted", || deleted(|j| api(j).update = None)),
    case("group_disconnect_added", || {
        edit(|j| {
            api(j).disconnect = Some(from(json!({
                "LostAfter": 3600000000000_i64, "Reconcile": "best_score"
            })))
        })
    }),
    case("group_disconnect_edited", || {
        both(
            |j| {
                api(j).disconnect = Some(from(
                    json!({"LostAfter": 60000000000_i64, "Reconcile": "best_score"}),
                ))
            },
            |j| {
                api(j).disconnect = Some(from(json!({
                    "LostAfter": 60000000000_i64, "Replace": true, "Reconcile": "keep_original"
                })))
            },
        )
    }),
    case("group_network_port_edited", || {
        edit(|j| api(j).networks[0].dynamic_ports[0].to = 9090)
    }),
    case("group_network_added", || added(|j| api(j).networks.clear())),
    case("group_network_dns_cni_edited", || {
        edit(|j| {
            let n = &mut api(j).networks[0];
            n.dns = Some(from(
                json!({"Servers": ["8.8.8.8"], "Searches": ["svc.local"]}),
            ));
            n.cni = Some(json!({"Args": {"IgnoreUnknown": "true"}}));
        })
    }),
    case("group_scaling_added", || {
        edit(|j| {
            api(j).scaling = Some(from(json!({
                "ID": "abc", "Type": "horizontal", "Min": 1, "Max": 10, "Enabled": true,
                "Target": {"Namespace": "default", "Job": "web", "Group": "api"},
                "Policy": {"cooldown": "1m", "check": {"cpu": {"query": "avg_cpu"}}}
            })))
        })
    }),
    case("group_scaling_edited", || {
        let scaling = |max: i64, cooldown: &str| -> drover_model::ScalingPolicy {
            from(json!({
                "ID": "abc", "Type": "horizontal", "Min": 1, "Max": max, "Enabled": true,
                "Target": {"Namespace": "default", "Job": "web", "Group": "api"},
                "Policy": {"cooldown": cooldown}
            }))
        };
        both(
            |j| api(j).scaling = Some(scaling(10, "1m")),
            |j| api(j).scaling = Some(scaling(20, "5m")),
        )
    }),
    case("group_service_edited", || {
        edit(|j| {
            let s = &mut api(j).services[0];
            s.tags = vec!["v2".into(), "public".into()];
            s.meta.insert("version".into(), "2".into());
            let c = &mut s.checks[0];
            c.interval = 5_000_000_000;
            c.header.insert("X-Probe".into(), vec!["2".into()]);
            c.check_restart = None;
        })
    }),
    case("group_service_renamed", || {
        // One old and one new service are compared directly, whatever their names.
        edit(|j| {
            let s = &mut api(j).services[0];
            s.name = "api-v2".into();
            s.port_label = "admin".into();
        })
    }),
    case("group_services_unmatched", || {
        // Among several services, a new name and a new port label match nothing: the old
        // service was deleted and the new one added.
        let metrics = |name: &str, port: &str| -> drover_model::Service {
            from(json!({"Name": name, "PortLabel": port, "Provider": "nomad"}))
        };
        both(
            |j| api(j).services.push(metrics("metrics", "admin")),
            |j| api(j).services.push(metrics("stats", "stats")),
        )
    }),
    case("group_services_matched_by_name", || {
        let extra = || -> drover_model::Service {
            from(json!({"Name": "metrics", "PortLabel": "admin", "Provider": "nomad"}))
        };
        both(
            |j| api(j).services.push(extra()),
            |j| {
                let mut metrics = extra();
                metrics.tags = vec!["prometheus".into()];
                // Listed first now: matching follows names, not positions.
                api(j).services.insert(0, metrics);
            },
        )
    }),
    case("group_service_check_added", || {
        edit(|j| {
            api(j).services[0].checks.push(from(json!({
                "Name": "ready", "Type": "tcp", "PortLabel": "http",
                "Interval": 30000000000_i64, "Timeout": 5000000000_i64
            })))
        })
    }),
    case("group_service_connect_added", || {
        edit(|j| {
            api(j).services[0].connect = Some(json!({
                "Native": false,
                "SidecarService": {
                    "Port": "",
                    "Proxy": {
                        "Upstreams": [{"DestinationName": "db", "LocalBindPort": 5432}]
                    }
                }
            }))
        })
    }),
    case("group_volume_added", || {
        edit(|j| {
            api(j).volumes.insert(
                "certs".into(),
                from(json!({
                    "Name": "certs", "Type": "csi", "Source": "certs", "ReadOnly": true,
                    "AccessMode": "multi-node-reader-only", "AttachmentMode": "file-system",
                    "MountOptions": {"FSType": "ext4", "MountFlags": ["noatime"]}
                })),
            );
        })
    }),
    case("group_volume_edited", || {
        edit(|j| {
            let v = api(j).volumes.get_mut("data").expect("volume");
            v.read_only = true;
            v.source = "api-data-2".into();
        })
    }),
    case("group_volume_deleted", || {
        deleted(|j| api(j).volumes.clear())
    }),
    // Tasks.
    case("task_added", || {
        added(|j| api(j).tasks.retain(|t| t.name != "sidecar"))
    }),
    case("task_deleted", || {
        deleted(|j| api(j).tasks.retain(|t| t.name != "sidecar"))
    }),
    case("task_fields_edited", || {
        edit(|j| {
            let t = server(j);
            t.driver = "podman".into();
            t.user = "nobody".into();
            t.env.insert("LOG_LEVEL".into(), "debug".into());
            t.env.remove("PORT");
            t.env.insert("MODE".into(), "prod".into());
            t.kill_timeout = 10_000_000_000;
            t.kill_signal = "SIGINT".into();
            t.leader = true;
        })
    }),
    case("task_config_edited", || {
        edit(|j| {
            let c = &mut server(j).config;
            c.insert("image".into(), json!("api:1.1"));
            c.insert("args".into(), json!(["--port", "9090", "--verbose"]));
            c.insert("privileged".into(), json!(true));
        })
    }),
    case("task_config_deleted", || {
        deleted(|j| server(j).config.clear())
    }),
    case("task_resources_edited", || {
        edit(|j| {
            let r = server(j).resources.as_mut().expect("resources");
            r.cpu = 1000;
            r.memory_max_mb = 512;
        })
    }),
    case("task_resources_devices_numa", || {
        edit(|j| {
            let r = server(j).resources.as_mut().expect("resources");
            r.devices
                .push(from(json!({"Name": "nvidia/gpu", "Count": 2})));
            r.numa = Some(json!({"Affinity": "require", "Devices": ["nvidia/gpu"]}));
            r.networks.push(from(
                json!({"MBits": 10, "DynamicPorts": [{"Label": "grpc"}]}),
            ));
        })
    }),
    case("task_resources_added", || {
        added(|j| server(j).resources = None)
    }),
    case("task_log_config_edited", || {
        edit(|j| server(j).log_config.as_mut().expect("logs").max_files = 5)
    }),
    case("task_log_config_disabled", || {
        edit(|j| server(j).log_config.as_mut().expect("logs").disabled = true)
    }),
    case("task_dispatch_payload_added", || {
        edit(|j| server(j).dispatch_payload = Some(from(json!({"File": "input.json"}))))
    }),
    case("task_artifact_edited", || {
        edit(|j| server(j).artifacts[0].getter_source = "https://example.com/app-2.tgz".into())
    }),
    case("task_artifact_added", || {
        edit(|j| {
            server(j).artifacts.push(from(json!({
                "GetterSource": "https://example.com/cfg.zip", "RelativeDest": "local/cfg",
                "GetterMode": "dir"
            })))
        })
    }),
    case("task_service_added", || {
        edit(|j| {
            server(j).services.push(from(json!({
                "Name": "server-metrics", "PortLabel": "http", "Provider": "nomad",
                "Tags": ["metrics"], "Weights": {"Passing": 2, "Warning": 1}
            })))
        })
    }),
    case("task_vault_added", || {
        edit(|j| {
            server(j).vault = Some(from(json!({
                "Role": "api", "Env": true, "ChangeMode": "restart"
            })))
        })
    }),
    case("task_vault_edited", || {
        both(
            |j| {
                server(j).vault = Some(from(
                    json!({"Role": "api", "Env": true, "ChangeMode": "restart"}),
                ))
            },
            |j| {
                server(j).vault = Some(from(
                    json!({"Role": "api", "Env": true, "ChangeMode": "signal", "ChangeSignal": "SIGHUP"}),
                ))
            },
        )
    }),
    case("task_secrets_edited", || {
        both(
            |j| {
                server(j).secrets = vec![
                    from(json!({"Name": "db", "Provider": "nomad", "Path": "db/creds"})),
                    from(json!({"Name": "old", "Provider": "nomad", "Path": "old"})),
                ]
            },
            |j| {
                server(j).secrets = vec![from(
                    json!({"Name": "db", "Provider": "vault", "Path": "db/creds",
                                "Config": {"engine": "kv2"}, "Env": {"USER": "admin"}}),
                )]
            },
        )
    }),
    case("task_consul_added", || {
        edit(|j| server(j).consul = Some(from(json!({"Cluster": "east"}))))
    }),
    case("task_template_edited", || {
        edit(|j| {
            let t = &mut server(j).templates[0];
            t.change_mode = "script".into();
            t.change_script = Some(from(json!({
                "Command": "/bin/reload", "Args": ["-f"], "Timeout": 5000000000_i64
            })));
            t.wait = Some(from(json!({"Min": 2000000000})));
            t.uid = Some(1000);
        })
    }),
    case("task_templates_matched_by_destination", || {
        edit(|j| {
            let templates = &mut server(j).templates;
            let mut first = templates[0].clone();
            first.perms = "0600".into();
            templates[0] =
                from(json!({"DestPath": "secrets/env", "EmbeddedTmpl": "A=1", "Envvars": true}));
            templates.push(first);
        })
    }),
    case("task_identities_edited", || {
        both(
            |j| {
                let t = server(j);
                t.identity =
                    Some(json!({"Name": "default", "Audience": ["nomadproject.io"], "Env": false}));
                t.identities = vec![
                    json!({"Name": "vault_default", "Audience": ["vault.io"], "TTL": 3600000000000_i64}),
                ];
            },
            |j| {
                let t = server(j);
                t.identity =
                    Some(json!({"Name": "default", "Audience": ["nomadproject.io"], "Env": true}));
                t.identities = vec![
                    json!({"Name": "vault_default", "Audience": ["vault.io", "other"], "TTL": 3600000000000_i64}),
                    json!({"Name": "consul", "Audience": ["consul.io"]}),
                ];
            },
        )
    }),
    case("task_actions_edited", || {
        both(
            |j| {
                server(j).actions =
                    vec![json!({"Name": "flush", "Command": "/bin/flush", "Args": ["-a"]})]
            },
            |j| {
                server(j).actions = vec![
                    json!({"Name": "flush", "Command": "/bin/flush", "Args": ["-a", "-q"]}),
                    json!({"Name": "dump", "Command": "/bin/dump"}),
                ]
            },
        )
    }),
    case("task_volume_mount_edited", || {
        edit(|j| {
            let m = &mut server(j).volume_mounts[0];
            m.read_only = true;
            m.selinux_label = "Z".into();
        })
    }),
    case("task_volume_mount_deleted", || {
        deleted(|j| server(j).volume_mounts.clear())
    }),
    case("task_schedule_added", || {
        edit(|j| {
            server(j).schedule = Some(json!({
                "Cron": {"Start": "0 9 * * mon-fri", "End": "0 17", "Timezone": "Europe/Paris"}
            }))
        })
    }),
    case("task_only_undiffed_blocks", || {
        // Lifecycle and the task restart policy are not diffed: the task is Edited, unexplained.
        edit(|j| {
            let t = server(j);
            t.lifecycle = Some(from(json!({"Hook": "prestart", "Sidecar": true})));
            t.restart_policy = Some(from(json!({"Attempts": 9})));
        })
    }),
    // Plan annotations.
    annotated(
        "annotated_destructive_and_in_place",
        || {
            edit(|j| {
                api(j).count = 5;
                server(j).env.insert("LOG_LEVEL".into(), "debug".into());
                task(j, "api", "sidecar").kill_timeout = 10_000_000_000;
                group(j, "worker").count = 0;
            })
        },
        || {
            json!({"DesiredTGUpdates": {
                "api": {"Place": 2, "DestructiveUpdate": 3, "InPlaceUpdate": 0},
                "worker": {"Stop": 1},
                "unknown": {"Place": 1}
            }})
        },
    ),
    annotated(
        "annotated_group_added_and_deleted",
        || {
            both(
                |j| j.task_groups.retain(|g| g.name != "worker"),
                |j| j.task_groups.retain(|g| g.name != "api"),
            )
        },
        || json!({"DesiredTGUpdates": {"worker": {"Place": 1}, "api": {"Stop": 3}}}),
    ),
    annotated(
        "annotated_service_and_log_config",
        || {
            edit(|j| {
                api(j).services[0].tags.push("canary".into());
                server(j).log_config.as_mut().expect("logs").max_files = 3;
                task(j, "api", "sidecar").constraints.push(from(json!({
                    "LTarget": "${attr.os.name}", "RTarget": "ubuntu", "Operand": "="
                })));
            })
        },
        || json!({"DesiredTGUpdates": {"api": {"Ignore": 3}, "worker": {"Ignore": 1}}}),
    ),
    annotated(
        "annotated_log_config_disabled",
        || edit(|j| server(j).log_config.as_mut().expect("logs").disabled = true),
        || json!({"DesiredTGUpdates": {"api": {"DestructiveUpdate": 3}}}),
    ),
    annotated(
        "annotated_task_added_to_group",
        || added(|j| api(j).tasks.retain(|t| t.name != "sidecar")),
        || json!({"DesiredTGUpdates": {"api": {"DestructiveUpdate": 3}}}),
    ),
];

fn render(diff: &JobDiff) -> String {
    serde_json::to_string_pretty(diff).expect("diff serializes") + "\n"
}

/// Compares `actual` with the golden file `name`, or rewrites it under `UPDATE_GOLDEN`; returns
/// a failure message on mismatch.
fn check_golden(name: &str, actual: &str) -> Option<String> {
    let path = golden_dir().join("cases").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return None;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    (expected != actual).then(|| format!("{name}: differs from the golden file\n{actual}"))
}

fn golden_files() -> Vec<String> {
    let mut files = Vec::new();
    for case in CASES {
        if case.annotations.is_some() {
            files.push(format!("{}.annotated.json", case.name));
        } else {
            files.push(format!("{}.plain.json", case.name));
            files.push(format!("{}.contextual.json", case.name));
        }
    }
    files
}

#[test]
fn golden_diffs() {
    let mut failures = Vec::new();
    for case in CASES {
        let (old, new) = (case.sides)();
        let diff = |contextual| job_diff(old.as_ref(), new.as_ref(), contextual).expect("diff");
        match case.annotations {
            Some(annotations) => {
                let mut d = diff(true);
                let annotations: PlanAnnotations = from(annotations());
                annotate(&mut d, &annotations);
                failures.extend(check_golden(
                    &format!("{}.annotated.json", case.name),
                    &render(&d),
                ));
            }
            None => {
                let plain = render(&diff(false));
                failures.extend(check_golden(&format!("{}.plain.json", case.name), &plain));
                let contextual = render(&diff(true));
                failures.extend(check_golden(
                    &format!("{}.contextual.json", case.name),
                    &contextual,
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn there_are_enough_golden_cases_and_no_stale_files() {
    let expected = golden_files();
    assert!(expected.len() >= 60, "only {} golden cases", expected.len());
    let mut on_disk: Vec<String> = std::fs::read_dir(golden_dir().join("cases"))
        .expect("cases dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(on_disk, expected);
}

/// The seed's `GET /v1/job/:id/versions?diffs=true` sample: version 1 against version 0 gives
/// exactly its one diff.
#[test]
fn seed_versions_sample() {
    let text = std::fs::read_to_string(golden_dir().join("seed/versions_diffs_response.json"))
        .expect("sample");
    let sample: Value = serde_json::from_str(&text).expect("sample json");
    let versions: Vec<Job> = sample["Versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| decode_job(v.to_string().as_bytes()).expect("version decodes"))
        .collect();
    let diffs = version_diffs(&versions).expect("diffs");
    assert_eq!(serde_json::to_value(&diffs).expect("json"), sample["Diffs"]);
}

#[test]
fn jobs_with_different_ids_do_not_diff() {
    let mut other = base();
    other.id = "db".into();
    let err = job_diff(Some(&base()), Some(&other), true).expect_err("different IDs");
    assert_eq!(
        err.to_string(),
        r#"can not diff jobs with different IDs: "web" and "db""#
    );
}

#[test]
fn nothing_diffs_to_none() {
    let diff = job_diff(None, None, true).expect("diff");
    assert_eq!(
        serde_json::to_value(&diff).expect("json"),
        json!({"Type": "None", "ID": "", "Fields": null, "Objects": null, "TaskGroups": null})
    );
}
