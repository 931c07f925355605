//! `Snapshot`: an immutable, consistent view of every table, cheap to take and to clone.
//! The scheduler, HTTP reads and the engine read through it; a plan dry-run applies commands
//! to its own copy.

use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use drover_model::{
    AclPolicy, AclToken, Allocation, Deployment, Evaluation, Job, JobSubmission, JobSummary,
    Namespace, Node, ServiceRegistration,
};
use imbl::{OrdMap, OrdSet};

use crate::command::Command;
use crate::job_row::JobRow;
use crate::keys::{CreateKey, Id, JobBound, Key3, Q2, QCreate, QId};
use crate::paginate::{
    Listed, NamespaceSelector, Page, PageRequest, compare_create_token, compare_ns_token, page,
    split_create_token, split_ns_token,
};
use crate::table::Table;
use crate::tables::{Tables, ids_under3};
use crate::{JobScalingEvents, PeriodicLaunch, StateError};

/// Rows whose memory a scan reads before it clones them (see `JobAllocs::with_uuids`).
const READ_AHEAD: usize = 32;

/// A read-only view of the store at one index. It never changes: writes to the store after
/// it was taken are not seen. Clone it freely (one counter bump).
#[derive(Clone, Default, PartialEq)]
pub struct Snapshot {
    pub(crate) tables: Arc<Tables>,
}

impl fmt::Debug for Snapshot {
    /// Sizes only: a snapshot can hold millions of rows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tables;
        f.debug_struct("Snapshot")
            .field("applied_index", &t.applied_index)
            .field("jobs", &t.jobs.len())
            .field("evals", &t.evals.len())
            .field("allocs", &t.allocs.len())
            .field("deployments", &t.deployments.len())
            .field("nodes", &t.nodes.len())
            .finish_non_exhaustive()
    }
}

/// A job as a listing returns it: the current version with its summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListedJob<'s> {
    pub job: &'s Arc<Job>,
    pub summary: Option<&'s Arc<JobSummary>>,
}

impl Snapshot {
    pub(crate) fn from_tables(tables: Tables) -> Self {
        Snapshot {
            tables: Arc::new(tables),
        }
    }

    /// Applies a command to this snapshot only (a plan dry-run writes its job and results
    /// into a private copy this way): clones of it taken before keep the state they had. The
    /// same code path as [`crate::StateStore::apply`]; on error nothing changes.
    pub fn apply(&mut self, index: u64, command: &Command) -> Result<(), StateError> {
        crate::apply::apply(Arc::make_mut(&mut self.tables), index, command)?;
        Ok(())
    }

    /// This snapshot without its allocations and evaluations (their tables read empty), for
    /// a reader that has taken what it needs of them: a scheduler, once it has its job's
    /// allocations. The store writes a table in place only where no snapshot shares it, and
    /// those are the tables every plan writes: while one worker schedules on this, another's
    /// plan changes the million-entry trees where they are, instead of copying the path to
    /// each row it writes (and bumping the count of every row beside it, a cold line each).
    pub fn without_allocs_and_evals(&self) -> Snapshot {
        let t = &*self.tables;
        Snapshot::from_tables(Tables {
            evals: OrdMap::new(),
            evals_by_job: OrdSet::new(),
            blocked_evals_by_job: OrdSet::new(),
            evals_by_create: OrdSet::new(),
            allocs: OrdMap::new(),
            allocs_by_job: OrdMap::new(),
            allocs_by_node: OrdMap::new(),
            allocs_by_eval: OrdSet::new(),
            allocs_by_deployment: OrdSet::new(),
            allocs_by_create: OrdSet::new(),
            ..t.clone()
        })
    }

    /// The index of the last command applied, whether or not it wrote a table.
    pub fn applied_index(&self) -> u64 {
        self.tables.applied_index
    }

    /// Nomad's `LatestIndex`: the greatest table index.
    pub fn latest_index(&self) -> u64 {
        self.tables.indexes.latest()
    }

    /// The index of the last write to `table`; 0 if it was never written.
    pub fn table_index(&self, table: Table) -> u64 {
        self.tables.indexes.get(table)
    }

    // Jobs.

    pub fn job(&self, namespace: &str, job_id: &str) -> Option<Arc<Job>> {
        self.tables.job(namespace, job_id).cloned()
    }

