//! Golden tests: what a user sees of version retention, summaries, status transitions and
//! paging tokens, written to `tests/golden/*.json`.

use std::collections::BTreeSet;
use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::{EvalStatus, Namespace, PeriodicConfig, VersionTag};
use drover_state::{
    ClientAllocUpdate, ClientAllocUpdates, Command, DeregisterJob, JobStability,
    JobVersionTagUpdate, ListedJob, NamespaceSelector, Namespaces, PageRequest, Snapshot,
};
use serde_json::{Value, json};

use crate::support::*;

fn versions(snap: &Snapshot, id: &str) -> Value {
    let rows: Vec<Value> = snap
        .job_versions(NS, id)
        .iter()
        .map(|v| {
            json!({
                "Version": v.version,
                "Stable": v.stable,
                "Tag": v.version_tag.as_ref().map(|t| t.name.clone()),
                "Count": v.task_groups[0].count,
            })
        })
        .collect();
    json!(rows)
}

#[test]
fn version_retention_keeps_six_untagged_and_the_newest_stable() {
    let mut h = Harness::new();
    let mut steps = Vec::new();
    let mut step = |h: &mut Harness, action: &str, command: Command| {
        h.ok(command);
        let snap = h.snap();
        let current = snap.job(NS, "web").expect("job");
        steps.push(json!({
            "Action": action,
            "JobVersion": current.version,
            "JobModifyIndex": current.job_modify_index,
            "Versions": versions(&snap, "web"),
        }));
    };
    step(&mut h, "register count=1", register(job("web", 1)));
    step(&mut h, "update count=2", register(job("web", 2)));
    let stable = Command::UpdateJobStability(JobStability {
        namespace: NS.to_string(),
        job_id: "web".to_string(),
        version: 1,
        stable: true,
    });
    step(&mut h, "mark v1 stable", stable);
    for count in 3..=8 {
        step(
            &mut h,
            &format!("update count={count}"),
            register(job("web", count)),
        );
    }
    let tag = Command::UpdateJobVersionTag(JobVersionTagUpdate {
        namespace: NS.to_string(),
        job_id: "web".to_string(),
        version: 4,
        name: "golden".to_string(),
        tag: Some(VersionTag {
            name: "golden".to_string(),
            description: "kept forever".to_string(),
            tagged_time: 1_700_000_000_000_000_000,
        }),
    });
    step(&mut h, "tag v4", tag);
    for count in 9..=11 {
        step(
            &mut h,
            &format!("update count={count}"),
            register(job("web", count)),
        );
    }
    step(
        &mut h,
        "re-register count=11 (unchanged)",
        register(job("web", 11)),
    );
    check_golden("version_retention", &json!(steps));
}

#[test]
fn summaries_follow_client_status_transitions() {
    let mut h = Harness::new();
    let mut steps = Vec::new();
    let mut step = |h: &mut Harness, action: &str, command: Command| {
        h.ok(command);
        let summary = h.snap().job_summary(NS, "web").expect("summary");
        steps.push(json!({
            "Action": action,
            "Summary": summary.summary,
            "ModifyIndex": summary.modify_index,
        }));
    };
    let mut queued = eval("e1", "web", EvalStatus::Complete);
    queued.queued_allocations.insert("web".to_string(), 3);
    step(
        &mut h,
        "register count=3, eval queues 3",
        register_with_eval(job("web", 3), queued),
    );
    let web = h.job("web");
    let placed = place(vec![alloc("a1", &web, "n1"), alloc("a2", &web, "n1")]);
    step(&mut h, "place a1 a2", placed);
    let client = |id: &str, status: ClientStatus| ClientAllocUpdate {
        alloc_id: id.to_string(),
        client_status: status,
        ..ClientAllocUpdate::default()
    };
    let update = |updates: Vec<ClientAllocUpdate>| {
        Command::UpdateAllocsFromClient(ClientAllocUpdates {
            allocs: updates,
            evals: Vec::new(),
        })
    };
    step(
        &mut h,
        "a1 running, a2 running",
        update(vec![
            client("a1", ClientStatus::Running),
            client("a2", ClientStatus::Running),
        ]),
    );
    step(
        &mut h,
        "a1 failed",
        update(vec![client("a1", ClientStatus::Failed)]),
    );
    step(
        &mut h,
        "a1 running again (failed is never decremented)",
        update(vec![client("a1", ClientStatus::Running)]),
    );
    step(
        &mut h,
        "a2 lost",
        update(vec![client("a2", ClientStatus::Lost)]),
    );
    step(
        &mut h,
        "a2 complete",
        update(vec![client("a2", ClientStatus::Complete)]),
    );
    step(
        &mut h,
        "update adds group api",
        register({
            let mut j = job("web", 3);
            let mut api = (*j.task_groups[0]).clone();
            api.name = "api".into();
            j.task_groups.push(Arc::new(api));
            j
        }),
    );
    step(
        &mut h,
        "update drops group api (its summary row stays)",
        register(job("web", 4)),
    );
    check_golden("summaries", &json!(steps));
}

