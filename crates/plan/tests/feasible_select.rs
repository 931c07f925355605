//! Node selection as a scheduler sees it: which node each placement gets as the plan grows, and
//! what it is given there (ports, cores, resources).

mod feasible_support;

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::ClientStatus;
use drover_model::{
    Affinity, NetworkResource, Node, Port, Spread, SpreadTarget, TaskLifecycle, VolumeRequest,
};
use drover_plan::feasible::{
    ClusterView, GenericStack, SelectOptions, StackConfig, SystemStack, computed_class,
};
use feasible_support::*;

/// How many placements landed on each node.
fn tally(choices: &[Option<String>]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for node in choices.iter().flatten() {
        *counts.entry(node.clone()).or_default() += 1;
    }
    counts
}

fn affinity(l: &str, op: &str, r: &str, weight: i8) -> Affinity {
    Affinity {
        l_target: l.to_owned(),
        operand: op.to_owned(),
        r_target: r.to_owned(),
        weight,
    }
}

#[test]
fn the_plan_never_overcommits_a_node() {
    // Two nodes with room for 4 allocations each (2000 MHz / 500 MHz).
    let nodes = (0..2)
        .map(|i| {
            with(node(&format!("n{i}"), "dc1"), |n| {
                n.node_resources.as_mut().unwrap().cpu.cpu_shares = 2000
            })
        })
        .collect();
    let mut view = ClusterView::new(&arcs(nodes), []);
    let choices = place_all(&mut view, &job(), 1, 10);
    assert_eq!(choices.iter().filter(|c| c.is_some()).count(), 8);
    assert_eq!(
        tally(&choices),
        BTreeMap::from([("n0".into(), 4), ("n1".into(), 4)])
    );
    assert!(choices[8].is_none() && choices[9].is_none());
    for i in 0..2 {
        assert_eq!(view.used(i).cpu, 2000);
        assert_eq!(view.used(i).memory_mb, 4 * 256);
        assert_eq!(view.used(i).disk_mb, 4 * 300);
    }
}

#[test]
fn stopping_an_allocation_frees_its_room() {
    let nodes = vec![with(node("n0", "dc1"), |n| {
        n.node_resources.as_mut().unwrap().cpu.cpu_shares = 1000
    })];
    let allocs = [alloc("old", "other", "g", "n0", 1000, 100)];
    let mut view = ClusterView::new(&arcs(nodes), &allocs);
    let job = job();
    let mut stack = GenericStack::new(StackConfig::default(), 7);
    stack.set_job(&view, &job);
    let tg = &job.task_groups[0];
    assert!(stack.select(&view, tg, &SelectOptions::default()).is_none());
    assert!(view.remove_alloc("old"));
    assert!(!view.remove_alloc("old"));
    assert!(stack.select(&view, tg, &SelectOptions::default()).is_some());
}

#[test]
fn client_terminal_and_unknown_node_allocations_are_not_counted() {
    let nodes = vec![node("n0", "dc1")];
    let mut done = alloc("done", "other", "g", "n0", 4000, 100);
    done.client_status = ClientStatus::Complete;
    let elsewhere = alloc("elsewhere", "other", "g", "gone", 4000, 100);
    let view = ClusterView::new(&arcs(nodes), [&done, &elsewhere]);
    assert_eq!(view.used(0).cpu, 0);
    assert!(!view.contains_alloc("done") && !view.contains_alloc("elsewhere"));
}