    /// Jobs of the selected namespaces whose ID starts with `prefix`, in (namespace, ID)
    /// order.
    pub fn jobs<'a>(
        &'a self,
        namespaces: &'a NamespaceSelector,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Job>> + 'a {
        self.job_iter(namespaces, prefix, None, false)
            .map(|row| &row.job)
    }

    /// The children of a periodic or parameterized job (IDs `<parent>/...`).
    pub fn job_children<'a>(
        &'a self,
        namespace: &'a str,
        parent_id: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Job>> + 'a {
        self.tables
            .jobs
            .range(Q2(namespace, parent_id)..)
            .take_while(move |(k, _)| k.0 == *namespace && k.1.starts_with(parent_id))
            .map(|(_, row)| &row.job)
            .filter(move |job| job.parent_id == parent_id)
    }

    /// Every tracked version, tagged ones included, highest version first.
    pub fn job_versions(&self, namespace: &str, job_id: &str) -> Vec<Arc<Job>> {
        self.tables
            .job_versions(namespace, job_id)
            .rev()
            .cloned()
            .collect()
    }

    pub fn job_version(&self, namespace: &str, job_id: &str, version: u64) -> Option<Arc<Job>> {
        self.tables.job_version(namespace, job_id, version).cloned()
    }

    pub fn job_summary(&self, namespace: &str, job_id: &str) -> Option<Arc<JobSummary>> {
        self.tables.summary(namespace, job_id).cloned()
    }

    pub fn job_submission(
        &self,
        namespace: &str,
        job_id: &str,
        version: u64,
    ) -> Option<Arc<JobSubmission>> {
        self.tables.submission(namespace, job_id, version).cloned()
    }

    /// A page of jobs (`GET /v1/jobs`) with their summaries: `prefix` on the ID, tokens
    /// `<namespace>.<id>`, and `filter` over the full job before counting.
    pub fn list_jobs<'s>(
        &'s self,
        namespaces: &NamespaceSelector,
        req: &PageRequest,
        filter: &dyn Fn(&Job) -> bool,
    ) -> Page<ListedJob<'s>> {
        let start = (!req.next_token.is_empty()).then(|| split_ns_token(&req.next_token));
        let items = self
            .job_iter(namespaces, &req.prefix, start, req.reverse)
            .map(|row| ListedJob {
                job: &row.job,
                summary: row.summary.as_ref(),
            });
        page(
            items,
            req,
            |listed, token| compare_ns_token(&listed.job.namespace, &listed.job.id, token),
            |listed| format!("{}.{}", listed.job.namespace, listed.job.id),
            |listed| filter(listed.job),
        )
    }

    /// Jobs in listing order, starting near `start` (a position to seek to; items before it
    /// may still come and are skipped by the paginator).
    fn job_iter<'s: 'a, 'a>(
        &'s self,
        namespaces: &'a NamespaceSelector,
        prefix: &'a str,
        start: Option<(&'a str, &'a str)>,
        reverse: bool,
    ) -> Box<dyn Iterator<Item = &'s JobRow> + 'a> {
        let jobs = &self.tables.jobs;
        match namespaces {
            NamespaceSelector::All => {
                let rows: Box<dyn Iterator<Item = _>> = match (start, reverse) {
                    (None, false) => Box::new(jobs.iter()),
                    (None, true) => Box::new(jobs.iter().rev()),
                    (Some((ns, id)), false) => Box::new(jobs.range(Q2(ns, id)..)),
                    (Some((ns, id)), true) => Box::new(jobs.range(..=Q2(ns, id)).rev()),
                };
                if prefix.is_empty() {
                    return Box::new(rows.map(|(_, row)| &**row));
                }
                Box::new(
                    rows.filter(move |(k, _)| k.1.starts_with(prefix))
                        .map(|(_, row)| &**row),
                )
            }
            NamespaceSelector::Only(set) => {
                // Each namespace's jobs under the prefix are one range of the map.
                let range = move |ns: &'a String| {
                    let from = match start {
                        Some((tns, tid)) if tns == ns && !reverse && tid > prefix => tid,
                        _ => prefix,
                    };
                    let bounds = (
                        Bound::Included(JobBound::At(ns, from)),
                        Bound::Excluded(JobBound::PastPrefix(ns, prefix)),
                    );
                    jobs.range(bounds).map(|(_, row)| &**row)
                };
                if reverse {
                    Box::new(set.iter().rev().flat_map(move |ns| range(ns).rev()))
                } else {
                    Box::new(set.iter().flat_map(range))
                }
            }
        }
    }

    // Evaluations.

    pub fn eval(&self, eval_id: &str) -> Option<Arc<Evaluation>> {
        self.tables.evals.get(&QId::new(eval_id)).cloned()
    }

    pub fn evals_by_job(&self, namespace: &str, job_id: &str) -> Vec<Arc<Evaluation>> {
        self.tables
            .evals_of_job(namespace, job_id)
            .cloned()
            .collect()
    }

    /// A page of evaluations: by ID when `prefix` is set, else in creation order.
    pub fn list_evals(
        &self,
        namespaces: &NamespaceSelector,
        req: &PageRequest,
        filter: &dyn Fn(&Evaluation) -> bool,
    ) -> Page<&Arc<Evaluation>> {
        list_listed(
            &self.tables.evals,
            &self.tables.evals_by_create,
            namespaces,
            req,
            filter,
        )
    }

    // Allocations.

    pub fn alloc(&self, alloc_id: &str) -> Option<Arc<Allocation>> {
        self.tables.allocs.get(&QId::new(alloc_id)).cloned()
    }

    /// Allocations of a job; unless `all`, only those of the current job (same CreateIndex),
    /// not those of an earlier job with the same ID.
    pub fn allocs_by_job(&self, namespace: &str, job_id: &str, all: bool) -> Vec<Arc<Allocation>> {
        let current = self.tables.job(namespace, job_id).map(|j| j.create_index);
        self.tables
            .allocs_of_job(namespace, job_id)
            .filter(|a| {
                all || current.is_none_or(|ci| a.job.as_ref().is_none_or(|j| j.create_index == ci))
            })
            .cloned()
            .collect()
    }

    /// Every allocation of a job (as `allocs_by_job` with `all`), as the store holds them:
    /// the handle shares the store's map of them, so it stays readable after this snapshot is
    /// let go of or narrowed (see [`Snapshot::without_allocs_and_evals`]).
    pub fn job_allocs(&self, namespace: &str, job_id: &str) -> JobAllocs {
        JobAllocs(
            self.tables
                .allocs_by_job
                .get(&Q2(namespace, job_id))
                .cloned(),
        )
    }

    pub fn allocs_by_node(&self, node_id: &str) -> Vec<Arc<Allocation>> {
        self.tables.allocs_of_node(node_id).cloned().collect()
    }

    /// Allocations of a node that are (or are not) terminal.
    pub fn allocs_by_node_terminal(&self, node_id: &str, terminal: bool) -> Vec<Arc<Allocation>> {
        self.tables
            .allocs_of_node(node_id)
            .filter(|a| a.terminal() == terminal)
            .cloned()
            .collect()
    }

    pub fn allocs_by_eval(&self, eval_id: &str) -> Vec<Arc<Allocation>> {
        self.tables.allocs_of_eval(eval_id).cloned().collect()
    }

    pub fn allocs_by_deployment(&self, deployment_id: &str) -> Vec<Arc<Allocation>> {
        self.tables
            .allocs_of_deployment(deployment_id)
            .cloned()
            .collect()
    }

    /// A page of allocations: by ID when `prefix` is set, else in creation order.
    pub fn list_allocs(
        &self,
        namespaces: &NamespaceSelector,
        req: &PageRequest,
        filter: &dyn Fn(&Allocation) -> bool,
    ) -> Page<&Arc<Allocation>> {
        list_listed(
            &self.tables.allocs,
            &self.tables.allocs_by_create,
            namespaces,
            req,
            filter,
        )
    }

    // Deployments.

    pub fn deployment(&self, deployment_id: &str) -> Option<Arc<Deployment>> {
        self.tables
            .deployments
            .get(&QId::new(deployment_id))
            .cloned()
    }

    /// Deployments of a job; unless `all`, only those of the current job.
    pub fn deployments_by_job(
        &self,
        namespace: &str,
        job_id: &str,
        all: bool,
    ) -> Vec<Arc<Deployment>> {
        let current = self.tables.job(namespace, job_id).map(|j| j.create_index);
        self.tables
            .deployments_of_job(namespace, job_id)
            .filter(|d| all || current.is_none_or(|ci| d.job_create_index == ci))
            .cloned()
            .collect()
    }

    /// The deployment with the highest CreateIndex, of any job incarnation.
    pub fn latest_deployment(&self, namespace: &str, job_id: &str) -> Option<Arc<Deployment>> {
        self.tables
            .deployments_of_job(namespace, job_id)
            .max_by_key(|d| d.create_index)
            .cloned()
    }

    /// A page of deployments: by ID when `prefix` is set, else in creation order.
    pub fn list_deployments(
        &self,
        namespaces: &NamespaceSelector,
        req: &PageRequest,
        filter: &dyn Fn(&Deployment) -> bool,
    ) -> Page<&Arc<Deployment>> {
        list_listed(
            &self.tables.deployments,
            &self.tables.deployments_by_create,
            namespaces,
            req,
            filter,
        )
    }

    // Nodes.

    pub fn node(&self, node_id: &str) -> Option<Arc<Node>> {
        self.tables.nodes.get(&QId::new(node_id)).cloned()
    }

    /// Nodes whose ID starts with `prefix` (all for ""), in ID order.
    pub fn nodes<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Arc<Node>> + 'a {
        self.tables
            .nodes
            .range((Bound::Included(QId::new(prefix)), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(_, n)| n)
    }

    /// The node table as this snapshot holds it, for caches built from every node.
    pub fn nodes_version(&self) -> NodesVersion {
        NodesVersion(self.tables.nodes.clone())
    }

    /// Nodes the scheduler may place on: ready, eligible and not draining.
    pub fn ready_nodes(&self) -> impl Iterator<Item = &Arc<Node>> {
        self.tables.nodes.values().filter(|n| n.is_schedulable())
    }

    // The smaller tables.

    pub fn periodic_launch(&self, namespace: &str, job_id: &str) -> Option<Arc<PeriodicLaunch>> {
        self.tables
            .periodic_launches
            .get(&Q2(namespace, job_id))
            .cloned()
    }

    pub fn periodic_launches(&self) -> impl Iterator<Item = &Arc<PeriodicLaunch>> {
        self.tables.periodic_launches.values()
    }

    pub fn scaling_events(&self, namespace: &str, job_id: &str) -> Option<Arc<JobScalingEvents>> {
        self.tables
            .scaling_events
            .get(&Q2(namespace, job_id))
            .cloned()
    }

    pub fn service_registration(
        &self,
        namespace: &str,
        id: &str,
    ) -> Option<Arc<ServiceRegistration>> {
        self.tables.services.get(&Q2(namespace, id)).cloned()
    }

    pub fn service_registrations_by_job(
        &self,
        namespace: &str,
        job_id: &str,
    ) -> Vec<Arc<ServiceRegistration>> {
        self.services_under(&self.tables.services_by_job, namespace, job_id)
    }

    pub fn service_registrations_by_name(
        &self,
        namespace: &str,
        service_name: &str,
    ) -> Vec<Arc<ServiceRegistration>> {
        self.services_under(&self.tables.services_by_name, namespace, service_name)
    }

    fn services_under(
        &self,
        index: &OrdSet<Key3>,
        namespace: &str,
        key: &str,
    ) -> Vec<Arc<ServiceRegistration>> {
        ids_under3(index, namespace, key)
            .filter_map(|id| self.tables.services.get(&Q2(namespace, id)).cloned())
            .collect()
    }

    pub fn namespace(&self, name: &str) -> Option<Arc<Namespace>> {
        self.tables.namespaces.get(name).cloned()
    }

    /// Every namespace, by name.
    pub fn namespaces(&self) -> impl Iterator<Item = &Arc<Namespace>> {
        self.tables.namespaces.values()
    }

    pub fn acl_policy(&self, name: &str) -> Option<Arc<AclPolicy>> {
        self.tables.acl_policies.get(name).cloned()
    }

    pub fn acl_policies(&self) -> impl Iterator<Item = &Arc<AclPolicy>> {
        self.tables.acl_policies.values()
    }

    pub fn acl_token(&self, accessor_id: &str) -> Option<Arc<AclToken>> {
        self.tables.acl_tokens.get(accessor_id).cloned()
    }

    pub fn acl_token_by_secret(&self, secret_id: &str) -> Option<Arc<AclToken>> {
        let accessor = self.tables.acl_tokens_by_secret.get(secret_id)?;
        self.tables.acl_tokens.get(accessor).cloned()
    }

    pub fn acl_tokens(&self) -> impl Iterator<Item = &Arc<AclToken>> {
        self.tables.acl_tokens.values()
    }
}

