//! `Tables`: every table of the store as persistent maps, with the secondary indexes kept in
//! step with their rows. Cloning `Tables` is a few counter bumps; a write copies only the paths
//! it touches, so snapshots taken earlier never see it.

use std::sync::Arc;

use drover_model::{
    AclPolicy, AclToken, Allocation, Deployment, EvalStatus, Evaluation, Job, JobSubmission,
    JobSummary, Namespace, Node, ServiceRegistration,
};
use imbl::{OrdMap, OrdSet};

use crate::job_row::JobRow;
use crate::keys::{CreateKey, Id, JobKey, Key2, Key3, Lowest, Name, NsKey, Q2, Q3, QId, name};
use crate::table::TableIndexes;
use crate::usage::UsageTable;
use crate::{JobScalingEvents, PeriodicLaunch};

/// Nomad's `DefaultNamespaceDescription`.
pub(crate) const DEFAULT_NAMESPACE_DESCRIPTION: &str = "Default shared namespace";

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tables {
    /// The index of the last command applied, whether or not it wrote a table.
    pub applied_index: u64,
    pub indexes: TableIndexes,
    /// Jobs with their versions, summaries and submissions.
    pub jobs: OrdMap<NsKey, Arc<JobRow>>,
    pub evals: OrdMap<Id, Arc<Evaluation>>,
    /// (namespace, job id, eval id)
    pub evals_by_job: OrdSet<JobKey>,
    /// The blocked evaluations among them: each successful evaluation cancels its job's, and
    /// a job that lost nodes has an evaluation for each, so finding the few blocked ones
    /// must not read them all.
    pub blocked_evals_by_job: OrdSet<JobKey>,
    pub evals_by_create: OrdSet<CreateKey>,
    pub allocs: OrdMap<Id, Arc<Allocation>>,
    /// (namespace, job id) -> alloc id -> the row itself: every evaluation reads all of its
    /// job's allocations, and this spares it a lookup in `allocs` for each. A map per job, so
    /// its entries hold no copy of the job's key: an evaluation's scan of them reads a third
    /// of the memory, and a write walks a tree of the job's allocations, not the cluster's.
    /// A job without allocations has no entry.
    pub allocs_by_job: OrdMap<NsKey, OrdMap<Id, Arc<Allocation>>>,
    /// node id -> alloc id -> the row itself, a map per node (as `allocs_by_job`, for the
    /// same reasons: a placement walks its node's ~100 entries, not a million). It holds the
    /// rows because a node that goes down reads all of its allocations (to find their jobs),
    /// and a lookup of each in `allocs` was a cold walk of a million-entry tree; a write that
    /// keeps an allocation's node puts the new row in its entry. A node without allocations
    /// has no entry.
    pub allocs_by_node: OrdMap<Id, OrdMap<Id, Arc<Allocation>>>,
    /// (eval id, alloc id)
    pub allocs_by_eval: OrdSet<Key2>,
    /// (deployment id, alloc id)
    pub allocs_by_deployment: OrdSet<Key2>,
    pub allocs_by_create: OrdSet<CreateKey>,
    /// What the non-terminal allocations on each node hold (derived from `allocs`).
    pub usage: UsageTable,
    pub deployments: OrdMap<Id, Arc<Deployment>>,
    /// (namespace, job id, deployment id)
    pub deployments_by_job: OrdSet<JobKey>,
    pub deployments_by_create: OrdSet<CreateKey>,
    pub nodes: OrdMap<Id, Arc<Node>>,
    pub periodic_launches: OrdMap<NsKey, Arc<PeriodicLaunch>>,
    pub scaling_events: OrdMap<NsKey, Arc<JobScalingEvents>>,
    /// (namespace, registration id)
    pub services: OrdMap<NsKey, Arc<ServiceRegistration>>,
    /// (namespace, job id, registration id)
    pub services_by_job: OrdSet<Key3>,
    /// (namespace, service name, registration id)
    pub services_by_name: OrdSet<Key3>,
    /// (alloc id, namespace, registration id)
    pub services_by_alloc: OrdSet<Key3>,
    pub namespaces: OrdMap<Name, Arc<Namespace>>,
    pub acl_policies: OrdMap<Name, Arc<AclPolicy>>,
    pub acl_tokens: OrdMap<Name, Arc<AclToken>>,
    /// secret id -> accessor id
    pub acl_tokens_by_secret: OrdMap<Name, Name>,
}

