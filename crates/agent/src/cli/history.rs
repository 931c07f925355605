//! `drover job history ID` and `drover job revert ID VERSION`: a job's tracked versions, with
//! the diff between each and the one before it (`-p`), and going back to one of them.

use drover_core::api::{JobRegisterResponse, JobVersionsResponse};
use drover_core::model::{Job, gotext};
use drover_core::plan::diff::{DiffType, JobDiff};
use serde_json::json;

use super::format;
use super::http::{Client, escape};
use super::monitor::Monitor;
use super::plan::job_diff;
use super::{err, out};

/// `job history` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// Show the difference between each version and the previous one.
    #[arg(short = 'p')]
    pub diffs: bool,
    /// Show each version's full job.
    #[arg(long)]
    pub full: bool,
    /// Only this version.
    #[arg(long)]
    pub version: Option<String>,
    /// Print the versions as JSON.
    #[arg(long)]
    pub json: bool,
    /// The job (an ID or a unique prefix).
    pub job: String,
}

pub fn history(client: &Client, args: &HistoryArgs) -> u8 {
    match print_history(client, args) {
        Ok(()) => 0,
        Err(message) => {
            err(&message);
            1
        }
    }
}

fn print_history(client: &Client, args: &HistoryArgs) -> Result<(), String> {
    let (job_id, client) = super::job_by_prefix(client, &args.job)?;
    let path = format!("/v1/job/{}/versions?diffs={}", escape(&job_id), args.diffs);
    let response: JobVersionsResponse = client
        .get(&path)
        .map_err(|e| format!("Error retrieving job versions: {e}"))?;
    let diffs = response.diffs.unwrap_or_default();
    let versions: Vec<(&Job, Option<&JobDiff>)> = response
        .versions
        .iter()
        .enumerate()
        .map(|(i, job)| (job, diffs.get(i)))
        .collect();
    let selected: Vec<_> = match &args.version {
        None => versions,
        Some(text) => {
            let version: u64 = text
                .parse()
                .map_err(|e| format!("Error parsing version value {}: {e}", gotext::quote(text)))?;
            let found: Vec<_> = versions
                .into_iter()
                .filter(|(job, _)| job.version == version)
                .collect();
            if found.is_empty() {
                return Err(
                    "Error printing job history for non-existing job or job version".to_string(),
                );
            }
            found
        }
    };
    if args.json {
        let jobs: Vec<&Job> = selected.iter().map(|(job, _)| *job).collect();
        match (&args.version, jobs.as_slice()) {
            (Some(_), [job]) => out(&format::json(job)),
            _ => out(&format::json(&jobs)),
        }
        return Ok(());
    }
    let blocks: Vec<String> = selected
        .iter()
        .map(|(job, diff)| version_block(job, *diff, args.full))
        .collect();
    out(&blocks.join("\n\n"));
    Ok(())
}

fn version_block(job: &Job, diff: Option<&JobDiff>, full: bool) -> String {
    let mut rows = vec![
        format!("Version|{}", job.version),
        format!("Stable|{}", job.stable),
        format!("Submit Date|{}", format::time(job.submit_time)),
    ];
    if let Some(tag) = &job.version_tag {
        rows.push(format!("Tag Name|{}", tag.name));
        if !tag.description.is_empty() {
            rows.push(format!("Tag Description|{}", tag.description));
        }
    }
    if let Some(diff) = diff.filter(|d| d.diff_type != DiffType::None) {
        rows.push(format!("Diff|\n{}", job_diff(diff, false).trim()));
    }
    if full {
        rows.push(format!("Full|JSON Job:\n{}", format::json(job)));
    }
    format::kv(&rows)
}

/// `job revert` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct RevertArgs {
    /// Print the evaluation ID instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The job (an ID or a unique prefix).
    pub job: String,
    /// The version to go back to.
    pub version: String,
}

pub fn revert(client: &Client, args: &RevertArgs) -> u8 {
    let Some((job_id, client)) = super::find_job(client, &args.job) else {
        return 1;
    };
    let version = match version_of(&client, &job_id, &args.version) {
        Ok(version) => version,
        Err(message) => {
            err(&message);
            return 1;
        }
    };
    let path = format!("/v1/job/{}/revert", escape(&job_id));
    let body = json!({"JobID": job_id, "JobVersion": version});
    let response: JobRegisterResponse = match client.put(&path, &body) {
        Ok(response) => response,
        Err(e) => {
            err(&format!("Error retrieving job versions: {e}"));
            return 1;
        }
    };
    if response.eval_id.is_empty() {
        return 0;
    }
    if args.detach {
        out(&format!("Evaluation ID: {}", response.eval_id));
        return 0;
    }
    Monitor::new(&client, format::id_length(args.verbose)).monitor(&response.eval_id)
}

/// A version number, or the version carrying the tag of that name.
fn version_of(client: &Client, job_id: &str, text: &str) -> Result<u64, String> {
    if let Ok(version) = text.parse() {
        return Ok(version);
    }
    let path = format!("/v1/job/{}/versions", escape(job_id));
    let response: JobVersionsResponse = client
        .get(&path)
        .map_err(|e| format!("Error retrieving job versions: {e}"))?;
    response
        .versions
        .iter()
        .find(|job| job.version_tag.as_ref().is_some_and(|t| t.name == text))
        .map(|job| job.version)
        .ok_or_else(|| {
            format!(
                "Error retrieving job versions: tag {} not found on job {}",
                gotext::quote(text),
                gotext::quote(job_id)
            )
        })
}