/// Lists evaluations, allocations or deployments: by ID (token: the ID) when a prefix is
/// given, else by (CreateIndex, ID) (token: `<create index>.<id>`).
fn list_listed<'a, V: Listed>(
    rows: &'a OrdMap<Id, Arc<V>>,
    by_create: &'a OrdSet<CreateKey>,
    namespaces: &NamespaceSelector,
    req: &PageRequest,
    filter: &dyn Fn(&V) -> bool,
) -> Page<&'a Arc<V>> {
    let keep = |row: &&Arc<V>| namespaces.contains(row.namespace()) && filter(row);
    let token = &req.next_token;
    if req.prefix.is_empty() {
        let start = split_create_token(token);
        let keys: Box<dyn Iterator<Item = &CreateKey>> = match (start, req.reverse) {
            (Some((ci, id)), false) => Box::new(by_create.range(QCreate(ci, QId::new(id))..)),
            (Some((ci, id)), true) => Box::new(by_create.range(..=QCreate(ci, QId::new(id))).rev()),
            (None, false) => Box::new(by_create.iter()),
            (None, true) => Box::new(by_create.iter().rev()),
        };
        let items = keys.filter_map(|(_, id)| rows.get(id));
        page(
            items,
            req,
            |row, t| compare_create_token(row.create_index(), row.id(), t),
            |row| format!("{}.{}", row.create_index(), row.id()),
            keep,
        )
    } else {
        let prefix = req.prefix.as_str();
        let from = if !req.reverse && token.as_str() > prefix {
            token.as_str()
        } else {
            prefix
        };
        let items = rows
            .range((Bound::Included(QId::new(from)), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, row)| row);
        let items: Box<dyn Iterator<Item = _>> = if req.reverse {
            Box::new(items.collect::<Vec<_>>().into_iter().rev())
        } else {
            Box::new(items)
        };
        page(
            items,
            req,
            |row, t| row.id().cmp(t),
            |row| row.id().to_string(),
            keep,
        )
    }
}

