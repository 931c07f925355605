//! IDs that are UUIDs (which the store keys as their bytes) and IDs that are not, side by
//! side: allocation listings, prefix scans, paging and the per-node index give exactly the
//! order and the pages of the strings, and a snapshot restores to the same state.

use std::collections::BTreeSet;
use std::sync::Arc;

use drover_state::{
    NamespaceSelector, PageRequest, Snapshot, StateStore, snapshot_from_bytes, snapshot_to_bytes,
};
use proptest::prelude::*;

use crate::support::*;

/// UUIDs, most starting with `a` like the short IDs, their uppercase and malformed near
/// misses, and short strings.
fn id() -> impl Strategy<Value = String> {
    let uuid = "a[0-9a-f]{2}[0-9a-f]{5}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    prop_oneof![
        4 => uuid,
        1 => "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        1 => uuid.prop_map(|u| u.to_uppercase()),
        1 => uuid.prop_map(|u| u.replacen('-', "_", 1)),
        1 => (uuid, "[0-9a-f]").prop_map(|(u, tail)| u + &tail),
        2 => "a[0-9a-f-]{0,6}",
    ]
}

/// Every page of an allocation listing, following `next_token`.
fn all_pages(snap: &Snapshot, prefix: &str, per_page: i32, reverse: bool) -> Vec<String> {
    let mut req = PageRequest {
        prefix: prefix.to_string(),
        per_page,
        reverse,
        ..PageRequest::default()
    };
    let mut listed = Vec::new();
    loop {
        let page = snap.list_allocs(&NamespaceSelector::All, &req, &|_| true);
        listed.extend(page.items.iter().map(|a| a.id.to_string()));
        if page.next_token.is_empty() {
            return listed;
        }
        req.next_token = page.next_token;
    }
}

proptest! {
    #[test]
    fn uuid_and_other_ids_list_page_and_index_as_their_strings(
        ids in prop::collection::btree_set(id(), 1..24),
        nodes in prop::collection::vec(id(), 2..4),
        cut in 0..12usize,
        per_page in 1..5i32,
        reverse: bool,
    ) {
        let store = StateStore::new();
        let job = Arc::new(job("web", 1));
        store.apply(1, &register((*job).clone())).expect("register");
        let allocs = ids
            .iter()
            .enumerate()
            .map(|(i, id)| alloc(id, &job, &nodes[i % nodes.len()]))
            .collect();
        store.apply(2, &place(allocs)).expect("place");
        let snap = store.snapshot();
        prop_assert_eq!(snap.check_invariants(), Ok(()));

        let sorted = |ids: &mut dyn Iterator<Item = &String>| {
            let mut ids: Vec<String> = ids.cloned().collect();
            if reverse {
                ids.reverse();
            }
            ids
        };
        // By creation (one index for all), then by ID.
        prop_assert_eq!(all_pages(&snap, "", per_page, reverse), sorted(&mut ids.iter()));
        // By ID under a prefix of one of them.
        let some = ids.iter().nth(cut % ids.len()).expect("an id");
        let prefix: String = some.chars().take(cut).collect();
        let under: BTreeSet<&String> = ids.iter().filter(|id| id.starts_with(&prefix)).collect();
        prop_assert_eq!(
            all_pages(&snap, &prefix, per_page, reverse),
            sorted(&mut under.into_iter())
        );
        for node in &nodes {
            let on_node: BTreeSet<String> = ids
                .iter()
                .enumerate()
                .filter(|(i, _)| nodes[i % nodes.len()] == *node)
                .map(|(_, id)| id.clone())
                .collect();
            let stored: Vec<String> =
                snap.allocs_by_node(node).iter().map(|a| a.id.to_string()).collect();
            prop_assert_eq!(stored, on_node.into_iter().collect::<Vec<_>>());
            let usage = snap.node_usage(node).map_or(0, |u| u.count);
            prop_assert_eq!(usage as usize, snap.allocs_by_node(node).len());
        }
        let restored = snapshot_from_bytes(&snapshot_to_bytes(&snap).expect("encode"))
            .expect("decode");
        prop_assert!(restored == snap, "the restored snapshot differs");
    }
}
