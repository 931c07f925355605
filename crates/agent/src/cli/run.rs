//! `drover job run FILE`: parses the jobspec here, registers it with its source as the job's
//! submission, and follows the evaluation unless `-detach` (or the job is periodic or
//! parameterized: those only register).

use drover_core::api::JobRegisterResponse;
use drover_core::model::{Job, gotext};
use serde_json::json;

use super::format;
use super::http::Client;
use super::jobfile::JobFileArgs;
use super::monitor::Monitor;
use super::{err, out};

/// `job run` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub file: JobFileArgs,
    /// Register only; print the evaluation ID instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// Print the job as JSON instead of registering it.
    #[arg(long)]
    pub output: bool,
    /// Register only if the job's modify index is this (0: only if the job does not exist).
    #[arg(long = "check-index")]
    pub check_index: Option<String>,
    /// Override soft-mandatory Sentinel policies.
    #[arg(long = "policy-override")]
    pub policy_override: bool,
    /// Keep the current counts of the job's task groups.
    #[arg(long = "preserve-counts")]
    pub preserve_counts: bool,
    /// Keep the current resources of the job's task groups.
    #[arg(long = "preserve-resources")]
    pub preserve_resources: bool,
    /// The priority of the evaluation the registration creates.
    #[arg(long = "eval-priority", default_value_t = 0)]
    pub eval_priority: i32,
    /// The jobspec (`-` reads standard input).
    pub path: String,
}

pub fn run(client: &Client, args: &RunArgs) -> u8 {
    let file = match args.file.load(&args.path) {
        Ok(file) => file,
        Err(e) => {
            err(&e.to_string());
            return 1;
        }
    };
    if args.output {
        out(&format::json(&json!({"Job": file.json})));
        return 0;
    }
    let check_index = match args.check_index.as_deref().map(str::parse::<u64>) {
        None => None,
        Some(Ok(index)) => Some(index),
        Some(Err(e)) => {
            let text = args.check_index.as_deref().unwrap_or_default();
            err(&format!(
                "Error parsing check-index value {}: {e}",
                gotext::quote(text)
            ));
            return 1;
        }
    };
    let client = super::client_for_job(client, &file.json);
    let body = json!({
        "Job": file.json,
        "EnforceIndex": check_index.is_some(),
        "JobModifyIndex": check_index.unwrap_or(0),
        "PolicyOverride": args.policy_override,
        "PreserveCounts": args.preserve_counts,
        "PreserveResources": args.preserve_resources,
        "EvalPriority": args.eval_priority,
        "Submission": file.submission,
    });
    let response: JobRegisterResponse = match client.put("/v1/jobs", &body) {
        Ok(response) => response,
        Err(e) => {
            let text = e.to_string();
            if let Some(start) = text.find("Enforcing job modify index") {
                err(text[start..].trim_end_matches(')'));
                err("Job not updated");
            } else {
                err(&format!("Error submitting job: {text}"));
            }
            return 1;
        }
    };
    if !response.warnings.is_empty() {
        out(&format!("Job Warnings:\n{}\n", response.warnings));
    }
    let job = &file.job;
    if args.detach || job.is_periodic() || job.is_parameterized() || job.is_multiregion() {
        out("Job registration successful");
        if job.is_periodic() && !job.is_parameterized() {
            if let Some(line) = next_launch(job) {
                out(&line);
            }
        } else if !job.is_parameterized() {
            out(&format!("Evaluation ID: {}", response.eval_id));
        }
        return 0;
    }
    Monitor::new(&client, format::id_length(args.verbose)).monitor(&response.eval_id)
}

/// "Approximate next launch time: ..." for a periodic job.
fn next_launch(job: &Job) -> Option<String> {
    let periodic = job.periodic.as_ref()?;
    let now = format::now_nanos();
    match drover_core::periodic::next_launch(periodic, now) {
        Ok(Some(next)) => Some(format!(
            "Approximate next launch time: {} ({} from now)",
            format::time(next),
            format::difference(now, next)
        )),
        Ok(None) => None,
        Err(e) => {
            err(&format!("Error determining next launch time: {e}"));
            None
        }
    }
}