impl Default for Tables {
    /// Empty tables but for the `default` namespace, which always exists.
    fn default() -> Self {
        let mut tables = Tables {
            applied_index: 0,
            indexes: TableIndexes::default(),
            jobs: OrdMap::new(),
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
            usage: UsageTable::default(),
            deployments: OrdMap::new(),
            deployments_by_job: OrdSet::new(),
            deployments_by_create: OrdSet::new(),
            nodes: OrdMap::new(),
            periodic_launches: OrdMap::new(),
            scaling_events: OrdMap::new(),
            services: OrdMap::new(),
            services_by_job: OrdSet::new(),
            services_by_name: OrdSet::new(),
            services_by_alloc: OrdSet::new(),
            namespaces: OrdMap::new(),
            acl_policies: OrdMap::new(),
            acl_tokens: OrdMap::new(),
            acl_tokens_by_secret: OrdMap::new(),
        };
        tables.ensure_default_namespace();
        tables
    }
}

/// The IDs under `a` in a two-component index.
pub(crate) fn ids_under2<'a>(set: &'a OrdSet<Key2>, a: &'a str) -> impl Iterator<Item = &'a Id> {
    let a = QId::new(a);
    set.range(Q2(a, Lowest)..)
        .take_while(move |k| a.is(&k.0))
        .map(|k| &k.1)
}

/// The IDs under `(a, b)` in a three-component index.
pub(crate) fn ids_under3<'a, C: Ord + Clone>(
    set: &'a OrdSet<(Name, Name, C)>,
    a: &'a str,
    b: &'a str,
) -> impl Iterator<Item = &'a C> {
    set.range(Q3(a, b, Lowest)..)
        .take_while(move |k| k.0 == *a && k.1 == *b)
        .map(|k| &k.2)
}

fn rows<'a, V>(
    table: &'a OrdMap<Id, Arc<V>>,
    ids: impl Iterator<Item = &'a Id> + 'a,
) -> impl Iterator<Item = &'a Arc<V>> + 'a {
    ids.filter_map(move |id| table.get(id))
}

/// Replaces a secondary index entry when its key changes.
fn reindex<K: Ord + Clone>(set: &mut OrdSet<K>, old: Option<K>, new: Option<K>) {
    if old == new {
        return;
    }
    if let Some(old) = old {
        set.remove(&old);
    }
    if let Some(new) = new {
        set.insert(new);
    }
}

/// Keys of optional (non-empty) foreign references.
fn opt2(a: &Name, row: &Id) -> Option<Key2> {
    (!a.is_empty()).then(|| (Id::of(a), row.clone()))
}

impl Tables {
    pub fn ensure_default_namespace(&mut self) {
        let default = drover_model::job::DEFAULT_NAMESPACE;
        if !self.namespaces.contains_key(default) {
            let namespace = Namespace {
                name: default.to_string(),
                description: DEFAULT_NAMESPACE_DESCRIPTION.to_string(),
                create_index: 1,
                modify_index: 1,
                ..Namespace::default()
            };
            self.namespaces.insert(name(default), Arc::new(namespace));
        }
    }

    // Jobs, versions, summaries, submissions.

    pub fn job_row(&self, namespace: &str, job_id: &str) -> Option<&JobRow> {
        self.jobs.get(&Q2(namespace, job_id)).map(|row| &**row)
    }

    /// The row of a job to change in place (a restore; a transaction edits rows through its
    /// journal): the path to it and the row itself are copied only where a snapshot still
    /// shares them.
    pub fn job_row_mut(&mut self, namespace: &str, job_id: &str) -> Option<&mut JobRow> {
        self.jobs.get_mut(&Q2(namespace, job_id)).map(Arc::make_mut)
    }

    pub fn job(&self, namespace: &str, job_id: &str) -> Option<&Arc<Job>> {
        self.job_row(namespace, job_id).map(|row| &row.job)
    }

    /// The key form of a namespace name; a name too long to be inline shares the namespaces
    /// table's string.
    pub fn namespace_id(&self, namespace: &str) -> Name {
        self.namespaces
            .get_key_value(namespace)
            .map_or_else(|| name(namespace), |(key, _)| key.clone())
    }

    /// The key of a job, sharing its row's strings when the job exists.
    pub fn job_key(&self, namespace: &str, job_id: &str) -> NsKey {
        match self.jobs.get_key_value(&Q2(namespace, job_id)) {
            Some((key, _)) => key.clone(),
            None => (self.namespace_id(namespace), name(job_id)),
        }
    }

