//! `drover job plan FILE`: the scheduler's dry-run for a jobspec, printed as Nomad prints it:
//! the annotated job diff, the "Scheduler dry-run" lines, and the `-check-index` hint. Exit
//! codes: 0 when no allocation is created or destroyed, 1 when some are, 255 on error.

use drover_core::api::JobPlanResponse;
use drover_core::model::{AllocMetric, Job, gotext};
use drover_core::plan::diff::{DiffType, FieldDiff, JobDiff, ObjectDiff, TaskDiff, TaskGroupDiff};
use serde_json::json;

use super::format;
use super::http::{Client, escape};
use super::jobfile::JobFileArgs;
use super::{err, out};

/// `job plan` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub file: JobFileArgs,
    /// Show the diff between the remote job and the planned one (`-diff=false` hides it).
    #[arg(long, default_value_t = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub diff: bool,
    /// Override soft-mandatory Sentinel policies.
    #[arg(long = "policy-override")]
    pub policy_override: bool,
    /// Expand added and deleted task groups and tasks in the diff.
    #[arg(long)]
    pub verbose: bool,
    /// The jobspec (`-` reads standard input).
    pub path: String,
}

pub fn run(client: &Client, args: &PlanArgs) -> u8 {
    let file = match args.file.load(&args.path) {
        Ok(file) => file,
        Err(e) => {
            err(&e.to_string());
            return 255;
        }
    };
    let client = super::client_for_job(client, &file.json);
    let body = json!({"Job": file.json, "Diff": true, "PolicyOverride": args.policy_override});
    let path = format!("/v1/job/{}/plan", escape(&file.job.id));
    let response: JobPlanResponse = match client.put(&path, &body) {
        Ok(response) => response,
        Err(e) => {
            err(&format!("Error during plan: {e}"));
            return 255;
        }
    };
    let diff = response.diff.clone().unwrap_or_default();
    if args.diff {
        out(&format!("{}\n", job_diff(&diff, args.verbose).trim()));
    }
    out("Scheduler dry-run:");
    out(&dry_run(&response, &file.job, format::now_nanos()));
    out("");
    if !response.warnings.is_empty() {
        out(&format!("Job Warnings:\n{}\n", response.warnings));
    }
    out(&check_index_hint(
        response.job_modify_index,
        &args.file.flags_for_run(),
        &args.path,
    ));
    exit_code(&response, &diff)
}

/// 1 when the plan creates or destroys allocations, else 0.
fn exit_code(response: &JobPlanResponse, diff: &JobDiff) -> u8 {
    if diff.diff_type == DiffType::None {
        return 0;
    }
    let changes = response
        .annotations
        .iter()
        .flat_map(|a| a.desired_tg_updates.values())
        .any(|d| d.stop + d.place + d.migrate + d.destructive_update + d.canary > 0);
    u8::from(changes)
}

fn check_index_hint(index: u64, flags: &str, path: &str) -> String {
    format!(
        "Job Modify Index: {index}\n\
         To submit the job with version verification run:\n\
         \n\
         drover job run -check-index {index} {flags}{path}\n\
         \n\
         When running the job with the check-index flag, the job will only be run if the\n\
         job modify index given matches the server-side version. If the index has\n\
         changed, another user has modified the job and the plan's results are\n\
         potentially invalid."
    )
}

/// The "Scheduler dry-run" lines.
fn dry_run(response: &JobPlanResponse, job: &Job, now: i64) -> String {
    let rolling = response
        .created_evals
        .iter()
        .flatten()
        .rfind(|e| e.triggered_by == "rolling-update");
    let failures = response.failed_tg_allocs.as_ref().filter(|f| !f.is_empty());
    let mut text = match failures {
        None => "- All tasks successfully allocated.\n".to_string(),
        Some(failures) => {
            let mut text = if job.job_type == "system" {
                "- WARNING: Failed to place allocations on all nodes.\n".to_string()
            } else {
                "- WARNING: Failed to place all allocations.\n".to_string()
            };
            for (group, metrics) in failures {
                text.push_str(&format!(
                    "  Task Group {} (failed to place {}):\n{}\n\n",
                    gotext::quote(group),
                    super::monitor::allocations(metrics.exhaustion().coalesced_failures + 1),
                    alloc_metrics(metrics, "    ")
                ));
            }
            if rolling.is_none() {
                text.pop();
            }
            text
        }
    };
    if let Some(rolling) = rolling {
        text.push_str(&format!(
            "- Rolling update, next evaluation will be in {}.\n",
            gotext::duration(rolling.wait)
        ));
    }
    let next = chrono::DateTime::parse_from_rfc3339(&response.next_periodic_launch)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
        .filter(|next| *next > 0);
    if let Some(next) = next.filter(|_| !job.is_parameterized()) {
        text.push_str(&format!(
            "- If submitted now, next periodic launch would be at {} ({} from now).\n",
            format::time(next),
            format::difference(now, next)
        ));
    }
    text.trim_end_matches('\n').to_string()
}

