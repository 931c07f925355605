//! Properties of drover-model over arbitrary jobs: the JSON round trip is lossless,
//! canonicalization is idempotent, and neither decoding, canonicalizing nor validating panics.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover::model::{
    Affinity, CheckRestart, Constraint, DisconnectStrategy, DispatchPayloadConfig, EphemeralDisk,
    Job, LogConfig, MigrateStrategy, NetworkResource, ParameterizedJobConfig, PeriodicConfig, Port,
    ReschedulePolicy, Resources, RestartPolicy, SECOND, ScalingPolicy, Service, ServiceCheck,
    Spread, SpreadTarget, Task, TaskArtifact, TaskGroup, TaskLifecycle, Template, UpdateStrategy,
    VolumeMount, VolumeRequest, decode_job,
};
use proptest::collection::{btree_map, vec};
use proptest::option::of;
use proptest::prelude::*;
use serde_json::Value;

/// Short names without `$`, so service-name interpolation cannot feed on itself.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z][a-z0-9-]{0,6}",
        "[a-zA-Z0-9 ./\\\\_é-]{0,8}"
    ]
}

fn pick(choices: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(choices).prop_map(str::to_string)
}

fn nanos() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0i64),
        (-3i64..100).prop_map(|s| s * SECOND),
        any::<i64>()
    ]
}

fn small() -> impl Strategy<Value = i64> {
    prop_oneof![-3i64..20, any::<i64>()]
}

fn meta() -> impl Strategy<Value = BTreeMap<String, String>> {
    btree_map(name(), name(), 0..3)
}

