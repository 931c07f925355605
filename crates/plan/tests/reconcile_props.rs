//! Properties of the cluster reconciler over random groups of allocations: without deployment
//! limits the group ends at exactly its count, and no allocation is both stopped and updated.

mod reconcile_common;

use std::collections::BTreeSet;
use std::sync::Arc;

use drover_model::{Allocation, HOUR, Job, SECOND};
use drover_model::{ClientStatus, DesiredStatus};
use proptest::prelude::*;
use reconcile_common::*;

#[derive(Debug, Clone)]
struct AllocSpec {
    index: u64,
    node: usize,
    current_version: bool,
    state: State,
    fits_in_place: bool,
    migrate: bool,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Running,
    Pending,
    Complete,
    /// Failed long ago: due for a reschedule now.
    FailedLongAgo,
    /// Failed a moment ago: rescheduled later.
    FailedJustNow,
    Stopped,
}

fn alloc_spec(with_recent_failures: bool) -> impl Strategy<Value = AllocSpec> {
    let state = if with_recent_failures {
        prop_oneof![
            Just(State::Running),
            Just(State::Pending),
            Just(State::Complete),
            Just(State::FailedLongAgo),
            Just(State::FailedJustNow),
            Just(State::Stopped),
        ]
        .boxed()
    } else {
        prop_oneof![
            3 => Just(State::Running),
            1 => Just(State::Pending),
            1 => Just(State::Complete),
            1 => Just(State::FailedLongAgo),
            1 => Just(State::Stopped),
        ]
        .boxed()
    };
    (
        0..8u64,
        0..4usize,
        any::<bool>(),
        state,
        any::<bool>(),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(index, node, current_version, state, fits_in_place, migrate)| AllocSpec {
                index,
                node,
                current_version,
                state,
                fits_in_place,
                migrate,
            },
        )
}

/// Node `node-<i>`'s taint: none, down, missing from the state, or draining.
fn taint() -> impl Strategy<Value = Option<Option<&'static str>>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(Some("down"))),
        1 => Just(Some(None)),
        1 => Just(Some(Some("ready"))),
    ]
}

struct Built {
    scenario: Scenario,
    /// IDs of allocations that are alive before reconciliation (desired run, running/pending).
    live: BTreeSet<String>,
}

fn build(
    count: i64,
    destructive: bool,
    specs: &[AllocSpec],
    taints: &[Option<Option<&str>>],
) -> Built {
    let v0 = Arc::new(service_job(count));
    let v1 = next_version(&v0, |j: &mut Job| {
        if destructive {
            destructive_change(j);
        } else {
            in_place_change(j);
        }
    });
    let v1_arc = Arc::new(v1.clone());
    let mut live = BTreeSet::new();
    let mut no_fit = Vec::new();
    let allocs: Vec<Allocation> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let job = if spec.current_version { &v1_arc } else { &v0 };
            let mut a = alloc(job, spec.index, &format!("node-{}", spec.node));
            a.id = format!("a{i}").into();
            match spec.state {
                State::Running => {}
                State::Pending => a.client_status = ClientStatus::Pending,
                State::Complete => finished(&mut a, NOW - HOUR, false),
                State::FailedLongAgo => finished(&mut a, NOW - HOUR, true),
                State::FailedJustNow => finished(&mut a, NOW - SECOND, true),
                State::Stopped => a.desired_status = DesiredStatus::Stop,
            }
            if spec.migrate {
                migrate(&mut a);
            }
            if matches!(spec.state, State::Running | State::Pending) {
                live.insert(a.id.to_string());
            }
            if !spec.fits_in_place {
                no_fit.push(a.id.to_string());
            }
            a
        })
        .collect();
    let mut scenario = Scenario::new(Some(v1), allocs);
    scenario.no_fit = no_fit;
    scenario.tainted = taints
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.map(|t| (format!("node-{i}"), t)))
        .map(|(id, status)| {
            (
                id,
                status.map(|s| drover_plan::reconcile::TaintedNode { status: s.into() }),
            )
        })
        .collect();
    Built { scenario, live }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        max_global_rejects: 4096,
        ..ProptestConfig::default()
    })]

    /// Without an update block nothing holds placements back: stops, replacements and new
    /// placements leave exactly `count` live allocations.
    #[test]
    fn desired_count_is_reached(
        count in 0..6i64,
        destructive in any::<bool>(),
        specs in prop::collection::vec(alloc_spec(false), 0..10),
        taints in prop::collection::vec(taint(), 4),
    ) {
        // Nomad replaces every failed allocation due now, even when the running ones already
        // fill the group (a later evaluation then stops the surplus); so only inputs where they
        // fit are expected to land exactly on the count.
        // (Allocations marked to migrate migrate even from a down node.)
        let lost = |s: &AllocSpec| {
            !s.migrate && matches!(taints[s.node], Some(None) | Some(Some("down")))
        };
        let failed = specs.iter().filter(|s| matches!(s.state, State::FailedLongAgo)).count();
        let alive = specs
            .iter()
            .filter(|s| matches!(s.state, State::Running | State::Pending) && !lost(s))
            .count();
        prop_assume!(failed == 0 || alive + failed <= count as usize);

        let built = build(count, destructive, &specs, &taints);
        let r = built.scenario.run();
        let stopped: BTreeSet<&str> = r
            .stop
            .iter()
            .map(|s| s.alloc.id.as_str())
            .chain(r.destructive_update.iter().map(|d| d.stop_alloc.id.as_str()))
            .collect();
        let kept = built.live.iter().filter(|id| !stopped.contains(id.as_str())).count();
        let after = kept + r.place.len() + r.destructive_update.len();
        prop_assert_eq!(after, count as usize, "results: {:#?}", view(&r));
    }

    /// An allocation is stopped, or updated (in place, destructively, or its attributes), or
    /// left alone: never two of these.
    #[test]
    fn no_allocation_is_both_stopped_and_updated(
        count in 0..6i64,
        destructive in any::<bool>(),
        max_parallel in 0..3i64,
        canary in 0..3i64,
        specs in prop::collection::vec(alloc_spec(true), 0..10),
        taints in prop::collection::vec(taint(), 4),
    ) {
        let mut built = build(count, destructive, &specs, &taints);
        if let Some(job) = built.scenario.job.as_mut().filter(|_| max_parallel > 0) {
            group(job).update = Some(update(max_parallel, canary));
        }
        let r = built.scenario.run();
        let mut touched = BTreeSet::new();
        let ids = r
            .stop
            .iter()
            .map(|s| s.alloc.id.as_str())
            .chain(r.destructive_update.iter().map(|d| d.stop_alloc.id.as_str()))
            .chain(r.inplace_update.iter().map(|a| a.id.as_str()))
            .chain(r.attribute_updates.keys().map(String::as_str));
        for id in ids {
            prop_assert!(touched.insert(id), "{} twice in {:#?}", id, view(&r));
        }
    }
}
