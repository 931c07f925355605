//! Following an evaluation after a write, as Nomad's CLI does: the evaluation and its
//! allocations are polled every second and each change printed (`==> ` for milestones, four
//! spaces for details), then the evaluations it chains to, then its deployment until that
//! finishes. The exit code is 0, 2 when placements failed, and 1 when monitoring failed or the
//! deployment did not succeed.

use std::collections::BTreeMap;
use std::time::Duration;

use drover_core::model::{AllocListStub, Deployment, EvalStatus, Evaluation, gotext};

use super::format::{self, limit};
use super::http::{Client, escape};
use super::{err, out};

/// How long to wait between two looks at the evaluation.
const POLL: Duration = Duration::from_secs(1);

/// What the monitor last saw of an evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
struct EvalState {
    status: String,
    node: String,
    deployment: String,
    job: String,
    index: u64,
    /// By allocation ID.
    allocs: BTreeMap<String, AllocState>,
}

#[derive(Debug, Clone, PartialEq)]
struct AllocState {
    group: String,
    node: String,
    desired: String,
    client: String,
    client_description: String,
    create_index: u64,
}

impl EvalState {
    fn pending() -> EvalState {
        EvalState {
            status: EvalStatus::Pending.as_str().to_string(),
            ..EvalState::default()
        }
    }
}

/// Follows evaluations; `length` is how much of each ID to show.
#[derive(Debug)]
pub struct Monitor<'a> {
    client: &'a Client,
    length: usize,
    state: EvalState,
}

fn info(text: &str) {
    out(&format!("==> {text}"));
}

fn detail(text: &str) {
    out(&format!("    {text}"));
}

impl<'a> Monitor<'a> {
    pub fn new(client: &'a Client, length: usize) -> Monitor<'a> {
        Monitor {
            client,
            length,
            state: EvalState::pending(),
        }
    }

    /// Prints what changed since the last look.
    fn update(&mut self, next: EvalState) {
        let now = format::now();
        let existing = std::mem::replace(&mut self.state, next);
        let next = &self.state;
        let length = self.length;
        if existing.node.is_empty() && !next.node.is_empty() {
            detail(&format!(
                "{now}: Evaluation triggered by node {}",
                gotext::quote(limit(&next.node, length))
            ));
        }
        if existing.job.is_empty() && !next.job.is_empty() {
            detail(&format!(
                "{now}: Evaluation triggered by job {}",
                gotext::quote(&next.job)
            ));
        }
        if existing.deployment.is_empty() && !next.deployment.is_empty() {
            detail(&format!(
                "{now}: Evaluation within deployment: {}",
                gotext::quote(limit(&next.deployment, length))
            ));
        }
        for (alloc_id, alloc) in &next.allocs {
            let id = gotext::quote(limit(alloc_id, length));
            match existing.allocs.get(alloc_id) {
                None if alloc.create_index < next.index => detail(&format!(
                    "{now}: Allocation {id} modified: node {}, group {}",
                    gotext::quote(limit(&alloc.node, length)),
                    gotext::quote(&alloc.group)
                )),
                None if alloc.desired == "run" => detail(&format!(
                    "{now}: Allocation {id} created: node {}, group {}",
                    gotext::quote(limit(&alloc.node, length)),
                    gotext::quote(&alloc.group)
                )),
                Some(before) if before.client != alloc.client => {
                    let description = if alloc.client_description.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", alloc.client_description)
                    };
                    detail(&format!(
                        "{now}: Allocation {id} status changed: {} -> {}{description}",
                        gotext::quote(&before.client),
                        gotext::quote(&alloc.client)
                    ));
                }
                _ => {}
            }
        }
        if !existing.status.is_empty() && next.status != "pending" && existing.status != next.status
        {
            detail(&format!(
                "{now}: Evaluation status changed: {} -> {}",
                gotext::quote(&existing.status),
                gotext::quote(&next.status)
            ));
        }
    }