#[test]
fn status_transitions_of_service_periodic_and_child_jobs() {
    let mut h = Harness::new();
    let mut steps = Vec::new();
    let mut step = |h: &mut Harness, action: &str, command: Command, jobs: &[&str]| {
        h.ok(command);
        let snap = h.snap();
        let statuses: Vec<Value> = jobs
            .iter()
            .map(|id| {
                let job = snap.job(NS, id);
                json!({
                    "ID": id,
                    "Status": job.as_ref().map(|j| j.status.clone()),
                    "Version": job.as_ref().map(|j| j.version),
                    "ModifyIndex": job.as_ref().map(|j| j.modify_index),
                    "Children": snap.job_summary(NS, id).and_then(|s| s.children.clone()),
                })
            })
            .collect();
        steps.push(json!({"Action": action, "Jobs": statuses}));
    };
    step(
        &mut h,
        "register without eval",
        register(job("svc", 1)),
        &["svc"],
    );
    step(
        &mut h,
        "pending eval",
        evals(vec![eval("e1", "svc", EvalStatus::Pending)]),
        &["svc"],
    );
    let web = h.job("svc");
    step(
        &mut h,
        "placement",
        place(vec![alloc("a1", &web, "n1")]),
        &["svc"],
    );
    step(
        &mut h,
        "eval complete",
        evals(vec![eval("e1", "svc", EvalStatus::Complete)]),
        &["svc"],
    );
    let done = Command::UpdateAllocsFromClient(ClientAllocUpdates {
        allocs: vec![ClientAllocUpdate {
            alloc_id: "a1".to_string(),
            client_status: ClientStatus::Complete,
            ..ClientAllocUpdate::default()
        }],
        evals: Vec::new(),
    });
    step(&mut h, "allocation complete", done, &["svc"]);
    let stop = Command::DeregisterJob(DeregisterJob {
        namespace: NS.to_string(),
        job_id: "svc".to_string(),
        submit_time: 7,
        eval: Some(eval("e2", "svc", EvalStatus::Pending)),
        ..DeregisterJob::default()
    });
    step(&mut h, "stop with deregister eval", stop, &["svc"]);

    let mut parent = job("cron", 1);
    parent.job_type = "batch".into();
    parent.periodic = Some(PeriodicConfig {
        spec: "*/5 * * * *".to_string(),
        spec_type: "cron".to_string(),
        ..PeriodicConfig::default()
    });
    step(&mut h, "periodic parent", register(parent), &["cron"]);
    let mut child = job("cron/periodic-1700000000", 1);
    child.job_type = "batch".into();
    child.parent_id = "cron".into();
    step(
        &mut h,
        "child registered",
        register(child),
        &["cron", "cron/periodic-1700000000"],
    );
    step(
        &mut h,
        "child eval pending",
        evals(vec![eval(
            "e3",
            "cron/periodic-1700000000",
            EvalStatus::Pending,
        )]),
        &["cron", "cron/periodic-1700000000"],
    );
    step(
        &mut h,
        "child eval complete",
        evals(vec![eval(
            "e3",
            "cron/periodic-1700000000",
            EvalStatus::Complete,
        )]),
        &["cron", "cron/periodic-1700000000"],
    );
    let stop_parent = Command::DeregisterJob(DeregisterJob {
        namespace: NS.to_string(),
        job_id: "cron".to_string(),
        ..DeregisterJob::default()
    });
    step(&mut h, "stop the parent", stop_parent, &["cron"]);
    let launch = h.snap().periodic_launch(NS, "cron").expect("launch row");
    steps.push(json!({"PeriodicLaunch": launch.launch}));
    check_golden("status_transitions", &json!(steps));
}