/// Why placements failed, one `* ...` line each.
pub fn alloc_metrics(metrics: &AllocMetric, prefix: &str) -> String {
    let mut lines = Vec::new();
    if metrics.nodes_evaluated == 0 {
        lines.push("No nodes were eligible for evaluation".to_string());
    }
    for (datacenter, _) in metrics.nodes_available.iter().filter(|(_, n)| **n == 0) {
        lines.push(format!(
            "No nodes are available in datacenter {}",
            gotext::quote(datacenter)
        ));
    }
    for (class, count) in &metrics.class_filtered {
        let class = gotext::quote(class);
        lines.push(format!("Class {class}: {count} nodes excluded by filter"));
    }
    for (constraint, count) in &metrics.constraint_filtered {
        let constraint = gotext::quote(constraint);
        lines.push(format!(
            "Constraint {constraint}: {count} nodes excluded by filter"
        ));
    }
    if metrics.exhaustion().nodes_exhausted > 0 {
        lines.push(format!(
            "Resources exhausted on {} nodes",
            metrics.exhaustion().nodes_exhausted
        ));
    }
    for (class, count) in &metrics.exhaustion().class_exhausted {
        let class = gotext::quote(class);
        lines.push(format!("Class {class} exhausted on {count} nodes"));
    }
    for (dimension, count) in &metrics.exhaustion().dimension_exhausted {
        let dimension = gotext::quote(dimension);
        lines.push(format!("Dimension {dimension} exhausted on {count} nodes"));
    }
    for dimension in &metrics.exhaustion().quota_exhausted {
        lines.push(format!("Quota limit hit {}", gotext::quote(dimension)));
    }
    lines
        .iter()
        .map(|line| format!("{prefix}* {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A diff marker and its width.
fn marker(diff_type: DiffType) -> (&'static str, usize) {
    match diff_type {
        DiffType::Added => ("+ ", 2),
        DiffType::Deleted => ("- ", 2),
        DiffType::Edited => ("+/- ", 4),
        DiffType::None => ("", 0),
    }
}

fn spaces(count: usize) -> String {
    " ".repeat(count)
}

/// The annotated diff of a job. `verbose` expands added and deleted groups and tasks.
pub fn job_diff(job: &JobDiff, verbose: bool) -> String {
    let mut text = format!(
        "{}Job: {}\n",
        marker(job.diff_type).0,
        gotext::quote(&job.id)
    );
    let (longest_field, mut longest_marker) = longest_prefixes(&job.fields, &job.objects);
    for group in &job.task_groups {
        longest_marker = longest_marker.max(marker(group.diff_type).1);
    }
    if job.diff_type == DiffType::Edited || verbose {
        let fields = aligned(&job.fields, &job.objects, 0, longest_field, longest_marker);
        if !fields.is_empty() {
            text.push_str(&fields);
            text.push('\n');
        }
    }
    for group in &job.task_groups {
        let prefix = longest_marker - marker(group.diff_type).1;
        text.push_str(&task_group_diff(group, prefix, verbose));
        text.push('\n');
    }
    text
}

fn task_group_diff(group: &TaskGroupDiff, prefix: usize, verbose: bool) -> String {
    let mut text = format!(
        "{}{}Task Group: {}",
        marker(group.diff_type).0,
        spaces(prefix),
        gotext::quote(&group.name)
    );
    match group.updates.as_ref().filter(|u| !u.is_empty()) {
        Some(updates) => {
            let counts: Vec<String> = updates
                .iter()
                .map(|(kind, count)| format!("{count} {kind}"))
                .collect();
            text.push_str(&format!(" ({})\n", counts.join(", ")));
        }
        None => text.push('\n'),
    }
    let (longest_field, mut longest_marker) = longest_prefixes(&group.fields, &group.objects);
    for task in &group.tasks {
        longest_marker = longest_marker.max(marker(task.diff_type).1);
    }
    let start = prefix + 2;
    if group.diff_type == DiffType::Edited || verbose {
        let fields = aligned(
            &group.fields,
            &group.objects,
            start,
            longest_field,
            longest_marker,
        );
        if !fields.is_empty() {
            text.push_str(&fields);
            text.push('\n');
        }
    }
    for task in &group.tasks {
        let task_prefix = longest_marker - marker(task.diff_type).1;
        text.push_str(&task_diff(task, start, task_prefix, verbose));
        text.push('\n');
    }
    text
}

fn task_diff(task: &TaskDiff, start: usize, prefix: usize, verbose: bool) -> String {
    let mut text = format!(
        "{}{}{}Task: {}",
        spaces(start),
        marker(task.diff_type).0,
        spaces(prefix),
        gotext::quote(&task.name)
    );
    if !task.annotations.is_empty() {
        text.push_str(&format!(" ({})", task.annotations.join(", ")));
    }
    let whole = matches!(task.diff_type, DiffType::Added | DiffType::Deleted);
    if task.diff_type == DiffType::None || (whole && !verbose) {
        return text;
    }
    text.push('\n');
    let (longest_field, longest_marker) = longest_prefixes(&task.fields, &task.objects);
    text.push_str(&aligned(
        &task.fields,
        &task.objects,
        start + 2,
        longest_field,
        longest_marker,
    ));
    text
}

fn object_diff(object: &ObjectDiff, start: usize, prefix: usize) -> String {
    let (mark, mark_len) = marker(object.diff_type);
    let mut text = format!(
        "{}{mark}{}{} {{\n",
        spaces(start),
        spaces(prefix),
        object.name
    );
    let (longest_field, longest_marker) = longest_prefixes(&object.fields, &object.objects);
    text.push_str(&aligned(
        &object.fields,
        &object.objects,
        start + prefix + 2,
        longest_field,
        longest_marker,
    ));
    format!("{text}\n{}}}", spaces(start + mark_len + prefix))
}

fn field_diff(field: &FieldDiff, start: usize, prefix: usize, value_prefix: usize) -> String {
    let mut text = format!(
        "{}{}{}{}: {}",
        spaces(start),
        marker(field.diff_type).0,
        spaces(prefix),
        field.name,
        spaces(value_prefix)
    );
    let (old, new) = (
        field.old.with_str(gotext::quote),
        field.new.with_str(gotext::quote),
    );
    match field.diff_type {
        DiffType::Deleted => text.push_str(&old),
        DiffType::Edited => text.push_str(&format!("{old} => {new}")),
        DiffType::Added | DiffType::None => text.push_str(&new),
    }
    if !field.annotations.is_empty() {
        text.push_str(&format!(" ({})", field.annotations.join(", ")));
    }
    text
}

/// Fields and then objects, one per line, names and values aligned.
fn aligned(
    fields: &[FieldDiff],
    objects: &[ObjectDiff],
    start: usize,
    longest_field: usize,
    longest_marker: usize,
) -> String {
    let mut lines = Vec::new();
    for field in fields {
        let prefix = longest_marker - marker(field.diff_type).1;
        let value_prefix = longest_field - field.name.len();
        lines.push(field_diff(field, start, prefix, value_prefix));
    }
    for object in objects {
        let prefix = longest_marker - marker(object.diff_type).1;
        lines.push(object_diff(object, start, prefix));
    }
    lines.join("\n")
}

/// The longest field name and the widest marker among fields and objects.
fn longest_prefixes(fields: &[FieldDiff], objects: &[ObjectDiff]) -> (usize, usize) {
    let longest_field = fields.iter().map(|f| f.name.len()).max().unwrap_or(0);
    let longest_marker = fields
        .iter()
        .map(|f| f.diff_type)
        .chain(objects.iter().map(|o| o.diff_type))
        .map(|t| marker(t).1)
        .max()
        .unwrap_or(0);
    (longest_field, longest_marker)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use drover_core::model::{Counts, Exhaustion};

    fn field(diff_type: DiffType, name: &str, old: &str, new: &str) -> FieldDiff {
        FieldDiff {
            diff_type,
            name: name.to_string().into(),
            old: old.to_string().into(),
            new: new.to_string().into(),
            annotations: Default::default(),
        }
    }

    #[test]
    fn an_edited_job_in_nomads_layout() {
        let diff = JobDiff {
            diff_type: DiffType::Edited,
            id: "example".to_string(),
            fields: vec![field(DiffType::Edited, "Priority", "50", "60")],
            objects: Vec::new(),
            task_groups: vec![TaskGroupDiff {
                diff_type: DiffType::Edited,
                name: "cache".into(),
                fields: vec![field(DiffType::Edited, "Count", "1", "3")],
                objects: Vec::new(),
                tasks: vec![TaskDiff {
                    diff_type: DiffType::Edited,
                    name: "redis".into(),
                    fields: Vec::new(),
                    objects: vec![ObjectDiff {
                        diff_type: DiffType::Edited,
                        name: "Config".into(),
                        fields: vec![
                            field(DiffType::Edited, "image", "redis:6", "redis:7"),
                            field(DiffType::Added, "ports[0]", "", "db"),
                        ],
                        objects: Vec::new(),
                    }],
                    annotations: vec!["forces create/destroy update".to_string()],
                }],
                updates: Some(BTreeMap::from([
                    ("create".to_string(), 2),
                    ("create/destroy update".to_string(), 1),
                ])),
            }],
        };
        let expected = r#"+/- Job: "example"
+/- Priority: "50" => "60"
+/- Task Group: "cache" (2 create, 1 create/destroy update)
  +/- Count: "1" => "3"
  +/- Task: "redis" (forces create/destroy update)
    +/- Config {
      +/- image:    "redis:6" => "redis:7"
      +   ports[0]: "db"
        }

"#;
        assert_eq!(job_diff(&diff, false), expected);
    }

    #[test]
    fn an_added_job_lists_groups_and_tasks_only() {
        let diff = JobDiff {
            diff_type: DiffType::Added,
            id: "example".to_string(),
            fields: vec![field(DiffType::Added, "Type", "", "service")],
            objects: Vec::new(),
            task_groups: vec![TaskGroupDiff {
                diff_type: DiffType::Added,
                name: "cache".into(),
                fields: vec![field(DiffType::Added, "Count", "", "1")],
                objects: Vec::new(),
                tasks: vec![TaskDiff {
                    diff_type: DiffType::Added,
                    name: "redis".into(),
                    fields: vec![field(DiffType::Added, "Driver", "", "docker")],
                    objects: Vec::new(),
                    annotations: vec!["forces create".to_string()],
                }],
                updates: Some(BTreeMap::from([("create".to_string(), 1)])),
            }],
        };
        assert_eq!(
            job_diff(&diff, false),
            "+ Job: \"example\"\n+ Task Group: \"cache\" (1 create)\n  + Task: \"redis\" (forces create)\n\n"
        );
    }

    #[test]
    fn failed_placements_are_explained() {
        let metrics = AllocMetric {
            nodes_evaluated: 2,
            nodes_available: Arc::new(BTreeMap::from([
                ("dc1".to_string(), 2),
                ("dc2".to_string(), 0),
            ])),
            constraint_filtered: Counts::from([("missing drivers".into(), 1)]),
            exhaustion: Exhaustion {
                nodes_exhausted: 1,
                dimension_exhausted: Counts::from([("memory".into(), 1)]),
                ..Exhaustion::default()
            }
            .into(),
            ..AllocMetric::default()
        };
        assert_eq!(
            alloc_metrics(&metrics, "  "),
            "  * No nodes are available in datacenter \"dc2\"\n  * Constraint \"missing drivers\": 1 nodes excluded by filter\n  * Resources exhausted on 1 nodes\n  * Dimension \"memory\" exhausted on 1 nodes"
        );
    }
}
