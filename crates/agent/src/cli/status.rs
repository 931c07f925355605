//! `drover job status [ID]`: the job list, or one job with its summary, placement failures,
//! latest deployment and allocations, laid out as Nomad lays them out.

use drover_core::model::{
    AllocListStub, Deployment, EvalStatus, Evaluation, Job, JobListStub, JobSummary, gotext,
};

use super::format::{self, limit};
use super::http::{Client, escape};
use super::{err, out};

/// How many task groups' placement failures are shown.
const MAX_FAILED_GROUPS: usize = 5;

/// `job status` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// Only the job's basic information.
    #[arg(long)]
    pub short: bool,
    /// Also list the job's evaluations.
    #[arg(long)]
    pub evals: bool,
    /// List all allocations, not only those of the current version.
    #[arg(long = "all-allocs")]
    pub all_allocs: bool,
    /// Full IDs, evaluations and allocation times.
    #[arg(long)]
    pub verbose: bool,
    /// The job (an ID or a unique prefix); without one, all jobs are listed.
    pub job: Option<String>,
}

pub fn run(client: &Client, args: &StatusArgs) -> u8 {
    match &args.job {
        None => list(client),
        Some(prefix) => match detail(client, args, prefix) {
            Ok(()) => 0,
            Err(message) => {
                err(&message);
                1
            }
        },
    }
}

fn list(client: &Client) -> u8 {
    match client.get::<Vec<JobListStub>>("/v1/jobs") {
        Ok(jobs) if jobs.is_empty() => out("No running jobs"),
        Ok(jobs) => out(&job_list(&jobs, client.namespace() == "*")),
        Err(e) => {
            err(&format!("Error querying jobs: {e}"));
            return 1;
        }
    }
    0
}

/// The job list table (with a namespace column when listing all namespaces).
pub fn job_list(jobs: &[JobListStub], namespaces: bool) -> String {
    let mut rows = vec![if namespaces {
        "ID|Namespace|Type|Priority|Status|Submit Date".to_string()
    } else {
        "ID|Type|Priority|Status|Submit Date".to_string()
    }];
    for job in jobs {
        let mut job_type = job.job_type.to_string();
        if job.periodic {
            job_type.push_str("/periodic");
        }
        if job.parameterized_job {
            job_type.push_str("/parameterized");
        }
        let namespace = if namespaces {
            format!("{}|", job.namespace)
        } else {
            String::new()
        };
        rows.push(format!(
            "{}|{namespace}{job_type}|{}|{}|{}",
            job.id,
            job.priority,
            status_text(&job.status, job.stop),
            format::time(job.submit_time)
        ));
    }
    format::list(&rows)
}

fn status_text(status: &str, stop: bool) -> String {
    if stop {
        format!("{status} (stopped)")
    } else {
        status.to_string()
    }
}