/// JSON without nulls (a `null` member reads as absent) and without floats (NaN has no JSON).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        name().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::from),
            btree_map(name(), inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn constraint() -> BoxedStrategy<Constraint> {
    let operands = &[
        "",
        "=",
        "!=",
        "<",
        "regexp",
        "version",
        "semver",
        "set_contains",
        "is_set",
        "distinct_hosts",
        "distinct_property",
        "near",
    ];
    let targets = &[
        "",
        "${attr.kernel.name}",
        "${node.class}",
        "$bad",
        "${meta.x",
        "${foo}",
    ];
    let values = &["", "linux", "[a", ">= 1.2", "~> 1.0", "0", "3", "a,b"];
    (pick(targets), pick(values), pick(operands))
        .prop_map(|(l_target, r_target, operand)| Constraint {
            l_target,
            r_target,
            operand,
        })
        .boxed()
}

fn affinity() -> BoxedStrategy<Affinity> {
    (constraint(), any::<i8>())
        .prop_map(|(c, weight)| Affinity {
            l_target: c.l_target,
            r_target: c.r_target,
            operand: c.operand,
            weight,
        })
        .boxed()
}

fn spread() -> BoxedStrategy<Spread> {
    (name(), any::<i8>(), vec((name(), any::<u8>()), 0..3))
        .prop_map(|(attribute, weight, t)| Spread {
            attribute,
            weight,
            spread_target: t
                .into_iter()
                .map(|(value, percent)| SpreadTarget { value, percent })
                .collect(),
        })
        .boxed()
}

fn update() -> BoxedStrategy<UpdateStrategy> {
    (
        of(nanos()),
        of(small()),
        of(pick(&["checks", "manual", "bogus", ""])),
        of(nanos()),
        of(nanos()),
        of(nanos()),
        of(any::<bool>()),
        of(any::<bool>()),
        of(small()),
    )
        .prop_map(|(s, mp, hc, mht, hd, pd, ar, ap, c)| UpdateStrategy {
            stagger: s,
            max_parallel: mp,
            health_check: hc,
            min_healthy_time: mht,
            healthy_deadline: hd,
            progress_deadline: pd,
            auto_revert: ar,
            auto_promote: ap,
            canary: c,
        })
        .boxed()
}

fn restart() -> BoxedStrategy<RestartPolicy> {
    (
        of(small()),
        of(nanos()),
        of(nanos()),
        of(pick(&["fail", "delay", "x"])),
        of(any::<bool>()),
    )
        .prop_map(
            |(attempts, interval, delay, mode, render_templates)| RestartPolicy {
                attempts,
                interval,
                delay,
                mode,
                render_templates,
            },
        )
        .boxed()
}

fn reschedule() -> BoxedStrategy<ReschedulePolicy> {
    (
        of(small()),
        of(nanos()),
        of(nanos()),
        of(pick(&["constant", "exponential", "fibonacci", "linear"])),
        of(nanos()),
        of(any::<bool>()),
    )
        .prop_map(
            |(attempts, interval, delay, function, max_delay, unlimited)| ReschedulePolicy {
                attempts,
                interval,
                delay,
                delay_function: function,
                max_delay,
                unlimited,
            },
        )
        .boxed()
}

fn migrate() -> BoxedStrategy<MigrateStrategy> {
    (
        of(small()),
        of(pick(&["checks", "task_states", "x"])),
        of(nanos()),
        of(nanos()),
    )
        .prop_map(
            |(max_parallel, health_check, min_healthy_time, healthy_deadline)| MigrateStrategy {
                max_parallel,
                health_check,
                min_healthy_time,
                healthy_deadline,
            },
        )
        .boxed()
}

fn port() -> BoxedStrategy<Port> {
    (
        name(),
        prop_oneof![Just(0i64), 1i64..70000],
        -3i64..70000,
        pick(&["", "default", "lan"]),
        any::<bool>(),
    )
        .prop_map(|(label, value, to, host_network, ignore_collision)| Port {
            label,
            value,
            to,
            host_network,
            ignore_collision,
        })
        .boxed()
}

fn network() -> BoxedStrategy<NetworkResource> {
    (
        pick(&["", "host", "bridge"]),
        name(),
        small(),
        vec(port(), 0..3),
        vec(port(), 0..3),
    )
        .prop_map(
            |(mode, hostname, mbits, reserved_ports, dynamic_ports)| NetworkResource {
                mode,
                hostname,
                mbits,
                reserved_ports,
                dynamic_ports,
                ..NetworkResource::default()
            },
        )
        .boxed()
}

fn check() -> BoxedStrategy<ServiceCheck> {
    (
        name(),
        pick(&["http", "tcp", "script", "grpc", "bogus"]),
        pick(&["", "/health", "http://x/"]),
        pick(&["", "db", "8080"]),
        nanos(),
        nanos(),
        pick(&["", "driver", "auto"]),
        small(),
        of((small(), nanos(), any::<bool>())),
    )
        .prop_map(
            |(name, check_type, path, port_label, interval, timeout, address_mode, sbp, cr)| {
                ServiceCheck {
                    name,
                    check_type,
                    path,
                    port_label,
                    interval,
                    timeout,
                    address_mode,
                    success_before_passing: sbp,
                    check_restart: cr.map(|(limit, grace, ignore_warnings)| CheckRestart {
                        limit,
                        grace,
                        ignore_warnings,
                    }),
                    ..ServiceCheck::default()
                }
            },
        )
        .boxed()
}

fn service() -> BoxedStrategy<Service> {
    (
        pick(&[
            "",
            "web",
            "${JOB}-${TASKGROUP}-${TASK}",
            "${BASE}",
            "bad_name",
        ]),
        pick(&["", "db", "http"]),
        pick(&["", "consul", "nomad", "other"]),
        pick(&["", "auto", "driver", "alloc"]),
        vec(check(), 0..3),
        vec(name(), 0..2),
        of(Just(CheckRestart {
            limit: 2,
            grace: SECOND,
            ignore_warnings: false,
        })),
    )
        .prop_map(
            |(name, port_label, provider, address_mode, checks, tags, check_restart)| Service {
                name,
                port_label,
                provider,
                address_mode,
                checks,
                tags,
                check_restart,
                ..Service::default()
            },
        )
        .boxed()
}

fn resources() -> BoxedStrategy<Resources> {
    (
        small(),
        small(),
        small(),
        small(),
        small(),
        vec(network(), 0..2),
    )
        .prop_map(
            |(cpu, cores, memory_mb, memory_max_mb, disk_mb, networks)| Resources {
                cpu,
                cores,
                memory_mb,
                memory_max_mb,
                disk_mb,
                networks,
                ..Resources::default()
            },
        )
        .boxed()
}

fn task() -> BoxedStrategy<Task> {
    let parts = (
        name(),
        pick(&["", "docker", "exec"]),
        btree_map(name(), json_value(), 0..3),
        meta(),
        vec(service(), 0..2),
        of(resources()),
        of(restart()),
        of((small(), small(), any::<bool>())),
        nanos(),
        nanos(),
    );
    let more = (
        vec(constraint(), 0..2),
        vec(affinity(), 0..2),
        of(pick(&["", "prestart", "poststop", "later"])),
        any::<bool>(),
        vec(
            (
                name(),
                pick(&["", "signal", "restart", "x"]),
                name(),
                nanos(),
            ),
            0..2,
        ),
        vec(
            (
                pick(&["", "https://x/a.tar.gz"]),
                pick(&["", "file", "dir"]),
                pick(&["", "../.."]),
            ),
            0..2,
        ),
        of(pick(&["", "input.json", "../../x"])),
        vec((pick(&["data", "logs"]), name()), 0..2),
    );
    (parts, more)
        .prop_map(|(parts, more)| {
            let (name, driver, config, env, services, resources, restart, log, kill, shutdown) =
                parts;
            let (constraints, affinities, hook, leader, templates, artifacts, payload, mounts) =
                more;
            Task {
                name: name.into(),
                driver: driver.into(),
                config,
                env,
                services,
                resources,
                restart_policy: restart,
                log_config: log.map(|(max_files, max_file_size_mb, disabled)| LogConfig {
                    max_files,
                    max_file_size_mb,
                    disabled,
                }),
                kill_timeout: kill,
                shutdown_delay: shutdown,
                constraints,
                affinities,
                lifecycle: hook.map(|hook| TaskLifecycle {
                    hook,
                    sidecar: false,
                }),
                leader,
                templates: templates
                    .into_iter()
                    .map(|(dest_path, change_mode, change_signal, splay)| Template {
                        dest_path,
                        change_mode,
                        change_signal,
                        splay,
                        embedded_tmpl: "x".to_string(),
                        ..Template::default()
                    })
                    .collect(),
                artifacts: artifacts
                    .into_iter()
                    .map(|(source, mode, dest)| TaskArtifact {
                        getter_source: source.to_string(),
                        getter_mode: mode.to_string(),
                        relative_dest: dest.to_string(),
                        ..TaskArtifact::default()
                    })
                    .collect(),
                dispatch_payload: payload.map(|file| DispatchPayloadConfig { file }),
                volume_mounts: mounts
                    .into_iter()
                    .map(|(volume, destination)| VolumeMount {
                        volume,
                        destination,
                        ..VolumeMount::default()
                    })
                    .collect(),
                ..Task::default()
            }
        })
        .boxed()
}

fn group() -> BoxedStrategy<TaskGroup> {
    let parts = (
        name(),
        small(),
        of(update()),
        of(migrate()),
        of(restart()),
        of(reschedule()),
        of(small()),
        vec(task(), 0..3),
        vec(network(), 0..2),
        vec(service(), 0..2),
    );
    let more = (
        vec(constraint(), 0..2),
        vec(affinity(), 0..2),
        vec(spread(), 0..2),
        of((
            nanos(),
            of(nanos()),
            of(any::<bool>()),
            pick(&["", "best_score", "x"]),
        )),
        of((of(small()), of(small()), of(any::<bool>()))),
        btree_map(
            pick(&["data", "logs"]),
            (pick(&["host", "csi", "nfs"]), name(), any::<bool>()),
            0..2,
        ),
        of(nanos()),
        of(nanos()),
        of(nanos()),
        meta(),
    );
    (parts, more)
        .prop_map(|(parts, more)| {
            let (
                name,
                count,
                update,
                migrate,
                restart,
                reschedule,
                disk,
                tasks,
                networks,
                services,
            ) = parts;
            let (
                constraints,
                affinities,
                spreads,
                disconnect,
                scaling,
                volumes,
                shutdown,
                max_run,
                mcd,
                meta,
            ) = more;
            TaskGroup {
                name: name.into(),
                count,
                update,
                migrate,
                restart_policy: restart,
                reschedule_policy: reschedule,
                ephemeral_disk: disk.map(|size_mb| EphemeralDisk {
                    size_mb,
                    ..EphemeralDisk::default()
                }),
                tasks: tasks.into_iter().map(Arc::new).collect(),
                networks,
                services,
                constraints,
                affinities,
                spreads,
                disconnect: disconnect.map(
                    |(lost_after, stop_on_client_after, replace, reconcile)| DisconnectStrategy {
                        lost_after,
                        stop_on_client_after,
                        replace,
                        reconcile,
                    },
                ),
                scaling: scaling.map(|(min, max, enabled)| ScalingPolicy {
                    min,
                    max,
                    enabled,
                    ..ScalingPolicy::default()
                }),
                volumes: volumes
                    .into_iter()
                    .map(|(key, (volume_type, source, per_alloc))| {
                        let volume = VolumeRequest {
                            name: key.clone(),
                            volume_type,
                            source,
                            per_alloc,
                            ..VolumeRequest::default()
                        };
                        (key, volume)
                    })
                    .collect(),
                shutdown_delay: shutdown,
                max_run_duration: max_run,
                max_client_disconnect: mcd,
                meta,
                ..TaskGroup::default()
            }
        })
        .boxed()
}

fn job() -> BoxedStrategy<Job> {
    let parts = (
        name(),
        name(),
        pick(&["", "default", "apps"]),
        pick(&["", "global", "eu"]),
        pick(&["", "service", "batch", "system", "sysbatch", "_core", "web"]),
        prop_oneof![Just(0i64), -2i64..120, any::<i64>()],
        vec(pick(&["dc1", "", "*"]), 0..3),
        vec(group(), 0..3),
        of(update()),
        of(reschedule()),
        of(migrate()),
    );
    let more = (
        vec(constraint(), 0..2),
        vec(affinity(), 0..2),
        vec(spread(), 0..2),
        of((
            any::<bool>(),
            pick(&["", "@daily", "0 * * * *"]),
            vec(pick(&["@hourly"]), 0..2),
            pick(&["", "UTC", "Mars/Base"]),
        )),
        of((
            pick(&["", "optional", "required", "x"]),
            vec(name(), 0..2),
            vec(name(), 0..2),
        )),
        vec(any::<u8>(), 0..4),
        meta(),
        any::<bool>(),
        any::<u64>(),
    );
    (parts, more)
        .prop_map(|(parts, more)| {
            let (
                id,
                name,
                namespace,
                region,
                job_type,
                priority,
                datacenters,
                task_groups,
                update,
                reschedule,
                migrate,
            ) = parts;
            let (
                constraints,
                affinities,
                spreads,
                periodic,
                parameterized,
                payload,
                meta,
                stop,
                version,
            ) = more;
            Job {
                id: id.into(),
                name: name.into(),
                namespace: namespace.into(),
                region: region.into(),
                job_type: job_type.into(),
                priority,
                datacenters: datacenters.into_iter().map(Into::into).collect(),
                task_groups: task_groups.into_iter().map(Arc::new).collect(),
                update,
                reschedule,
                migrate,
                constraints,
                affinities,
                spreads,
                periodic: periodic.map(|(enabled, spec, specs, time_zone)| PeriodicConfig {
                    enabled,
                    spec,
                    specs,
                    time_zone,
                    ..PeriodicConfig::default()
                }),
                parameterized_job: parameterized.map(|(payload, meta_required, meta_optional)| {
                    ParameterizedJobConfig {
                        payload,
                        meta_required,
                        meta_optional,
                    }
                }),
                payload,
                meta,
                stop,
                version,
                ..Job::default()
            }
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn json_round_trip_is_lossless(job in job()) {
        let bytes = serde_json::to_vec(&job).expect("encode");
        let decoded = decode_job(&bytes).expect("decode");
        prop_assert_eq!(decoded, job);
    }

    #[test]
    fn canonicalize_is_idempotent(mut job in job()) {
        job.canonicalize();
        let once = job.clone();
        job.canonicalize();
        prop_assert_eq!(job, once);
    }

    #[test]
    fn canonical_jobs_round_trip_too(mut job in job()) {
        job.canonicalize();
        let bytes = serde_json::to_vec(&job).expect("encode");
        prop_assert_eq!(decode_job(&bytes).expect("decode"), job);
    }

    #[test]
    fn validate_and_warnings_never_panic(mut job in job()) {
        let _ = job.validate();
        let _ = job.warnings();
        job.canonicalize();
        let _ = job.validate();
        let _ = job.warnings();
        prop_assert!(!job.spec_changed(&job.clone()));
    }

    #[test]
    fn decoding_arbitrary_json_never_panics(document in json_value()) {
        let bytes = serde_json::to_vec(&serde_json::json!({"TaskGroups": [document.clone()], "Update": document})).expect("encode");
        let _ = decode_job(&bytes);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in vec(any::<u8>(), 0..64)) {
        let _ = decode_job(&bytes);
    }
}
