//! What clients tell the servers, as engine calls for frontends and simulations: node
//! registration, status, eligibility and drain, and allocation updates (Nomad's `Node.*`
//! endpoints). The store updates summaries and job statuses; the commit path releases blocked
//! evaluations when capacity appears; these calls add the evaluations Nomad creates for the
//! jobs a node change concerns.

use std::collections::BTreeSet;
use std::sync::Arc;

use drover_model::allocation::{ClientStatus, DesiredStatus};
use drover_model::job::{ALL_NODE_POOLS, DEFAULT_NODE_POOL, job_type};
use drover_model::node::{node_eligibility, node_status};
use drover_model::{DrainStrategy, EvalStatus, Evaluation, Job, Node, SECOND, trigger};
use drover_plan::feasible::computed_class;
use drover_state::{
    ClientAllocUpdate, ClientAllocUpdates, Command, NamespaceSelector, NodeDrainUpdate,
    NodeEligibilityUpdate, NodeStatusUpdate, PageRequest, ServiceRegistrations, Snapshot, Table,
    UpsertEvals, UpsertNode, page,
};

use crate::api::Read;
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};
use crate::list_filter::ListFilter;

impl Engine {
    /// `GET /v1/nodes`: the nodes whose ID starts with the prefix, filtered (over whole
    /// nodes), one page at a time in ID order; the token is the ID of the next page's first
    /// node. Nomad's node iterator has no reverse order, so `reverse` is not read. Index: the
    /// nodes table's.
    pub fn list_nodes(
        &self,
        request: &PageRequest,
        filter: &str,
    ) -> ApiResult<Read<Vec<Arc<Node>>>> {
        let filter = ListFilter::parse(filter)?;
        let snapshot = self.snapshot();
        let request = PageRequest {
            reverse: false,
            ..request.clone()
        };
        let nodes = page(
            snapshot.nodes(&request.prefix).cloned(),
            &request,
            |node, token| node.id.as_str().cmp(token),
            |node| node.id.to_string(),
            |node| filter.keep(&**node),
        );
        filter.finish()?;
        Ok(Read {
            value: nodes.items,
            index: snapshot.table_index(Table::Nodes),
            next_token: nodes.next_token,
        })
    }

    /// Registers a node, or updates one that re-registers (it keeps the eligibility and drain
    /// an operator set). Unset fields get Nomad's defaults (status `initializing`, pool
    /// `default`, eligible) and the computed class is derived. Returns the commit index.
    pub fn upsert_node(&self, mut node: Node) -> ApiResult<u64> {
        if node.id.is_empty() {
            return Err(ApiError::internal(
                "missing node ID for client registration",
            ));
        }
        let now = self.now();
        fill(&mut node.status, node_status::INITIALIZING);
        fill(&mut node.node_pool, DEFAULT_NODE_POOL);
        fill(&mut node.scheduling_eligibility, node_eligibility::ELIGIBLE);
        node.computed_class = computed_class(&node);
        node.status_updated_at = now / SECOND;
        let original = self.snapshot().node(&node.id);
        let wants_evals = match &original {
            None => status_change_needs_evals(node_status::INITIALIZING, &node.status),
            Some(old) => {
                status_change_needs_evals(&old.status, &node.status)
                    || old.computed_class != node.computed_class
                    || old.node_pool != node.node_pool
            }
        };
        let node_id = node.id.clone();
        let index = self.commit(&Command::UpsertNode(UpsertNode { node }))?;
        if wants_evals {
            self.create_node_evals(&node_id, index)?;
        }
        Ok(index)
    }

    /// A node's status changes (`ready`, `down`, `disconnected`, ...); jobs on it are
    /// evaluated when the change matters to placement.
    pub fn update_node_status(&self, node_id: &str, status: &str) -> ApiResult<u64> {
        let old = self.existing_node(node_id)?;
        let index = self.commit(&Command::UpdateNodeStatus(NodeStatusUpdate {
            node_id: node_id.to_string(),
            status: status.to_string(),
            updated_at: self.now() / SECOND,
        }))?;
        if status == node_status::DOWN || status_change_needs_evals(&old.status, status) {
            self.create_node_evals(node_id, index)?;
        }
        Ok(index)
    }

    /// Marks a node eligible or ineligible for new placements.
    pub fn update_node_eligibility(&self, node_id: &str, eligibility: &str) -> ApiResult<u64> {
        if eligibility != node_eligibility::ELIGIBLE && eligibility != node_eligibility::INELIGIBLE
        {
            return Err(ApiError::internal(format!(
                "invalid scheduling eligibility {}",
                drover_model::gotext::quote(eligibility)
            )));
        }
        let old = self.existing_node(node_id)?;
        let index = self.commit(&Command::UpdateNodeEligibility(NodeEligibilityUpdate {
            node_id: node_id.to_string(),
            eligibility: eligibility.to_string(),
            updated_at: self.now() / SECOND,
        }))?;
        if old.scheduling_eligibility == node_eligibility::INELIGIBLE
            && eligibility == node_eligibility::ELIGIBLE
        {
            self.create_node_evals(node_id, index)?;
        }
        Ok(index)
    }

    /// Starts a drain (`Some`: the node becomes ineligible) or ends one (`None`), making the
    /// node eligible again when `mark_eligible`. Moving allocations off a draining node is the
    /// drainer's work, which the engine does not do yet.
    pub fn update_node_drain(
        &self,
        node_id: &str,
        drain: Option<DrainStrategy>,
        mark_eligible: bool,
    ) -> ApiResult<u64> {
        let old = self.existing_node(node_id)?;
        let index = self.commit(&Command::UpdateNodeDrain(NodeDrainUpdate {
            node_id: node_id.to_string(),
            drain_strategy: drain,
            mark_eligible,
            updated_at: self.now() / SECOND,
        }))?;
        let eligible_now = self
            .snapshot()
            .node(node_id)
            .is_some_and(|n| n.scheduling_eligibility == node_eligibility::ELIGIBLE);
        if old.scheduling_eligibility == node_eligibility::INELIGIBLE && eligible_now {
            self.create_node_evals(node_id, index)?;
        }
        Ok(index)
    }

