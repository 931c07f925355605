//! The writes on an existing job that start an evaluation: `job stop`, `job dispatch`,
//! `job scale` and `job periodic force`. Each follows the evaluation unless `-detach`.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};

use drover_core::api::{
    JobDeregisterResponse, JobDispatchRequest, JobDispatchResponse, JobRegisterResponse,
    PeriodicForceResponse,
};
use drover_core::model::{Job, gotext};
use serde_json::json;

use super::format::{self, id_length, limit};
use super::http::{Client, escape};
use super::monitor::Monitor;
use super::{err, out};

/// `job stop` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct StopArgs {
    /// Also remove the job and its history from the state.
    #[arg(long)]
    pub purge: bool,
    /// Print the evaluation ID instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Stop a multiregion job in every region.
    #[arg(long)]
    pub global: bool,
    /// Do not ask before stopping a job matched by prefix.
    #[arg(long)]
    pub yes: bool,
    /// Ignore the groups' shutdown delays.
    #[arg(long = "no-shutdown-delay")]
    pub no_shutdown_delay: bool,
    /// The priority of the evaluation (0: the job's).
    #[arg(long = "eval-priority", default_value_t = 0)]
    pub eval_priority: i32,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The jobs (IDs or unique prefixes).
    #[arg(required = true)]
    pub jobs: Vec<String>,
}

pub fn stop(client: &Client, args: &StopArgs) -> u8 {
    let mut status = 0;
    for prefix in &args.jobs {
        status = status.max(stop_one(client, args, prefix.trim()));
    }
    status
}

fn stop_one(client: &Client, args: &StopArgs, prefix: &str) -> u8 {
    let Some((job_id, client)) = super::find_job(client, prefix) else {
        return 1;
    };
    if args.jobs.len() == 1 && job_id != prefix && !args.yes {
        let question = format!(
            "Are you sure you want to stop job {}? [y/N]",
            gotext::quote(&job_id)
        );
        if let Some(code) = confirm(&question) {
            return code;
        }
    }
    let path = format!(
        "/v1/job/{}?purge={}&global={}&eval_priority={}&no_shutdown_delay={}",
        escape(&job_id),
        args.purge,
        args.global,
        args.eval_priority,
        args.no_shutdown_delay
    );
    let response: JobDeregisterResponse = match client.delete(&path) {
        Ok(response) => response,
        Err(e) => {
            err(&format!(
                "Error deregistering job with id {prefix} err: {e}"
            ));
            return 1;
        }
    };
    // A periodic or parameterized job is stopped without an evaluation.
    if response.eval_id.is_empty() {
        return 0;
    }
    if args.detach {
        out(&response.eval_id);
        return 0;
    }
    Monitor::new(&client, id_length(args.verbose)).monitor(&response.eval_id)
}

/// Asks on the terminal; `None` when the answer is an exact "y", else the exit code.
fn confirm(question: &str) -> Option<u8> {
    out(question);
    let mut answer = String::new();
    if let Err(e) = std::io::stdin().lock().read_line(&mut answer) {
        err(&format!("Failed to parse answer: {e}"));
        return Some(1);
    }
    let answer = answer.trim();
    let lower = answer.to_lowercase();
    if answer.is_empty() || lower.starts_with('n') {
        out("Cancelling job stop");
        Some(0)
    } else if lower.starts_with('y') && answer.len() > 1 {
        out("For confirmation, an exact ‘y’ is required.");
        Some(0)
    } else if answer != "y" {
        out("No confirmation detected. For confirmation, an exact 'y' is required.");
        Some(1)
    } else {
        None
    }
}

/// `job dispatch` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct DispatchArgs {
    /// Dispatch metadata (`key=value`); may be repeated.
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    pub meta: Vec<String>,
    /// Print the IDs instead of following the evaluation.
    #[arg(long)]
    pub detach: bool,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// Dispatch at most once with this token.
    #[arg(long = "idempotency-token")]
    pub idempotency_token: Option<String>,
    /// A prefix for the dispatched job's ID.
    #[arg(long = "id-prefix-template", default_value = "")]
    pub id_prefix_template: String,
    /// The priority of the dispatched job (0: the parent's).
    #[arg(long, default_value_t = 0)]
    pub priority: i32,
    /// The parameterized job (an ID or a unique prefix).
    pub job: String,
    /// The payload: a file, or `-` for standard input.
    pub input: Option<String>,
}

