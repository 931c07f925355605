//! A whole HCL jobspec: the top-level `variable`, `variables`, `locals` and `job` blocks, and
//! the job-wide rewrites Nomad applies after decoding (ID and Name from the label, top-level
//! tasks as single-task groups, job-level `vault` and `secret` blocks passed to every task).

use crate::ParseOptions;
use crate::decode::{BlockItem, Decoder, header_span};
use crate::error::{Diag, JobspecError, Source, syntax_error};
use crate::eval::{Ctx, Evaluator, Scope};
use crate::funcs::FuncEnv;
use crate::normalize::inherit;
use crate::schema::JOB;
use crate::value::{Map, Value};
use crate::variables::{Variables, evaluate_locals};
use hcl_edit::Span;
use hcl_edit::structure::Structure;

pub(crate) fn decode(src: &str, opts: &ParseOptions) -> Result<Value, JobspecError> {
    let source = Source {
        name: &opts.filename,
        text: src,
    };
    let locate = |diag: Diag| source.locate(diag);
    let body = hcl_edit::parser::parse_body(src).map_err(|e| locate(syntax_error(src, &e)))?;
    let mut variables = Variables::default();
    let mut locals = Vec::new();
    let mut jobs = Vec::new();
    for structure in body.iter() {
        let block = match structure {
            Structure::Block(block) => block,
            Structure::Attribute(attr) => {
                return Err(locate(Diag::new(
                    attr.key.span(),
                    "Unsupported argument",
                    format!(
                        "An argument named {:?} is not expected here.",
                        attr.key.as_str()
                    ),
                )));
            }
        };
        match block.ident.as_str() {
            "variable" => variables.declare_block(block, src).map_err(locate)?,
            "variables" => variables.declare_defaults(block, src).map_err(locate)?,
            "locals" => locals.push(block),
            "job" => jobs.push(block),
            other => {
                return Err(locate(Diag::new(
                    header_span(block),
                    "Unsupported block type",
                    format!("Blocks of type {other:?} are not expected here."),
                )));
            }
        }
    }
    let job_block = match jobs[..] {
        [] => {
            return Err(locate(Diag::new(
                None,
                "Missing job block",
                "A job block is required",
            )));
        }
        [job] => job,
        [_, second, ..] => {
            return Err(locate(Diag::new(
                header_span(second),
                "Duplicate job block",
                "Only one block of type \"job\" is allowed.",
            )));
        }
    };
    let env = FuncEnv::new(opts.random_seed);
    let vars = variables.resolve(source, opts, &env)?;
    let ctx = Ctx {
        src,
        vars: Some(&vars),
        locals: None,
        functions: Some(&env),
        unknown_as_text: true,
    };
    let local_values = evaluate_locals(&locals, ctx).map_err(locate)?;
    let decoder = Decoder {
        eval: Evaluator::new(Ctx {
            locals: Some(&local_values),
            ..ctx
        }),
    };
    let job = decoder
        .block(&JOB, &BlockItem::new(job_block, Scope::default()))
        .map_err(locate)?;
    Ok(Value::Object(finish(job)))
}

fn finish(mut job: Map) -> Map {
    if let Some(label) = job.remove("#label") {
        job.entry("ID").or_insert_with(|| label.clone());
        job.entry("Name").or_insert(label);
    }
    if let Some(Value::Array(tasks)) = job.remove("#Tasks") {
        let mut groups: Vec<Value> = tasks
            .into_iter()
            .map(|task| {
                let mut group = Map::new();
                group.insert(
                    "Name".to_owned(),
                    task.get("Name").cloned().unwrap_or_default(),
                );
                group.insert("Tasks".to_owned(), Value::Array(vec![task]));
                Value::Object(group)
            })
            .collect();
        if let Some(Value::Array(declared)) = job.remove("TaskGroups") {
            groups.extend(declared);
        }
        job.insert("TaskGroups".to_owned(), Value::Array(groups));
    }
    let vault = job.remove("#Vault");
    let secrets = job.remove("#Secrets");
    if let Some(Value::Array(groups)) = job.get_mut("TaskGroups") {
        let tasks = groups
            .iter_mut()
            .filter_map(|group| group.get_mut("Tasks"))
            .filter_map(Value::as_array_mut)
            .flatten()
            .filter_map(Value::as_object_mut);
        for task in tasks {
            inherit(task, vault.as_ref(), secrets.as_ref());
        }
    }
    job
}
