//! drover-jobspec: Nomad jobspecs (HCL2, or job JSON) to drover's job model, for the
//! `POST /v1/jobs/parse` endpoint and the CLI.
//!
//! It owns HCL evaluation the way Nomad's jobspec2 does it: `variable` blocks with types,
//! defaults and validation, values from `-var` flags, var files and `NOMAD_VAR_*` entries,
//! `locals`, `dynamic` blocks, the HCL2 function library, and runtime interpolations
//! (`${attr.kernel.name}`, `${NOMAD_TASK_DIR}`) kept as text for the client. The evaluated job
//! is Nomad API JSON, which then deserializes into [`drover_model::Job`].
//!
//! It must not know about files, the environment, clocks or randomness: file contents,
//! environment entries and a random seed are [`ParseOptions`]. File-system functions such as
//! `file()` fail, as they do in Nomad's parse endpoint.

mod decode;
mod duration;
mod error;
mod eval;
mod funcs;
pub mod fuzzing;
mod job;
mod normalize;
mod schema;
mod types;
mod value;
mod variables;

pub use error::{Diagnostic, JobspecError, Pos};

/// Where variable values come from, and how a parse behaves.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// The name error positions use ("input.hcl" for the parse endpoint, as in Nomad).
    pub filename: String,
    /// `-var` flags as `name=value`, in order; later ones win.
    pub var_flags: Vec<String>,
    /// Var files (HCL `name = value` lines or a JSON object), in order; the parse endpoint's
    /// `Variables` text is one of these.
    pub var_files: Vec<VarFile>,
    /// Environment entries as `NAME=value`; only `NOMAD_VAR_<name>` entries are read.
    pub env: Vec<String>,
    /// Whether values for undeclared variables are errors (the CLI) or ignored (the endpoint).
    pub strict: bool,
    /// Seeds `uuidv4()`; without a seed that function fails.
    pub random_seed: Option<u64>,
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            filename: "input.hcl".to_owned(),
            var_flags: Vec::new(),
            var_files: Vec::new(),
            env: Vec::new(),
            strict: false,
            random_seed: None,
        }
    }
}

/// The content of one var file and the name its errors carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarFile {
    pub name: String,
    pub content: String,
}

/// Parses a jobspec into a job.
pub fn parse(src: &str, opts: &ParseOptions) -> Result<drover_model::Job, JobspecError> {
    let json = parse_to_json(src, opts)?;
    serde_json::from_value(json).map_err(|e| JobspecError::Decode(e.to_string()))
}

/// Parses a jobspec into Nomad API job JSON: only the fields the jobspec sets, durations in
/// nanoseconds. A jobspec that starts with `{` is job JSON, bare or wrapped as `{"Job": ...}`.
pub fn parse_to_json(src: &str, opts: &ParseOptions) -> Result<serde_json::Value, JobspecError> {
    if src.is_empty() {
        return Err(JobspecError::Empty);
    }
    if is_json(src) {
        return json_job(src, opts);
    }
    job::decode(src, opts)
}

pub(crate) fn is_json(src: &str) -> bool {
    src.trim_start().starts_with('{')
}

fn json_job(src: &str, opts: &ParseOptions) -> Result<serde_json::Value, JobspecError> {
    let source = error::Source {
        name: &opts.filename,
        text: src,
    };
    let value: serde_json::Value =
        serde_json::from_str(src).map_err(|e| source.locate(error::json_error(src, &e)))?;
    match value {
        serde_json::Value::Object(mut outer) if outer.contains_key("Job") => {
            Ok(outer.remove("Job").unwrap_or_default())
        }
        other => Ok(other),
    }
}