    /// Follows `eval_id` to its end; returns the exit code.
    pub fn monitor(&mut self, eval_id: &str) -> u8 {
        let length = self.length;
        let mut placement_failed = false;
        info(&format!(
            "{}: Monitoring evaluation {}",
            format::now(),
            gotext::quote(limit(eval_id, length))
        ));
        let eval = loop {
            let path = format!("/v1/evaluation/{}", escape(eval_id));
            let Ok(eval) = self.client.get::<Evaluation>(&path) else {
                err(&format!(
                    "==> No evaluation with id {} found",
                    gotext::quote(eval_id)
                ));
                return 1;
            };
            let allocs = match self
                .client
                .get::<Vec<AllocListStub>>(&format!("{path}/allocations"))
            {
                Ok(allocs) => allocs,
                Err(e) => {
                    err(&format!(
                        "==> {}: Error reading allocations: {e}",
                        format::now()
                    ));
                    return 1;
                }
            };
            self.update(eval_state(&eval, &allocs));
            if eval.status.is_terminal() {
                break eval;
            }
            std::thread::sleep(POLL);
        };

        let now = format::now();
        let id = gotext::quote(limit(&eval.id, length));
        let status = eval.status.as_str();
        match eval.failed_tg_allocs.as_ref().filter(|f| !f.is_empty()) {
            None => info(&format!(
                "{now}: Evaluation {id} finished with status {}",
                gotext::quote(status)
            )),
            Some(failures) => {
                placement_failed = true;
                info(&format!(
                    "{now}: Evaluation {id} finished with status {} but failed to place all allocations:",
                    gotext::quote(status)
                ));
                for (group, metrics) in failures {
                    detail(&format!(
                        "{now}: Task Group {} (failed to place {}):",
                        gotext::quote(group),
                        allocations(metrics.exhaustion().coalesced_failures + 1)
                    ));
                    for line in super::plan::alloc_metrics(metrics, "  ").lines() {
                        detail(line);
                    }
                }
                if !eval.blocked_eval.is_empty() {
                    detail(&format!(
                        "{now}: Evaluation {} waiting for additional capacity to place remainder",
                        gotext::quote(limit(&eval.blocked_eval, length))
                    ));
                }
            }
        }

        if !eval.next_eval.is_empty() {
            if eval.wait != 0 {
                info(&format!(
                    "{}: Monitoring next evaluation {} in {}",
                    format::now(),
                    gotext::quote(limit(&eval.next_eval, length)),
                    gotext::duration(eval.wait)
                ));
                std::thread::sleep(Duration::from_nanos(eval.wait.max(0) as u64));
            }
            self.state = EvalState::pending();
            return self.monitor(&eval.next_eval);
        }

        let deployment = self.state.deployment.clone();
        if !deployment.is_empty() {
            info(&format!(
                "{}: Monitoring deployment {}",
                format::now(),
                gotext::quote(limit(&deployment, length))
            ));
            if self.deployment(&deployment) != Some(true) {
                return 1;
            }
            placement_failed = false;
        }
        if placement_failed { 2 } else { 0 }
    }

    /// Prints the deployment each time it changes until it finishes; whether it succeeded
    /// (`None` when it could not be read).
    fn deployment(&self, deployment_id: &str) -> Option<bool> {
        let mut index = 0;
        loop {
            let path = format!("/v1/deployment/{}?index={index}", escape(deployment_id));
            let response = match self.client.send("GET", &path, None) {
                Ok(response) => response,
                Err(e) => {
                    err(&format!(
                        "==> {}: Error fetching deployment: {e}",
                        format::now()
                    ));
                    return None;
                }
            };
            let Ok(deployment) = serde_json::from_slice::<Deployment>(&response.body) else {
                err(&format!(
                    "==> {}: Error fetching deployment: not a deployment",
                    format::now()
                ));
                return None;
            };
            detail(&format!(
                "\n{}\n{}",
                format::now(),
                format_deployment(&deployment, self.length)
            ));
            match deployment.status.as_str() {
                "successful" => return Some(true),
                "cancelled" | "blocked" => return Some(false),
                "failed" => {
                    if !deployment.task_groups.values().any(|g| g.auto_revert) {
                        return Some(false);
                    }
                    // The rollback starts its own deployment.
                    std::thread::sleep(POLL);
                    let latest = format!("/v1/job/{}/deployment", escape(&deployment.job_id));
                    out("");
                    return match self.client.get::<Option<Deployment>>(&latest) {
                        Ok(Some(rollback)) if rollback.id != deployment.id => {
                            self.deployment(&rollback.id);
                            Some(false)
                        }
                        Ok(_) => Some(false),
                        Err(e) => {
                            err(&format!(
                                "==> {}: Error fetching deployment of previous job version: {e}",
                                format::now()
                            ));
                            None
                        }
                    };
                }
                _ => index = response.index.max(index + 1),
            }
        }
    }
}

