//! `drover job ...`: Nomad's job commands over the HTTP API, with the output and exit codes a
//! Nomad user knows. The general options are Nomad's: `-address` (`NOMAD_ADDR`),
//! `-namespace` (`NOMAD_NAMESPACE`), `-region` (`NOMAD_REGION`) and `-token` (`NOMAD_TOKEN`).
//! Jobspecs are parsed here, as Nomad's CLI parses them, and registered as JSON. Output is
//! never colored.

mod format;
mod history;
pub mod http;
mod jobfile;
mod lifecycle;
mod monitor;
mod plan;
mod run;
mod status;

use std::io::Write;
use std::process::ExitCode;

use drover_core::model::{JobListStub, gotext};
use serde_json::Value;

pub use history::{HistoryArgs, RevertArgs};
pub use http::Client;
pub use jobfile::JobFileArgs;
pub use lifecycle::{DispatchArgs, ForceArgs, ScaleArgs, StopArgs};
pub use plan::PlanArgs;
pub use run::RunArgs;
pub use status::{InspectArgs, StatusArgs};

use crate::error::AgentError;

/// `drover job`: the general options and a job command.
#[derive(Debug, Clone, clap::Args)]
pub struct JobArgs {
    #[command(flatten)]
    pub general: GeneralArgs,
    #[command(subcommand)]
    pub command: JobCommand,
}

/// Where the agent is and as whom to talk to it; accepted after any job command.
#[derive(Debug, Clone, clap::Args)]
pub struct GeneralArgs {
    /// The address of the agent.
    #[arg(
        long,
        global = true,
        env = "NOMAD_ADDR",
        default_value = "http://127.0.0.1:4646"
    )]
    pub address: String,
    /// The namespace of the job (`*` lists all namespaces).
    #[arg(long, global = true, env = "NOMAD_NAMESPACE")]
    pub namespace: Option<String>,
    /// The region to send requests to.
    #[arg(long, global = true, env = "NOMAD_REGION")]
    pub region: Option<String>,
    /// The ACL token's secret ID.
    #[arg(long, global = true, env = "NOMAD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum JobCommand {
    /// Registers a job from a jobspec and follows its evaluation.
    Run(RunArgs),
    /// Shows what registering a jobspec would change, without changing anything.
    Plan(PlanArgs),
    /// Lists jobs, or shows one job with its allocations.
    Status(StatusArgs),
    /// Stops (or purges) jobs.
    Stop(StopArgs),
    /// Dispatches an instance of a parameterized job.
    Dispatch(DispatchArgs),
    /// Goes back to an earlier version of a job.
    Revert(RevertArgs),
    /// Shows the versions of a job.
    History(HistoryArgs),
    /// Changes the count of a job's task group.
    Scale(ScaleArgs),
    /// Prints a job as JSON.
    Inspect(InspectArgs),
    /// Periodic jobs.
    #[command(subcommand)]
    Periodic(PeriodicCommand),
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum PeriodicCommand {
    /// Launches a periodic job now.
    Force(ForceArgs),
}

/// Runs a job command; the exit code is Nomad's for that command.
pub fn run(args: &JobArgs) -> ExitCode {
    let general = &args.general;
    let client = match Client::new(&general.address) {
        Ok(client) => client
            .with_namespace(general.namespace.clone())
            .with_region(general.region.clone())
            .with_token(general.token.clone()),
        Err(e) => {
            err(&format!("Error initializing client: {e}"));
            let code = if matches!(args.command, JobCommand::Plan(_)) {
                255
            } else {
                1
            };
            return ExitCode::from(code);
        }
    };
    let code = match &args.command {
        JobCommand::Run(args) => run::run(&client, args),
        JobCommand::Plan(args) => plan::run(&client, args),
        JobCommand::Status(args) => status::run(&client, args),
        JobCommand::Stop(args) => lifecycle::stop(&client, args),
        JobCommand::Dispatch(args) => lifecycle::dispatch(&client, args),
        JobCommand::Revert(args) => history::revert(&client, args),
        JobCommand::History(args) => history::history(&client, args),
        JobCommand::Scale(args) => lifecycle::scale(&client, args),
        JobCommand::Inspect(args) => status::inspect(&client, args),
        JobCommand::Periodic(PeriodicCommand::Force(args)) => {
            lifecycle::periodic_force(&client, args)
        }
    };
    ExitCode::from(code)
}

/// A line on standard output (a closed pipe is not an error worth a panic).
fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").ok();
}

/// A line on standard error.
fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    writeln!(stderr, "{text}").ok();
}

/// The client, in the namespace and region the jobspec names (they win over the flags, as in
/// Nomad's `job run` and `job plan`).
fn client_for_job(client: &Client, job: &Value) -> Client {
    let field = |name: &str| {
        job.get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut client = client.clone();
    if let Some(namespace) = field("Namespace") {
        client = client.with_namespace(Some(namespace));
    }
    if let Some(region) = field("Region") {
        client = client.with_region(Some(region));
    }
    client
}

/// The job a prefix names and a client in that job's namespace, or `None` after printing why.
fn find_job(client: &Client, prefix: &str) -> Option<(String, Client)> {
    job_by_prefix(client, prefix)
        .map_err(|message| err(&message))
        .ok()
}

/// Nomad's job lookup by ID prefix: the only match, or an exact match among several; returns
/// the ID and a client in the job's namespace. The error text is what the command prints.
fn job_by_prefix(client: &Client, prefix: &str) -> Result<(String, Client), String> {
    let prefix = prefix.trim();
    const MAX_RESULTS: usize = 20;
    let path = format!(
        "/v1/jobs?prefix={}&per_page={MAX_RESULTS}",
        http::escape(prefix)
    );
    let jobs: Vec<JobListStub> = match client.get(&path) {
        Ok(jobs) => jobs,
        // Without the right to list jobs, the prefix is taken as the ID.
        Err(AgentError::Api { status: 403, .. }) => {
            return Ok((prefix.to_string(), client.clone()));
        }
        Err(e) => {
            return Err(format!(
                "Error querying job prefix {}: {e}",
                gotext::quote(prefix)
            ));
        }
    };
    let all_namespaces = client.namespace() == "*";
    match jobs.as_slice() {
        [] => Err(format!(
            "No job(s) with prefix or ID {} found",
            gotext::quote(prefix)
        )),
        [first, second, ..] if first.id != prefix || (all_namespaces && first.id == second.id) => {
            let truncated = if jobs.len() >= MAX_RESULTS {
                "\n(results may be truncated)"
            } else {
                ""
            };
            Err(format!(
                "Prefix {} matched multiple jobs\n\n{}{truncated}",
                gotext::quote(prefix),
                status::job_list(&jobs, all_namespaces)
            ))
        }
        [first, ..] => Ok((
            first.id.to_string(),
            client
                .clone()
                .with_namespace(Some(first.namespace.to_string())),
        )),
    }
}
