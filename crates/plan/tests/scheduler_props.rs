//! Properties of the schedulers over random clusters and jobs, with every plan committed into a
//! state store: no node is ever overcommitted, and when capacity allows, each group ends with
//! exactly its count of allocations, named `0..count`, through scale changes and updates.

mod scheduler_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use drover_model::{Job, TaskGroup};
use proptest::prelude::*;
use scheduler_support::*;

/// A task group: count, MHz, MB.
type GroupSpec = (i64, i64, i64);

fn job_of(batch: bool, groups: &[GroupSpec]) -> Job {
    let mut job = if batch { batch_job(1) } else { service_job(1) };
    let template = job.task_groups[0].clone();
    job.task_groups = groups
        .iter()
        .enumerate()
        .map(|(i, &(count, cpu, memory_mb))| {
            let mut tg = TaskGroup {
                name: format!("g{i}").into(),
                count,
                ..(*template).clone()
            };
            let task = Arc::make_mut(&mut tg.tasks[0]);
            let resources = task.resources.as_mut().expect("resources");
            resources.cpu = cpu;
            resources.memory_mb = memory_mb;
            Arc::new(tg)
        })
        .collect();
    job
}

fn sized_node(i: usize, cpu: i64, memory_mb: i64) -> drover_model::Node {
    let mut n = node(&format!("node-{i}"), "dc1");
    let resources = n.node_resources.as_mut().expect("resources");
    resources.cpu.cpu_shares = cpu;
    resources.memory.memory_mb = memory_mb;
    n.computed_class = drover_plan::feasible::computed_class(&n);
    n
}

/// Per node, the CPU and memory its live allocations hold, and what it offers.
fn overcommitted(cluster: &Cluster) -> Vec<String> {
    let snapshot = cluster.snapshot();
    let mut problems = Vec::new();
    for node in snapshot.nodes("") {
        let (mut cpu, mut memory) = (0, 0);
        for alloc in snapshot.allocs_by_node_terminal(&node.id, false) {
            let resources = alloc
                .allocated_resources
                .as_ref()
                .expect("placed resources");
            for task in resources.tasks.values() {
                cpu += task.cpu.cpu_shares;
                memory += task.memory.memory_mb;
            }
        }
        let offered = node.node_resources.as_ref().expect("resources");
        if cpu > offered.cpu.cpu_shares || memory > offered.memory.memory_mb {
            problems.push(format!("{}: {cpu} MHz, {memory} MB", node.id));
        }
    }
    problems
}

/// Names of the live allocations of each group.
fn names(cluster: &Cluster, job_id: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut by_group: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let allocs = cluster.snapshot().allocs_by_job("default", job_id, true);
    for alloc in allocs.iter().filter(|a| !a.terminal()) {
        let fresh = by_group
            .entry(alloc.task_group.to_string())
            .or_default()
            .insert(alloc.name.to_string());
        assert!(fresh, "{} is used twice", alloc.name);
    }
    by_group
}

fn expected_names(job: &Job) -> BTreeMap<String, BTreeSet<String>> {
    job.task_groups
        .iter()
        .filter(|tg| tg.count > 0)
        .map(|tg| {
            let names = (0..tg.count).map(|i| format!("web.{}[{i}]", tg.name));
            (tg.name.to_string(), names.collect())
        })
        .collect()
}

fn group_spec(max_count: i64) -> impl Strategy<Value = GroupSpec> {
    (0..=max_count, 100i64..=2000, 64i64..=2048)
}

#[derive(Debug, Clone, Copy)]
enum Change {
    Scale,
    InPlace,
    Destructive,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// However tight the cluster, what the scheduler commits fits on every node, for a job
    /// registered on top of another one.
    #[test]
    fn plans_never_overcommit_a_node(
        nodes in prop::collection::vec((500i64..=4000, 256i64..=4096), 1..5),
        first in prop::collection::vec(group_spec(6), 1..3),
        second in prop::collection::vec(group_spec(6), 1..3),
        batch in any::<bool>(),
    ) {
        let mut cluster = Cluster::new(
            nodes.iter().enumerate().map(|(i, &(cpu, mem))| sized_node(i, cpu, mem)),
        );
        let mut other = job_of(batch, &first);
        other.id = "other".into();
        let eval = cluster.register(other);
        cluster.schedule(&eval);
        let eval = cluster.register(job_of(!batch, &second));
        cluster.schedule(&eval);
        let problems = overcommitted(&cluster);
        prop_assert!(problems.is_empty(), "overcommitted: {problems:?}");
    }

    /// With room for everything, each group runs exactly its count, under the names
    /// `0..count`, after registering and after a scale change, an in-place update or a
    /// destructive update.
    #[test]
    fn ample_capacity_yields_exactly_the_desired_counts(
        nodes in 1usize..5,
        groups in prop::collection::vec(group_spec(8), 1..4),
        counts in prop::collection::vec(0i64..=8, 3),
        change in prop_oneof![Just(Change::Scale), Just(Change::InPlace), Just(Change::Destructive)],
    ) {
        let mut cluster = Cluster::new((0..nodes).map(|i| sized_node(i, 1_000_000, 1_000_000)));
        let job = job_of(false, &groups);
        let eval = cluster.register(job.clone());
        cluster.schedule(&eval);
        prop_assert_eq!(names(&cluster, "web"), expected_names(&job));
        cluster.run_all("web");

        let mut next = job.clone();
        match change {
            Change::Scale => {
                for (tg, count) in next.task_groups.iter_mut().zip(&counts) {
                    Arc::make_mut(tg).count = *count;
                }
            }
            Change::InPlace => in_place_change(&mut next),
            Change::Destructive => destructive_change(&mut next),
        }
        let eval = cluster.register(next.clone());
        cluster.schedule(&eval);
        prop_assert_eq!(names(&cluster, "web"), expected_names(&next));
        prop_assert!(overcommitted(&cluster).is_empty());
    }

    /// A system job runs once on every node that can take it, and nowhere else.
    #[test]
    fn system_jobs_run_once_per_feasible_node(
        nodes in prop::collection::vec((500i64..=4000, 256i64..=4096), 1..6),
        (cpu, memory_mb) in (100i64..=3000, 64i64..=3000),
    ) {
        let mut cluster = Cluster::new(
            nodes.iter().enumerate().map(|(i, &(c, m))| sized_node(i, c, m)),
        );
        let mut job = system_job("system");
        let resources = Arc::make_mut(&mut group(&mut job).tasks[0]).resources.as_mut().expect("resources");
        resources.cpu = cpu;
        resources.memory_mb = memory_mb;
        let eval = cluster.register(job);
        cluster.schedule(&eval);
        let snapshot = cluster.snapshot();
        for (i, &(node_cpu, node_memory)) in nodes.iter().enumerate() {
            let on_node = snapshot.allocs_by_node_terminal(&format!("node-{i}"), false);
            let fits = cpu <= node_cpu && memory_mb <= node_memory;
            prop_assert_eq!(on_node.len(), usize::from(fits), "node-{}", i);
        }
    }
}