/// A job's allocations at a snapshot, by ID (see [`Snapshot::job_allocs`]).
#[derive(Debug, Clone, Default)]
pub struct JobAllocs(Option<OrdMap<Id, Arc<Allocation>>>);

impl JobAllocs {
    /// The allocations, with each one's ID as the store keys it: a UUID's bits, or `None` for
    /// any other string. A caller that keys the allocations by ID (the scheduler's view) then
    /// reads no ID's text, a cold line each.
    pub fn with_uuids(&self) -> (Vec<Arc<Allocation>>, Vec<Option<[u64; 2]>>) {
        let entries: Vec<(&Id, &Arc<Allocation>)> = self.0.iter().flatten().collect();
        let mut allocs = Vec::with_capacity(entries.len());
        let mut uuids = Vec::with_capacity(entries.len());
        for block in entries.chunks(READ_AHEAD) {
            // A clone is a locked increment, which waits for its cold line before anything
            // after it may load: reading the block's counts first waits for their misses
            // together.
            std::hint::black_box(
                block
                    .iter()
                    .map(|(_, a)| Arc::strong_count(a))
                    .sum::<usize>(),
            );
            for (id, alloc) in block {
                allocs.push(Arc::clone(alloc));
                uuids.push(id.uuid());
            }
        }
        (allocs, uuids)
    }
}

/// The node table of a snapshot, equal to another only when both are the very same table: no
/// node was written between the two snapshots. Comparing costs a pointer comparison where
/// comparing the nodes would read all of them; holding one keeps only the node table alive.
#[derive(Clone)]
pub struct NodesVersion(OrdMap<Id, Arc<Node>>);

impl PartialEq for NodesVersion {
    fn eq(&self, other: &Self) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

impl fmt::Debug for NodesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodesVersion({} nodes)", self.0.len())
    }
}
