//! Job listings against a plain sort-and-filter of the same jobs: every namespace selection,
//! prefix, direction and page size gives the jobs a user expects, and following
//! `next_token` from the first page visits each of them once.

use std::collections::BTreeSet;
use std::sync::Arc;

use drover_model::{Job, Namespace};
use drover_state::{
    Command, NamespaceSelector, Namespaces, PageRequest, Snapshot, StateStore, UpsertJob,
};
use proptest::prelude::*;

const NAMESPACES: [&str; 3] = ["default", "dev", "dev-2"];

/// A store holding the given (namespace, job ID) pairs.
fn store_with(jobs: &BTreeSet<(usize, String)>) -> Snapshot {
    let store = StateStore::new();
    let namespaces = NAMESPACES
        .iter()
        .map(|name| Namespace {
            name: name.to_string(),
            ..Namespace::default()
        })
        .collect();
    let mut commands = vec![Command::UpsertNamespaces(Namespaces { namespaces })];
    commands.extend(jobs.iter().map(|(ns, id)| {
        Command::UpsertJob(UpsertJob {
            job: Arc::new(Job {
                id: id.clone().into(),
                namespace: NAMESPACES[*ns].into(),
                job_type: "service".into(),
                ..Job::default()
            }),
            ..UpsertJob::default()
        })
    }));
    store.apply(1, &Command::Batch(commands)).expect("apply");
    store.snapshot()
}

/// What a listing must return: the selected jobs under the prefix in (namespace, ID) order.
fn expected(
    jobs: &BTreeSet<(usize, String)>,
    selector: &NamespaceSelector,
    prefix: &str,
    reverse: bool,
) -> Vec<String> {
    let mut keys: Vec<String> = jobs
        .iter()
        .map(|(ns, id)| (NAMESPACES[*ns], id))
        .filter(|(ns, id)| selector.contains(ns) && id.starts_with(prefix))
        .map(|(ns, id)| format!("{ns}.{id}"))
        .collect();
    if reverse {
        keys.reverse();
    }
    keys
}

/// Every page from the first, following `next_token`.
fn all_pages(
    snap: &Snapshot,
    selector: &NamespaceSelector,
    prefix: &str,
    reverse: bool,
    per_page: i32,
) -> Vec<String> {
    let mut req = PageRequest {
        prefix: prefix.to_string(),
        per_page,
        reverse,
        ..PageRequest::default()
    };
    let mut listed = Vec::new();
    loop {
        let page = snap.list_jobs(selector, &req, &|_| true);
        for item in &page.items {
            let (ns, id) = (&item.job.namespace, &item.job.id);
            let summary = snap.job_summary(ns, id);
            assert_eq!(item.summary, summary.as_ref(), "the summary of {ns}.{id}");
            listed.push(format!("{ns}.{id}"));
        }
        if page.next_token.is_empty() {
            return listed;
        }
        req.next_token = page.next_token;
    }
}

fn selector(picked: &[bool]) -> NamespaceSelector {
    if picked.iter().all(|p| *p) {
        return NamespaceSelector::All;
    }
    let names = NAMESPACES.iter().zip(picked).filter(|(_, p)| **p);
    NamespaceSelector::Only(names.map(|(n, _)| n.to_string()).collect())
}

proptest! {
    #[test]
    fn listings_page_through_the_selected_jobs_under_the_prefix(
        jobs in prop::collection::btree_set((0..3usize, "[ab]{1,4}"), 0..24),
        picked in prop::collection::vec(any::<bool>(), 3),
        prefix in "[ab]{0,2}",
        reverse in any::<bool>(),
        per_page in 1..5i32,
    ) {
        let snap = store_with(&jobs);
        let selector = selector(&picked);
        let want = expected(&jobs, &selector, &prefix, reverse);
        prop_assert_eq!(all_pages(&snap, &selector, &prefix, reverse, 0), want.clone());
        prop_assert_eq!(all_pages(&snap, &selector, &prefix, reverse, per_page), want.clone());
        let iterated: Vec<String> = snap
            .jobs(&selector, &prefix)
            .map(|j| format!("{}.{}", j.namespace, j.id))
            .collect();
        let mut forward = want;
        if reverse {
            forward.reverse();
        }
        prop_assert_eq!(iterated, forward);
    }
}