fn page_json<T>(page: &drover_state::Page<T>, name: impl Fn(&T) -> String) -> Value {
    json!({
        "Items": page.items.iter().map(name).collect::<Vec<_>>(),
        "NextToken": page.next_token,
    })
}

#[test]
fn paging_tokens_walk_every_job_once() {
    let mut h = Harness::new();
    let namespaces = ["dev", "dev-x"]
        .map(|name| Namespace {
            name: name.to_string(),
            ..Namespace::default()
        })
        .to_vec();
    h.ok(Command::UpsertNamespaces(Namespaces { namespaces }));
    for ns in ["default", "dev", "dev-x"] {
        for id in ["api", "web-1", "web-2", "web-3"] {
            let mut j = job(id, 1);
            j.namespace = ns.into();
            h.ok(register(j));
        }
    }
    let snap = h.snap();
    let name = |l: &ListedJob| format!("{}.{}", l.job.namespace, l.job.id);
    let all = NamespaceSelector::All;
    let mut walks = Vec::new();
    for (title, selector, prefix, per_page, reverse) in [
        ("all namespaces, 5 per page", &all, "", 5, false),
        ("all namespaces reversed, 5 per page", &all, "", 5, true),
        (
            "prefix web in all namespaces, 4 per page",
            &all,
            "web",
            4,
            false,
        ),
    ] {
        let mut pages = Vec::new();
        let mut req = PageRequest {
            prefix: prefix.to_string(),
            per_page,
            reverse,
            ..PageRequest::default()
        };
        loop {
            let page = snap.list_jobs(selector, &req, &|_| true);
            pages.push(page_json(&page, name));
            if page.next_token.is_empty() {
                break;
            }
            req.next_token = page.next_token;
        }
        walks.push(json!({"Walk": title, "Pages": pages}));
    }
    let dev_only =
        NamespaceSelector::Only(BTreeSet::from(["dev".to_string(), "dev-x".to_string()]));
    let selected = snap.list_jobs(
        &dev_only,
        &PageRequest {
            per_page: 3,
            next_token: "dev.web-2".to_string(),
            ..PageRequest::default()
        },
        &|j| j.id != "web-3",
    );
    walks.push(json!({"Walk": "dev and dev-x from dev.web-2, without web-3", "Page": page_json(&selected, name)}));
    let negative = snap.list_jobs(
        &NamespaceSelector::one("dev"),
        &PageRequest {
            per_page: -1,
            ..PageRequest::default()
        },
        &|_| true,
    );
    walks.push(json!({"Walk": "negative per_page", "Page": page_json(&negative, name)}));

    let eval_page = snap.list_evals(&all, &PageRequest::default(), &|_| true);
    let mut h2 = Harness::new();
    h2.ok(register(job("web", 1)));
    for n in 0..12 {
        h2.ok(evals(vec![eval(
            &format!("e{n:02}"),
            "web",
            EvalStatus::Pending,
        )]));
    }
    let snap2 = h2.snap();
    let mut pages = Vec::new();
    let mut req = PageRequest {
        per_page: 5,
        ..PageRequest::default()
    };
    loop {
        let page = snap2.list_evals(&all, &req, &|_| true);
        pages.push(page_json(&page, |e| e.id.to_string()));
        if page.next_token.is_empty() {
            break;
        }
        req.next_token = page.next_token;
    }
    walks.push(json!({"Walk": "evaluations by create index, 5 per page", "Pages": pages}));
    let by_id = snap2.list_evals(
        &all,
        &PageRequest {
            prefix: "e1".to_string(),
            per_page: 1,
            ..PageRequest::default()
        },
        &|_| true,
    );
    walks.push(
        json!({"Walk": "evaluations by ID prefix e1", "Page": page_json(&by_id, |e| e.id.to_string())}),
    );
    assert!(eval_page.items.is_empty());
    check_golden("paging_tokens", &json!(walks));
}