    /// What clients report about their allocations (status, task states, deployment health).
    /// A failed allocation whose group may be rescheduled gets an `alloc-failure`
    /// evaluation, written with the update. An allocation that starts running registers its
    /// Nomad services (see [`crate::services`]). Updates for unknown allocations are skipped.
    pub fn update_allocs_from_client(&self, mut updates: Vec<ClientAllocUpdate>) -> ApiResult<u64> {
        let now = self.now();
        let snapshot = self.snapshot();
        let mut evals = Vec::new();
        let mut evaluated = BTreeSet::new();
        let mut services = Vec::new();
        for update in &mut updates {
            update.modify_time = now;
            let Some(alloc) = snapshot.alloc(&update.alloc_id) else {
                continue;
            };
            let starts = update.client_status == ClientStatus::Running
                && alloc.client_status != ClientStatus::Running
                && alloc.desired_status == DesiredStatus::Run;
            if let Some(node) = snapshot.node(&alloc.node_id).filter(|_| starts) {
                services.extend(crate::services::registrations(&alloc, &node));
            }
            if update.client_status != ClientStatus::Failed {
                continue;
            }
            let Some(job) = snapshot.job(&alloc.namespace, &alloc.job_id) else {
                continue;
            };
            let reschedules = job
                .lookup_task_group(&alloc.task_group)
                .and_then(|g| g.reschedule_policy.as_ref())
                .is_some_and(|p| p.attempts.unwrap_or(0) > 0 || p.unlimited.unwrap_or(false));
            if reschedules
                && alloc.details().followup_eval_id.is_empty()
                && evaluated.insert((job.namespace.clone(), job.id.clone()))
            {
                evals.push(self.job_eval(&job, trigger::ALLOC_FAILURE, now));
            }
        }
        let update = Command::UpdateAllocsFromClient(ClientAllocUpdates {
            allocs: updates,
            evals,
        });
        let command = if services.is_empty() {
            update
        } else {
            let services = Command::UpsertServiceRegistrations(ServiceRegistrations { services });
            Command::Batch(vec![update, services])
        };
        Ok(self.commit(&command)?)
    }

    fn existing_node(&self, node_id: &str) -> ApiResult<Arc<Node>> {
        self.snapshot()
            .node(node_id)
            .ok_or_else(|| ApiError::not_found("node not found"))
    }

    /// Nomad's `createNodeEvals`: one `node-update` evaluation for every job with allocations
    /// on the node, and for every system and sysbatch job of the node's pool.
    fn create_node_evals(&self, node_id: &str, node_index: u64) -> ApiResult<()> {
        let snapshot = self.snapshot();
        let Some(node) = snapshot.node(node_id) else {
            return Ok(());
        };
        let now = self.now();
        let mut seen = BTreeSet::new();
        let mut evals = Vec::new();
        let mut add = |job: &Job, evals: &mut Vec<Evaluation>| {
            if seen.insert((job.namespace.clone(), job.id.clone())) {
                let mut eval = self.job_eval(job, trigger::NODE_UPDATE, now);
                eval.node_id = node.id.to_string();
                eval.node_modify_index = node_index;
                evals.push(eval);
            }
        };
        for alloc in snapshot.allocs_by_node(&node.id) {
            if let Some(job) = &alloc.job {
                add(job, &mut evals);
            }
        }
        for job in system_jobs(&snapshot) {
            if job.node_pool == ALL_NODE_POOLS || job.node_pool == node.node_pool {
                add(&job, &mut evals);
            }
        }
        // Let go of the snapshot first: the store writes in place only when no snapshot
        // shares its tables.
        drop(snapshot);
        if !evals.is_empty() {
            self.commit(&Command::UpsertEvals(UpsertEvals { evals }))?;
        }
        Ok(())
    }

    /// A pending evaluation of `job` with the job's priority and scheduler.
    pub(crate) fn job_eval(&self, job: &Job, triggered_by: &str, now: i64) -> Evaluation {
        Evaluation {
            id: self.new_id().into(),
            namespace: job.namespace.to_string(),
            priority: crate::jobs::eval_priority_of(job),
            eval_type: job.job_type.to_string(),
            triggered_by: triggered_by.to_string(),
            job_id: job.id.to_string(),
            status: EvalStatus::Pending,
            create_time: now,
            modify_time: now,
            ..Evaluation::default()
        }
    }
}

/// Nomad's `nodeStatusTransitionRequiresEval`: a node coming up, coming back, or losing or
/// regaining its connection.
fn status_change_needs_evals(old: &str, new: &str) -> bool {
    let comes_up = matches!(old, node_status::INITIALIZING | node_status::DOWN);
    (comes_up && new == node_status::READY)
        || (old == node_status::DISCONNECTED) != (new == node_status::DISCONNECTED)
}

fn system_jobs(snapshot: &Snapshot) -> Vec<Arc<Job>> {
    snapshot
        .jobs(&NamespaceSelector::All, "")
        .filter(|job| job.job_type == job_type::SYSTEM || job.job_type == job_type::SYSBATCH)
        .cloned()
        .collect()
}

fn fill(field: &mut String, default: &str) {
    if field.is_empty() {
        *field = default.to_string();
    }
}
