//! Properties of selection over generated clusters and jobs: every chosen node is schedulable,
//! in the job's datacenters and pool, meets every hard constraint and has room for what it was
//! given; and the same seed makes the same choices.

mod feasible_support;

use std::sync::Arc;

use drover_model::{Allocation, Constraint, Job, Node};
use drover_plan::feasible::meets_constraint;
use drover_plan::feasible::{ClusterView, GenericStack, SelectOptions, StackConfig};
use feasible_support::*;
use proptest::prelude::*;
use proptest::sample::select;

#[derive(Debug, Clone)]
struct NodeSpec {
    dc: &'static str,
    pool: &'static str,
    ready: bool,
    kernel: &'static str,
    rack: Option<&'static str>,
    cpu: i64,
    memory_mb: i64,
    used_cpu: i64,
}

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    (
        select(vec!["dc1", "dc2"]),
        select(vec!["default", "gpu"]),
        prop::bool::weighted(0.85),
        select(vec!["linux", "windows"]),
        prop::option::of(select(vec!["r1", "r2", "r3"])),
        select(vec![1000i64, 2000, 4000]),
        select(vec![1024i64, 4096]),
        select(vec![0i64, 500, 900]),
    )
        .prop_map(
            |(dc, pool, ready, kernel, rack, cpu, memory_mb, used_cpu)| NodeSpec {
                dc,
                pool,
                ready,
                kernel,
                rack,
                cpu,
                memory_mb,
                used_cpu,
            },
        )
}

fn build_node(i: usize, spec: &NodeSpec) -> Node {
    with(node(&format!("n{i:02}"), spec.dc), |n| {
        n.node_pool = spec.pool.to_owned();
        if !spec.ready {
            n.status = "down".to_owned();
        }
        n.attributes
            .insert("kernel.name".to_owned(), spec.kernel.to_owned());
        if let Some(rack) = spec.rack {
            n.meta.insert("rack".to_owned(), rack.to_owned());
        }
        let r = n.node_resources.as_mut().unwrap();
        r.cpu.cpu_shares = spec.cpu;
        r.memory.memory_mb = spec.memory_mb;
    })
}

fn constraint_pool() -> Vec<Constraint> {
    vec![
        constraint("${attr.kernel.name}", "=", "linux"),
        constraint("${meta.rack}", "!=", "r2"),
        constraint("${meta.rack}", "set_contains_any", "r1,r3"),
        constraint("${attr.nomad.version}", "version", ">= 1.5, < 2"),
        constraint("${attr.unique.hostname}", "regexp", "[02468]$"),
        constraint("${node.datacenter}", "is", "dc1"),
        constraint("${meta.rack}", "is_set", ""),
        constraint("", "distinct_hosts", ""),
    ]
}

#[derive(Debug, Clone)]
struct JobSpec {
    datacenters: Vec<&'static str>,
    pool: &'static str,
    job_constraints: Vec<Constraint>,
    group_constraints: Vec<Constraint>,
    task_constraints: Vec<Constraint>,
    cpu: i64,
    memory_mb: i64,
    batch: bool,
}

fn job_spec() -> impl Strategy<Value = JobSpec> {
    let constraints = || prop::sample::subsequence(constraint_pool(), 0..=2);
    (
        select(vec![vec!["dc1"], vec!["dc2"], vec!["dc*"]]),
        select(vec!["default", "gpu", "all"]),
        constraints(),
        constraints(),
        constraints(),
        select(vec![250i64, 500, 1500]),
        select(vec![128i64, 1024]),
        any::<bool>(),
    )
        .prop_map(
            |(datacenters, pool, job_c, group_c, task_c, cpu, memory_mb, batch)| JobSpec {
                datacenters,
                pool,
                job_constraints: job_c,
                group_constraints: group_c,
                task_constraints: task_c,
                cpu,
                memory_mb,
                batch,
            },
        )
}