pub fn dispatch(client: &Client, args: &DispatchArgs) -> u8 {
    let payload = match &args.input {
        None => Vec::new(),
        Some(input) => {
            let read = if input == "-" {
                let mut bytes = Vec::new();
                std::io::stdin().read_to_end(&mut bytes).map(|_| bytes)
            } else {
                std::fs::read(input)
            };
            match read {
                Ok(bytes) => bytes,
                Err(e) => {
                    err(&format!("Error reading input data: {e}"));
                    return 1;
                }
            }
        }
    };
    let mut meta = BTreeMap::new();
    for pair in &args.meta {
        let Some((key, value)) = pair.split_once('=') else {
            err(&format!("Error parsing meta value: {pair}"));
            return 1;
        };
        meta.insert(key.to_string(), value.to_string());
    }
    let Some((job_id, client)) = super::find_job(client, &args.job) else {
        return 1;
    };
    let mut path = format!("/v1/job/{}/dispatch", escape(&job_id));
    if let Some(token) = &args.idempotency_token {
        path.push_str(&format!("?idempotency_token={}", escape(token)));
    }
    let request = JobDispatchRequest {
        job_id,
        payload,
        meta,
        id_prefix_template: args.id_prefix_template.clone(),
        priority: args.priority,
    };
    let response: JobDispatchResponse = match client.put(&path, &request) {
        Ok(response) => response,
        Err(e) => {
            err(&format!("Failed to dispatch job: {e}"));
            return 1;
        }
    };
    let length = id_length(args.verbose);
    let mut rows = vec![format!("Dispatched Job ID|{}", response.dispatched_job_id)];
    if !response.eval_id.is_empty() {
        rows.push(format!(
            "Evaluation ID|{}",
            limit(&response.eval_id, length)
        ));
    }
    out(&format::kv(&rows));
    if args.detach || response.eval_id.is_empty() {
        return 0;
    }
    out("");
    match Monitor::new(&client, length).monitor(&response.eval_id) {
        0 => 0,
        _ => 1,
    }
}

/// `job scale` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ScaleArgs {
    /// Scale only if the job's modify index is this.
    #[arg(long = "check-index", default_value_t = 0)]
    pub check_index: u64,
    /// Print the evaluation ID instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The job, the task group (optional when the job has one) and the new count.
    #[arg(num_args = 2..=3, required = true, value_names = ["JOB", "GROUP", "COUNT"])]
    pub args: Vec<String>,
}

pub fn scale(client: &Client, args: &ScaleArgs) -> u8 {
    let (prefix, group, count) = match args.args.as_slice() {
        [job, count] => (job, None, count),
        [job, group, count] => (job, Some(group.clone()), count),
        _ => {
            err("Command requires at least two arguments and no more than three");
            return 1;
        }
    };
    let count: i64 = match count.parse() {
        Ok(count) => count,
        Err(e) => {
            err(&format!("Failed to convert count string to int: {e}"));
            return 1;
        }
    };
    let Some((job_id, client)) = super::find_job(client, prefix) else {
        return 1;
    };
    let job_path = format!("/v1/job/{}", escape(&job_id));
    let job: Job = match client.get(&job_path) {
        Ok(job) => job,
        Err(e) => {
            err(&format!("Error querying job: {e}"));
            return 1;
        }
    };
    let group = match scaled_group(&job, group) {
        Ok(group) => group,
        Err(message) => {
            err(&message);
            return 1;
        }
    };
    let body = json!({
        "Count": count,
        "Target": {"Job": job_id, "Group": group},
        "Message": "submitted using the drover CLI",
        "PolicyOverride": false,
        "JobModifyIndex": args.check_index,
    });
    let response: JobRegisterResponse = match client.put(&format!("{job_path}/scale"), &body) {
        Ok(response) => response,
        Err(e) => {
            err(&format!("Error submitting scaling request: {e}"));
            return 1;
        }
    };
    if !response.warnings.is_empty() {
        out(&format!("Job Warnings:\n{}\n", response.warnings));
    }
    if args.detach || job.is_periodic() || job.is_parameterized() || job.is_multiregion() {
        out("Job scale successful");
        if !job.is_parameterized() && !job.is_periodic() {
            out(&format!("Evaluation ID: {}", response.eval_id));
        }
        return 0;
    }
    Monitor::new(&client, id_length(args.verbose)).monitor(&response.eval_id)
}

/// The group to scale: the one named, or the job's only group.
fn scaled_group(job: &Job, group: Option<String>) -> Result<String, String> {
    match (group, job.task_groups.as_slice()) {
        (None, [only]) => Ok(only.name.to_string()),
        (None, _) => Err("Group name required".to_string()),
        (Some(group), groups) if groups.iter().any(|g| g.name == group) => Ok(group),
        (Some(group), _) => Err(format!("Group {group} not found within job")),
    }
}

/// `job periodic force` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ForceArgs {
    /// Print the evaluation ID instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The periodic job (an ID or a unique prefix).
    pub job: String,
}

pub fn periodic_force(client: &Client, args: &ForceArgs) -> u8 {
    let Some((job_id, client)) = super::find_job(client, &args.job) else {
        return 1;
    };
    let path = format!("/v1/job/{}/periodic/force", escape(&job_id));
    let response: PeriodicForceResponse = match client.put_empty(&path) {
        Ok(response) => response,
        Err(e) => {
            err(&format!(
                "Error forcing periodic job {}: {e}",
                gotext::quote(&job_id)
            ));
            return 1;
        }
    };
    if args.detach {
        out("Force periodic successful");
        out(&format!("Evaluation ID: {}", response.eval_id));
        return 0;
    }
    Monitor::new(&client, id_length(args.verbose)).monitor(&response.eval_id)
}