fn detail(client: &Client, args: &StatusArgs, prefix: &str) -> Result<(), String> {
    let (job_id, client) = super::job_by_prefix(client, prefix)?;
    let job_path = format!("/v1/job/{}", escape(&job_id));
    let job: Job = client
        .get(&job_path)
        .map_err(|e| format!("Error querying job: {e}"))?;
    let periodic = job.is_periodic();
    let parameterized = job.is_parameterized();
    let mut basic = vec![
        format!("ID|{}", job.id),
        format!("Name|{}", job.name),
        format!("Submit Date|{}", format::time(job.submit_time)),
        format!("Type|{}", job.job_type),
        format!("Priority|{}", job.priority),
        format!("Datacenters|{}", job.datacenters.join(",")),
        format!("Namespace|{}", job.namespace),
        format!("Node Pool|{}", job.node_pool),
        format!("Status|{}", status_text(&job.status, job.stop)),
        format!("Periodic|{periodic}"),
        format!("Parameterized|{parameterized}"),
    ];
    if !job.dispatch_idempotency_token.is_empty() {
        basic.push(format!(
            "Idempotency Token|{}",
            job.dispatch_idempotency_token
        ));
    }
    if periodic && !parameterized {
        let now = format::now_nanos();
        let next = job
            .periodic
            .as_ref()
            .and_then(|p| drover_core::periodic::next_launch(p, now).ok().flatten());
        if job.stop {
            basic.push("Next Periodic Launch|none (job stopped)".to_string());
        } else if let Some(next) = next {
            basic.push(format!(
                "Next Periodic Launch|{} ({} from now)",
                format::time(next),
                format::difference(now, next)
            ));
        }
    }
    out(&format::kv(&basic));
    if args.short {
        return Ok(());
    }

    let summary: Option<JobSummary> = client
        .get(&format!("{job_path}/summary"))
        .map_err(|e| format!("Error querying job summary: {e}"))?;
    if parameterized {
        let config = job.parameterized_job.clone().unwrap_or_default();
        out("\nParameterized Job");
        out(&format::kv(&[
            format!("Payload|{}", config.payload),
            format!("Required Metadata|{}", config.meta_required.join(", ")),
            format!("Optional Metadata|{}", config.meta_optional.join(", ")),
        ]));
    }
    if let Some(summary) = &summary {
        job_summary(summary, periodic || parameterized, parameterized);
    }
    if periodic || parameterized {
        return children(&client, &job);
    }

    let length = format::id_length(args.verbose);
    let allocs: Vec<AllocListStub> = client
        .get(&format!("{job_path}/allocations?all={}", args.all_allocs))
        .map_err(|e| format!("Error querying job allocations: {e}"))?;
    let evals: Vec<Evaluation> = client
        .get(&format!("{job_path}/evaluations"))
        .map_err(|e| format!("Error querying job evaluations: {e}"))?;
    let deployment: Option<Deployment> = client
        .get(&format!("{job_path}/deployment"))
        .map_err(|e| format!("Error querying latest job deployment: {e}"))?;

    if args.verbose || args.evals {
        let mut rows = vec!["ID|Priority|Triggered By|Status|Placement Failures".to_string()];
        for eval in &evals {
            let failures = if eval.status == EvalStatus::Blocked {
                "N/A - In Progress".to_string()
            } else {
                has_failures(eval).to_string()
            };
            rows.push(format!(
                "{}|{}|{}|{}|{failures}",
                limit(&eval.id, length),
                eval.priority,
                eval.triggered_by,
                eval.status.as_str()
            ));
        }
        out("\nEvaluations");
        out(&format::list(&rows));
    }
    let blocked = evals.iter().any(|e| e.status == EvalStatus::Blocked);
    let latest_failure = evals
        .iter()
        .filter(|e| has_failures(e))
        .max_by_key(|e| e.create_index);
    if let Some(failed) = latest_failure.filter(|_| blocked) {
        placement_failures(failed);
    }
    if let Some(deployment) = &deployment {
        out("\nLatest Deployment");
        let mut text = format::kv(&[
            format!("ID|{}", limit(&deployment.id, length)),
            format!("Status|{}", deployment.status),
            format!("Description|{}", deployment.status_description),
        ]);
        if !deployment.task_groups.is_empty() {
            text.push_str("\n\nDeployed\n");
            text.push_str(&super::monitor::deployment_groups(deployment));
        }
        out(&text);
    }
    out("\nAllocations");
    out(&alloc_list(
        &allocs,
        args.verbose,
        length,
        format::now_nanos(),
    ));
    Ok(())
}

fn has_failures(eval: &Evaluation) -> bool {
    eval.failed_tg_allocs
        .as_ref()
        .is_some_and(|f| !f.is_empty())
}

fn job_summary(summary: &JobSummary, periodic_or_parameterized: bool, parameterized: bool) {
    if !periodic_or_parameterized {
        let mut rows =
            vec!["Task Group|Queued|Starting|Running|Failed|Complete|Lost|Unknown".to_string()];
        for (group, s) in &summary.summary {
            rows.push(format!(
                "{group}|{}|{}|{}|{}|{}|{}|{}",
                s.queued, s.starting, s.running, s.failed, s.complete, s.lost, s.unknown
            ));
        }
        out("\nSummary");
        out(&format::list(&rows));
    }
    let Some(children) = &summary.children else {
        return;
    };
    if periodic_or_parameterized || children.pending + children.running + children.dead > 0 {
        out(if parameterized {
            "\nParameterized Job Summary"
        } else {
            "\nChildren Job Summary"
        });
        out(&format::list(&[
            "Pending|Running|Dead".to_string(),
            format!(
                "{}|{}|{}",
                children.pending, children.running, children.dead
            ),
        ]));
    }
}

