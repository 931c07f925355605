//! What must hold after every step, beyond the store's own `check_invariants` (indexes agree
//! with tables, summaries with allocations, version and submission limits, table indexes with
//! rows): no node overcommitted, indexes never going backwards, every evaluation settled once
//! the workers are idle, and the log replaying into the engine's state.

use std::collections::BTreeMap;

use drover::core::MemoryLog;
use drover::model::{EvalStatus, Node};
use drover::state::{NamespaceSelector, PageRequest, Snapshot, StateStore};

/// The store's invariants and no node overcommitted; indexes did not go back since `earlier`.
pub fn after_step(snapshot: &Snapshot, earlier: &Snapshot) -> Result<(), String> {
    snapshot.check_invariants().map_err(|e| e.join("; "))?;
    snapshot
        .check_indexes_after(earlier)
        .map_err(|e| e.join("; "))?;
    no_node_overcommitted(snapshot)
}

/// The sum of the resources of a node's non-terminal allocations fits in what the node offers
/// (its resources less its reservation): CPU, memory and disk.
fn no_node_overcommitted(snapshot: &Snapshot) -> Result<(), String> {
    for node in snapshot.nodes("") {
        let capacity = capacity(node);
        let mut used = [0i64; 3];
        for alloc in snapshot.allocs_by_node(&node.id) {
            if alloc.terminal() {
                continue;
            }
            let Some(resources) = &alloc.allocated_resources else {
                return Err(format!("allocation {} has no resources", alloc.id));
            };
            for task in resources.tasks.values() {
                used[0] += task.cpu.cpu_shares;
                used[1] += task.memory.memory_mb;
            }
            used[2] += resources.shared.disk_mb;
        }
        if (0..3).any(|i| used[i] > capacity[i]) {
            return Err(format!(
                "node {} overcommitted: cpu/memory/disk used {used:?} of {capacity:?}",
                node.id
            ));
        }
    }
    Ok(())
}

fn capacity(node: &Node) -> [i64; 3] {
    let offered = node.node_resources.as_ref().map_or([0; 3], |r| {
        [r.cpu.cpu_shares, r.memory.memory_mb, r.disk.disk_mb]
    });
    let reserved = node.reserved_resources.as_ref().map_or([0; 3], |r| {
        [r.cpu.cpu_shares, r.memory.memory_mb, r.disk.disk_mb]
    });
    [0, 1, 2].map(|i| offered[i] - reserved[i])
}

/// With the workers idle at time `now`, every evaluation is terminal, blocked with a stated
/// reason, or pending until a time still to come (a delayed reschedule or follow-up).
pub fn evaluations_settled(snapshot: &Snapshot, now: i64) -> Result<(), String> {
    let evals = snapshot.list_evals(&NamespaceSelector::All, &PageRequest::default(), &|_| true);
    for eval in evals.items {
        let settled = match eval.status {
            EvalStatus::Complete | EvalStatus::Failed | EvalStatus::Canceled => true,
            EvalStatus::Blocked => !eval.status_description.is_empty(),
            EvalStatus::Pending => eval.wait_until > now,
        };
        if !settled {
            return Err(format!(
                "evaluation {} ({} of {}, triggered by {}) is {:?} ({:?}) with the workers idle",
                eval.id,
                eval.eval_type,
                eval.job_id,
                eval.triggered_by,
                eval.status,
                eval.status_description
            ));
        }
    }
    Ok(())
}

/// Replays the log into a store of its own, entry by entry as the engine commits, and
/// compares it with the engine's state.
#[derive(Debug, Default)]
pub struct Replay {
    store: StateStore,
    applied: usize,
}

impl Replay {
    pub fn check(&mut self, log: &MemoryLog, engine_state: &Snapshot) -> Result<(), String> {
        let entries = log.entries();
        for (index, command) in &entries[self.applied..] {
            self.store
                .apply(*index, command)
                .map_err(|e| format!("log entry {index} does not replay: {e}"))?;
        }
        self.applied = entries.len();
        let replayed = self.store.snapshot();
        if replayed == *engine_state {
            return Ok(());
        }
        Err(format!(
            "replaying the log ({} entries) gives another state than the engine's{}",
            entries.len(),
            first_difference(&replayed, engine_state)
        ))
    }
}

/// Where two states differ, for the failure message: a table whose index differs, else the
/// first evaluation, allocation or job that differs.
fn first_difference(replayed: &Snapshot, engine: &Snapshot) -> String {
    for table in drover::state::Table::ALL {
        if replayed.table_index(table) != engine.table_index(table) {
            return format!(
                ": table {} at {} replayed, {} in the engine",
                table.name(),
                replayed.table_index(table),
                engine.table_index(table)
            );
        }
    }
    let all = PageRequest::default();
    let ns = NamespaceSelector::All;
    let evals = |s: &Snapshot| -> BTreeMap<String, String> {
        s.list_evals(&ns, &all, &|_| true)
            .items
            .into_iter()
            .map(|e| (e.id.to_string(), format!("{e:?}")))
            .collect()
    };
    let allocs = |s: &Snapshot| -> BTreeMap<String, String> {
        s.list_allocs(&ns, &all, &|_| true)
            .items
            .into_iter()
            .map(|a| (a.id.to_string(), format!("{a:?}")))
            .collect()
    };
    let jobs = |s: &Snapshot| -> BTreeMap<String, String> {
        s.jobs(&ns, "")
            .map(|j| (j.id.to_string(), format!("{j:?}")))
            .collect()
    };
    for (kind, a, b) in [
        ("evaluation", evals(replayed), evals(engine)),
        ("allocation", allocs(replayed), allocs(engine)),
        ("job", jobs(replayed), jobs(engine)),
    ] {
        if let Some(id) = a.keys().chain(b.keys()).find(|id| a.get(*id) != b.get(*id)) {
            return format!(": {kind} {id} differs");
        }
    }
    String::new()
}