#[test]
fn same_seed_same_choices() {
    let nodes: Vec<Node> = (0..40).map(|i| node(&format!("n{i:02}"), "dc1")).collect();
    let run = |seed| {
        let mut view = ClusterView::new(&arcs(nodes.clone()), []);
        place_all(&mut view, &job(), seed, 20)
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}

#[test]
fn service_jobs_rank_a_few_nodes_and_move_on() {
    // 40 identical nodes: limit ceil(log2 40) = 6, and each select continues where the previous
    // one stopped, so every placement looks at fresh nodes.
    let nodes: Vec<Node> = (0..40).map(|i| node(&format!("n{i:02}"), "dc1")).collect();
    let view = ClusterView::new(&arcs(nodes), []);
    let job = job();
    let mut stack = GenericStack::new(StackConfig::default(), 3);
    stack.set_job(&view, &job);
    let tg = &job.task_groups[0];
    let mut seen = Vec::new();
    for _ in 0..3 {
        stack.select(&view, tg, &SelectOptions::default()).unwrap();
        let metric = stack.metrics(&view);
        assert_eq!(metric.nodes_evaluated, 6);
        seen.extend(metric.score_meta_data.iter().map(|s| s.node_id.clone()));
    }
    seen.sort();
    seen.dedup();
    // The top 5 of each of three disjoint windows of 6 nodes.
    assert_eq!(seen.len(), 15);

    let mut batch = job.clone();
    batch.job_type = "batch".into();
    batch.version += 1;
    stack.set_job(&view, &batch);
    stack.select(&view, tg, &SelectOptions::default()).unwrap();
    assert_eq!(stack.metrics(&view).nodes_evaluated, 2);
}

#[test]
fn binpacking_prefers_the_fuller_node() {
    let nodes = vec![
        node("empty", "dc1"),
        node("half", "dc1"),
        node("full", "dc1"),
    ];
    let allocs = [
        alloc("a", "other", "g", "half", 2000, 4096),
        alloc("b", "other", "g", "full", 3800, 8000),
    ];
    let mut view = ClusterView::new(&arcs(nodes), &allocs);
    // An affinity every node matches raises the limit so all nodes are ranked.
    let mut job = job();
    job.affinities = vec![affinity("${attr.kernel.name}", "=", "linux", 10)];
    assert_eq!(place_all(&mut view, &job, 5, 1), [Some("half".to_owned())]);
}

#[test]
fn anti_affinity_spreads_a_job_over_equal_nodes() {
    let nodes = (0..3).map(|i| node(&format!("n{i}"), "dc1")).collect();
    let mut view = ClusterView::new(&arcs(nodes), []);
    let mut job = job();
    job.affinities = vec![affinity("${attr.kernel.name}", "=", "linux", 10)];
    let choices = place_all(&mut view, &job, 9, 3);
    assert_eq!(tally(&choices).len(), 3, "{choices:?}");
}

#[test]
fn the_reschedule_penalty_and_preferred_node() {
    let nodes = vec![node("a", "dc1"), node("b", "dc1")];
    let view = ClusterView::new(&arcs(nodes), []);
    let mut job = job();
    job.affinities = vec![affinity("${node.unique.name}", "=", "a", 100)];
    let tg = &job.task_groups[0];
    let mut stack = GenericStack::new(StackConfig::default(), 1);
    stack.set_job(&view, &job);
    let pick = |stack: &mut GenericStack, options: &SelectOptions| {
        let ranked = stack.select(&view, tg, options).unwrap();
        view.node(ranked.node).id.clone()
    };
    assert_eq!(pick(&mut stack, &SelectOptions::default()), "a");
    // The penalty (-1) outweighs the affinity (+1).
    let penalized = SelectOptions {
        penalty_nodes: &[0],
        ..SelectOptions::default()
    };
    assert_eq!(pick(&mut stack, &penalized), "b");
    let preferred = SelectOptions {
        preferred_node: Some(1),
        ..SelectOptions::default()
    };
    assert_eq!(pick(&mut stack, &preferred), "b");
    assert_eq!(stack.metrics(&view).nodes_evaluated, 1);
}

#[test]
fn a_preferred_node_without_room_falls_back_to_the_others() {
    let nodes = vec![node("a", "dc1"), node("b", "dc1")];
    let allocs = [alloc("x", "other", "g", "b", 4000, 100)];
    let view = ClusterView::new(&arcs(nodes), &allocs);
    let job = job();
    let mut stack = GenericStack::new(StackConfig::default(), 1);
    stack.set_job(&view, &job);
    let options = SelectOptions {
        preferred_node: Some(1),
        ..SelectOptions::default()
    };
    let ranked = stack.select(&view, &job.task_groups[0], &options).unwrap();
    assert_eq!(view.node(ranked.node).id, "a");
}

#[test]
fn spread_targets_split_placements() {
    let nodes = (0..8)
        .map(|i| node(&format!("n{i}"), if i < 4 { "east" } else { "west" }))
        .collect();
    let mut view = ClusterView::new(&arcs(nodes), []);
    let mut job = job();
    job.datacenters = vec!["*".into()];
    Arc::make_mut(&mut job.task_groups[0]).count = 8;
    Arc::make_mut(&mut job.task_groups[0]).spreads = vec![Spread {
        attribute: "${node.datacenter}".to_owned(),
        weight: 100,
        spread_target: vec![
            SpreadTarget {
                value: "east".to_owned(),
                percent: 75,
            },
            SpreadTarget {
                value: "west".to_owned(),
                percent: 25,
            },
        ],
    }];
    let choices = place_all(&mut view, &job, 2, 8);
    let east = choices
        .iter()
        .flatten()
        .filter(|n| ["n0", "n1", "n2", "n3"].contains(&n.as_str()));
    assert_eq!(east.count(), 6, "{choices:?}");
}

#[test]
fn even_spread_without_targets() {
    let nodes = vec![
        racked("a1", "r1"),
        racked("a2", "r1"),
        racked("a3", "r1"),
        racked("b1", "r2"),
    ];
    let mut view = ClusterView::new(&arcs(nodes), []);
    let mut job = job();
    Arc::make_mut(&mut job.task_groups[0]).count = 4;
    job.spreads = vec![Spread {
        attribute: "${meta.rack}".to_owned(),
        weight: 50,
        spread_target: Vec::new(),
    }];
    let choices = place_all(&mut view, &job, 4, 2);
    let on_r2 = choices.iter().flatten().filter(|n| *n == "b1").count();
    assert_eq!(on_r2, 1, "{choices:?}");
}

#[test]
fn distinct_hosts_places_one_per_node() {
    let nodes = (0..3).map(|i| node(&format!("n{i}"), "dc1")).collect();
    let mut view = ClusterView::new(&arcs(nodes), []);
    let mut job = job();
    Arc::make_mut(&mut job.task_groups[0]).constraints =
        vec![constraint("", "distinct_hosts", "true")];
    let choices = place_all(&mut view, &job, 8, 4);
    assert_eq!(tally(&choices).len(), 3);
    assert!(choices[3].is_none());
}

#[test]
fn distinct_property_allows_its_count_per_value() {
    let nodes = vec![racked("a", "r1"), racked("b", "r1"), racked("c", "r2")];
    let mut view = ClusterView::new(&arcs(nodes), []);
    let mut job = job();
    job.constraints = vec![constraint("${meta.rack}", "distinct_property", "2")];
    let choices = place_all(&mut view, &job, 8, 5);
    assert_eq!(choices.iter().flatten().count(), 4, "{choices:?}");
    let on_c = choices.iter().flatten().filter(|n| *n == "c").count();
    assert_eq!(on_c, 2);
}

/// Stopping allocations in any order frees exactly their property values.
#[test]
fn distinct_property_counts_follow_stops_in_any_order() {
    let nodes = vec![racked("a", "r1"), racked("b", "r2"), racked("c", "r3")];
    let existing = [("w1", "a"), ("w2", "b"), ("w3", "c")]
        .map(|(id, node)| alloc(id, "web", "web", node, 500, 256));
    let mut view = ClusterView::new(&arcs(nodes), &existing);
    let mut job = job();
    job.constraints = vec![constraint("${meta.rack}", "distinct_property", "")];
    assert_eq!(place_all(&mut view.clone(), &job, 8, 1), [None]);
    // The first of the job's allocations, then the one that took its place in the job's list.
    assert!(view.remove_alloc("w1"));
    assert!(view.remove_alloc("w3"));
    let mut choices: Vec<Option<String>> = place_all(&mut view, &job, 8, 3);
    choices.sort();
    assert_eq!(choices, [None, Some("a".into()), Some("c".into())]);
}

#[test]
fn ports_are_assigned_without_collisions() {
    let nodes = vec![with(node("n0", "dc1"), |n| {
        let r = n.node_resources.as_mut().unwrap();
        r.min_dynamic_port = 30000;
        r.max_dynamic_port = 30002;
    })];
    let mut view = ClusterView::new(&arcs(nodes), []);
    let mut job = job();
    let port = |label: &str, value: i64, to: i64| Port {
        label: label.to_owned(),
        value,
        to,
        ..Port::default()
    };
    Arc::make_mut(&mut job.task_groups[0]).networks = vec![NetworkResource {
        mode: "host".to_owned(),
        dynamic_ports: vec![port("admin", 0, -1)],
        ..NetworkResource::default()
    }];
    let mut stack = GenericStack::new(StackConfig::default(), 1);
    stack.set_job(&view, &job);
    let tg = &job.task_groups[0];
    let mut ports = Vec::new();
    for i in 0..4 {
        let Some(ranked) = stack.select(&view, tg, &SelectOptions::default()) else {
            assert_eq!(i, 3);
            let metric = stack.metrics(&view);
            assert_eq!(
                metric.exhaustion().dimension_exhausted["network: dynamic port selection failed"],
                1
            );
            break;
        };
        let shared = &ranked.resources.shared;
        let mapping = &shared.ports[0];
        assert_eq!(
            (mapping.label.as_str(), mapping.to),
            ("admin", mapping.value)
        );
        assert_eq!(
            mapping.host_ip,
            view.node(0).node_resources.as_ref().unwrap().networks[0].ip
        );
        assert_eq!(shared.networks[0].dynamic_ports[0].value, mapping.value);
        assert_eq!(shared.networks[0].ip, mapping.host_ip);
        ports.push(mapping.value);
        view.add_alloc(&placed(&format!("p{i}"), &job, "web", &view, &ranked));
    }
    ports.sort();
    assert_eq!(ports, [30000, 30001, 30002]);
}

#[test]
fn reserved_cores_and_lifecycle_tasks() {
    let nodes = vec![node("n0", "dc1")];
    let mut view = ClusterView::new(&arcs(nodes), []);
    let mut job = job();
    let tg = Arc::make_mut(&mut job.task_groups[0]);
    let main = Arc::make_mut(&mut tg.tasks[0]);
    main.resources.as_mut().unwrap().cores = 2;
    // A prestart task runs before the main task: only the larger of the two counts.
    let mut init = main.clone();
    init.name = "init".into();
    init.lifecycle = Some(TaskLifecycle {
        hook: "prestart".to_owned(),
        sidecar: false,
    });
    init.resources = Some(drover_model::Resources {
        cpu: 0,
        memory_mb: 1024,
        ..Default::default()
    });
    tg.tasks.push(Arc::new(init));
    let choices = place_all(&mut view, &job, 1, 3);
    assert_eq!(
        choices[2], None,
        "only two allocations of two cores fit on four cores"
    );
    // Two cores of 1000 MHz each per allocation; memory is the prestart task's, the larger.
    assert_eq!(view.used(0).cpu, 2 * 2000);
    assert_eq!(view.used(0).memory_mb, 2 * 1024);

    let mut view = ClusterView::new(&arcs(vec![node("n0", "dc1")]), []);
    let mut stack = GenericStack::new(StackConfig::default(), 1);
    stack.set_job(&view, &job);
    let tg = &job.task_groups[0];
    let first = stack.select(&view, tg, &SelectOptions::default()).unwrap();
    let server = &first.resources.tasks["server"];
    assert_eq!(server.cpu.reserved_cores, [0, 1]);
    assert_eq!(server.cpu.cpu_shares, 2000);
    assert_eq!(
        first.resources.task_lifecycles["init"]
            .as_ref()
            .unwrap()
            .hook,
        "prestart"
    );
    assert_eq!(first.resources.task_lifecycles["server"], None);
    view.add_alloc(&placed("c1", &job, "web", &view, &first));
    let second = stack.select(&view, tg, &SelectOptions::default()).unwrap();
    assert_eq!(second.resources.tasks["server"].cpu.reserved_cores, [2, 3]);
}

#[test]
fn per_alloc_host_volumes_follow_the_allocation_index() {
    let volume = |name: &str| drover_model::ClientHostVolumeConfig {
        name: name.to_owned(),
        ..Default::default()
    };
    let nodes = vec![
        with(node("a", "dc1"), |n| {
            n.host_volumes
                .insert("data[0]".to_owned(), volume("data[0]"));
        }),
        with(node("b", "dc1"), |n| {
            n.host_volumes
                .insert("data[1]".to_owned(), volume("data[1]"));
        }),
    ];
    let view = ClusterView::new(&arcs(nodes), []);
    let mut job = job();
    Arc::make_mut(&mut job.task_groups[0]).volumes.insert(
        "data".to_owned(),
        VolumeRequest {
            volume_type: "host".to_owned(),
            source: "data".to_owned(),
            per_alloc: true,
            ..VolumeRequest::default()
        },
    );
    let mut stack = GenericStack::new(StackConfig::default(), 1);
    stack.set_job(&view, &job);
    for (index, expected) in [(1, "b"), (0, "a")] {
        let name = format!("web.web[{index}]");
        let options = SelectOptions {
            alloc_name: &name,
            ..SelectOptions::default()
        };
        let ranked = stack.select(&view, &job.task_groups[0], &options).unwrap();
        assert_eq!(view.node(ranked.node).id, expected);
    }
}

#[test]
fn select_on_checks_one_node_for_an_in_place_update() {
    let nodes = vec![node("a", "dc1"), node("b", "dc1")];
    let existing = alloc("w1", "web", "web", "a", 3800, 256);
    let mut view = ClusterView::new(&arcs(nodes), [&existing]);
    let mut job = job();
    let tg = Arc::make_mut(&mut job.task_groups[0]);
    Arc::make_mut(&mut tg.tasks[0])
        .resources
        .as_mut()
        .unwrap()
        .cpu = 3900;
    let mut stack = GenericStack::new(StackConfig::default(), 1);
    stack.set_job(&view, &job);
    let tg = &job.task_groups[0];
    // Counted against itself the update does not fit; without the old version it does.
    assert!(
        stack
            .select_on(&view, tg, 0, &SelectOptions::default())
            .is_none()
    );
    view.remove_alloc("w1");
    let ranked = stack
        .select_on(&view, tg, 0, &SelectOptions::default())
        .unwrap();
    assert_eq!(ranked.node, 0);
    assert_eq!(stack.metrics(&view).nodes_evaluated, 1);
}

#[test]
fn system_stack_checks_each_node() {
    let nodes = vec![
        node("a", "dc1"),
        with(node("b", "dc1"), |n| {
            n.attributes
                .insert("kernel.name".to_owned(), "windows".to_owned());
        }),
        node("c", "dc2"),
        with(node("d", "dc1"), |n| n.status = "down".to_owned()),
    ];
    let view = ClusterView::new(&arcs(nodes), []);
    let mut job = job();
    job.job_type = "system".into();
    job.constraints = vec![constraint("${attr.kernel.name}", "=", "linux")];
    let mut stack = SystemStack::new(StackConfig::default(), 0);
    stack.set_job(&view, &job);
    assert_eq!(stack.nodes().collect::<Vec<_>>(), [0, 1]);
    let tg = &job.task_groups[0];
    let ranked = stack
        .select(&view, tg, 0, &SelectOptions::default())
        .unwrap();
    assert_eq!(ranked.node, 0);
    let scores = &stack.metrics(&view).score_meta_data[0].scores;
    let names = serde_json::to_value(scores).unwrap();
    assert_eq!(
        names.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["binpack"]
    );
    // The same class check twice: a system stack never answers from the class cache.
    for _ in 0..2 {
        assert!(
            stack
                .select(&view, tg, 1, &SelectOptions::default())
                .is_none()
        );
        let metric = stack.metrics(&view);
        assert_eq!(metric.nodes_evaluated, 1);
        assert_eq!(metric.constraint_filtered["${attr.kernel.name} = linux"], 1);
    }
}

#[test]
fn class_eligibility_for_blocked_evaluations() {
    let classed =
        |id: &str, class: &str| with(node(id, "dc1"), |n| n.node_class = class.to_owned());
    let nodes = vec![classed("a", "small"), classed("b", "large")];
    let view = ClusterView::new(&arcs(nodes.clone()), []);
    let mut job = job();
    let tg = Arc::make_mut(&mut job.task_groups[0]);
    tg.constraints = vec![constraint("${node.class}", "=", "large")];
    Arc::make_mut(&mut tg.tasks[0])
        .resources
        .as_mut()
        .unwrap()
        .cpu = 9000;
    let mut stack = GenericStack::new(StackConfig::default(), 1);
    stack.set_job(&view, &job);
    assert!(
        stack
            .select(&view, &job.task_groups[0], &SelectOptions::default())
            .is_none()
    );
    let expected = BTreeMap::from([
        (computed_class(&nodes[0]), false),
        (computed_class(&nodes[1]), true),
    ]);
    assert_eq!(stack.class_eligibility(&view), expected);
    assert!(!stack.escaped_computed_class());

    job.version += 1;
    Arc::make_mut(&mut job.task_groups[0]).constraints =
        vec![constraint("${node.unique.id}", "!=", "a")];
    stack.set_job(&view, &job);
    assert!(
        stack
            .select(&view, &job.task_groups[0], &SelectOptions::default())
            .is_none()
    );
    assert!(stack.escaped_computed_class());
}

#[test]
fn computed_classes_ignore_unique_fields() {
    let a = node("a", "dc1");
    let b = with(node("b", "dc1"), |n| n.name = "other".into());
    assert_eq!(computed_class(&a), computed_class(&b));
    assert!(computed_class(&a).starts_with("v1:"));
    let changes: [fn(&mut Node); 5] = [
        |n| n.datacenter = "dc2".to_owned(),
        |n| n.node_class = "large".to_owned(),
        |n| n.node_pool = "gpu".to_owned(),
        |n| {
            n.meta.insert("rack".to_owned(), "r1".to_owned());
        },
        |n| {
            n.attributes
                .insert("kernel.name".to_owned(), "darwin".to_owned());
        },
    ];
    for change in changes {
        assert_ne!(computed_class(&a), computed_class(&with(a.clone(), change)));
    }
    // A stored computed class is trusted; a missing one is computed.
    let mut stored = a.clone();
    stored.computed_class = computed_class(&a);
    assert_eq!(stored.computed_class, computed_class(&b));
    // The hash is part of the format: it must not change between runs or platforms.
    assert_eq!(computed_class(&Node::default()), "v1:13985986319424176850");
}