/// The launched (periodic) or dispatched (parameterized) children of a job.
fn children(client: &Client, job: &Job) -> Result<(), String> {
    let (suffix, none, title) = if job.is_parameterized() {
        (
            "/dispatch-",
            "No dispatched instances of parameterized job found",
            "Dispatched Jobs",
        )
    } else {
        (
            "/periodic-",
            "No instances of periodic job found",
            "Previously Launched Jobs",
        )
    };
    let prefix = format!("{}{suffix}", job.id);
    let children: Vec<JobListStub> = client
        .get(&format!("/v1/jobs?prefix={}", escape(&prefix)))
        .map_err(|e| format!("Error querying job: {e}"))?;
    let rows: Vec<String> = children
        .iter()
        .filter(|child| child.parent_id == job.id)
        .map(|child| format!("{}|{}", child.id, child.status))
        .collect();
    if rows.is_empty() {
        out(&format!("\n{none}"));
        return Ok(());
    }
    out(&format!("\n{title}"));
    let mut table = vec!["ID|Status".to_string()];
    table.extend(rows);
    out(&format::list(&table));
    Ok(())
}

fn placement_failures(eval: &Evaluation) {
    let Some(failures) = &eval.failed_tg_allocs else {
        return;
    };
    out("\nPlacement Failure");
    for (i, (group, metrics)) in failures.iter().take(MAX_FAILED_GROUPS).enumerate() {
        out(&format!("Task Group {}:", gotext::quote(group)));
        out(&super::plan::alloc_metrics(metrics, "  "));
        if i + 1 != failures.len() {
            out("");
        }
    }
    if failures.len() > MAX_FAILED_GROUPS {
        out(&format!(
            "\nPlacement failures truncated. To see remainder run:\ndrover eval-status {}",
            eval.id
        ));
    }
}

/// The allocations table; `verbose` adds evaluation IDs and node names and shows absolute times.
pub fn alloc_list(allocs: &[AllocListStub], verbose: bool, length: usize, now: i64) -> String {
    if allocs.is_empty() {
        return "No allocations placed".to_string();
    }
    let mut rows = Vec::with_capacity(allocs.len() + 1);
    if verbose {
        rows.push(
            "ID|Eval ID|Node ID|Node Name|Task Group|Version|Desired|Status|Created|Modified"
                .to_string(),
        );
    } else {
        rows.push("ID|Node ID|Task Group|Version|Desired|Status|Created|Modified".to_string());
    }
    for alloc in allocs {
        let (created, modified) = if verbose {
            (
                format::time(alloc.create_time),
                format::time(alloc.modify_time),
            )
        } else {
            (
                format::time_diff(alloc.create_time, now),
                format::time_diff(alloc.modify_time, now),
            )
        };
        let ids = if verbose {
            format!(
                "{}|{}|{}|{}",
                limit(&alloc.id, length),
                limit(&alloc.eval_id, length),
                limit(&alloc.node_id, length),
                alloc.node_name
            )
        } else {
            format!(
                "{}|{}",
                limit(&alloc.id, length),
                limit(&alloc.node_id, length)
            )
        };
        rows.push(format!(
            "{ids}|{}|{}|{}|{}|{created}|{modified}",
            alloc.task_group, alloc.job_version, alloc.desired_status, alloc.client_status
        ));
    }
    format::list(&rows)
}

/// `job inspect` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct InspectArgs {
    /// Print the job alone (without the `{"Job": ...}` wrapper).
    #[arg(long)]
    pub json: bool,
    /// A tracked version of the job rather than the current one.
    #[arg(long)]
    pub version: Option<String>,
    /// The job (an ID or a unique prefix).
    pub job: String,
}

/// `drover job inspect ID`: the job as JSON, in the shape `job run -json` reads back.
pub fn inspect(client: &Client, args: &InspectArgs) -> u8 {
    match inspected(client, args) {
        Ok(job) if args.json => out(&format::json(&job)),
        Ok(job) => out(&format::json(&serde_json::json!({ "Job": job }))),
        Err(message) => {
            err(&message);
            return 1;
        }
    }
    0
}

fn inspected(client: &Client, args: &InspectArgs) -> Result<Job, String> {
    let version = match &args.version {
        None => None,
        Some(text) => Some(
            text.parse::<u64>()
                .map_err(|e| format!("Error parsing version value {}: {e}", gotext::quote(text)))?,
        ),
    };
    let (job_id, client) = super::job_by_prefix(client, &args.job)?;
    let path = format!("/v1/job/{}", escape(&job_id));
    let inspect_error = |e: crate::AgentError| format!("Error inspecting job: {e}");
    let Some(version) = version else {
        return client.get(&path).map_err(inspect_error);
    };
    let versions: drover_core::api::JobVersionsResponse = client
        .get(&format!("{path}/versions"))
        .map_err(inspect_error)?;
    versions
        .versions
        .into_iter()
        .find(|job| job.version == version)
        .ok_or_else(|| format!("Error inspecting job: job version {version} not found"))
}