fn build_job(spec: &JobSpec) -> Job {
    let mut job = job();
    job.datacenters = spec.datacenters.iter().map(|d| (*d).into()).collect();
    job.node_pool = spec.pool.into();
    job.constraints = spec.job_constraints.clone();
    if spec.batch {
        job.job_type = "batch".into();
    }
    let tg = Arc::make_mut(&mut job.task_groups[0]);
    tg.count = 6;
    tg.constraints = spec.group_constraints.clone();
    Arc::make_mut(&mut tg.tasks[0]).constraints = spec.task_constraints.clone();
    let r = Arc::make_mut(&mut tg.tasks[0]).resources.as_mut().unwrap();
    r.cpu = spec.cpu;
    r.memory_mb = spec.memory_mb;
    job
}

fn cluster(specs: &[NodeSpec]) -> (Vec<Node>, Vec<Allocation>) {
    let nodes: Vec<Node> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| build_node(i, s))
        .collect();
    let allocs = specs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.used_cpu > 0)
        .map(|(i, s)| {
            alloc(
                &format!("other-{i}"),
                "other",
                "g",
                &format!("n{i:02}"),
                s.used_cpu,
                512,
            )
        })
        .collect();
    (nodes, allocs)
}

fn choices(nodes: &[Node], allocs: &[Allocation], job: &Job, seed: u64) -> Vec<Option<String>> {
    let mut view = ClusterView::new(&arcs(nodes.to_vec()), allocs);
    place_all(&mut view, job, seed, 6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn chosen_nodes_meet_every_hard_constraint_and_have_room(
        specs in prop::collection::vec(node_spec(), 1..14),
        job_spec in job_spec(),
        seed in any::<u64>(),
    ) {
        let (nodes, allocs) = cluster(&specs);
        let job = build_job(&job_spec);
        let tg = &job.task_groups[0];
        let mut view = ClusterView::new(&arcs(nodes), &allocs);
        let mut stack = GenericStack::new(StackConfig::default(), seed);
        stack.set_job(&view, &job);
        let hard: Vec<&Constraint> = job
            .constraints
            .iter()
            .chain(&tg.constraints)
            .chain(&tg.tasks[0].constraints)
            .filter(|c| c.operand != "distinct_hosts")
            .collect();
        let distinct_hosts = job.constraints.iter().chain(&tg.constraints).any(|c| c.operand == "distinct_hosts");
        let mut used_nodes = Vec::new();
        for i in 0..6 {
            let Some(ranked) = stack.select(&view, tg, &SelectOptions::default()) else {
                continue;
            };
            let node = view.node(ranked.node).clone();
            prop_assert!(node.is_schedulable());
            prop_assert!(job.node_pool == "all" || node.node_pool == job.node_pool);
            let dc_ok = job.datacenters.iter().any(|d| d == &node.datacenter || (d == "dc*" && node.datacenter.starts_with("dc")));
            prop_assert!(dc_ok);
            for c in &hard {
                prop_assert!(meets_constraint(c, &node, "global"), "{} fails {:?}", node.id, c);
            }
            if distinct_hosts {
                prop_assert!(!used_nodes.contains(&node.id));
            }
            used_nodes.push(node.id.clone());
            view.add_alloc(&placed(&format!("p{i}"), &job, &tg.name, &view, &ranked));
            let (used, cap) = (view.used(ranked.node), view.capacity(ranked.node));
            prop_assert!(used.cpu <= cap.cpu && used.memory_mb <= cap.memory_mb && used.disk_mb <= cap.disk_mb);
        }
    }

    #[test]
    fn the_same_seed_makes_the_same_choices(
        specs in prop::collection::vec(node_spec(), 1..14),
        job_spec in job_spec(),
        seed in any::<u64>(),
    ) {
        let (nodes, allocs) = cluster(&specs);
        let job = build_job(&job_spec);
        prop_assert_eq!(choices(&nodes, &allocs, &job, seed), choices(&nodes, &allocs, &job, seed));
    }
}
