//! Reading a jobspec for `job run` and `job plan`: as Nomad's CLI does, the file is parsed
//! here (HCL2 or job JSON) and the job is sent as JSON, with the source kept as the job's
//! submission.

use std::io::Read;
use std::path::{Path, PathBuf};

use drover_core::jobspec::{self, ParseOptions, VarFile};
use drover_core::model::Job;
use serde_json::{Value, json};

use crate::clock::random_u64;
use crate::error::AgentError;

/// The flags that say how to read a jobspec.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JobFileArgs {
    /// Parse the job file as JSON (a job, or an object with a `Job` field).
    #[arg(long)]
    pub json: bool,
    /// An HCL2 variable value (`name=value`); may be repeated.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// A file of HCL2 variable values; may be repeated.
    #[arg(long = "var-file", value_name = "PATH")]
    pub var_files: Vec<PathBuf>,
}

/// A parsed jobspec.
#[derive(Debug, Clone)]
pub struct JobFile {
    pub job: Job,
    /// The job as Nomad API JSON: only what the jobspec sets (the server fills in defaults).
    pub json: Value,
    /// `JobSubmission`: the source, its format and the variables it was parsed with.
    pub submission: Value,
}

impl JobFileArgs {
    /// Reads and parses `path` (`-` is standard input).
    pub fn load(&self, path: &str) -> Result<JobFile, AgentError> {
        let failed =
            |reason: String| AgentError::Usage(format!("Error getting job struct: {reason}"));
        if self.json && !(self.vars.is_empty() && self.var_files.is_empty()) {
            return Err(AgentError::Usage(
                "Invalid job options: cannot use variables with JSON files.".to_string(),
            ));
        }
        let (name, source) = if path == "-" {
            let mut source = String::new();
            std::io::stdin()
                .read_to_string(&mut source)
                .map_err(|e| failed(format!("Error reading standard input: {e}")))?;
            ("stdin".to_string(), source)
        } else {
            let name = Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.to_string());
            let source = std::fs::read_to_string(path)
                .map_err(|e| failed(format!("Error getting jobfile from {path:?}: {e}")))?;
            (name, source)
        };
        let mut var_files = Vec::new();
        for file in &self.var_files {
            let content = std::fs::read_to_string(file).map_err(|e| {
                failed(format!(
                    "Error parsing job file from {path}:\n{}: {e}",
                    file.display()
                ))
            })?;
            var_files.push(VarFile {
                name: file.display().to_string(),
                content,
            });
        }
        let options = ParseOptions {
            filename: name,
            var_flags: self.vars.clone(),
            var_files: var_files.clone(),
            env: std::env::vars().map(|(k, v)| format!("{k}={v}")).collect(),
            strict: true,
            random_seed: Some(random_u64()),
        };
        let parse_error =
            |e: &dyn std::fmt::Display| failed(format!("Error parsing job file from {path}:\n{e}"));
        let job_json = jobspec::parse_to_json(&source, &options).map_err(|e| parse_error(&e))?;
        let job: Job = serde_json::from_value(job_json.clone()).map_err(|e| parse_error(&e))?;
        let is_json = self.json || source.trim_start().starts_with('{');
        let submission = if is_json {
            json!({"Source": source, "Format": "json"})
        } else {
            let flags: serde_json::Map<String, Value> = self
                .vars
                .iter()
                .filter_map(|flag| flag.split_once('='))
                .map(|(name, value)| (name.to_string(), Value::String(value.to_string())))
                .collect();
            let variables: Vec<&str> = var_files.iter().map(|f| f.content.as_str()).collect();
            json!({
                "Source": source,
                "Format": "hcl2",
                "VariableFlags": flags,
                "Variables": variables.join("\n"),
            })
        };
        Ok(JobFile {
            job,
            json: job_json,
            submission,
        })
    }

    /// The `-var`/`-var-file` flags again, as `job plan` suggests them for `job run`.
    pub fn flags_for_run(&self) -> String {
        let vars = self.vars.iter().map(|v| format!("-var={v:?} "));
        let files = self
            .var_files
            .iter()
            .map(|f| format!("-var-file={:?} ", f.display().to_string()));
        vars.chain(files).collect()
    }
}