fn eval_state(eval: &Evaluation, allocs: &[AllocListStub]) -> EvalState {
    EvalState {
        status: eval.status.as_str().to_string(),
        node: eval.node_id.clone(),
        deployment: eval.deployment_id.clone(),
        job: eval.job_id.clone(),
        index: eval.create_index,
        allocs: allocs
            .iter()
            .map(|a| {
                let state = AllocState {
                    group: a.task_group.to_string(),
                    node: a.node_id.to_string(),
                    desired: a.desired_status.to_string(),
                    client: a.client_status.to_string(),
                    client_description: a.client_description.clone(),
                    create_index: a.create_index,
                };
                (a.id.to_string(), state)
            })
            .collect(),
    }
}

/// "1 allocation", "3 allocations".
pub fn allocations(count: u32) -> String {
    if count == 1 {
        "1 allocation".to_string()
    } else {
        format!("{count} allocations")
    }
}

/// A deployment as `job status` and the monitor show it.
pub fn format_deployment(deployment: &Deployment, length: usize) -> String {
    let high = [
        format!("ID|{}", limit(&deployment.id, length)),
        format!("Job ID|{}", deployment.job_id),
        format!("Job Version|{}", deployment.job_version),
        format!("Status|{}", deployment.status),
        format!("Description|{}", deployment.status_description),
    ];
    let mut text = format::kv(&high);
    if !deployment.task_groups.is_empty() {
        text.push_str("\n\nDeployed\n");
        text.push_str(&deployment_groups(deployment));
    }
    text
}

/// The table of a deployment's task groups; optional columns appear when any group needs them.
pub fn deployment_groups(deployment: &Deployment) -> String {
    let groups = &deployment.task_groups;
    let auto_revert = groups.values().any(|g| g.auto_revert);
    let canaries = groups.values().any(|g| g.desired_canaries > 0);
    let deadline = groups.values().any(|g| g.progress_deadline != 0);
    let mut header = vec!["Task Group"];
    if auto_revert {
        header.push("Auto Revert");
    }
    if canaries {
        header.push("Promoted");
    }
    header.push("Desired");
    if canaries {
        header.push("Canaries");
    }
    header.extend(["Placed", "Healthy", "Unhealthy"]);
    if deadline {
        header.push("Progress Deadline");
    }
    let mut rows = vec![header.join("|")];
    for (name, state) in groups {
        let mut row = vec![name.clone()];
        if auto_revert {
            row.push(state.auto_revert.to_string());
        }
        if canaries {
            row.push(if state.desired_canaries > 0 {
                state.promoted.to_string()
            } else {
                "N/A".to_string()
            });
        }
        row.push(state.desired_total.to_string());
        if canaries {
            row.push(state.desired_canaries.to_string());
        }
        row.extend([
            state.placed_allocs.to_string(),
            state.healthy_allocs.to_string(),
            state.unhealthy_allocs.to_string(),
        ]);
        if deadline {
            row.push(rfc3339_or_na(&state.require_progress_by));
        }
        rows.push(row.join("|"));
    }
    format::list(&rows)
}

/// An RFC 3339 time from the API in the CLI's format; "N/A" for Go's zero time.
fn rfc3339_or_na(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
        .map(format::time)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "N/A".to_string())
}