    /// Inserts the row of a new job.
    pub fn insert_job_row(&mut self, row: JobRow) {
        let key = (self.namespace_id(&row.job.namespace), name(&row.job.id));
        self.jobs.insert(key, Arc::new(row));
    }

    /// Replaces the current job of its row (a new row if the job is new).
    pub fn put_job(&mut self, job: Arc<Job>) {
        match self.job_row_mut(&job.namespace, &job.id) {
            Some(row) => row.job = job,
            None => self.insert_job_row(JobRow::new(job)),
        }
    }

    /// Versions of a job, lowest version first.
    pub fn job_versions<'a>(
        &'a self,
        namespace: &str,
        job_id: &str,
    ) -> impl DoubleEndedIterator<Item = &'a Arc<Job>> + 'a {
        self.job_row(namespace, job_id)
            .into_iter()
            .flat_map(JobRow::versions)
    }

    pub fn job_version(&self, namespace: &str, job_id: &str, version: u64) -> Option<&Arc<Job>> {
        self.job_row(namespace, job_id)?.version(version)
    }

    pub fn summary(&self, namespace: &str, job_id: &str) -> Option<&Arc<JobSummary>> {
        self.job_row(namespace, job_id)?.summary.as_ref()
    }

    pub fn submission(
        &self,
        namespace: &str,
        job_id: &str,
        version: u64,
    ) -> Option<&Arc<JobSubmission>> {
        self.job_row(namespace, job_id)?.submission(version)
    }

    // Evaluations.

    /// Stores `eval`; returns the version it replaces.
    pub fn put_eval(&mut self, eval: Arc<Evaluation>) -> Option<Arc<Evaluation>> {
        let eval_id = Id::of(&eval.id);
        let old = self.evals.insert(eval_id.clone(), Arc::clone(&eval));
        let by_job_changed = old
            .as_ref()
            .is_none_or(|o| o.namespace != eval.namespace || o.job_id != eval.job_id);
        let was_blocked = old
            .as_ref()
            .is_some_and(|o| o.status == EvalStatus::Blocked);
        let is_blocked = eval.status == EvalStatus::Blocked;
        if by_job_changed || was_blocked != is_blocked {
            let (ns, job) = self.job_key(&eval.namespace, &eval.job_id);
            let new_key = (ns, job, eval_id.clone());
            let old_key = old
                .as_deref()
                .map(|o| (name(&o.namespace), name(&o.job_id), eval_id.clone()));
            if by_job_changed {
                reindex(
                    &mut self.evals_by_job,
                    old_key.clone(),
                    Some(new_key.clone()),
                );
            }
            reindex(
                &mut self.blocked_evals_by_job,
                old_key.filter(|_| was_blocked),
                Some(new_key).filter(|_| is_blocked),
            );
        }
        if old
            .as_ref()
            .is_none_or(|o| o.create_index != eval.create_index)
        {
            reindex(
                &mut self.evals_by_create,
                old.as_ref().map(|o| (o.create_index, eval_id.clone())),
                Some((eval.create_index, eval_id)),
            );
        }
        old
    }

    pub fn remove_eval(&mut self, eval_id: &str) -> Option<Arc<Evaluation>> {
        let (key, eval) = self.evals.remove_with_key(&QId::new(eval_id))?;
        self.evals_by_job
            .remove(&Q3(&eval.namespace, &eval.job_id, &key));
        self.blocked_evals_by_job
            .remove(&Q3(&eval.namespace, &eval.job_id, &key));
        self.evals_by_create.remove(&(eval.create_index, key));
        Some(eval)
    }

    pub fn evals_of_job<'a>(
        &'a self,
        namespace: &'a str,
        job_id: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Evaluation>> + 'a {
        rows(
            &self.evals,
            ids_under3(&self.evals_by_job, namespace, job_id),
        )
    }

    /// The job's blocked evaluations.
    pub fn blocked_evals_of_job<'a>(
        &'a self,
        namespace: &'a str,
        job_id: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Evaluation>> + 'a {
        rows(
            &self.evals,
            ids_under3(&self.blocked_evals_by_job, namespace, job_id),
        )
    }

    // Allocations.

    /// Stores `alloc`; returns the version it replaces.
    pub fn put_alloc(&mut self, alloc: Arc<Allocation>) -> Option<Arc<Allocation>> {
        let alloc_id = Id::of(&alloc.id);
        // One walk of the largest table: the insert hands back the row it replaces.
        let replaced = self.allocs.insert(alloc_id.clone(), Arc::clone(&alloc));
        let old = replaced.as_deref();
        let a = &*alloc;
        // Most writes change an allocation of the same job (its status, its next allocation):
        // the job index keeps its entry and takes the new row.
        let same_job = old.filter(|o| o.namespace == a.namespace && o.job_id == a.job_id);
        let by_job = same_job.and_then(|_| {
            self.allocs_by_job
                .get_mut(&Q2(&a.namespace, &a.job_id))?
                .get_mut(&alloc_id)
        });
        if let Some(row) = by_job {
            *row = Arc::clone(&alloc);
        } else {
            if let Some(o) = old {
                self.remove_from_job(&o.namespace, &o.job_id, &alloc_id);
            }
            let of_job = match self.allocs_by_job.get_mut(&Q2(&a.namespace, &a.job_id)) {
                Some(of_job) => of_job,
                None => {
                    let key = self.job_key(&a.namespace, &a.job_id);
                    self.allocs_by_job.entry(key).or_default()
                }
            };
            of_job.insert(alloc_id.clone(), Arc::clone(&alloc));
        }
        let same_node = old.is_some_and(|o| o.node_id == a.node_id);
        let by_node = same_node.then(|| {
            self.allocs_by_node
                .get_mut(&QId::new(&a.node_id))?
                .get_mut(&alloc_id)
        });
        if let Some(row) = by_node.flatten() {
            *row = Arc::clone(&alloc);
        } else {
            if let Some(o) = old {
                self.remove_from_node(&o.node_id, &alloc_id);
            }
            if !a.node_id.is_empty() {
                let of_node = match self.allocs_by_node.get_mut(&QId::new(&a.node_id)) {
                    Some(of_node) => of_node,
                    None => self.allocs_by_node.entry(Id::of(&a.node_id)).or_default(),
                };
                of_node.insert(alloc_id.clone(), Arc::clone(&alloc));
            }
        }
        if old.is_none_or(|o| o.eval_id != a.eval_id) {
            reindex(
                &mut self.allocs_by_eval,
                old.and_then(|o| opt2(&o.eval_id, &alloc_id)),
                opt2(&a.eval_id, &alloc_id),
            );
        }
        if old.is_none_or(|o| o.deployment_id != a.deployment_id) {
            reindex(
                &mut self.allocs_by_deployment,
                old.and_then(|o| opt2(&o.deployment_id, &alloc_id)),
                opt2(&a.deployment_id, &alloc_id),
            );
        }
        if old.is_none_or(|o| o.create_index != a.create_index) {
            reindex(
                &mut self.allocs_by_create,
                old.map(|o| (o.create_index, alloc_id.clone())),
                Some((a.create_index, alloc_id)),
            );
        }
        self.usage.replace(old, Some(a));
        replaced
    }

    pub fn remove_alloc(&mut self, alloc_id: &str) -> Option<Arc<Allocation>> {
        let (key, a) = self.allocs.remove_with_key(&QId::new(alloc_id))?;
        self.remove_from_job(&a.namespace, &a.job_id, &key);
        self.remove_from_node(&a.node_id, &key);
        self.allocs_by_eval.remove(&Q2(QId::new(&a.eval_id), &key));
        self.allocs_by_deployment
            .remove(&Q2(QId::new(&a.deployment_id), &key));
        self.allocs_by_create.remove(&(a.create_index, key));
        self.usage.replace(Some(&a), None);
        Some(a)
    }

    /// Takes an allocation out of its job's index, and the job's entry with its last one.
    fn remove_from_job(&mut self, namespace: &str, job_id: &str, alloc_id: &Id) {
        let key = Q2(namespace, job_id);
        if let Some(of_job) = self.allocs_by_job.get_mut(&key) {
            of_job.remove(alloc_id);
            if of_job.is_empty() {
                self.allocs_by_job.remove(&key);
            }
        }
    }

    /// Takes an allocation out of its node's index, and the node's entry with its last one.
    fn remove_from_node(&mut self, node_id: &str, alloc_id: &Id) {
        let key = QId::new(node_id);
        if let Some(of_node) = self.allocs_by_node.get_mut(&key) {
            of_node.remove(alloc_id);
            if of_node.is_empty() {
                self.allocs_by_node.remove(&key);
            }
        }
    }

    pub fn allocs_of_job<'a>(
        &'a self,
        namespace: &'a str,
        job_id: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Allocation>> + 'a {
        self.allocs_by_job
            .get(&Q2(namespace, job_id))
            .into_iter()
            .flat_map(OrdMap::values)
    }

    pub fn allocs_of_node<'a>(
        &'a self,
        node_id: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Allocation>> + 'a {
        self.allocs_by_node
            .get(&QId::new(node_id))
            .into_iter()
            .flat_map(OrdMap::values)
    }

    pub fn allocs_of_eval<'a>(
        &'a self,
        eval_id: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Allocation>> + 'a {
        rows(&self.allocs, ids_under2(&self.allocs_by_eval, eval_id))
    }

    pub fn allocs_of_deployment<'a>(
        &'a self,
        deployment_id: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Allocation>> + 'a {
        rows(
            &self.allocs,
            ids_under2(&self.allocs_by_deployment, deployment_id),
        )
    }

    // Deployments.

    /// Stores `deployment`; returns the version it replaces.
    pub fn put_deployment(&mut self, deployment: Arc<Deployment>) -> Option<Arc<Deployment>> {
        let d_id = Id::of(&deployment.id);
        let old = self.deployments.get(&QId::new(&deployment.id)).cloned();
        let old_key = old
            .as_deref()
            .map(|d| (name(&d.namespace), name(&d.job_id), d_id.clone()));
        let (ns, job) = self.job_key(&deployment.namespace, &deployment.job_id);
        reindex(
            &mut self.deployments_by_job,
            old_key,
            Some((ns, job, d_id.clone())),
        );
        reindex(
            &mut self.deployments_by_create,
            old.map(|o| (o.create_index, d_id.clone())),
            Some((deployment.create_index, d_id.clone())),
        );
        self.deployments.insert(d_id, deployment)
    }

    pub fn remove_deployment(&mut self, deployment_id: &str) -> Option<Arc<Deployment>> {
        let (key, d) = self.deployments.remove_with_key(&QId::new(deployment_id))?;
        self.deployments_by_job
            .remove(&Q3(&d.namespace, &d.job_id, &key));
        self.deployments_by_create.remove(&(d.create_index, key));
        Some(d)
    }

    pub fn deployments_of_job<'a>(
        &'a self,
        namespace: &'a str,
        job_id: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Deployment>> + 'a {
        rows(
            &self.deployments,
            ids_under3(&self.deployments_by_job, namespace, job_id),
        )
    }

    // Service registrations.

    /// Stores `service`; returns the registration it replaces.
    pub fn put_service(
        &mut self,
        service: Arc<ServiceRegistration>,
    ) -> Option<Arc<ServiceRegistration>> {
        let old = self.remove_service(&service.namespace, &service.id);
        let s = &*service;
        let (ns, sid) = (name(&s.namespace), name(&s.id));
        self.services_by_job
            .insert((ns.clone(), name(&s.job_id), sid.clone()));
        self.services_by_name
            .insert((ns.clone(), name(&s.service_name), sid.clone()));
        self.services_by_alloc
            .insert((name(&s.alloc_id), ns.clone(), sid.clone()));
        self.services.insert((ns, sid), service);
        old
    }

    pub fn remove_service(
        &mut self,
        namespace: &str,
        service_id: &str,
    ) -> Option<Arc<ServiceRegistration>> {
        let ((ns, sid), s) = self.services.remove_with_key(&Q2(namespace, service_id))?;
        self.services_by_job.remove(&Q3(&ns, &s.job_id, &sid));
        self.services_by_name
            .remove(&Q3(&ns, &s.service_name, &sid));
        self.services_by_alloc.remove(&Q3(&s.alloc_id, &ns, &sid));
        Some(s)
    }

    pub fn services_of_alloc(&self, alloc_id: &str) -> Vec<(Name, Name)> {
        self.services_by_alloc
            .range(Q3(alloc_id, "", "")..)
            .take_while(|k| k.0 == *alloc_id)
            .map(|k| (k.1.clone(), k.2.clone()))
            .collect()
    }

    // ACL tokens.

    /// Stores `token`; returns the token it replaces.
    pub fn put_token(&mut self, token: Arc<AclToken>) -> Option<Arc<AclToken>> {
        let old = self.remove_token(&token.accessor_id);
        let accessor = name(&token.accessor_id);
        self.acl_tokens_by_secret
            .insert(name(&token.secret_id), accessor.clone());
        self.acl_tokens.insert(accessor, token);
        old
    }

    pub fn remove_token(&mut self, accessor_id: &str) -> Option<Arc<AclToken>> {
        let token = self.acl_tokens.remove(accessor_id)?;
        self.acl_tokens_by_secret.remove(&*token.secret_id);
        Some(token)
    }
}
