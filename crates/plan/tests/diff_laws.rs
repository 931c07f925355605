//! Laws of the job diff over generated jobs: a job diffed with itself changes nothing, and
//! diffing the other way round mirrors the diff (Added and Deleted trade places, so do Old and
//! New), and groups and tasks the new job shares (`Arc`) with the old one diff as their copies
//! do. Jobs are drawn from small vocabularies so that the two sides often share blocks.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::{Job, Task, TaskGroup, decode_value};
use drover_plan::diff::{DiffType, FieldDiff, JobDiff, ObjectDiff, job_diff};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::{Value, json};

fn small_map(keys: &'static [&'static str]) -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(select(keys), select(&["1", "2"][..]), 0..=2).prop_map(|m| {
        m.into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    })
}

fn constraints() -> impl Strategy<Value = Value> {
    subsequence(
        vec![
            json!({"LTarget": "${attr.os}", "RTarget": "linux", "Operand": "="}),
            json!({"LTarget": "${attr.os}", "RTarget": "windows", "Operand": "="}),
            json!({"Operand": "distinct_hosts", "RTarget": "true"}),
        ],
        0..=2,
    )
    .prop_map(Value::from)
}

fn network() -> impl Strategy<Value = Value> {
    (
        select(&["", "bridge"][..]),
        0..2_i64,
        prop::option::of(select(&["1.1.1.1", "8.8.8.8"][..])),
    )
        .prop_map(|(mode, to, dns)| {
            json!({
                "Mode": mode,
                "DynamicPorts": [{"Label": "http", "To": to * 8080}],
                "DNS": dns.map(|s| json!({"Servers": [s]})),
            })
        })
}

/// Services are named after their port label, so Nomad's scored matching pairs them by name.
fn services() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        select(&["web", "db"][..]),
        (subsequence(vec!["a", "b"], 0..=2), prop::option::of(0..2_i64)),
        0..=2,
    )
    .prop_map(|m| {
        let services: Vec<Value> = m
            .into_iter()
            .map(|(name, (tags, interval))| {
                json!({
                    "Name": name, "PortLabel": name, "Tags": tags,
                    "Checks": interval.map(|i| vec![json!({"Name": "c", "Type": "tcp", "Interval": i})]),
                })
            })
            .collect();
        Value::from(services)
    })
}

fn task() -> impl Strategy<Value = Value> {
    (
        select(&["docker", "exec"][..]),
        small_map(&["A", "B", "C"]),
        prop::option::of(select(&["img:1", "img:2"][..])),
        prop::option::of((1..3_i64, 0..2_i64)),
        prop::option::of(any::<bool>()),
        subsequence(vec!["local/a", "local/b"], 0..=2),
        services(),
        constraints(),
    )
        .prop_map(|(driver, env, image, resources, logs, templates, services, constraints)| {
            json!({
                "Driver": driver,
                "Env": env,
                "Config": image.map(|i| json!({"image": i, "args": ["-v"]})),
                "Resources": resources.map(|(cpu, mem)| json!({"CPU": cpu * 100, "MemoryMB": mem * 64})),
                "LogConfig": logs.map(|d| json!({"MaxFiles": 10, "Disabled": d})),
                "Templates": templates.iter().map(|d| json!({"DestPath": d})).collect::<Vec<_>>(),
                "Services": services,
                "Constraints": constraints,
            })
        })
}

fn group() -> impl Strategy<Value = Value> {
    (
        0..3_i64,
        small_map(&["k", "l"]),
        prop::option::of(0..2_i64),
        prop::option::of((1..3_i64, select(&["fail", "delay"][..]))),
        prop::collection::vec(network(), 0..=1),
        services(),
        prop::collection::btree_map(select(&["x", "y", "z"][..]), task(), 0..=3),
    )
        .prop_map(|(count, meta, delay, restart, networks, services, tasks)| {
            let tasks: Vec<Value> = tasks
                .into_iter()
                .map(|(name, mut t)| {
                    t["Name"] = json!(name);
                    t
                })
                .collect();
            json!({
                "Count": count,
                "Meta": meta,
                "ShutdownDelay": delay.map(|d| d * 1_000_000_000),
                "RestartPolicy": restart.map(|(a, m)| json!({"Attempts": a, "Mode": m})),
                "Networks": networks,
                "Services": services,
                "Tasks": tasks,
            })
        })
}

fn job() -> impl Strategy<Value = Job> {
    (
        1..3_i64,
        small_map(&["owner", "tier"]),
        subsequence(vec!["dc1", "dc2", "dc3"], 0..=3),
        constraints(),
        prop::option::of(select(&["@daily", "@hourly"][..])),
        prop::option::of((1..3_i64, subsequence(vec!["e1", "e2"], 0..=2))),
        prop::collection::btree_map(select(&["a", "b", "c"][..]), group(), 0..=3),
    )
        .prop_map(
            |(priority, meta, dcs, constraints, periodic, multiregion, groups)| {
                let groups: Vec<Value> = groups
                    .into_iter()
                    .map(|(name, mut g)| {
                        g["Name"] = json!(name);
                        g
                    })
                    .collect();
                let value = json!({
                    "ID": "law",
                    "Priority": priority * 10,
                    "Meta": meta,
                    "Datacenters": dcs,
                    "Constraints": constraints,
                    "Periodic": periodic.map(|s| json!({"Spec": s, "SpecType": "cron"})),
                    "Multiregion": multiregion.map(|(count, dcs)| json!({
                        "Strategy": {"MaxParallel": count},
                        "Regions": [{"Name": "east", "Count": count, "Datacenters": dcs}],
                    })),
                    "TaskGroups": groups,
                });
                decode_value(value, "Job").expect("generated job decodes")
            },
        )
}

