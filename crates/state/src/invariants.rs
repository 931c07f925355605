//! `check_invariants`: what must hold of any state the store can reach. Tests run it after
//! every step; it is also a debugging aid for embedders.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::EvalStatus;
use drover_model::allocation::ClientStatus;
use imbl::OrdSet;

use crate::JOB_TRACKED_VERSIONS;
use crate::keys::{Id, JobKey, Key3, name};
use crate::snapshot::Snapshot;
use crate::table::Table;

impl Snapshot {
    /// Checks that secondary indexes agree with their tables, keys with their rows, job
    /// summaries with allocations, version and submission counts with their limits, and table
    /// indexes with the rows written. Returns every violation found.
    ///
    /// The summary check assumes allocations enter the store `pending`, as the scheduler
    /// places them: Running, Starting, Lost and Unknown must equal the allocations of the
    /// current job in that client status, and Complete and Failed (never decremented) must
    /// be at least that.
    pub fn check_invariants(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        self.check_secondary_indexes(&mut errors);
        self.check_keys(&mut errors);
        self.check_summaries(&mut errors);
        self.check_history_limits(&mut errors);
        self.check_table_indexes(&mut errors);
        self.check_node_usage(&mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Checks that no table index went backwards between `earlier` and this snapshot.
    pub fn check_indexes_after(&self, earlier: &Snapshot) -> Result<(), Vec<String>> {
        let errors: Vec<String> = Table::ALL
            .iter()
            .filter(|t| self.table_index(**t) < earlier.table_index(**t))
            .map(|t| {
                format!(
                    "index of {} went back from {} to {}",
                    t.name(),
                    earlier.table_index(*t),
                    self.table_index(*t)
                )
            })
            .chain(
                (self.applied_index() < earlier.applied_index())
                    .then(|| "applied index went back".to_string()),
            )
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_secondary_indexes(&self, errors: &mut Vec<String>) {
        let t = &*self.tables;
        let by_job_rows = t.allocs_by_job.iter().flat_map(|((ns, job), of_job)| {
            of_job.iter().map(move |(id, alloc)| ((ns, job, id), alloc))
        });
        let stale = by_job_rows.clone().any(|((_, _, alloc_id), alloc)| {
            t.allocs
                .get(alloc_id)
                .is_none_or(|row| !Arc::ptr_eq(row, alloc))
        });
        if stale {
            errors.push("index allocs_by_job holds a stale allocation".to_string());
        }
        let by_job = [
            (
                "evals_by_job",
                t.evals
                    .values()
                    .map(|e| (name(&e.namespace), name(&e.job_id), Id::new(&e.id)))
                    .collect::<OrdSet<JobKey>>(),
                &t.evals_by_job,
            ),
            (
                "blocked_evals_by_job",
                t.evals
                    .values()
                    .filter(|e| e.status == EvalStatus::Blocked)
                    .map(|e| (name(&e.namespace), name(&e.job_id), Id::new(&e.id)))
                    .collect(),
                &t.blocked_evals_by_job,
            ),
            (
                "allocs_by_job",
                t.allocs
                    .values()
                    .map(|a| (name(&a.namespace), name(&a.job_id), Id::new(&a.id)))
                    .collect(),
                &by_job_rows
                    .map(|((ns, job, id), _)| (ns.clone(), job.clone(), id.clone()))
                    .collect(),
            ),
            (
                "deployments_by_job",
                t.deployments
                    .values()
                    .map(|d| (name(&d.namespace), name(&d.job_id), Id::new(&d.id)))
                    .collect(),
                &t.deployments_by_job,
            ),
        ];
        for (index, built, kept) in by_job {
            if built != *kept {
                errors.push(format!("index {index} disagrees with its table"));
            }
        }
        let services = [
            (
                "services_by_job",
                t.services
                    .values()
                    .map(|s| (name(&s.namespace), name(&s.job_id), name(&s.id)))
                    .collect::<OrdSet<Key3>>(),
                &t.services_by_job,
            ),
            (
                "services_by_name",
                t.services
                    .values()
                    .map(|s| (name(&s.namespace), name(&s.service_name), name(&s.id)))
                    .collect(),
                &t.services_by_name,
            ),
            (
                "services_by_alloc",
                t.services
                    .values()
                    .map(|s| (name(&s.alloc_id), name(&s.namespace), name(&s.id)))
                    .collect(),
                &t.services_by_alloc,
            ),
        ];
        for (index, built, kept) in services {
            if built != *kept {
                errors.push(format!("index {index} disagrees with its table"));
            }
        }
        let pairs = |rows: Vec<(&str, &str)>| -> OrdSet<(Id, Id)> {
            rows.into_iter()
                .filter(|(a, _)| !a.is_empty())
                .map(|(a, b)| (Id::new(a), Id::new(b)))
                .collect()
        };
        let allocs: Vec<_> = t.allocs.values().collect();
        let by = |f: fn(&drover_model::Allocation) -> &str| {
            pairs(allocs.iter().map(|a| (f(a), a.id.as_str())).collect())
        };
        let by_node_rows = t
            .allocs_by_node
            .iter()
            .flat_map(|(node, of_node)| of_node.iter().map(move |(id, alloc)| ((node, id), alloc)));
        let stale = by_node_rows.clone().any(|((_, alloc_id), alloc)| {
            t.allocs
                .get(alloc_id)
                .is_none_or(|row| !Arc::ptr_eq(row, alloc))
        });
        if stale {
            errors.push("index allocs_by_node holds a stale allocation".to_string());
        }
        let by_node: OrdSet<(Id, Id)> = by_node_rows
            .map(|((node, id), _)| (node.clone(), id.clone()))
            .collect();
        let checks = [
            ("allocs_by_node", by(|a| &a.node_id), &by_node),
            ("allocs_by_eval", by(|a| &a.eval_id), &t.allocs_by_eval),
            (
                "allocs_by_deployment",
                by(|a| &a.deployment_id),
                &t.allocs_by_deployment,
            ),
        ];
        for (name, built, kept) in checks {
            if built != *kept {
                errors.push(format!("index {name} disagrees with its table"));
            }
        }
        let created = [
            (
                "evals_by_create",
                t.evals
                    .values()
                    .map(|e| (e.create_index, Id::new(&e.id)))
                    .collect::<OrdSet<_>>(),
                &t.evals_by_create,
            ),
            (
                "allocs_by_create",
                t.allocs
                    .values()
                    .map(|a| (a.create_index, Id::new(&a.id)))
                    .collect(),
                &t.allocs_by_create,
            ),
            (
                "deployments_by_create",
                t.deployments
                    .values()
                    .map(|d| (d.create_index, Id::new(&d.id)))
                    .collect(),
                &t.deployments_by_create,
            ),
        ];
        for (name, built, kept) in created {
            if built != *kept {
                errors.push(format!("index {name} disagrees with its table"));
            }
        }
        let secrets: BTreeMap<&str, &str> = t
            .acl_tokens
            .values()
            .map(|tok| (tok.secret_id.as_str(), tok.accessor_id.as_str()))
            .collect();
        let kept: BTreeMap<&str, &str> = t
            .acl_tokens_by_secret
            .iter()
            .map(|(s, a)| (&**s, &**a))
            .collect();
        if secrets != kept {
            errors.push("index acl_tokens_by_secret disagrees with its table".to_string());
        }
    }

    fn check_keys(&self, errors: &mut Vec<String>) {
        let t = &*self.tables;
        let mut misplaced = Vec::new();
        let mut check = |ok: bool, what: &str, key: String| {
            if !ok {
                misplaced.push(format!("{what} row under key {key} names another row"));
            }
        };
        for ((ns, job_id), row) in &t.jobs {
            let job = &row.job;
            let names_row = |namespace: &str, id: &str| **ns == *namespace && **job_id == *id;
            check(
                names_row(&job.namespace, &job.id),
                "jobs",
                format!("{ns}/{job_id}"),
            );
            if row.version(job.version).is_none() {
                errors.push(format!(
                    "job {ns}/{job_id} has no row for its version {}",
                    job.version
                ));
            }
            for v in row.versions() {
                check(
                    names_row(&v.namespace, &v.id),
                    "job_version",
                    format!("{ns}/{job_id}@{}", v.version),
                );
            }
            if let Some(s) = &row.summary {
                check(
                    names_row(&s.namespace, &s.job_id),
                    "job_summary",
                    format!("{ns}/{job_id}"),
                );
            }
            for s in &row.submissions {
                check(
                    names_row(&s.namespace, &s.job_id),
                    "job_submission",
                    format!("{ns}/{job_id}@{}", s.version),
                );
            }
            let ascending = |versions: &mut dyn Iterator<Item = u64>| {
                let versions: Vec<u64> = versions.collect();
                versions.windows(2).all(|w| w[0] < w[1])
            };
            if !ascending(&mut row.versions().map(|v| v.version))
                || !ascending(&mut row.submissions.iter().map(|s| s.version))
            {
                errors.push(format!(
                    "versions or submissions of {ns}/{job_id} are out of order"
                ));
            }
        }
        for (key, e) in &t.evals {
            check(*key == Id::of(&e.id), "evals", key.to_string());
        }
        for (key, a) in &t.allocs {
            check(*key == Id::of(&a.id), "allocs", key.to_string());
            if a.job.is_none() {
                errors.push(format!("allocation {key} has no job"));
            }
        }
        for (key, d) in &t.deployments {
            check(*key == Id::of(&d.id), "deployment", key.to_string());
        }
        for (key, n) in &t.nodes {
            check(*key == Id::of(&n.id), "nodes", key.to_string());
        }
        errors.extend(misplaced);
        if !t
            .namespaces
            .contains_key(drover_model::job::DEFAULT_NAMESPACE)
        {
            errors.push("the default namespace is missing".to_string());
        }
    }

    fn check_summaries(&self, errors: &mut Vec<String>) {
        let t = &*self.tables;
        let summaries = t
            .jobs
            .iter()
            .filter_map(|(key, row)| Some((key, row.summary.as_ref()?)));
        for ((ns, job_id), summary) in summaries {
            let mut counted: BTreeMap<&str, [i64; 6]> = BTreeMap::new();
            for alloc in t.allocs_of_job(ns, job_id) {
                let current = alloc
                    .job
                    .as_ref()
                    .is_some_and(|j| j.create_index == summary.create_index);
                if !current {
                    continue;
                }
                let slot = match alloc.client_status {
                    ClientStatus::Running => 0,
                    ClientStatus::Pending => 1,
                    ClientStatus::Lost => 2,
                    ClientStatus::Unknown => 3,
                    ClientStatus::Complete => 4,
                    ClientStatus::Failed => 5,
                    _ => continue,
                };
                counted.entry(alloc.task_group.as_str()).or_default()[slot] += 1;
            }
            for (group, counts) in &counted {
                let Some(s) = summary.summary.get(*group) else {
                    errors.push(format!("summary of {ns}/{job_id} lacks group {group}"));
                    continue;
                };
                let exact = [s.running, s.starting, s.lost, s.unknown];
                let at_least = [s.complete, s.failed];
                if exact != counts[..4] || at_least[0] < counts[4] || at_least[1] < counts[5] {
                    errors.push(format!(
                        "summary of {ns}/{job_id} group {group} is {s:?}, allocations say \
                         running/starting/lost/unknown/complete/failed = {counts:?}"
                    ));
                }
            }
            for (group, s) in &summary.summary {
                let live = [s.running, s.starting, s.lost, s.unknown];
                if !counted.contains_key(group.as_str()) && live != [0; 4] {
                    errors.push(format!(
                        "summary of {ns}/{job_id} group {group} counts allocations that are not there"
                    ));
                }
            }
        }
    }

    fn check_history_limits(&self, errors: &mut Vec<String>) {
        let t = &*self.tables;
        for ((ns, job_id), row) in &t.jobs {
            let untagged = row.versions().filter(|v| v.version_tag.is_none()).count();
            if untagged > JOB_TRACKED_VERSIONS {
                errors.push(format!("{ns}/{job_id} keeps {untagged} untagged versions"));
            }
            if row.submissions.len() > JOB_TRACKED_VERSIONS {
                errors.push(format!(
                    "{ns}/{job_id} keeps {} submissions",
                    row.submissions.len()
                ));
            }
        }
        for ((ns, job_id), events) in &t.scaling_events {
            for (group, list) in &events.scaling_events {
                if list.len() > drover_model::scaling::JOB_TRACKED_SCALING_EVENTS {
                    errors.push(format!(
                        "{ns}/{job_id} group {group} keeps {} scaling events",
                        list.len()
                    ));
                }
            }
        }
    }

    fn check_table_indexes(&self, errors: &mut Vec<String>) {
        let t = &*self.tables;
        let mut within = |table: Table, modify_indexes: &mut dyn Iterator<Item = u64>| {
            let limit = t.indexes.get(table);
            if let Some(max) = modify_indexes.max()
                && max > limit
            {
                errors.push(format!(
                    "a {} row has ModifyIndex {max} above the table index {limit}",
                    table.name()
                ));
            }
        };
        let rows = || t.jobs.values();
        within(Table::Jobs, &mut rows().map(|row| row.job.modify_index));
        within(
            Table::JobVersion,
            &mut rows()
                .flat_map(|row| row.versions())
                .map(|j| j.modify_index),
        );
        within(
            Table::JobSummary,
            &mut rows()
                .filter_map(|row| row.summary.as_ref())
                .map(|s| s.modify_index),
        );
        within(Table::Evals, &mut t.evals.values().map(|e| e.modify_index));
        within(
            Table::Allocs,
            &mut t.allocs.values().map(|a| a.modify_index),
        );
        within(
            Table::Deployment,
            &mut t.deployments.values().map(|d| d.modify_index),
        );
        within(Table::Nodes, &mut t.nodes.values().map(|n| n.modify_index));
        if t.indexes.latest() > t.applied_index {
            errors.push(format!(
                "table index {} is above the applied index {}",
                t.indexes.latest(),
                t.applied_index
            ));
        }
    }
}