fn mirror_type(t: DiffType) -> DiffType {
    match t {
        DiffType::Added => DiffType::Deleted,
        DiffType::Deleted => DiffType::Added,
        other => other,
    }
}

fn mirror_fields(fields: &mut [FieldDiff]) {
    for f in fields {
        f.diff_type = mirror_type(f.diff_type);
        std::mem::swap(&mut f.old, &mut f.new);
    }
}

fn mirror_objects(objects: &mut [ObjectDiff]) {
    for o in objects {
        o.diff_type = mirror_type(o.diff_type);
        mirror_fields(&mut o.fields);
        mirror_objects(&mut o.objects);
    }
}

/// The diff seen from the other side.
fn mirror(mut diff: JobDiff) -> JobDiff {
    diff.diff_type = mirror_type(diff.diff_type);
    mirror_fields(&mut diff.fields);
    mirror_objects(&mut diff.objects);
    for g in &mut diff.task_groups {
        g.diff_type = mirror_type(g.diff_type);
        mirror_fields(&mut g.fields);
        mirror_objects(&mut g.objects);
        for t in &mut g.tasks {
            t.diff_type = mirror_type(t.diff_type);
            mirror_fields(&mut t.fields);
            mirror_objects(&mut t.objects);
        }
    }
    diff
}

/// Lists in a canonical order: Nomad's order ranks Edited, Added and Deleted objects, which a
/// mirror image reorders.
fn normalize_objects(objects: &mut [ObjectDiff]) {
    for o in objects.iter_mut() {
        normalize_fields(&mut o.fields);
        normalize_objects(&mut o.objects);
    }
    objects.sort_by_cached_key(|o| serde_json::to_string(o).expect("json"));
}

fn normalize_fields(fields: &mut [FieldDiff]) {
    fields.sort_by(|a, b| (&a.name, &a.old, &a.new).cmp(&(&b.name, &b.old, &b.new)));
}

fn normalize(mut diff: JobDiff) -> JobDiff {
    normalize_fields(&mut diff.fields);
    normalize_objects(&mut diff.objects);
    for g in &mut diff.task_groups {
        normalize_fields(&mut g.fields);
        normalize_objects(&mut g.objects);
        for t in &mut g.tasks {
            normalize_fields(&mut t.fields);
            normalize_objects(&mut t.objects);
        }
    }
    diff
}

/// `new` with, for each group that `old` has too, either that whole group (where `whole` says
/// so) or its tasks that `old`'s group has, as the `Arc`s of `old`.
fn take_from(old: &Job, mut new: Job, whole: &[bool]) -> Job {
    for (group, &whole) in new.task_groups.iter_mut().zip(whole) {
        let Some(from) = old.task_groups.iter().find(|g| g.name == group.name) else {
            continue;
        };
        if whole {
            *group = Arc::clone(from);
            continue;
        }
        for task in &mut Arc::make_mut(group).tasks {
            if let Some(same) = from.tasks.iter().find(|t| t.name == task.name) {
                *task = Arc::clone(same);
            }
        }
    }
    new
}

/// The same job with nothing shared.
fn deep_copy(job: &Job) -> Job {
    let copy_group = |g: &Arc<TaskGroup>| {
        let mut group = TaskGroup::clone(g);
        group.tasks = g.tasks.iter().map(|t| Arc::new(Task::clone(t))).collect();
        Arc::new(group)
    };
    Job {
        task_groups: job.task_groups.iter().map(copy_group).collect(),
        ..job.clone()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_job_diffed_with_itself_is_none(a in job(), contextual in any::<bool>()) {
        let diff = job_diff(Some(&a), Some(&a), contextual).expect("diff");
        prop_assert_eq!(diff.diff_type, DiffType::None);
        prop_assert!(diff.fields.is_empty());
        prop_assert!(diff.objects.is_empty());
        prop_assert_eq!(diff.task_groups.len(), a.task_groups.len());
        for g in &diff.task_groups {
            prop_assert_eq!(g.diff_type, DiffType::None);
            prop_assert!(g.fields.is_empty());
            prop_assert!(g.objects.is_empty());
            for t in &g.tasks {
                prop_assert_eq!(t.diff_type, DiffType::None);
                prop_assert!(t.fields.is_empty());
                prop_assert!(t.objects.is_empty());
            }
        }
    }

    #[test]
    fn swapping_sides_mirrors_the_diff(a in job(), b in job(), contextual in any::<bool>()) {
        let forward = job_diff(Some(&a), Some(&b), contextual).expect("diff");
        let backward = job_diff(Some(&b), Some(&a), contextual).expect("diff");
        prop_assert_eq!(normalize(mirror(forward)), normalize(backward));
    }

    #[test]
    fn groups_and_tasks_shared_with_the_old_job_diff_as_copies_do(
        a in job(),
        b in job(),
        whole in prop::collection::vec(any::<bool>(), 3),
        contextual in any::<bool>(),
    ) {
        let shared = take_from(&a, b, &whole);
        let diff = job_diff(Some(&a), Some(&shared), contextual).expect("diff");
        let copies = job_diff(Some(&a), Some(&deep_copy(&shared)), contextual).expect("diff");
        prop_assert_eq!(diff, copies);
    }

    #[test]
    fn adding_a_job_mirrors_deleting_it(a in job(), contextual in any::<bool>()) {
        let added = job_diff(None, Some(&a), contextual).expect("diff");
        let deleted = job_diff(Some(&a), None, contextual).expect("diff");
        prop_assert_eq!(added.diff_type, DiffType::Added);
        prop_assert_eq!(normalize(mirror(added)), normalize(deleted));
    }
}
